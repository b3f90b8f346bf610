"""The working directory's memory of its dataset, and what differs from it.

A file is what it was when its size and mtime are unchanged; otherwise its SHA-256 decides
(an editor that rewrites a file unchanged is not a change).  The same holds for the server's
copy: the record keeps the file's mtime there too (``remote_mtime``), and a file whose size
there is the same but whose mtime moved is read from the server into a hasher, so a same-size
edit on the server is seen and a file only touched there is not a change.  Digests are made
when first needed, not while files move.  Partial downloads,
resumable upload records and the ``.remotem`` folder itself are never part of the dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE = Path(".remotem") / "state.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ignored(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return relative.split("/", 1)[0] == ".remotem" or name.endswith(".part") \
        or (name.startswith(".") and name.endswith(".remotem-upload.json"))


def local_files(root: Path) -> dict[str, os.stat_result]:
    """Every file under ``root`` (hidden ones included), by path relative to it with '/'."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if not _ignored(relative) and path.is_file() and not path.is_symlink():
                found[relative] = path.stat()
    return found


@dataclass
class State:
    url: str
    dataset: str
    repository: str
    path: str
    #: Each file as it was when last in step with the server: size, mtime and sha256 here (None
    #: until first needed), and remote_mtime, its mtime on the server (None when not known).
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The dataset is one file (``path``), kept here under its own name.
    single: bool = False

    @classmethod
    def load(cls, root: Path) -> State:
        where = root / STATE
        if not where.exists():
            raise FileNotFoundError(f"{root} is not a remotem working directory (no {STATE}); "
                                    "run 'remotem init' or 'remotem clone' first.")
        return cls(**json.loads(where.read_text()))

    def save(self, root: Path) -> None:
        (root / STATE).parent.mkdir(exist_ok=True)
        temporary = root / STATE.with_suffix(".tmp")
        temporary.write_text(json.dumps(vars(self), indent=1, sort_keys=True))
        temporary.replace(root / STATE)

    def remember(self, root: Path, relative: str, remote_mtime: float | None = None, digest: bool = False) -> None:
        """Record the file as in step now.  Its SHA-256 is made only if ``digest``: otherwise
        when first needed (:func:`changes`), from a copy that is still this version; most
        files never need it, and making it while files move costs a core."""
        stat = (root / relative).stat()
        self.files[relative] = {"size": stat.st_size, "mtime": stat.st_mtime,
                                "sha256": sha256(root / relative) if digest else None,
                                "remote_mtime": remote_mtime}


@dataclass
class Changes:
    """Local changes since the last sync (``added``, ``modified``, ``deleted``) and remote ones
    (``remote_added``, ``remote_modified``, ``remote_deleted``), by size and mtime against the
    record, then by content.  ``touched``: files whose mtime moved (here or there) but whose
    content did not; not a change, and the record now holds their new mtimes (save it)."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    remote_added: list[str] = field(default_factory=list)
    remote_modified: list[str] = field(default_factory=list)
    remote_deleted: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)

    @property
    def unpushed(self) -> bool:
        return bool(self.added or self.modified or self.deleted)

    @property
    def clean(self) -> bool:
        return not (self.unpushed or self.remote_added or self.remote_modified or self.remote_deleted)


def changes(root: Path, state: State, remote: dict[str, dict[str, Any]] | None = None,
            remote_sha256: Callable[[str], str] | None = None) -> Changes:
    """What differs here and, given the server's listing (each file's ``size`` and ``mtime``),
    there.  A file of the recorded size whose mtime moved is compared by content with the
    version last in step: its SHA-256 as recorded, or (when the record has none yet) made now
    from whichever copy is still that version, here or (``remote_sha256``) on the server.
    Where neither is, the file counts as modified."""
    found = Changes()
    present = local_files(root)
    suspects_here: list[str] = []
    for relative, stat in sorted(present.items()):
        known = state.files.get(relative)
        if known is None:
            found.added.append(relative)
        elif stat.st_size != known["size"]:
            found.modified.append(relative)
        elif stat.st_mtime != known["mtime"]:
            suspects_here.append(relative)
    found.deleted = sorted(set(state.files) - set(present))
    suspects_there: list[str] = []
    if remote is not None:
        for relative, entry in sorted(remote.items()):
            known = state.files.get(relative)
            if known is None:
                found.remote_added.append(relative)
            elif entry["size"] != known["size"]:
                found.remote_modified.append(relative)
            elif not _same_there(known, entry):
                suspects_there.append(relative)
        found.remote_deleted = sorted(set(state.files) - set(remote))
    synced = _Synced(root, state, present, remote or {}, remote_sha256)
    for relative in suspects_here:
        digest = synced.sha256(relative)
        if digest is None or sha256(root / relative) != digest:
            found.modified.append(relative)
        else:
            state.files[relative]["mtime"] = present[relative].st_mtime
            found.touched.append(relative)
    for relative in suspects_there:
        digest = synced.sha256(relative)
        if digest is None or remote_sha256 is None or remote_sha256(relative) != digest:
            found.remote_modified.append(relative)
        else:
            state.files[relative]["remote_mtime"] = remote[relative]["mtime"]  # type: ignore[index]
            found.touched.append(relative)
    found.modified.sort()
    found.remote_modified.sort()
    return found


def _same_there(known: dict[str, Any], entry: dict[str, Any]) -> bool:
    """The server's file is the version last in step by size and mtime (an mtime it does not
    keep proves nothing)."""
    return entry["size"] == known["size"] and entry.get("mtime") is not None \
        and entry["mtime"] == known.get("remote_mtime")


class _Synced:
    """The SHA-256 of each file as last in step: the record's, or made now (and recorded) from
    the local copy when its size and mtime are as recorded, else from the server's when its
    are; None when both copies moved."""

    def __init__(self, root: Path, state: State, present: dict[str, os.stat_result],
                 remote: dict[str, dict[str, Any]], remote_sha256: Callable[[str], str] | None) -> None:
        self.root, self.state, self.present, self.remote, self.remote_sha256 = \
            root, state, present, remote, remote_sha256

    def sha256(self, relative: str) -> str | None:
        known = self.state.files[relative]
        if known.get("sha256") is None:
            here, there = self.present.get(relative), self.remote.get(relative)
            if here is not None and (here.st_size, here.st_mtime) == (known["size"], known["mtime"]):
                known["sha256"] = sha256(self.root / relative)
            elif there is not None and self.remote_sha256 is not None and _same_there(known, there):
                known["sha256"] = self.remote_sha256(relative)
        return known.get("sha256")
