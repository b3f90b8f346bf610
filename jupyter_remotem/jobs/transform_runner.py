"""Running one transformation job: a new HDF5 dataset written slab by slab, resumable after a crash.

The output file is created once, under the job's temporary name (``.name.partial-<job id>``), with
its metadata final (:class:`formats.hdf5_writer.SlabFile`).  Each slab of output rows is written
and synced, then recorded as a checkpoint whose only payload is the file's write id.  A later
attempt (after ``kill -9``, a shutdown or a pause) reopens the file, keeps the slabs recorded for
that same file and writes only the others, so the result is the one an uninterrupted run makes.
The file is renamed to its final name only when every slab is in it; a job that is cancelled,
runs out of time or fails has its temporary file removed by the worker
(:func:`discard_partial_output`).

Outputs in a local repository are built in place.  Outputs in remote repositories (S3, WebDAV)
are built in the worker's scratch folder (``<scratch>/<job id>/``, on the worker's machine) and
uploaded to the temporary name when complete, then renamed; a crash during the upload only
repeats the upload.  The scratch folder needs room for the whole output.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from ..compute.executor import Cancelled, Progress, read_partition
from ..compute.transformations import Slab, TransformPlan
from ..errors import RemotemError
from ..formats.axes import axes_attributes
from ..formats.hdf5_writer import SlabFile, row_chunks
from ..storage.registry import RepositoryRegistry
from .models import Job
from .output import OutputWriter
from .provenance import hdf5_attributes, provenance
from .rate import SteadyRate
from .requests import OutputSpec
from .runner import JobContext, Outcome, Throttle, start_job
from .exports import export_format_of
from .store import JobStore


def default_scratch_dir() -> Path:
    """Where workers build outputs for remote repositories unless told otherwise."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "remotem" / "worker" / "scratch"


def _scratch_file(scratch_dir: Path | None, job_id: str, path: str) -> Path:
    return (scratch_dir or default_scratch_dir()) / job_id / path.rsplit("/", 1)[-1]


def discard_partial_output(registry: RepositoryRegistry, job: Job, scratch_dir: Path | None = None,
                           store: JobStore | None = None) -> None:
    """Remove what a job that will not resume may have left: its temporary output file and
    scratch folder, or a copy's partial files.  Right after the job stopped its copy manifest is
    its own; later (on delete) ``store`` tells whether a newer copy to the same target took it over."""
    if job.kind == "copy":
        from .copy_runner import discard_copy_partials, manifest_path

        owns = True
        if store is not None:
            target = (job.request or {}).get("target") or {}
            manifest = manifest_path(str(target.get("path") or ""))
            owns = any(row.repository == target.get("repository") and row.path == manifest
                       for row in store.written(job.id))
        discard_copy_partials(registry, job, owns)
        return
    try:
        spec = OutputSpec.from_json((job.request or {}).get("output"))
        OutputWriter(registry.get(spec.repository), spec, job.id).discard()
    except RemotemError:  # a request that cannot name an output left nothing behind
        pass
    shutil.rmtree((scratch_dir or default_scratch_dir()) / job.id, ignore_errors=True)


def written_slabs(store: JobStore, job_id: str, slabs: list[Slab], write_id: str) -> set[int]:
    """Slabs an earlier attempt wrote into this very file (same write id, same rows)."""
    by_index = {slab.index: slab for slab in slabs}
    marker = write_id.encode()
    done = set()
    for checkpoint in store.checkpoints(job_id, with_data=True):
        slab = by_index.get(checkpoint.partition)
        if slab is not None and checkpoint.data == marker and (checkpoint.start, checkpoint.stop) == slab.rows_out:
            done.add(slab.index)
    return done


