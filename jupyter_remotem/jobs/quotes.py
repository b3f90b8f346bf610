"""What a job will cost before it runs: seconds and bytes, from measured throughput.

The expected time is the bytes to read over the throughput this operation recently reached on
this repository (recorded by the workers with the error of each estimate), falling back to the
repository's probed speed and then to a conservative default.  The same figures drive quotas.
"""

from __future__ import annotations

from typing import Any

from ..compute.operations import get_operation
from ..compute.reductions import DEFAULT_THROUGHPUT, bytes_per_frame
from ..compute.roi import roi_indices
from ..storage.repository import Repository
from .requests import JobRequest
from .store import JobStore


def quote_reduction(
    store: JobStore, repository: Repository, request: JobRequest, probed_bytes_s: float | None
) -> dict[str, Any]:
    """The quote of a reduction or transformation job (a transformation reads only its window)."""
    reduction = request.reduction
    operation = get_operation(reduction.operation)
    with reduction.open(repository) as dataset:
        plan = operation.plan_for(dataset, reduction.params)
        if operation.kind == "transformation":
            bytes_read = plan.bytes_in()
            bytes_written = plan.bytes_out()
        else:
            visited = roi_indices(reduction.roi, dataset.nav_shape)
            frames = dataset.n_frames if visited is None else len(visited)
            bytes_read = frames * bytes_per_frame(dataset)
            bytes_written = plan.bytes_out(single_array=request.output.format != "hdf5")
    history = store.throughput(reduction.operation, repository.name)
    speed = history or probed_bytes_s or DEFAULT_THROUGHPUT
    return {
        "seconds": bytes_read / speed,
        "bytes_read": bytes_read,
        "bytes_written": bytes_written,
        "throughput_bytes_s": speed,
        "basis": "history" if history else ("probe" if probed_bytes_s else "default"),
    }


def quote_copy(store: JobStore, total_bytes: int, files: int, target: str, probed_bytes_s: float | None) -> dict[str, Any]:
    history = store.throughput("copy", target)
    speed = history or probed_bytes_s or DEFAULT_THROUGHPUT / 10
    return {
        "seconds": total_bytes / speed,
        "bytes_read": total_bytes,
        "bytes_written": total_bytes,
        "files": files,
        "throughput_bytes_s": speed,
        "basis": "history" if history else ("probe" if probed_bytes_s else "default"),
    }
