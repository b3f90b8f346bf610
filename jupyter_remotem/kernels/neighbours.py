"""The sums a neighbour comparison needs, in one pass over the frames: for every frame its sum and
sum of squares, and its dot products with the frame one position later on the scan (the right
neighbour) and one scan row later (the lower neighbour), all accumulated in float64.

From these the Pearson correlation of two frames ``a``, ``b`` of ``p`` pixels is
``(a·b - Σa Σb / p) / sqrt((Σa² - (Σa)²/p) (Σb² - (Σb)²/p))`` and their RMS difference
``sqrt((Σa² + Σb² - 2 a·b) / p)``, so each frame is read once, beside its two later neighbours,
instead of once per comparison and once more for each normalised copy.  Accumulating in float64
keeps the cancellation in the first formula harmless for integer counts up to 2³² and for float32
data of any sign.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import parallel_jit


@parallel_jit
def _sums(flat, row, count, out):  # pragma: no cover - compiled
    n, p = flat.shape
    for i in prange(count):
        s = 0.0
        q = 0.0
        right = 0.0
        down = 0.0
        has_right = i + 1 < n
        has_down = i + row < n
        for k in range(p):
            v = np.float64(flat[i, k])
            s += v
            q += v * v
            if has_right:
                right += v * np.float64(flat[i + 1, k])
            if has_down:
                down += v * np.float64(flat[i + row, k])
        out[i, 0] = s
        out[i, 1] = q
        out[i, 2] = right if has_right else np.nan
        out[i, 3] = down if has_down else np.nan


def frame_sums(flat: np.ndarray, row: int, count: int | None = None) -> np.ndarray:
    """``(count, 4)`` float64 of the first ``count`` rows of ``flat`` (default: all): sum, sum of
    squares, dot with the row after, dot with the row ``row`` after (NaN beyond the block)."""
    rows = len(flat) if count is None else int(count)
    out = np.empty((rows, 4), np.float64)
    if rows:
        _sums(np.ascontiguousarray(flat), max(1, int(row)), rows, out)
    return out
