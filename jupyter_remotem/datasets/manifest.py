"""What a dataset holds, file by file: made when it is closed, compared by ``verify``.

The walk is the copy's (hidden files included, since Zarr keeps its metadata in them; a folder
reached twice through a link walked once); a link leading out of the repository is refused by
the repository's path gate when it is read, so it can never enter a manifest.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound
from ..storage.containment import OutsideRepository
from ..storage.repository import Entry, Repository
from ..storage.transfer import PARTIAL_SUFFIX, files_below

#: Bytes read per call while hashing: large enough for remote stores, small enough to stop soon.
CHUNK_BYTES = 8 * 1024**2


@dataclass(frozen=True)
class ManifestFile:
    path: str  # relative to the dataset's own path ("" for a dataset that is one file)
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass
class Differences:
    """How a dataset's files differ from its manifest."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.added)

    def to_json(self) -> dict[str, Any]:
        return {"intact": self.intact, "changed": self.changed, "missing": self.missing, "added": self.added}


def digest_of(files: list[tuple[str, int, str]]) -> str:
    """One SHA-256 over a manifest's (path, size, sha256) lines: what "the same input" means in
    a run record, made alike by the server and by ``remotem derive``."""
    lines = "".join(f"{path}\t{size}\t{sha256}\n" for path, size, sha256 in files)
    return hashlib.sha256(lines.encode()).hexdigest()


def sha256_of(repository: Repository, relative: str, stop: Callable[[], bool] = lambda: False,
              read: Callable[[int], None] = lambda nbytes: None) -> str:
    """The file's SHA-256; ``read`` hears of every chunk, and ``stop`` ends the reading early
    (the digest is then of a part, and the caller must not keep it)."""
    hasher = hashlib.sha256()
    repository.ensure_inside(relative)  # a link out is refused by name, not "missing"
    with repository.open(relative, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            hasher.update(chunk)
            read(len(chunk))
            if stop():
                break
    return hasher.hexdigest()


def members(repository: Repository, path: str) -> list[tuple[str, int]]:
    """Every file of the dataset at ``path`` (its own path relative to it) with its size."""
    entry = repository.info(path)
    if entry.type != "directory":
        return [("", entry.size or 0)]
    return [(posixpath.relpath(full, path) if path else full, size) for full, size in files_below(repository, path)]


def listing(repository: Repository, path: str) -> list[dict[str, Any]]:
    """Every file of the dataset at ``path`` as the working directory sees it: its path
    relative to the dataset, size and modification time (None where the store keeps none).
    A working directory compares the mtime with the one it remembers, and checks the content
    only of a file whose mtime moved and size did not: a same-size edit is seen, a file only
    touched is read once."""
    entry = repository.info(path)
    if entry.type != "directory":
        return [{"path": "", "size": entry.size or 0, "mtime": entry.mtime}]
    found = [{"path": posixpath.relpath(below.path, path) if path else below.path, "size": below.size or 0,
              "mtime": below.mtime} for below in _entries_below(repository, path, set())]
    return sorted(found, key=lambda file: file["path"])


def _entries_below(repository: Repository, relative: str, seen: set[str]) -> list[Entry]:
    """The files below ``relative`` as listed (with their mtimes), walked as
    :func:`~..storage.transfer.files_below` walks them: a folder reached twice is walked once,
    another copy's unfinished file is left out, and a link leading out of the repository is
    listed (without size or mtime) so that reading it is refused, never left out unseen."""
    if repository.is_local:
        real = os.path.realpath(repository.full_path(relative))
        if real in seen:
            return []
        seen.add(real)
    outside: list[str] = []
    entries = repository.list(relative, include_hidden=True, outside=outside)
    found = [Entry(posixpath.basename(link), link, "file", 0, None, None) for link in outside]
    for entry in entries:
        if entry.type == "directory":
            found.extend(_entries_below(repository, entry.path, seen))
        elif not entry.name.endswith(PARTIAL_SUFFIX):
            found.append(entry)
    return found


def compare(repository: Repository, path: str, recorded: list[ManifestFile],
            stop: Callable[[], bool] = lambda: False, read: Callable[[int], None] = lambda nbytes: None) -> Differences:
    """``recorded`` against what is there now: sizes first, then the digest of each same-size file."""
    differences = Differences()
    try:
        present = dict(members(repository, path))
    except NotFound:
        present = {}
    for file in recorded:
        if stop():
            break
        where = posixpath.join(path, file.path) if file.path else path
        if file.path not in present:
            differences.missing.append(file.path)
        elif present[file.path] != file.size:
            differences.changed.append(file.path)
        else:
            try:
                if sha256_of(repository, where, stop, read) != file.sha256:
                    differences.changed.append(file.path)
            except OutsideRepository:  # now a link out: what was recorded is not there, and it is not read
                differences.changed.append(file.path)
            except NotFound:
                differences.missing.append(file.path)
    known = {file.path for file in recorded}
    differences.added = sorted(member for member in present if member not in known)
    return differences
