"""Cutting a scan into partitions: contiguous runs of frames sized for the cache and for progress.

Partitions follow the file's scan order so each is one sequential read; with an ROI, a partition
keeps only the selected frames of its run.  Sizes aim at ``target_bytes`` (large enough to amortise
per-task overhead, small enough that progress moves and memory stays bounded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Default bytes of frame data per partition.
TARGET_BYTES = 64 * 1024**2


@dataclass(frozen=True)
class Partition:
    index: int
    start: int
    stop: int
    #: Flat scan indices to process when an ROI selects only some frames of [start, stop).
    selected: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return self.stop - self.start if self.selected is None else len(self.selected)


def make_partitions(
    n_frames: int,
    frame_nbytes: int,
    roi: np.ndarray | None = None,
    target_bytes: int = TARGET_BYTES,
    min_partitions: int = 1,
    spans: list[tuple[int, int]] | None = None,
) -> list[Partition]:
    """Partitions covering ``[0, n_frames)`` (or only ``roi``), in scan order.

    ``spans`` are runs of frames stored back to back (chunked files); no partition crosses one's
    edge, so every partition can be a zero-copy view of the file.
    """
    if n_frames == 0 or (roi is not None and roi.size == 0):
        return []
    per_partition = max(1, target_bytes // max(frame_nbytes, 1))
    if min_partitions > 1:
        per_partition = min(per_partition, max(1, -(-n_frames // min_partitions)))
    cuts = [
        (start, min(start + per_partition, span_stop))
        for span_start, span_stop in (spans or [(0, n_frames)])
        for start in range(span_start, span_stop, per_partition)
    ]
    partitions = []
    for start, stop in cuts:
        selected = None
        if roi is not None:
            lo, hi = np.searchsorted(roi, [start, stop])
            if lo == hi:
                continue
            selected = roi[lo:hi]
            if len(selected) == stop - start:
                selected = None
        partitions.append(Partition(len(partitions), start, stop, selected))
    return partitions


def dataset_partitions(
    dataset: Any, roi: np.ndarray | None = None, target_bytes: int = TARGET_BYTES
) -> list[Partition]:
    """Partitions of a dataset, respecting how its reader stores frames (see ``spans``).

    Whole-scan plans are remembered on the reader, so a dataset kept warm between requests
    (:mod:`..formats.dataset_cache`) keeps its partitions too; the list is never modified."""
    reader = dataset.reader
    key = (dataset.n_frames, dataset.frame_nbytes, target_bytes)
    remembered = getattr(reader, "_remotem_partitions", None)
    if roi is None and remembered is not None and remembered[0] == key:
        return remembered[1]
    spans = getattr(reader, "frame_spans", None)
    partitions = make_partitions(dataset.n_frames, dataset.frame_nbytes, roi, target_bytes,
                                 spans=spans() if spans is not None else None)
    if roi is None:
        try:
            reader._remotem_partitions = (key, partitions)
        except AttributeError:  # readers with __slots__ simply do not remember
            pass
    return partitions


def cluster_partition_bytes(nbytes: int, n_workers: int, floor: int = TARGET_BYTES) -> int:
    """Partition size for a Dask cluster: a few tasks per worker, since each task costs
    milliseconds of scheduling and transfer where an inline partition costs microseconds."""
    return max(floor, nbytes // max(4 * n_workers, 1))
