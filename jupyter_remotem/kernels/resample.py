"""Nearest and linear resampling of frames at fixed coordinates (affine and polar transforms).

Every frame of a dataset is resampled at the same input coordinates, so the work that depends on
them alone — which input pixels each output pixel takes and with what weight — is done once per
transform (:func:`taps`), and each frame is then a gather of at most four pixels per output pixel
(:func:`gather`, numba, in parallel over frames).  The answers are those of
``scipy.ndimage.map_coordinates`` with ``mode="constant"`` and ``prefilter=False``:

- a coordinate is inside the frame when ``0 <= c <= n - 1`` on both axes, else the output is the
  fill value;
- order 0 takes the pixel at ``floor(c + 0.5)``;
- order 1 takes the two pixels around ``c`` on each axis (four in all, weights ``1 - t`` and
  ``t``); a zero weight still multiplies its pixel, so a NaN next to a sample spreads to it as it
  does in scipy.

Weights are float64; the sums are made in float64 and stored in the output's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import prange

from ._jit import parallel_jit


@dataclass(frozen=True, eq=False)
class Taps:
    """For each of ``P`` output pixels: flat input ``index`` and ``weight`` of its taps (``P × k``,
    k = 1 for nearest, 4 for linear), and whether its coordinate is ``inside`` the frame."""

    index: np.ndarray
    weight: np.ndarray
    inside: np.ndarray


def taps(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], order: int) -> Taps:
    """The taps of sampling a frame of ``shape`` at ``(rows, cols)`` (flat float64 arrays)."""
    assert order in (0, 1), order
    height, width = shape
    rows, cols = np.asarray(rows, np.float64).ravel(), np.asarray(cols, np.float64).ravel()
    inside = (rows >= 0) & (rows <= height - 1) & (cols >= 0) & (cols <= width - 1)
    r = np.where(inside, rows, 0.0)
    c = np.where(inside, cols, 0.0)
    if order == 0:
        index = (np.floor(r + 0.5).astype(np.int64) * width + np.floor(c + 0.5).astype(np.int64))[:, None]
        return Taps(index, np.ones(index.shape), inside)
    r0, c0 = np.floor(r).astype(np.int64), np.floor(c).astype(np.int64)
    dr, dc = r - r0, c - c0
    r1, c1 = np.minimum(r0 + 1, height - 1), np.minimum(c0 + 1, width - 1)  # weight 0 on the last pixel
    index = np.stack([r0 * width + c0, r0 * width + c1, r1 * width + c0, r1 * width + c1], axis=1)
    weight = np.stack([(1 - dr) * (1 - dc), (1 - dr) * dc, dr * (1 - dc), dr * dc], axis=1)
    return Taps(index, weight, inside)


@parallel_jit
def _gather(frames, index, weight, inside, fill, out):  # pragma: no cover - compiled
    n = frames.shape[0]
    pixels, k = index.shape
    for i in prange(n):
        frame = frames[i]
        for p in range(pixels):
            if inside[p]:
                total = 0.0
                for t in range(k):
                    total += weight[p, t] * np.float64(frame[index[p, t]])
                out[i, p] = total
            else:
                out[i, p] = fill


def gather(frames: np.ndarray, taps_: Taps, fill: float, out: np.ndarray) -> np.ndarray:
    """``out[i]`` (``n × P``) = frame ``i`` of ``frames`` (``n × pixels``) resampled by ``taps_``."""
    _gather(np.ascontiguousarray(frames), taps_.index, taps_.weight, taps_.inside, float(fill), out)
    return out
