"""What a job will cost before it runs: seconds and bytes, from measured throughput.

The expected time is the bytes to read over the throughput this operation reached on this
repository: interactive passes and finished jobs (see :mod:`..storage.measured`), falling back
to the repository's probed speed and then to a conservative default.  The same figures drive
quotas.
"""

from __future__ import annotations

from typing import Any

from ..compute.operations import get_operation
from ..compute.reductions import bytes_per_frame
from ..compute.roi import roi_indices
from ..storage.measured import MeasuredSpeeds, Speed
from ..storage.repository import Repository
from .exports import export_format_of
from .requests import JobRequest


def _timed(speed: Speed, bytes_read: int) -> dict[str, Any]:
    return {"seconds": speed.seconds(bytes_read), "throughput_bytes_s": speed.bytes_s, "basis": speed.basis}


def quote_reduction(speeds: MeasuredSpeeds, repository: Repository, request: JobRequest) -> dict[str, Any]:
    """The quote of a reduction or transformation job (a transformation reads only its window)."""
    reduction = request.reduction
    operation = get_operation(reduction.operation)
    with reduction.open(repository) as dataset:
        plan = operation.plan_for(dataset, reduction.params)
        if operation.kind == "transformation":
            export_format_of(request.output.format, request.output.path).check(plan.out_shape, plan.nav_ndim,
                                                                               plan.out_dtype)
            bytes_read = plan.bytes_in()
            bytes_written = plan.bytes_out()
        else:
            visited = roi_indices(reduction.roi, dataset.nav_shape)
            frames = dataset.n_frames if visited is None else len(visited)
            bytes_read = frames * bytes_per_frame(dataset) * plan.passes
            bytes_written = plan.bytes_out(single_array=request.output.format != "hdf5")
            computing = frames * plan.passes * plan.seconds_per_frame  # a user function's own pace
    speed = speeds.for_jobs(speeds.operation(reduction.operation, repository))
    quote = dict(_timed(speed, bytes_read), bytes_read=bytes_read, bytes_written=bytes_written)
    if operation.kind != "transformation" and computing > quote["seconds"]:
        quote.update(seconds=computing, basis="function")
    return quote


def quote_copy(speeds: MeasuredSpeeds, source: Repository, target: Repository, total_bytes: int,
               files: int) -> dict[str, Any]:
    speed = speeds.for_jobs(speeds.copy(source, target))
    return dict(_timed(speed, total_bytes), bytes_read=total_bytes, bytes_written=total_bytes, files=files)
