"""Running one reduction job: open the input, plan, resume from checkpoints, run, write.

The partitions and the combining of partial results are the interactive path's own
(:func:`compute.executor.run_plan`); a job adds only what makes it durable: each finished
partition is stored as a checkpoint before the next one starts, and checkpoints of an earlier
attempt are fed back instead of being recomputed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from ..compute.executor import Cancelled, Progress, run_plan
from ..compute.operations import Operation, Plan, get_operation
from ..compute.partitions import Partition, cluster_partition_bytes, dataset_partitions
from ..compute.reductions import dataset_ref, fft_result
from ..compute.roi import roi_indices
from ..compute.transformations import use_repositories
from ..storage.registry import RepositoryRegistry
from ..storage.repository import Entry, Repository
from .checkpoints import decode_partial, encode_partial
from .context import JobContext, Outcome, Throttle
from .models import Job
from .output import OutputWriter
from .provenance import provenance
from .rate import SteadyRate
from .requests import JobRequest
from .store import JobStore

log = logging.getLogger(__name__)


def resumable(store: JobStore, job_id: str, partitions: list[Partition], plan: Plan) -> dict[int, Any]:
    """Partial results of this job's earlier attempts that still match its partitions."""
    by_index = {p.index: p for p in partitions}
    template = plan.empty_partial() if plan.partial_kind == "merge" else None
    resumed = {}
    for checkpoint in store.checkpoints(job_id, with_data=True):
        partition = by_index.get(checkpoint.partition)
        if partition is None or checkpoint.data is None:
            continue
        if (partition.start, partition.stop) != (checkpoint.start, checkpoint.stop):
            continue
        resumed[partition.index] = decode_partial(checkpoint.data, template)
    return resumed


@dataclass
class JobStart:
    """What every job that reads one dataset and writes one output needs before it runs."""

    request: JobRequest
    source_repository: Repository
    source: Entry
    writer: OutputWriter
    operation: Operation


def start_job(context: JobContext) -> JobStart:
    """Validate the stored request again (a worker trusts the database no more than a user) and
    check the output can be written before any work is done."""
    request = JobRequest.from_json(context.job.request)
    spec = request.reduction
    # Reference frames the request names: the repositories were checked for its owner when it
    # was submitted, as its source was.
    use_repositories(context.repositories.get)
    source_repository = context.repositories.get(spec.repository)
    target = context.repositories.get(request.output.repository)
    own = frozenset(row.path for row in context.store.written(context.job.id) if row.repository == target.name)
    writer = OutputWriter(target, request.output, context.job.id, recorder=context.recorder, own=own)
    writer.check()
    return JobStart(request, source_repository, source_repository.info(spec.path), writer,
                    get_operation(spec.operation))


def run_reduction_job(context: JobContext) -> Outcome:
    """Run the job's reduction and write its result; raises :class:`Cancelled` when stopped."""
    job = context.job
    start = start_job(context)
    request, reduction, source_repository = start.request, start.request.reduction, start.source_repository
    writer, operation, source = start.writer, start.operation, start.source
    writer.discard()  # what an attempt that crashed while writing may have left
    started = time.perf_counter()
    with reduction.open(source_repository) as dataset:
        plan = operation.plan_for(dataset, reduction.params)
        visited = roi_indices(reduction.roi, dataset.nav_shape)
        client = context.client_for(dataset.nbytes)
        target_bytes = context.partition_bytes
        if client is not None:
            target_bytes = cluster_partition_bytes(dataset.nbytes, len(client.scheduler_info()["workers"]),
                                                   floor=target_bytes)
        partitions = dataset_partitions(dataset, visited, target_bytes=target_bytes)
        resumed = resumable(context.store, job.id, partitions, plan)
        if resumed:  # a resumed job's progress continues from its checkpoints, never from zero
            frames = sum(p.n_frames for p in partitions if p.index in resumed)
            context.progress(Progress(frames, sum(p.n_frames for p in partitions) * plan.passes, 0, 0.0, frames))
        throttle = Throttle(context.max_read_rate, context.cancel)
        steady = SteadyRate()
        read = 0

        def on_partial(partition: Partition, partial: Any) -> None:
            nonlocal read
            nbytes = partition.n_frames * dataset.frame_nbytes
            steady.done(nbytes)
            context.store.record_checkpoint(job.id, context.worker_id, partition.index, partition.start,
                                            partition.stop, encode_partial(partial))
            read += nbytes
            steady.paused(throttle.after(nbytes))

        ref = dataset_ref(source_repository, reduction) if client else None
        if client is not None:
            log.info("job %s: %d partitions on the Dask cluster at %s", job.id, len(partitions),
                     client.scheduler.address)
        def earlier(numbered: list[Partition], current: Plan) -> dict[int, Any]:
            """Each pass's checkpoints (a later pass's partitions are numbered after the first's)."""
            return resumed if current is plan else resumable(context.store, job.id, numbered, current)

        result = run_plan(dataset, plan, partitions, visited, progress=context.progress,
                          cancel=context.cancel, resumed=earlier, on_partial=on_partial, client=client, ref=ref)
        if reduction.fft:  # of the whole image, once every partition is in
            result = fft_result(result)
        executor = f"dask {client.scheduler.address}" if client is not None else "inline"
        record = provenance(request, job.owner, job.id, context.worker_id, source, dataset, executor)
    if context.cancel.is_set():
        raise Cancelled("Stopped before the result was written.")
    results = writer.write(result, record)
    return Outcome(results, operation.name, source_repository.name, read, time.perf_counter() - started,
                   len(partitions), len(resumed), steady.nbytes, steady.seconds)
