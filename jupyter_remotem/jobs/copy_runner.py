"""Running one copy job: the verified, per-item copy of :mod:`storage.transfer`, made durable.

The copy's manifest (every file with its outcome and checksum) is kept beside the target as a
hidden file and saved every few seconds and at the end.  After a crash the next attempt reads it
and skips finished files; submitting the same copy again after a partial failure copies only the
files that failed.  A copy with failed files ends in ERROR whose summary names them.
"""

from __future__ import annotations

import json
import time

from ..compute.executor import Progress
from ..errors import NotFound, RemotemError
from ..storage.repository import Repository
from ..storage.transfer import CopyManifest, plan_copy, run_copy
from .copy_request import CopyRequest
from .runner import JobContext, Outcome

SAVE_EVERY_S = 2.0


class PartialCopyFailure(RemotemError):
    status, code = 422, "partial_failure"
    default_hint = "Fix the failed files (or drop them) and submit the same copy again: only they are copied."


def manifest_path(target_path: str) -> str:
    folder, _, name = target_path.rpartition("/")
    hidden = f".{name}.remotem-manifest.json"
    return f"{folder}/{hidden}" if folder else hidden


def load_manifest(target: Repository, path: str) -> CopyManifest | None:
    try:
        with target.open(path, "rb") as stream:
            return CopyManifest.from_json(json.loads(stream.read()))
    except NotFound:
        return None
    except (ValueError, TypeError, KeyError):
        return None  # an unreadable manifest only costs re-verifying the files


def save_manifest(target: Repository, path: str, manifest: CopyManifest) -> None:
    folder = path.rpartition("/")[0]
    if folder:
        target.fs.makedirs(target.full_path(folder), exist_ok=True)
    with target.open(path, "wb") as stream:
        stream.write(json.dumps(manifest.to_json()).encode())


def run_copy_job(context: JobContext) -> Outcome:
    request = CopyRequest.from_json(context.job.request)
    source = context.repositories.get(request.source.repository)
    target = context.repositories.get(request.target.repository)
    record = manifest_path(request.target.path)
    manifest = load_manifest(target, record) or plan_copy(source, request.source.path, target, request.target.path)
    resumed = sum(1 for item in manifest.items if item.status == "done")
    started = time.perf_counter()
    last_save = time.monotonic()

    def progress(items_done: int, bytes_done: int, bytes_total: int) -> None:
        nonlocal last_save
        context.progress(Progress(bytes_done, bytes_total, bytes_done, time.perf_counter() - started))
        if time.monotonic() - last_save > SAVE_EVERY_S:
            save_manifest(target, record, manifest)
            last_save = time.monotonic()

    try:
        run_copy(source, target, manifest, progress=progress, cancel=context.cancel, overwrite=request.overwrite)
    finally:
        save_manifest(target, record, manifest)
    counts = manifest.counts()
    failed = [item for item in manifest.items if item.status == "failed"]
    if failed:
        names = ", ".join(f"{item.source} ({item.error})" for item in failed[:10])
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        raise PartialCopyFailure(
            f"{len(failed)} of {len(manifest.items)} files could not be copied: {names}{more}.",
            failed=[item.source for item in failed],
        )
    result = {"repository": target.name, "path": request.target.path, "size": manifest.total_bytes,
              "format": "copy", "files": counts.get("done", 0)}
    return Outcome([result], "copy", target.name, manifest.total_bytes, time.perf_counter() - started,
                   len(manifest.items), resumed)
