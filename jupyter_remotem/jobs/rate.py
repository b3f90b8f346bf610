"""The rate a job reads at once it is running: what its throughput record says.

A job's wall time includes fixed costs: opening the dataset, reaching or starting the cluster,
numba compiling its kernels on a fresh machine, the throttle's waits and writing the result.
On a scan of a few partitions those costs are most of the time, and a throughput record built
from them says the repository is slow; the interactive limit (see :mod:`..storage.measured`)
would then refuse every exact view of that scan, and nothing interactive ever runs to correct it.
So a job's record counts from the first finished partition to the last, throttle waits left out:
the steady rate of the work itself.  A job of one partition records nothing.
"""

from __future__ import annotations

import time


class SteadyRate:
    """Bytes and seconds between the first and the last finished partition, minus paused time."""

    def __init__(self) -> None:
        self._first: float | None = None
        self._last: float | None = None
        self._paused = 0.0
        self.nbytes = 0

    def done(self, nbytes: int) -> None:
        """A partition of ``nbytes`` finished now (the first only starts the clock)."""
        now = time.perf_counter()
        if self._first is None:
            self._first = now
            return
        self._last = now
        self.nbytes += nbytes

    def paused(self, seconds: float) -> None:
        """Time spent waiting (a throttle), not working, since the clock started."""
        if self._first is not None:
            self._paused += max(seconds, 0.0)

    @property
    def seconds(self) -> float:
        if self._first is None or self._last is None:
            return 0.0
        return max(self._last - self._first - self._paused, 0.0)
