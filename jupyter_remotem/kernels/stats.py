"""Per-pixel statistics over frames that merge across partitions, and the radial profile.

:class:`FrameMoments` holds, per detector pixel, the count, sum, mean, sum of squared deviations
(``m2``), maximum and minimum of a set of frames.  Each partition computes its own with
:meth:`FrameMoments.from_frames` and :func:`merge` combines any two with Chan et al.'s pairwise
update, so the result does not depend on how the scan was split, and the variance never comes from
``E[x^2] - E[x]^2`` (which loses all digits when the mean is large against the spread).

Within a partition one pass suffices: deviations are taken from the partition's first frame
(``d = x - x_0``), and ``m2 = sum d^2 - (sum d)^2 / n`` then cancels only as far as ``x_0`` is
from the mean, i.e. by about one standard deviation.  Integer sums are exact (int64); mean and
``m2`` are float64 (uint64 frames are taken as float64).  A NaN makes every statistic of its
pixel NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import prange

from ..errors import BadParameter
from ._dtypes import as_kernel_array, is_integer
from ._jit import jit, parallel_jit

#: Pixels per parallel chunk: the five per-pixel accumulators of a chunk stay in L1.
CHUNK = 2048


@parallel_jit
def _moments(frames, rows, total, dsum, d2sum, vmax, vmin, zero):
    """Accumulate over the frames ``rows`` (the first of which is the shift) per pixel."""
    npix = frames.shape[1]
    first = frames[rows[0]]
    for c in prange((npix + CHUNK - 1) // CHUNK):
        p0 = c * CHUNK
        p1 = min(npix, p0 + CHUNK)
        for p in range(p0, p1):
            total[p] = zero
            dsum[p] = 0.0
            d2sum[p] = 0.0
            vmax[p] = first[p]
            vmin[p] = first[p]
        f0 = first[p0:p1]
        acc = (total[p0:p1], dsum[p0:p1], d2sum[p0:p1], vmax[p0:p1], vmin[p0:p1])
        whole = rows.shape[0] - rows.shape[0] % 4
        for r in range(0, whole, 4):
            _add_four(frames[rows[r], p0:p1], frames[rows[r + 1], p0:p1], frames[rows[r + 2], p0:p1],
                      frames[rows[r + 3], p0:p1], f0, zero, *acc)
        for r in range(whole, rows.shape[0]):
            _add_one(frames[rows[r], p0:p1], f0, zero, *acc)


@jit
def _add_four(x0, x1, x2, x3, first, zero, total, dsum, d2sum, vmax, vmin):
    """Four frames into a chunk's accumulators: each accumulator is read and written once per
    four frames, and the loops are split so each touches few arrays (LLVM vectorises a loop only
    when it can rule out aliasing between all of them).  Sums start from ``zero`` so that small
    integers widen to the accumulator type before they add up."""
    for p in range(x0.shape[0]):
        total[p] += ((zero + x0[p]) + x1[p]) + (x2[p] + (zero + x3[p]))
    for p in range(x0.shape[0]):
        f = np.float64(first[p])
        d0 = np.float64(x0[p]) - f
        d1 = np.float64(x1[p]) - f
        d2 = np.float64(x2[p]) - f
        d3 = np.float64(x3[p]) - f
        dsum[p] += (d0 + d1) + (d2 + d3)
        d2sum[p] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3)
    for p in range(x0.shape[0]):
        vmax[p] = max(vmax[p], max(max(x0[p], x1[p]), max(x2[p], x3[p])))
    for p in range(x0.shape[0]):
        vmin[p] = min(vmin[p], min(min(x0[p], x1[p]), min(x2[p], x3[p])))


@jit
def _add_one(x, first, zero, total, dsum, d2sum, vmax, vmin):
    """The frames left over after the blocks of four."""
    for p in range(x.shape[0]):
        total[p] += zero + x[p]
        d = np.float64(x[p]) - np.float64(first[p])
        dsum[p] += d
        d2sum[p] += d * d
        vmax[p] = max(vmax[p], x[p])
        vmin[p] = min(vmin[p], x[p])


@dataclass(frozen=True)
class FrameMoments:
    """Per-pixel moments of ``count`` frames; arrays have the detector shape.

    ``sum`` is int64 for integer frames (exact) and float64 otherwise; ``max``/``min`` keep the
    frames' dtype.  With ``count == 0`` the mean is NaN and ``max``/``min`` hold the identities of
    ``np.maximum``/``np.minimum`` for that dtype, so :func:`merge` needs no special case for them.
    """

    count: int
    sum: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    max: np.ndarray
    min: np.ndarray

    @property
    def var(self) -> np.ndarray:
        """Population variance (``ddof=0``, as ``np.var``); NaN for zero frames."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.m2 / self.count if self.count else np.full_like(self.m2, np.nan)

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var)

    @classmethod
    def empty(cls, sig_shape: tuple[int, ...], dtype: np.dtype) -> FrameMoments:
        dtype = np.dtype(dtype)
        if is_integer(dtype):
            info = np.iinfo(dtype)
            low, high, sum_dtype = info.min, info.max, np.int64
        else:
            low, high, sum_dtype = -np.inf, np.inf, np.float64
        return cls(
            count=0,
            sum=np.zeros(sig_shape, sum_dtype),
            mean=np.full(sig_shape, np.nan),
            m2=np.zeros(sig_shape),
            max=np.full(sig_shape, low, dtype),
            min=np.full(sig_shape, high, dtype),
        )

    @classmethod
    def from_frames(cls, frames: np.ndarray, roi_mask: np.ndarray | None = None) -> FrameMoments:
        """Moments of ``(n, *sig_shape)`` frames, or of those where the ``(n,)`` ``roi_mask`` is true."""
        a = as_kernel_array(frames)
        if a.ndim < 2:
            raise BadParameter(f"Frame statistics need (n, *sig_shape) frames, got shape {a.shape}.")
        if a.dtype == np.uint64:
            a = a.astype(np.float64)
        sig_shape = a.shape[1:]
        flat = a.reshape(a.shape[0], -1)
        if roi_mask is None:
            rows = np.arange(flat.shape[0], dtype=np.int64)
        else:
            roi = np.asarray(roi_mask, dtype=bool).reshape(-1)
            if roi.shape[0] != flat.shape[0]:
                raise BadParameter(f"The ROI has {roi.shape[0]} entries for {flat.shape[0]} frames.")
            rows = np.flatnonzero(roi).astype(np.int64)
        if rows.size == 0 or flat.shape[1] == 0:
            return cls.empty(sig_shape, a.dtype)
        exact = is_integer(a.dtype)
        npix = flat.shape[1]
        total = np.empty(npix, np.int64 if exact else np.float64)
        dsum, d2sum = np.empty(npix), np.empty(npix)
        vmax, vmin = np.empty(npix, a.dtype), np.empty(npix, a.dtype)
        _moments(flat, rows, total, dsum, d2sum, vmax, vmin, np.int64(0) if exact else np.float64(0))
        n = int(rows.size)
        mean = flat[rows[0]].astype(np.float64) + dsum / n
        m2 = np.maximum(d2sum - dsum * dsum / n, 0.0)
        if not exact:
            bad = np.isnan(total)
            mean[bad] = m2[bad] = np.nan
            vmax[bad] = vmin[bad] = np.nan
        return cls(
            count=n,
            sum=total.reshape(sig_shape),
            mean=mean.reshape(sig_shape),
            m2=m2.reshape(sig_shape),
            max=vmax.reshape(sig_shape),
            min=vmin.reshape(sig_shape),
        )

    def merge(self, other: FrameMoments) -> FrameMoments:
        return merge(self, other)


