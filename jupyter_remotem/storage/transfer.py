"""Copying files and folders between repositories: chunked, verified, resumable, per item.

A copy is a list of items (one per file).  Each file streams in chunks from the source into a
temporary name beside the target, its checksum computed on the way; the written bytes are read
back and checked against it, and only then renamed to the final name.  A manifest records every
item's outcome, so a copy of a thousand files continues past the ten that fail, reports them,
and a re-run copies only what is not done yet.  A target file that already holds the source's
bytes counts as done, not as a conflict: by the checksum the manifest recorded for it, else by
size and SHA-256 of both sides (a crash may come after a file was put in place and before the
manifest said so, and a resubmitted copy starts from whatever is there).  A target that differs
is a conflict unless the copy may overwrite.  On local disks an interrupted file resumes from
its partial bytes; on object stores, which cannot append, it restarts that file.

Progress starts from what is done already (finished items and local partial bytes), so that a
resumed or un-paused copy continues where it stood instead of counting from zero.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import BadParameter, Conflict, Forbidden, NotFound, RemotemError
from ..companions import companions_of, renamed_companion
from . import paths
from .repository import Repository

CHUNK_BYTES = 8 * 1024**2
PARTIAL_SUFFIX = ".remotem-partial"


@dataclass
class CopyItem:
    """One file of a copy and what became of it."""

    source: str
    target: str
    size: int
    status: str = "pending"  # pending, done, failed, skipped
    checksum: str | None = None
    error: str | None = None
    #: The target path held a file when the copy was planned: one found there later is not
    #: necessarily this copy's doing (see :func:`mark_found`).
    found: bool = False


@dataclass
class CopyManifest:
    items: list[CopyItem] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.items)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {"items": [asdict(item) for item in self.items], "counts": self.counts()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CopyManifest:
        return cls([CopyItem(**item) for item in raw.get("items", [])])


class CopyCancelled(RemotemError):
    status, code = 409, "cancelled"
    default_hint = "Files finished before the cancel are complete; the rest were not written."


def plan_copy(source: Repository, source_path: str, target: Repository, target_path: str) -> CopyManifest:
    """Every file to copy, with target names; a folder maps to a folder of the same layout."""
    if not target.config.writable:
        raise Forbidden(f"Repository '{target.name}' is read-only.", hint="Choose a writable target repository.")
    entry = source.info(source_path)
    target_rel = paths.normalise(target_path)
    if not target_rel:
        raise BadParameter("The copy needs a target path inside the target repository.")
    if entry.type == "file":
        items = [CopyItem(entry.path, target_rel, entry.size or 0)]
        # A data file travels with the files that describe it (companions.py).
        for companion in companions_of(entry.path):
            if companion != entry.path and source.exists(companion):
                items.append(CopyItem(companion, renamed_companion(entry.path, companion, target_rel),
                                      source.info(companion).size or 0))
        return CopyManifest(items)
    items = []
    for relative, size in files_below(source, entry.path):
        suffix = relative[len(entry.path) :].lstrip("/") if entry.path else relative
        items.append(CopyItem(relative, f"{target_rel}/{suffix}", size))
    items.sort(key=lambda item: item.source)
    return CopyManifest(items)


def files_below(repository: Repository, relative: str, seen: set[str] | None = None) -> list[tuple[str, int]]:
    """Every file below ``relative``.  A folder reached twice (a symlink to a parent, on local
    disks) is walked once, so a loop ends.  A link out of the repository is listed too, so that
    the copy refuses it as a failed item the job names instead of leaving it out unseen."""
    seen = set() if seen is None else seen
    if repository.is_local:
        real = os.path.realpath(repository.full_path(relative))
        if real in seen:
            return []
        seen.add(real)
    found: list[tuple[str, int]] = []
    outside: list[str] = []
    # Hidden files are part of the data (Zarr keeps its metadata in .zarray and .zattrs).
    entries = repository.list(relative, include_hidden=True, outside=outside)
    found.extend((path, 0) for path in outside)
    for entry in entries:
        if entry.type == "directory":
            found.extend(files_below(repository, entry.path, seen))
        elif not entry.name.endswith(PARTIAL_SUFFIX):  # another copy's unfinished file
            found.append((entry.path, entry.size or 0))
    return found


def _digest(repository: Repository, relative: str) -> str:
    hasher = hashlib.sha256()
    with repository.open(relative, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            hasher.update(chunk)
    return hasher.hexdigest()


def present_files(target: Repository, manifest: CopyManifest) -> dict[str, int]:
    """Sizes of the files now at the manifest's target paths and their partial names, from one
    listing per target folder (a missing folder holds nothing)."""
    folders = {item.target.rpartition("/")[0] for item in manifest.items}
    present: dict[str, int] = {}
    for folder in sorted(folders):
        try:
            entries = target.list(folder, include_hidden=True)
        except (NotFound, BadParameter):
            continue
        present.update((entry.path, entry.size or 0) for entry in entries if entry.type == "file")
    return present


def mark_found(manifest: CopyManifest, present: dict[str, int]) -> None:
    """Note which targets existed before the copy began, so that a file found identical later
    can be told apart: one that was there before is the user's (or another job's), one that
    was not was put there by an earlier attempt of this copy."""
    for item in manifest.items:
        item.found = item.target in present


def _matches(item: CopyItem, source: Repository, target: Repository) -> bool:
    """The target already holds the source's bytes (see module docstring); sets the checksum."""
    try:
        entry = target.info(item.target)
    except NotFound:
        return False
    if entry.type != "file" or (entry.size or 0) != item.size:
        return False
    digest = _digest(target, item.target)
    if item.status == "done" and item.checksum is not None:
        return digest == item.checksum
    source.ensure_inside(item.source)
    if digest != _digest(source, item.source):
        return False
    item.checksum = digest
    return True


