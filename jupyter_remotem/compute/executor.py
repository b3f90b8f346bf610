"""Running a plan over a dataset: partition by partition, inline or on a Dask cluster.

Inline execution reads each partition (a zero-copy memory-map view where the format allows)
and lets the numba kernels use every core; it is the fastest choice on one machine for data in
the page cache.  On a ``dask.distributed`` cluster each partition is a task that re-opens the
dataset on its worker from a picklable :class:`DatasetRef`, so the data never travels through
the scheduler, only the small partial results do.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ..errors import NotFound
from ..formats import open_dataset
from ..formats.dataset import Dataset
from ..storage.repository import Repository, RepositoryConfig
from .operations import Plan, ReductionResult
from .partitions import Partition
from .progress import Cancelled, Progress
from .transformations import readable_repositories, referenced_repositories, reset_repositories, use_repositories
from .views import apply_pipeline


@dataclass(frozen=True)
class DatasetRef:
    """Enough to open the same dataset in another process."""

    repository: RepositoryConfig
    path: str
    dataset: str | None = None
    pipeline: tuple[dict[str, Any], ...] = ()
    #: The other repositories the pipeline reads reference frames from (a flat field), as the
    #: process that checked the user's access to them resolved them.
    references: tuple[RepositoryConfig, ...] = ()

    def key(self) -> str:
        return json.dumps([asdict(self.repository), self.path, self.dataset, self.pipeline,
                           [asdict(config) for config in self.references]], sort_keys=True, default=str)

    def open(self) -> Dataset:
        """The dataset, opened once per worker process and kept for the following partitions."""
        key = self.key()
        with _open_lock:
            dataset = _open_datasets.pop(key, None)
            if dataset is None:
                token = use_repositories(self._reference)
                try:
                    dataset = apply_pipeline(open_dataset(Repository(self.repository), self.path, self.dataset),
                                             list(self.pipeline))
                finally:
                    reset_repositories(token)
            _open_datasets[key] = dataset
            while len(_open_datasets) > 16:
                _open_datasets.pop(next(iter(_open_datasets))).close()
            return dataset


    def _reference(self, name: str) -> Repository:
        for config in self.references:
            if config.name == name:
                return Repository(config)
        raise NotFound(f"Repository '{name}' is not among those this job may read.")


def dataset_ref_with_references(repository: RepositoryConfig, path: str, dataset: str | None,
                                pipeline: tuple[dict[str, Any], ...]) -> DatasetRef:
    """A :class:`DatasetRef` carrying the repositories its pipeline names, resolved through what
    :func:`use_repositories` allows in this process (the request's user, the job's owner)."""
    names = referenced_repositories(pipeline)
    readable = readable_repositories()
    configs = tuple(readable(name).config for name in sorted(names)) if readable is not None and names else ()
    return DatasetRef(repository, path, dataset, tuple(pipeline), configs)


_open_datasets: dict[str, Dataset] = {}
_open_lock = threading.Lock()


def read_partition(dataset: Dataset, partition: Partition) -> np.ndarray:
    """Frames of one partition: a zero-copy view when the reader offers one, else a read."""
    if partition.selected is not None:
        return dataset.read_frames(partition.selected)
    block_view = getattr(dataset.reader, "block_view", None)
    if block_view is not None:
        view = block_view(partition.start, partition.stop)
        if view is not None:
            return view
    return dataset.read_frames(np.arange(partition.start, partition.stop, dtype=np.int64))


def partition_partial(dataset: Dataset, plan: Plan, partition: Partition) -> Any:
    """``plan``'s partial of one partition; a plan that looks at each frame's neighbours on the
    scan (:attr:`Plan.frames_around`) also gets the frames that many positions before and
    after the partition, read with it."""
    around = plan.frames_around
    if not around:
        return plan.process(read_partition(dataset, partition))
    first, last = max(0, partition.start - around), min(dataset.n_frames, partition.stop + around)
    block = dataset.read_frames(np.arange(first, last, dtype=np.int64))
    wanted = partition.selected if partition.selected is not None else np.arange(partition.start, partition.stop)
    return plan.process_around(block, first, np.asarray(wanted, dtype=np.int64))


def process_partition(ref: DatasetRef, plan: Plan, partition: Partition) -> Any:
    """One task on a cluster worker."""
    from ..kernels import limit_threads

    with limit_threads(1):
        return partition_partial(ref.open(), plan, partition)


def _indices(partition: Partition) -> np.ndarray | slice:
    return partition.selected if partition.selected is not None else slice(partition.start, partition.stop)


class _Collector:
    """Combines partial results in whatever order partitions finish.

    Merged partials are combined in partition order at the end, so a result is bit-for-bit the
    same however the work was scheduled (inline, on a cluster, or resumed after a crash).
    """

    def __init__(self, plan: Plan, n_frames: int) -> None:
        self.plan = plan
        self.n_frames = n_frames
        self.buffer: np.ndarray | None = None
        self.partials: dict[int, Any] = {}

    def add(self, partition: Partition, partial: Any) -> None:
        if self.plan.partial_kind == "position":
            if self.buffer is None:
                self.buffer = self.plan.position_buffer(self.n_frames, np.asarray(partial))
            self.buffer[_indices(partition)] = partial
        else:
            self.partials[partition.index] = partial

    def result(self, dataset: Dataset, visited: np.ndarray | None) -> ReductionResult:
        """The plan's answer from everything added so far."""
        return self.plan.finish(self.combined(lambda: self.plan.process(_no_frames(dataset))), visited)

    def combined(self, sample: Callable[[], Any]) -> Any:
        if self.plan.partial_kind == "position":
            if self.buffer is None:  # nothing visited (an empty ROI): shape the buffer from a dry run
                self.buffer = self.plan.position_buffer(self.n_frames, np.asarray(sample()))
            return self.buffer
        merged = self.plan.empty_partial()
        for index in sorted(self.partials):
            merged = self.plan.merge(merged, self.partials[index])
        return merged