def _output_file(path: Path, plan: TransformPlan, record: dict[str, Any]) -> SlabFile:
    """The job's file at ``path``: the one an earlier attempt made, else a new one."""
    chunks = row_chunks(plan.out_shape, plan.out_dtype, plan.nav_ndim)
    existing = SlabFile.open(path, plan.out_shape, plan.out_dtype, chunks)
    if existing is not None:
        return existing
    return SlabFile.create(path, plan.out_shape, plan.out_dtype, chunks, hdf5_attributes(record),
                           axes_attributes(plan.axes, plan.nav_ndim))


def run_transformation_job(context: JobContext) -> Outcome:
    """Write the job's transformed dataset; raises :class:`Cancelled` when stopped (see module docstring)."""
    job = context.job
    start = start_job(context)
    request, spec, source_repository = start.request, start.request.reduction, start.source_repository
    writer, operation, source = start.writer, start.operation, start.source
    started = time.perf_counter()
    export = export_format_of(request.output.format, request.output.path)
    local = writer.repository.local_path(writer.temporary())
    path = Path(local) if local is not None else _scratch_file(context.scratch_dir, job.id, request.output.path)
    # An export to another format first writes the slab file in the scratch folder, then converts it.
    slab_path = path if export.write is None else _scratch_file(context.scratch_dir, job.id, "slabs.h5")
    if local is not None:
        writer.makedirs()
    with spec.open(source_repository) as dataset:
        plan = operation.plan_for(dataset, spec.params)
        slabs = plan.slabs(context.partition_bytes)
        record = provenance(request, job.owner, job.id, context.worker_id, source, dataset)
        target = _output_file(slab_path, plan, record)
        done = written_slabs(context.store, job.id, slabs, target.write_id)
        total = sum(slab.partition.n_frames for slab in slabs)
        resumed = sum(slab.partition.n_frames for slab in slabs if slab.index in done)
        finished, read = resumed, 0
        if resumed:  # progress continues from the slabs already written, never from zero
            context.progress(Progress(resumed, total, 0, 0.0, resumed))
        throttle = Throttle(context.max_read_rate, context.cancel)
        steady = SteadyRate()
        for slab in slabs:
            if slab.index in done:
                continue
            if context.cancel.is_set():
                raise Cancelled("Stopped between two slabs; the written ones are kept for a resume.")
            target.write(slab.rows_out[0], plan.apply(read_partition(dataset, slab.partition), slab))
            context.store.record_checkpoint(job.id, context.worker_id, slab.index, *slab.rows_out,
                                            target.write_id.encode())
            nbytes = slab.partition.n_frames * dataset.frame_nbytes
            finished += slab.partition.n_frames
            read += nbytes
            steady.done(nbytes)
            context.progress(Progress(finished, total, read, time.perf_counter() - started, resumed))
            steady.paused(throttle.after(nbytes))
    if context.cancel.is_set():
        raise Cancelled("Stopped before the result was put in place.")
    if export.write is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # What an attempt that crashed while converting left.
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        export.write(slab_path, path, record)
        slab_path.unlink(missing_ok=True)
    if local is None:
        writer.makedirs()
        remote = writer.repository.full_path(writer.temporary())
        if export.folder:
            writer.repository.fs.put(str(path), remote, recursive=True)
        else:
            writer.repository.fs.put_file(str(path), remote)
    writer.publish()
    if local is None:
        shutil.rmtree(path.parent, ignore_errors=True)
    elif export.write is not None:
        shutil.rmtree(slab_path.parent, ignore_errors=True)  # the scratch folder the slab file was in
    size = (writer.repository.fs.du(writer.repository.full_path(request.output.path)) if export.folder
            else writer.repository.info(request.output.path).size)
    result = {"repository": writer.repository.name, "path": request.output.path, "size": size, "format": export.key,
              "dataset": export.dataset, "shape": list(plan.out_shape), "dtype": plan.out_dtype.str,
              **({"kind": "folder"} if export.folder else {})}
    return Outcome([result], operation.name, source_repository.name, read, time.perf_counter() - started,
                   len(slabs), len(done), steady.nbytes, steady.seconds)

