"""``neighbour_correlation``: how alike each frame is to the frames beside it on the scan — the
Pearson correlation and the RMS difference with its left, right, upper and lower neighbours,
averaged.  Inside a grain or a phase neighbouring patterns match (correlation near 1); at a
boundary, a defect or a drift jump they do not, so the map draws the sample's structure without
choosing a detector first.

Partitions are runs of frames in scan order, so the neighbours above and below a partition's
first and last rows lie in other partitions: the plan declares :attr:`frames_around` (one scan
row) and the executors read that many frames before and after each partition with it.  A 1-D
scan compares each frame with the one before and after; a scan of more than two axes compares
along its last two.  Frames holding NaN are left out of their neighbours' averages and answer
NaN themselves; a constant frame has no correlation (NaN) but a difference.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..formats.dataset import Dataset
from .operations import Plan, ReductionResult

#: Frames whose normalised copies are made at once (float32), bounding the working memory.
ROWS_AT_ONCE = 512


def normalised(flat: np.ndarray) -> np.ndarray:
    """Rows centred and scaled to unit length (float32), so that a dot product of two is their
    Pearson correlation; NaN for a row holding NaN or without variation."""
    rows = flat.astype(np.float64)
    rows -= rows.mean(axis=1, keepdims=True)
    length = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    with np.errstate(invalid="ignore", divide="ignore"):
        rows /= np.where(length > 0, length, np.nan)[:, None]
    return rows.astype(np.float32)


class NeighbourPlan(Plan):
    """Per position: the mean correlation and RMS difference with its (up to four) neighbours."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        nav = tuple(self.nav_shape)
        self.width = nav[-1]
        self.height = nav[-2] if len(nav) >= 2 else 1
        self.n = math.prod(nav)
        self.frames_around = self.width if self.height > 1 else 1

    def _offsets(self, indices: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Each neighbour's offset in flat scan order, and where that neighbour exists."""
        column = indices % self.width
        row = (indices // self.width) % self.height
        yield -1, column > 0
        yield 1, column < self.width - 1
        if self.height > 1:
            yield -self.width, row > 0
            yield self.width, row < self.height - 1

    def process(self, frames: np.ndarray) -> np.ndarray:
        """The frames as the whole scan from its start (the executors' dry run of no frames)."""
        return self.process_around(frames, 0, np.arange(len(frames), dtype=np.int64))

    def process_around(self, block: np.ndarray, first: int, indices: np.ndarray) -> np.ndarray:
        flat = np.asarray(block).reshape(len(block), math.prod(self.sig_shape))
        out = np.full((len(indices), 2), np.nan)
        for start in range(0, len(indices), ROWS_AT_ONCE):
            part = indices[start:start + ROWS_AT_ONCE]
            out[start:start + len(part)] = self._compare(flat, first, part)
        return out

    def _compare(self, flat: np.ndarray, first: int, indices: np.ndarray) -> np.ndarray:
        local = indices - first
        lo = max(0, int(local.min()) - self.frames_around)
        hi = min(len(flat), int(local.max()) + self.frames_around + 1)
        window = flat[lo:hi]
        unit = normalised(window)
        values = window.astype(np.float32)
        finite = np.isfinite(values).all(axis=1)
        here = local - lo
        correlation, difference = np.zeros(len(indices)), np.zeros(len(indices))
        counted_r, counted_d = np.zeros(len(indices)), np.zeros(len(indices))
        for offset, exists in self._offsets(indices):
            there = here + offset
            ok = exists & (there >= 0) & (there < len(window))
            ok[ok] &= finite[there[ok]]
            if not ok.any():
                continue
            a, b = here[ok], there[ok]
            r = np.einsum("ij,ij->i", unit[a], unit[b], dtype=np.float64)
            d = np.sqrt(np.mean(np.square(values[a] - values[b], dtype=np.float64), axis=1))
            valid_r = np.isfinite(r)
            correlation[np.flatnonzero(ok)[valid_r]] += r[valid_r]
            counted_r[np.flatnonzero(ok)[valid_r]] += 1
            difference[ok] += d
            counted_d[ok] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            answer = np.stack([correlation / counted_r, difference / counted_d], axis=1)
        answer[~finite[here]] = np.nan
        return answer

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        values = np.array(combined, dtype=np.float64).reshape(-1, 2)
        if visited is not None:
            outside = np.ones(len(values), bool)
            outside[visited] = False
            values[outside] = np.nan
        return ReductionResult({"correlation": values[:, 0].reshape(self.nav_shape),
                                "difference": values[:, 1].reshape(self.nav_shape)}, "correlation",
                               {"neighbours": 4 if self.height > 1 else 2})
