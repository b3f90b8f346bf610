"""The working directory's memory of its dataset, and what differs from it.

A file is what it was when its size and mtime are unchanged; otherwise its SHA-256 decides
(an editor that rewrites a file unchanged is not a change).  Partial downloads, resumable
upload records and the ``.remotem`` folder itself are never part of the dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
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
    #: Each file as it was when last in step with the server: size, mtime, sha256.
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

    def remember(self, root: Path, relative: str) -> None:
        stat = (root / relative).stat()
        self.files[relative] = {"size": stat.st_size, "mtime": stat.st_mtime, "sha256": sha256(root / relative)}


@dataclass
class Changes:
    """Local changes since the last sync (``added``, ``modified``, ``deleted``) and remote ones
    (``remote_added``, ``remote_modified``, ``remote_deleted``: by size against the record)."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    remote_added: list[str] = field(default_factory=list)
    remote_modified: list[str] = field(default_factory=list)
    remote_deleted: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not any(vars(self).values())


def changes(root: Path, state: State, remote: dict[str, int] | None = None) -> Changes:
    found = Changes()
    present = local_files(root)
    for relative, stat in sorted(present.items()):
        known = state.files.get(relative)
        if known is None:
            found.added.append(relative)
        elif (stat.st_size, stat.st_mtime) != (known["size"], known["mtime"]) and \
                (stat.st_size != known["size"] or sha256(root / relative) != known["sha256"]):
            found.modified.append(relative)
    found.deleted = sorted(set(state.files) - set(present))
    if remote is not None:
        for relative, size in sorted(remote.items()):
            known = state.files.get(relative)
            if known is None:
                found.remote_added.append(relative)
            elif size != known["size"]:
                found.remote_modified.append(relative)
        found.remote_deleted = sorted(set(state.files) - set(remote))
    return found
