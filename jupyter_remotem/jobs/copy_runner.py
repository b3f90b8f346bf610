"""Running one copy job: the verified, per-item copy of :mod:`storage.transfer`, made durable.

The copy's manifest (every file with its outcome and checksum) is kept beside the target as a
hidden file and saved every few seconds and at the end.  After a crash the next attempt reads it
and skips finished files — also those finished after the last save, found in place with the
source's size and SHA-256; submitting the same copy again copies only the files that are not
there yet.  A copy with failed files ends in ERROR whose summary names them.  Progress starts
from what earlier attempts did, so it never goes backwards across a resume or an un-pause.

A copy's target is the job's output: each file it copies, the folders it creates and its
manifest are recorded in the job's ledger (:mod:`.written`) as they are written, whether the
copy completes, fails or is cancelled, so deleting the job removes them (cancelling does too,
unless the owner asks to keep them).  Files it finds already there are not copied again: those an
earlier job of the same owner copied are adopted at the end, so the complete copy is one job's
output and deleting the earlier, failed attempt does not take files out of it; those an earlier
attempt of this copy put in place but was killed before recording (none was there when the copy
was planned, see :func:`~..storage.transfer.mark_found`) are recorded as this job's; those that
were there before the copy stay whoever's they were.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..compute.progress import Progress
from ..errors import NotFound, RemotemError
from ..storage.registry import RepositoryRegistry
from ..storage.repository import Repository
from ..storage.transfer import (
    CopyItem,
    CopyManifest,
    _partial_name,
    mark_found,
    plan_copy,
    present_files,
    run_copy,
)
from .context import JobContext, Outcome, Throttle
from .copy_request import CopyRequest
from .models import Job
from .written import file_record, folder_records, missing_folders, parents

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


class _Ledger:
    """The files one copy attempt wrote, recorded in batches along with each manifest save."""

    def __init__(self, context: JobContext, target: Repository, manifest_file: str) -> None:
        self.context = context
        self.target = target
        self.manifest_file = manifest_file
        self.pending: list[CopyItem] = []
        self.written: set[str] = set()

    def wrote(self, item: CopyItem) -> None:
        self.pending.append(item)
        self.written.add(item.target)

    def folders(self, manifest: CopyManifest) -> None:
        """Record, before any is made, the folders this copy will create."""
        folders = missing_folders(self.target, parents([*(item.target for item in manifest.items),
                                                        self.manifest_file]))
        if folders:
            self.context.recorder(folder_records(self.target, folders))

    def save(self, manifest: CopyManifest) -> None:
        """Record the files written since the last save, then save and record the manifest."""
        records: list[dict[str, Any]] = []
        for item in self.pending:
            try:
                records.append(file_record(self.target, item.target, "copy"))
            except NotFound:  # removed at once by someone else: nothing of ours is left there
                continue
        self.pending = []
        save_manifest(self.target, self.manifest_file, manifest)
        records.append(file_record(self.target, self.manifest_file, "manifest"))
        self.context.recorder(records)

    def adopt(self, manifest: CopyManifest) -> None:
        """Take over the files an earlier attempt copied and this one found in place, verified,
        and the folders made for them (so they go when this job's files do)."""
        found = [item.target for item in manifest.items if item.status == "done" and item.target not in self.written]
        if found:
            self.context.store.adopt_written(self.context.job.id, self.target.name, [*found, *parents(found)])


def run_copy_job(context: JobContext) -> Outcome:
    request = CopyRequest.from_json(context.job.request)
    source = context.repositories.get(request.source.repository)
    target = context.repositories.get(request.target.repository)
    record = manifest_path(request.target.path)
    manifest = load_manifest(target, record)
    if manifest is None:
        manifest = plan_copy(source, request.source.path, target, request.target.path)
        present = present_files(target, manifest)
        mark_found(manifest, present)  # before anything is written: what was there already
    else:
        present = present_files(target, manifest)
    resumed = sum(1 for item in manifest.items if item.status == "done")
    started = time.perf_counter()
    ledger = _Ledger(context, target, record)
    ledger.folders(manifest)
    ledger.save(manifest)  # the manifest is this job's from now on
    last_save = time.monotonic()
    before: int | None = None  # bytes done when this attempt began (earlier attempts' work)
    throttle = Throttle(context.max_read_rate, context.cancel)  # copies yield shared storage too
    latest = 0

    def progress(items_done: int, bytes_done: int, bytes_total: int) -> None:
        nonlocal last_save, before, latest
        if before is None:
            before = latest = bytes_done
        throttle.after(max(bytes_done - latest, 0))
        latest = bytes_done
        context.progress(Progress(bytes_done, bytes_total, max(bytes_done - before, 0), time.perf_counter() - started,
                                  before))
        if time.monotonic() - last_save > SAVE_EVERY_S:
            ledger.save(manifest)
            last_save = time.monotonic()

    try:
        run_copy(source, target, manifest, progress=progress, cancel=context.cancel, overwrite=request.overwrite,
                 on_written=ledger.wrote, present=present)
        ledger.adopt(manifest)
    finally:
        ledger.save(manifest)
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
    # A copy's whole time is its work (reading, writing, verifying): all of it is its rate.
    seconds = time.perf_counter() - started
    return Outcome([result], "copy", target.name, manifest.total_bytes, seconds, len(manifest.items), resumed,
                   manifest.total_bytes, seconds)


def discard_copy_partials(registry: RepositoryRegistry, job: Job, owns_manifest: bool) -> list[str]:
    """Remove the hidden partial files (``.name.remotem-partial``) a copy that will not resume
    left for the files it had not finished; those it finished are kept.

    ``owns_manifest`` says the job's manifest is still its own: once a later copy to the same
    target took it over, the partial files are that copy's to resume."""
    if not owns_manifest:
        return []
    try:
        request = CopyRequest.from_json(job.request)
        target = registry.get(request.target.repository)
        manifest = load_manifest(target, manifest_path(request.target.path))
    except RemotemError:
        return []
    removed = []
    for item in manifest.items if manifest is not None else []:
        if item.status == "done":
            continue
        partial = _partial_name(item.target)
        try:
            if target.exists(partial):
                target.fs.rm(target.full_path(partial))
                removed.append(partial)
        except (OSError, RemotemError):
            continue
    return removed
