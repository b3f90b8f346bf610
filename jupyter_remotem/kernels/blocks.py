"""Block reductions of 3-D samples: the mean of intensities and the most frequent label.

A downsampled volume assigns every voxel to the output block ``coordinate // factor``.  The
functions here take one piece of the volume (any piece: readers hand over tiles) with the block
index of each voxel and fold it into accumulators, so a volume far larger than memory is reduced
tile by tile.  Labels are never averaged: a block takes the label most of its voxels carry (the
smallest such label on a tie), so every output value is a label that exists in the block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Distinct labels in one tile up to which the mode is counted in a dense (blocks × labels)
#: table instead of by sorting; the table stays below this many cells.
DENSE_MODE_CELLS = 8_000_000


def block_ids(coords: Sequence[np.ndarray], factors: Sequence[int], origin: Sequence[int],
              out_shape: Sequence[int]) -> np.ndarray:
    """Flat index, in an output block array of ``out_shape`` whose first block starts at
    ``origin`` (in voxels), of every voxel of the grid spanned by the per-axis ``coords``."""
    z, y, x = (((np.asarray(c, dtype=np.int64) - o) // f) for c, f, o in zip(coords, factors, origin))
    ny, nx = int(out_shape[1]), int(out_shape[2])
    return (z[:, None, None] * ny + y[None, :, None]) * nx + x[None, None, :]


def accumulate_mean(values: np.ndarray, ids: np.ndarray, sums: np.ndarray, counts: np.ndarray) -> None:
    """Add ``values`` (NaN and infinities ignored) into per-block ``sums`` and ``counts``."""
    flat = np.asarray(values).reshape(-1)
    where = ids.reshape(-1)
    if flat.dtype.kind == "f":
        finite = np.isfinite(flat)
        if not finite.all():
            flat, where = flat[finite], where[finite]
    sums += np.bincount(where, weights=flat.astype(np.float64, copy=False), minlength=sums.size)
    counts += np.bincount(where, minlength=counts.size)


def finish_mean(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Block means as float32; NaN for a block with no finite voxel."""
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    means[counts == 0] = np.nan
    return means.astype(np.float32)


def block_mode(values: np.ndarray, ids: np.ndarray, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """The most frequent value of each block present in this piece (the smallest on a tie).

    Returns ``(blocks, labels)``: the flat indices of the blocks this piece touched and their
    modes.  A piece must hold whole blocks (the caller tiles the volume along block edges).
    Labels within a narrow range are counted in a dense (blocks × labels) table without sorting;
    others are first numbered by :func:`numpy.unique`, and counted by sorting when even the
    numbered table would be too large."""
    flat = np.asarray(values).reshape(-1)
    where = ids.reshape(-1)
    if flat.size == 0:
        return np.zeros(0, dtype=np.int64), flat[:0]
    low, high = flat.min(), flat.max()
    span = int(high) - int(low) + 1
    if n_blocks * span <= DENSE_MODE_CELLS:
        labels = None
        codes = flat.astype(np.int64) - int(low)
        n_labels = span
    else:
        labels, codes = np.unique(flat, return_inverse=True)
        codes = codes.reshape(-1).astype(np.int64)
        n_labels = len(labels)
    if n_blocks * n_labels <= DENSE_MODE_CELLS:
        table = np.bincount(where * n_labels + codes, minlength=n_blocks * n_labels).reshape(n_blocks, n_labels)
        touched = np.flatnonzero(table.any(axis=1))
        best = table[touched].argmax(axis=1)  # the first maximum: the smallest label
    else:
        keys, counts = np.unique(where * n_labels + codes, return_counts=True)
        blocks, block_codes = keys // n_labels, keys % n_labels
        order = np.lexsort((block_codes, -counts, blocks))  # by block, then most frequent, then smallest
        blocks, block_codes = blocks[order], block_codes[order]
        first = np.ones(len(blocks), dtype=bool)
        first[1:] = blocks[1:] != blocks[:-1]
        touched, best = blocks[first], block_codes[first]
    if labels is None:
        return touched, (best + int(low)).astype(flat.dtype)
    return touched, labels[best]