def merge(a: FrameMoments, b: FrameMoments) -> FrameMoments:
    """Moments of the union of two disjoint sets of frames (Chan, Golub & LeVeque 1979)."""
    if a.sum.shape != b.sum.shape:
        raise BadParameter(f"Cannot merge moments of shapes {a.sum.shape} and {b.sum.shape}.")
    if a.count == 0 or b.count == 0:
        keep = b if a.count == 0 else a
        return FrameMoments(
            count=keep.count,
            sum=a.sum + b.sum,
            mean=keep.mean.copy(),
            m2=keep.m2.copy(),
            max=np.maximum(a.max, b.max),
            min=np.minimum(a.min, b.min),
        )
    n = a.count + b.count
    delta = b.mean - a.mean
    return FrameMoments(
        count=n,
        sum=a.sum + b.sum,
        mean=a.mean + delta * (b.count / n),
        m2=a.m2 + b.m2 + delta * delta * (a.count * b.count / n),
        max=np.maximum(a.max, b.max),
        min=np.minimum(a.min, b.min),
    )


def radial_profile(
    frame: np.ndarray,
    cx: float,
    cy: float,
    n_bins: int | None = None,
    max_radius: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean intensity in rings of equal width around ``(cx, cy)``: ``(bin centres, means)``.

    Pixels (centres at integer indices) with ``d <= max_radius`` fall in bin
    ``floor(d / width)``, the last bin closed at ``max_radius``.  By default ``max_radius``
    reaches the farthest frame corner and bins are one pixel wide.  A bin without pixels is NaN.
    """
    f = np.asarray(frame)
    if f.ndim != 2 or f.size == 0:
        raise BadParameter(f"A radial profile needs one 2-D frame, got shape {f.shape}.")
    if not (math.isfinite(cx) and math.isfinite(cy)):
        raise BadParameter("The profile centre cx, cy must be finite.")
    h, w = f.shape
    y = np.arange(h, dtype=np.float64)[:, None] - cy
    x = np.arange(w, dtype=np.float64)[None, :] - cx
    d = np.sqrt(y * y + x * x).ravel()
    if max_radius is None:
        max_radius = float(d.max())
    if not (math.isfinite(max_radius) and max_radius > 0):
        raise BadParameter(f"max_radius must be a positive number, got {max_radius}.")
    if n_bins is None:
        n_bins = max(1, math.ceil(max_radius))
    if int(n_bins) != n_bins or n_bins < 1:
        raise BadParameter(f"n_bins must be a positive integer, got {n_bins}.")
    n_bins = int(n_bins)
    width = max_radius / n_bins
    keep = d <= max_radius
    index = np.minimum((d[keep] / width).astype(np.int64), n_bins - 1)
    sums = np.bincount(index, weights=f.ravel()[keep].astype(np.float64), minlength=n_bins)
    counts = np.bincount(index, minlength=n_bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    radii = (np.arange(n_bins) + 0.5) * width
    return radii, means