def _counted(item: CopyItem, present: dict[str, int], resumable: bool) -> int:
    """The bytes of ``item`` that count as done before this run touches it."""
    if item.status == "done" or present.get(item.target) == item.size:
        return item.size
    if resumable:
        return min(present.get(_partial_name(item.target), 0), item.size)
    return 0


def _partial_name(target_rel: str) -> str:
    folder, _, name = target_rel.rpartition("/")
    hidden = f".{name}{PARTIAL_SUFFIX}"
    return f"{folder}/{hidden}" if folder else hidden


def copy_file(
    source: Repository,
    target: Repository,
    item: CopyItem,
    on_bytes: Callable[[int], None],
    cancel: threading.Event | None = None,
    overwrite: bool = False,
) -> None:
    """Copy one item: stream to a hidden partial name, verify, rename into place."""
    source.ensure_inside(item.source)  # a link out is refused before anything is made in the target
    if not overwrite and target.exists(item.target):
        raise Conflict(
            f"'{item.target}' already exists in '{target.name}'.",
            hint="Choose another target path, or ask for overwrite.",
        )
    partial = _partial_name(item.target)
    hasher = hashlib.sha256()
    done = 0
    resume = target.is_local and target.exists(partial)
    if resume:
        with target.open(partial, "rb") as existing:
            while chunk := existing.read(CHUNK_BYTES):
                hasher.update(chunk)
                done += len(chunk)
        on_bytes(done)
    folder = item.target.rpartition("/")[0]
    if folder:
        target.fs.makedirs(target.full_path(folder), exist_ok=True)
    with source.open(item.source, "rb") as reader, target.open(partial, "ab" if resume else "wb") as writer:
        if done:
            reader.seek(done)
        while True:
            if cancel is not None and cancel.is_set():
                raise CopyCancelled(f"Copy of '{item.source}' cancelled.")
            chunk = reader.read(CHUNK_BYTES)
            if not chunk:
                break
            writer.write(chunk)
            hasher.update(chunk)
            done += len(chunk)
            on_bytes(len(chunk))
    checksum = hasher.hexdigest()
    if _digest(target, partial) != checksum:
        target.fs.rm(target.full_path(partial))
        raise RemotemError(f"Checksum mismatch after writing '{item.target}'.", hint="The copy will be retried.")
    if overwrite and target.exists(item.target):
        target.fs.rm(target.full_path(item.target))
    target.fs.mv(target.full_path(partial), target.full_path(item.target))
    item.checksum = checksum


def run_copy(
    source: Repository,
    target: Repository,
    manifest: CopyManifest,
    progress: Callable[[int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    overwrite: bool = False,
    on_written: Callable[[CopyItem], None] | None = None,
    present: dict[str, int] | None = None,
) -> CopyManifest:
    """Copy every item not yet done; failures are recorded per item and the copy goes on.

    ``progress(items_done, bytes_done, bytes_total)`` is called once before any work, with what
    is done already, then after each chunk; ``on_written(item)`` after each file this copy
    wrote — in this call, or in an earlier attempt that did not live to record it (a file found
    identical where none was when the copy was planned) — but not for files that were there
    before, so a job can record exactly the files it wrote.  ``present`` is
    :func:`present_files`, when the caller has it already.
    """
    total = manifest.total_bytes
    present = present_files(target, manifest) if present is None else present
    credit = {id(item): _counted(item, present, target.is_local) for item in manifest.items}
    bytes_done = sum(credit.values())
    items_done = sum(1 for item in manifest.items if item.status == "done")

    def report() -> None:
        if progress is not None:
            progress(items_done, bytes_done, total)

    report()
    for item in manifest.items:
        was_done = item.status == "done"
        owed = credit[id(item)]

        def on_bytes(count: int) -> None:
            # Bytes counted before this run (a partial file resumed) are not counted twice.
            nonlocal bytes_done, owed
            absorbed = min(owed, count)
            owed -= absorbed
            bytes_done += count - absorbed
            report()

        try:
            # (a target missing from the listing at the start is not asked about again)
            if (was_done or item.target in present) and _matches(item, source, target):
                item.status, item.error = "done", None
                bytes_done += item.size - owed
                if not was_done and not item.found and on_written is not None:
                    on_written(item)  # an earlier attempt wrote it and was stopped before saying so
                if not was_done:
                    items_done += 1
                report()
                continue
            if was_done:
                items_done -= 1  # gone or changed since: copied again, or a conflict
            copy_file(source, target, item, on_bytes, cancel, overwrite)
            item.status, item.error = "done", None
            if on_written is not None:
                on_written(item)
        except CopyCancelled:
            raise
        except RemotemError as error:
            item.status, item.error = "failed", error.message
        except Exception as error:  # an unreadable file fails that item only
            item.status, item.error = "failed", f"{type(error).__name__}"
        if owed:  # counted as done before, but not done after all (failed, or restarted)
            bytes_done -= owed
        if item.status == "done":
            items_done += 1
        report()
    return manifest
