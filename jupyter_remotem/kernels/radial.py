"""Radial and azimuthal binning of frames: the mean intensity over rings and ring sectors.

Every pixel of a frame belongs to at most one bin (its distance from the centre picks the ring,
its angle the sector), so a label image — one bin index per pixel, -1 outside every ring — does
it in one pass over each frame whatever the number of bins, where a stack of masks would cost
pixels × bins.  The pass is the label kernel the virtual detectors use (:mod:`.labels`: runs of
consecutive pixels of one bin, eight frames at a time); sums are exact for integer frames,
float64 totals of float32 runs of at most 128 pixels for float32 frames (within 1e-5 of the
sum of magnitudes), and a NaN pixel makes its bin's mean NaN and no other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import BadParameter
from ._dtypes import flat_frames, signed_view
from .labels import Labels


def bin_labels(cx: float, cy: float, edges: np.ndarray, sectors: int, angle_offset_deg: float,
               sig_shape: Sequence[int]) -> np.ndarray:
    """The bin of each pixel of a frame (flattened), ``sector * rings + ring``, -1 outside.

    Pixel centres sit at integer indices; a pixel at distance ``d`` is in ring ``i`` when
    ``edges[i] <= d < edges[i + 1]`` (the last ring closed at its outer edge).  Its angle is
    measured from the +x axis (columns) towards +y (rows), counter to the offset, and sector
    ``s`` holds angles in ``[s, s + 1) * 360 / sectors`` degrees.
    """
    if len(sig_shape) != 2:
        raise BadParameter(f"A radial profile needs 2-D frames, not frames of shape {list(sig_shape)}.")
    height, width = sig_shape
    y = np.arange(height, dtype=np.float64)[:, None] - cy
    x = np.arange(width, dtype=np.float64)[None, :] - cx
    distance = np.hypot(y, x).ravel()
    rings = len(edges) - 1
    ring = np.searchsorted(edges, distance, side="right") - 1
    ring[distance == edges[-1]] = rings - 1
    inside = (ring >= 0) & (ring < rings)
    if sectors == 1:
        sector = np.zeros_like(ring)
    else:
        angle = (np.degrees(np.arctan2(y, x)).ravel() - angle_offset_deg) % 360.0
        sector = np.minimum((angle * sectors / 360.0).astype(np.int64), sectors - 1)
    return np.where(inside, sector * rings + ring, -1).astype(np.int32)


def label_sums(frames: np.ndarray, labels: Labels, sig_shape: Sequence[int]) -> np.ndarray:
    """``(n, bins)`` float64 sums of each frame's pixels over each bin of ``labels``
    (:meth:`.labels.Labels.of_image` of :func:`bin_labels`): runs of pixels of one bin, several
    frames at a time, exact integer sums for integer frames."""
    x = signed_view(flat_frames(frames, tuple(sig_shape)))
    if x.dtype == np.int64 and np.asarray(frames).dtype == np.uint64:
        x = x.view(np.uint64).astype(np.float64)  # means of uint64 must not wrap
    acc_dtype = np.dtype(np.int64) if x.dtype.kind in "iu" else np.dtype(np.float64)
    out = np.zeros((x.shape[0], labels.n_atoms), acc_dtype)
    if x.shape[0] and labels.runs:
        labels.apply(x, out, acc_dtype)
    return out.astype(np.float64, copy=False)


def default_max_radius(cx: float, cy: float, sig_shape: Sequence[int]) -> float:
    """The distance from the centre to the farthest pixel centre: every pixel is in a ring."""
    height, width = sig_shape
    return max(math.hypot(px - cx, py - cy) for px in (0, width - 1) for py in (0, height - 1))
