"""Fluctuation electron microscopy: the spread of each frame's intensity within a ring.

For every frame the mean and the population standard deviation (``np.std``, ddof 0) of the
pixels a ring mask selects.  The ring's pixels are gathered by index (a ring is a small part of
a frame, so walking its indices beats a masked pass over every pixel), and the deviation is taken
in two passes over them, from the mean, in float64: ``E[x^2] - E[x]^2`` would lose every digit
on frames whose mean is large against their spread.  Integer frames are read in their own dtype
(no cast of the input).  A NaN pixel in the ring makes that frame's mean and deviation NaN.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._dtypes import flat_frames
from ._jit import parallel_jit


@parallel_jit
def _ring_moments(frames, indices, out):
    n = indices.shape[0]
    for f in prange(frames.shape[0]):
        frame = frames[f]
        total = 0.0
        for i in range(n):
            total += frame[indices[i]]
        mean = total / n
        spread = 0.0
        for i in range(n):
            d = frame[indices[i]] - mean
            spread += d * d
        out[f, 0] = mean
        out[f, 1] = np.sqrt(spread / n)


def ring_mean_std(frames: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(n, 2)`` float64: each frame's mean and standard deviation over the pixels of ``mask``
    (a boolean image of the frame's shape with at least one pixel set)."""
    indices = np.flatnonzero(mask).astype(np.int64)
    x = flat_frames(frames, mask.shape)
    out = np.empty((x.shape[0], 2), np.float64)
    if x.shape[0]:
        _ring_moments(x, indices, out)
    return out