def run_plan(
    dataset: Dataset,
    plan: Plan,
    partitions: list[Partition],
    visited: np.ndarray | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    client: Any = None,
    ref: DatasetRef | None = None,
    resumed: Mapping[int, Any] | Callable[[list[Partition], Plan], Mapping[int, Any]] | None = None,
    on_partial: Callable[[Partition, Any], None] | None = None,
) -> ReductionResult:
    """Run ``plan`` over ``partitions``, pass after pass (see :attr:`Plan.passes`); on ``client``
    (a distributed Client) when given.

    ``resumed`` gives partial results computed earlier (checkpoints of a job), by partition
    index; those partitions are not read again.  It is a mapping, or for plans of several passes
    a function of each pass's partitions and plan.  Partitions of the k-th further pass are
    numbered after those of the one before, so each pass's partials keep their own indices.
    ``on_partial`` sees every newly computed partial before the next partition starts, which is
    where a job stores its checkpoint.
    """
    passes = max(1, plan.passes)
    tally = _Tally(sum(p.n_frames for p in partitions) * passes, dataset.frame_nbytes, progress)
    stride = max((p.index for p in partitions), default=-1) + 1
    current, number = plan, 0
    while True:
        numbered = partitions if number == 0 else [replace(p, index=p.index + number * stride) for p in partitions]
        earlier = resumed(numbered, current) if callable(resumed) else (resumed or {}) if number == 0 else {}
        collector = _run_pass(dataset, current, numbered, earlier, tally, cancel, client, ref, on_partial)
        following = current.next_pass(collector.combined(lambda: current.process(_no_frames(dataset))))
        if following is None:
            return collector.result(dataset, visited)
        following.outputs = current.outputs
        current, number = following, number + 1


def _no_frames(dataset: Dataset) -> np.ndarray:
    return np.zeros((0,) + dataset.sig_shape, dtype=dataset.dtype)


class _Tally:
    """Frames done over every pass of a run, for its progress reports."""

    def __init__(self, total: int, frame_nbytes: int, progress: Callable[[Progress], None] | None) -> None:
        self.total, self.frame_nbytes, self.progress = total, frame_nbytes, progress
        self.done = self.skipped = 0
        self.started = time.perf_counter()

    def add(self, frames: int, resumed: bool = False) -> None:
        self.done += frames
        if resumed:
            self.skipped += frames
        elif self.progress is not None:
            self.progress(Progress(self.done, self.total, (self.done - self.skipped) * self.frame_nbytes,
                                   time.perf_counter() - self.started, self.skipped))


def _run_pass(dataset: Dataset, plan: Plan, partitions: list[Partition], resumed: Mapping[int, Any], tally: _Tally,
              cancel: threading.Event | None, client: Any, ref: DatasetRef | None,
              on_partial: Callable[[Partition, Any], None] | None) -> _Collector:
    """One pass of ``plan`` over ``partitions``: their partials, collected."""
    collector = _Collector(plan, dataset.n_frames)
    for partition in partitions:
        if partition.index in resumed:
            collector.add(partition, resumed[partition.index])
            tally.add(partition.n_frames, resumed=True)
    todo = [p for p in partitions if p.index not in resumed]

    def report(partition: Partition, partial: Any) -> None:
        collector.add(partition, partial)
        if on_partial is not None:
            on_partial(partition, partial)
        tally.add(partition.n_frames)

    def check_cancel() -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Cancelled.")

    if client is None:
        for partition in todo:
            check_cancel()
            report(partition, partition_partial(dataset, plan, partition))
    else:
        from distributed import as_completed

        if ref is None:
            raise ValueError("Cluster execution needs a DatasetRef to reopen the data on workers.")
        # Keys unique to this run: reusing a finished run's keys (same plan, same partitions) would
        # attach the new tasks to futures that the previous run has just cancelled.
        run = uuid.uuid4().hex
        [plan_future] = client.scatter([plan], broadcast=True, hash=False)
        futures = {
            client.submit(process_partition, ref, plan_future, p, pure=False, key=f"remotem-{run}-{p.index}"): p
            for p in todo
        }
        try:
            for future in as_completed(futures):
                check_cancel()
                report(futures[future], future.result())
        finally:
            client.cancel(list(futures))
    return collector
