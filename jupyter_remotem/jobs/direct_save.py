"""Saving what a viewer shows without waiting for a worker: a picked frame, an FFT, any image
small enough to compute within the interactive limit.

A direct save is a job like any other as far as its files go — the same operation declarations,
the same view contract, the same writers and provenance (:mod:`.output`, :mod:`.result_formats`),
admitted against the same quotas and recorded in the same ledger, so it is listed with the
user's jobs, counted against their storage, expired by retention and deleted with its job — but
the server computes it while the request waits, as ``POST reductions`` would.  The job record is
made only once the result is computed (so a refused or failed computation leaves nothing), held
while its files are written, and finished at once.  What would take longer than the
interactive limit goes to the workers instead (:func:`needs_job`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..compute.executor import Progress
from ..compute.operations import get_operation
from ..compute.reductions import (DEFAULT_THROUGHPUT, ReductionResult, ReductionStats, bytes_per_frame,
                                  reduce_dataset)
from ..compute.roi import roi_indices
from ..errors import BadParameter, RemotemError
from ..formats.dataset import Dataset
from ..storage.repository import Repository
from .models import Phase
from .output import OutputWriter
from .provenance import provenance
from .requests import JobRequest
from .retention import remove_written
from .store import JobStore
from .worker import progress_json

#: The worker name in the provenance of a directly saved result: the server itself.
DIRECT_WORKER = "server"


@dataclass(frozen=True)
class DirectSaveRequest(JobRequest):
    """The body of ``POST saves``: a job request whose operation may also be one that answers at
    once (``pick``)."""

    @classmethod
    def from_json(cls, body: Any) -> DirectSaveRequest:
        reduction, output, priority, view = cls.parts(body)
        if reduction.step != 1 or reduction.coarse:
            raise BadParameter("'step' and 'coarse' are for previews; a saved result reads every frame.",
                               hint="Leave them out, or use a crop/bin step in 'pipeline'.")
        operation = get_operation(reduction.operation)
        if operation.kind == "transformation":
            raise BadParameter(f"'{operation.name}' writes a new dataset as large as its input: it runs as a job.",
                               hint="Submit it with POST remotem/api/jobs.")
        return cls(reduction, output, priority, view)

    def as_job(self) -> JobRequest:
        """The same request for the workers (:class:`JobRequest` refuses what only a direct save can do)."""
        return JobRequest.from_json(self.to_json())


def estimate(dataset: Dataset, request: DirectSaveRequest, throughput: float | None) -> dict[str, Any]:
    """The quote of a direct save: bytes read, seconds at the measured speed, bytes written."""
    reduction = request.reduction
    operation = get_operation(reduction.operation)
    if operation.plan is None:  # one frame
        bytes_read = bytes_per_frame(dataset)
        bytes_written = int(dataset.frame_nbytes * (2 if request.output.format == "hdf5" else 1))
    else:
        plan = operation.plan_for(dataset, reduction.params)
        visited = roi_indices(reduction.roi, dataset.nav_shape)
        frames = dataset.n_frames if visited is None else len(visited)
        bytes_read = frames * bytes_per_frame(dataset)
        bytes_written = plan.bytes_out(single_array=request.output.format != "hdf5")
    speed = throughput or DEFAULT_THROUGHPUT
    return {"seconds": bytes_read / speed, "throughput_bytes_s": speed, "basis": "direct",
            "bytes_read": int(bytes_read), "bytes_written": int(bytes_written)}


def needs_job(request: DirectSaveRequest, quote: dict[str, Any], interactive_limit_s: float) -> bool:
    """Whether this save takes longer than a request may wait, so that a worker must do it
    (its FFT too, taken once the image is complete).  One frame (a pick) is always read at once."""
    reduction = request.reduction
    return get_operation(reduction.operation).plan is not None and quote["seconds"] > interactive_limit_s


def compute(source_repository: Repository, request: DirectSaveRequest, owner: str, datasets: Any = None,
            cancel: Any = None) -> tuple[ReductionResult, Any, ReductionStats]:
    """Run the save's operation now; answers the result, a function making its provenance
    record for a job id (the record names the job, which exists only once the result does) and
    what the run read."""
    reduction = request.reduction
    entry = source_repository.info(reduction.path)
    with reduction.opened(source_repository, datasets) as dataset:
        result, stats = reduce_dataset(dataset, reduction, None, math.inf, cancel)
        template = provenance(request, owner, "", DIRECT_WORKER, entry, dataset, executor="direct")

    def record(job_id: str) -> dict[str, Any]:
        return dict(template, job_id=job_id)

    return result, record, stats


def write(store: JobStore, target: Repository, request: DirectSaveRequest, job_id: str, result: ReductionResult,
          record: dict[str, Any], stats: ReductionStats) -> list[dict[str, Any]]:
    """Write the result as a job's output (temporary name, rename, ledger) and finish the job:
    COMPLETED with its results, or ERROR with what went wrong (the error is raised again)."""
    writer = OutputWriter(target, request.output, job_id, recorder=lambda files: store.record_written(job_id, files))
    try:
        results = writer.write(result, record)
    except RemotemError as error:
        store.finish(job_id, Phase.ERROR, error=dict(error.to_json()["error"], kind="fatal"))
        raise
    except Exception as error:
        store.finish(job_id, Phase.ERROR, error={"code": "internal_error", "kind": "fatal",
                                                 "message": f"Writing the result failed: {type(error).__name__}.",
                                                 "hint": "The server log has the details."})
        raise
    frames = max(stats.frames, 1)
    store.finish(job_id, Phase.COMPLETED, results=results,
                 progress=progress_json(Progress(frames, frames, stats.bytes_read, stats.elapsed_s)))
    return results


#: What an interrupted direct save's job says.
INTERRUPTED = {"code": "interrupted", "kind": "fatal",
               "message": "The server stopped while this result was being saved; nothing was kept.",
               "hint": "Save it again."}


def end_interrupted(store: JobStore, registry: Any, owner: str, before: datetime) -> list[str]:
    """End ``owner``'s direct saves held since before ``before`` (this server's start): a server
    that stops between the record and its files leaves the job HELD, and no worker will ever
    finish it.  What it wrote goes — its temporary files, and the files it had already put in
    place and recorded (an output of several files may be half published) — so that its
    error's "nothing was kept" holds and no storage is counted for it; it ends ERROR, saying
    so.  Uploads (HELD too, while their client sends bytes) are not direct saves:
    :mod:`.uploads` looks after them."""
    ended = []
    for job in store.list(owner, [Phase.HELD], kinds=["reduction"]):
        if job.created >= before:
            continue
        remove_written(store, registry, job)
        if store.finish(job.id, Phase.ERROR, error=INTERRUPTED):
            ended.append(job.id)
    return ended
