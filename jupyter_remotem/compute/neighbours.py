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
from ..kernels.neighbours import frame_sums
from .operations import Plan, ReductionResult

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
        pixels = math.prod(self.sig_shape)
        flat = np.asarray(block).reshape(len(block), pixels)
        sums = frame_sums(flat, self.width)  # each frame once, beside its right and lower neighbours
        total, squares = sums[:, 0], sums[:, 1]
        spread = squares - total**2 / pixels  # p times the variance
        finite = np.isfinite(total)
        here = indices - first
        correlation, difference = np.zeros(len(here)), np.zeros(len(here))
        counted_r, counted_d = np.zeros(len(here)), np.zeros(len(here))
        for offset, exists in self._offsets(indices):
            there = here + offset
            ok = exists & (there >= 0) & (there < len(flat))
            ok[ok] &= finite[there[ok]]
            a, b = here[ok], there[ok]
            lower = np.minimum(a, b)  # the pair's dot product is kept with its earlier frame
            dot = sums[lower, 2] if abs(offset) == 1 else sums[lower, 3]
            with np.errstate(invalid="ignore", divide="ignore"):
                r = (dot - total[a] * total[b] / pixels) / np.sqrt(spread[a] * spread[b])
                r = np.where((spread[a] > 0) & (spread[b] > 0), np.clip(r, -1.0, 1.0), np.nan)
            d = np.sqrt(np.maximum(squares[a] + squares[b] - 2 * dot, 0.0) / pixels)
            where = np.flatnonzero(ok)
            valid = np.isfinite(r)
            correlation[where[valid]] += r[valid]
            counted_r[where[valid]] += 1
            difference[where] += d
            counted_d[where] += 1
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
