"""The timing every benchmark script shares: the best of a few runs, after one untimed run that
compiles the kernels and warms the caches (unless told not to)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(function: Callable[[], object], repeat: int, warm_up: bool = True) -> float:
    """Seconds of the fastest of ``repeat`` runs of ``function``."""
    if warm_up:
        function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)
