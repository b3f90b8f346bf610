"""Copying files and folders between repositories: chunked, verified, resumable, per item.

A copy is a list of items (one per file).  Each file streams in chunks from the source into a
temporary name beside the target, its checksum computed on the way; the written bytes are read
back and checked against it, and only then renamed to the final name.  A manifest records every
item's outcome, so a copy of a thousand files continues past the ten that fail, reports them,
and a re-run copies only what is not done yet (done items are recognised by size and checksum).
On local disks an interrupted file resumes from its partial bytes; on object stores, which
cannot append, it restarts that file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import BadParameter, Conflict, Forbidden, NotFound, RemotemError
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
        return CopyManifest([CopyItem(entry.path, target_rel, entry.size or 0)])
    items = []
    for relative, size in _walk(source, entry.path):
        suffix = relative[len(entry.path) :].lstrip("/") if entry.path else relative
        items.append(CopyItem(relative, f"{target_rel}/{suffix}", size))
    items.sort(key=lambda item: item.source)
    return CopyManifest(items)


def _walk(repository: Repository, relative: str, seen: set[str] | None = None) -> list[tuple[str, int]]:
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
            found.extend(_walk(repository, entry.path, seen))
        elif not entry.name.endswith(PARTIAL_SUFFIX):  # another copy's unfinished file
            found.append((entry.path, entry.size or 0))
    return found


def _digest(repository: Repository, relative: str) -> str:
    hasher = hashlib.sha256()
    with repository.open(relative, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            hasher.update(chunk)
    return hasher.hexdigest()


def _already_there(item: CopyItem, target: Repository) -> bool:
    if item.status != "done" or item.checksum is None:
        return False
    try:
        return target.info(item.target).size == item.size and _digest(target, item.target) == item.checksum
    except NotFound:
        return False


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
) -> CopyManifest:
    """Copy every item not yet done; failures are recorded per item and the copy goes on.

    ``progress(items_done, bytes_done, bytes_total)`` is called after each chunk;
    ``on_written(item)`` after each file this call wrote (not those found already there), so a
    job can record exactly the files it wrote.
    """
    total = manifest.total_bytes
    bytes_done = 0
    items_done = 0

    def on_bytes(count: int) -> None:
        nonlocal bytes_done
        bytes_done += count
        if progress is not None:
            progress(items_done, bytes_done, total)

    for item in manifest.items:
        if _already_there(item, target):
            items_done += 1
            on_bytes(item.size)
            continue
        try:
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
        items_done += 1
        if progress is not None:
            progress(items_done, bytes_done, total)
    return manifest
