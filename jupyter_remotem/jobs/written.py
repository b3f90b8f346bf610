"""Recording what a job writes, at the moment it writes it (the storage side of :mod:`.ledger`).

Runners call these right after a file is put in place (renamed from its hidden temporary name),
so the record holds the size and mtime the storage reports for the finished file.  Folders are
recorded *before* they are created, and only those that did not exist: a folder is removed with
its job only when it is empty by then, so recording one early can never cost anyone a file,
while recording it late would miss it after a crash between creating it and the record.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import NotFound
from ..storage.repository import Entry, Repository

#: Where a runner sends records: ``JobStore.record_written`` bound to its job.
Recorder = Callable[[list[dict[str, Any]]], Any]


def fresh_info(repository: Repository, path: str) -> Entry:
    """``repository.info`` as the storage says it now.  s3fs answers ``info`` from listings it
    cached, which another process (a worker, the server) may have outdated: a file written since
    then would look missing, or like a folder."""
    if not repository.is_local:
        repository.fs.invalidate_cache(repository.full_path(path))
    return repository.info(path)


def file_record(repository: Repository, path: str, fmt: str | None) -> dict[str, Any]:
    """The ledger entry of a file just written at ``path``, as the storage now describes it."""
    entry = fresh_info(repository, path)
    return {"repository": repository.name, "path": entry.path or path, "kind": "file", "format": fmt,
            "size": int(entry.size or 0), "mtime": entry.mtime}


def tree_records(repository: Repository, path: str, fmt: str | None) -> list[dict[str, Any]]:
    """The ledger entries of a folder just written whole at ``path`` (a Zarr export): the folder,
    the folders in it and every file with its size, as the storage now lists them, so that
    quotas count every chunk and verification checks each."""
    full = repository.full_path(path)
    if not repository.is_local:
        repository.fs.invalidate_cache(full)
    found = repository.fs.find(full, withdirs=True, detail=True)
    records = [{"repository": repository.name, "path": path, "kind": "folder", "format": fmt, "size": 0,
                "mtime": None}]
    for name, info in sorted(found.items()):
        relative = repository.relative(name)
        if relative == path:
            continue
        folder = info.get("type") == "directory"
        records.append({"repository": repository.name, "path": relative, "kind": "folder" if folder else "file",
                        "format": fmt, "size": 0 if folder else int(info.get("size") or 0),
                        "mtime": None if folder else fresh_info(repository, relative).mtime})
    return records


def parents(paths: Iterable[str]) -> set[str]:
    """Every folder above ``paths`` (relative, normalised), the repository root excluded."""
    folders: set[str] = set()
    for path in paths:
        folder = posixpath.dirname(path)
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    return folders


def missing_folders(repository: Repository, folders: Iterable[str]) -> list[str]:
    """Those of ``folders`` that do not exist yet, shallowest first.  Below a missing folder
    nothing can exist, so each branch is asked about once."""
    missing: set[str] = set()
    for folder in sorted(set(folders), key=lambda f: (f.count("/"), f)):
        parent = posixpath.dirname(folder)
        if parent in missing:
            missing.add(folder)
            continue
        try:
            fresh_info(repository, folder)
        except NotFound:
            missing.add(folder)
    return sorted(missing, key=lambda f: (f.count("/"), f))


def folder_records(repository: Repository, folders: Iterable[str]) -> list[dict[str, Any]]:
    return [{"repository": repository.name, "path": folder, "kind": "folder", "format": None, "size": 0,
             "mtime": None} for folder in folders]


def record_new_folders(recorder: Recorder | None, repository: Repository, paths: Iterable[str]) -> None:
    """Record the folders that writing ``paths`` will create (see module docstring)."""
    if recorder is None:
        return
    folders = missing_folders(repository, parents(paths))
    if folders:
        recorder(folder_records(repository, folders))
