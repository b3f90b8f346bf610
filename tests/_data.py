"""Shared helpers for the format and demo-data tests: repositories and the demo tree.

The demo tree (every format, 32×48 scan of 64×64 frames) is written once per test process,
since several test modules compare readers against the same ground truth.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import numpy as np

from jupyter_remotem import demo
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

_DEMO: dict[str, object] = {}


def local_repository(root: Path | str, name: str = "local") -> Repository:
    return Repository(RepositoryConfig.from_dict({"name": name, "url": str(root)}))


def memory_repository() -> Repository:
    """A fresh in-memory repository: its reads go through fsspec byte ranges, like S3 would."""
    return Repository(RepositoryConfig.from_dict({"name": "m", "url": f"memory://{uuid.uuid4().hex}"}))


def copy_into(repository: Repository, source: Path, names: list[str] | None = None) -> None:
    for name in names or sorted(os.listdir(source)):
        path = source / name
        repository.fs.put(str(path), repository.full_path(name), recursive=path.is_dir())


def demo_dir() -> Path:
    """The small demo tree, generated on first use in a temporary folder."""
    if "dir" not in _DEMO:
        directory = Path(tempfile.mkdtemp(prefix="remotem-demo-"))
        demo.generate(directory, "small")
        _DEMO["dir"] = directory
    return _DEMO["dir"]  # type: ignore[return-value]


def demo_truth() -> np.ndarray:
    if "truth" not in _DEMO:
        _DEMO["truth"] = demo.scan_data("small")
    return _DEMO["truth"]  # type: ignore[return-value]


def demo_memory_repository() -> Repository:
    if "memory" not in _DEMO:
        repository = memory_repository()
        copy_into(repository, demo_dir())
        _DEMO["memory"] = repository
    return _DEMO["memory"]  # type: ignore[return-value]
