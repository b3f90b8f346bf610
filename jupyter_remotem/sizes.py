"""Byte counts as people read them, with the binary prefixes JupyterLab and the Remote data
sidebar use (``labextension/src/format.ts``, ``formatBytes``): a file is "1.50 MiB" in the lab
and in a notebook widget alike, never "1.6 MB" in one and "1.50 MiB" in the other."""

from __future__ import annotations

import math
from typing import Any

#: Binary prefixes, each 1024 times the last.
UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(nbytes: Any) -> str:
    """``0 B``, ``1023 B``, ``1.00 KiB``, ``40.3 GiB``, ``512 TiB``: three significant digits
    above a KiB; the empty string for anything that is not a size (None, negative, NaN)."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, (int, float)) or not math.isfinite(nbytes) or nbytes < 0:
        return ""
    value, unit = float(nbytes), 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{nbytes:g} B" if isinstance(nbytes, float) else f"{nbytes} B"
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f} {UNITS[unit]}"
