"""Indexing as a durable job (kind ``index``): progress over the files found, cancel between
files, and a crash or a restart that only repeats what changed (the walk is incremental).
Files a finished job wrote are indexed by the worker at once (:func:`index_written`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ..compute.executor import Cancelled, Progress
from ..errors import BadParameter, RemotemError
from ..jobs.runner import JobContext, Outcome
from ..storage.registry import RepositoryRegistry
from ..storage.repository import Repository
from . import indexer
from .store import CatalogStore

log = logging.getLogger(__name__)


def index_request(body: Any) -> dict[str, Any]:
    """``{"repository", "path"}`` of ``POST search/index``, checked."""
    if not isinstance(body, dict) or not isinstance(body.get("repository"), str):
        raise BadParameter('POST search/index takes {"repository": name, "path": folder or file ("": all of it)}.')
    path = body.get("path") or ""
    if not isinstance(path, str) or set(body) - {"repository", "path"}:
        raise BadParameter("'path' is a folder or file in the repository; nothing else is taken.")
    return {"repository": body["repository"], "path": path.strip("/")}


def run_index_job(context: JobContext) -> Outcome:
    request = index_request(context.job.request)
    repository = context.repositories.get(request["repository"])
    repository.ensure_inside(request["path"])
    store = CatalogStore(context.store)
    started = time.perf_counter()
    found = list(indexer.walk(repository, request["path"])) if repository.info(request["path"]).type == "directory" \
        else [repository.info(request["path"])]

    def report(progress: indexer.Progress) -> None:
        context.progress(Progress(progress.seen, len(found), 0, time.perf_counter() - started))

    progress = indexer.index_entries(repository, store, request["path"], found, stop=context.cancel.is_set,
                                     report=report)
    if context.cancel.is_set():
        raise Cancelled("Stopped between two files; what was indexed stays, a new run goes on from there.")
    summary = {"kind": "catalog", "repository": repository.name, "path": request["path"], **progress.to_json()}
    return Outcome([summary], "index", repository.name, 0, time.perf_counter() - started, len(found), 0)


def _checksum_of(result: dict[str, Any], size: int | None) -> str | None:
    """The whole file's SHA-256 a result reports (an upload's, verified as it arrived), when it
    is of the file as it is now (the same size)."""
    checksum = result.get("sha256")
    if isinstance(checksum, str) and len(checksum) == 64 and all(c in "0123456789abcdefABCDEF" for c in checksum) \
            and (result.get("size") is None or result.get("size") == size):
        return checksum.lower()
    return None


def index_written(store: Any, registry: RepositoryRegistry, results: list[dict[str, Any]],
                  between: Callable[[], None] | None = None) -> None:
    """Index the files a job just wrote (best effort: the job has succeeded either way), with
    the checksum the result reports (``"sha256"``, hex) or a closed dataset's manifest vouches for.

    ``between`` is called after each file: the worker beats the job's heartbeat there, in the
    thread that commits, since on SQLite a commit per file back to back can keep another thread's
    heartbeat waiting for the lock longer than a job may stay silent.
    """
    try:
        catalog = CatalogStore(store)
        for result in results:
            name, path = result.get("repository"), result.get("path")
            if not isinstance(name, str) or not isinstance(path, str) or result.get("kind") == "catalog":
                continue
            repository: Repository = registry.get(name)
            entry = repository.info(path)
            records = indexer.records_of(repository, entry)
            records[0].checksum = _checksum_of(result, entry.size) or catalog.manifest_checksums(
                name, {entry.path: (entry.size, entry.mtime)}).get(entry.path)
            catalog.replace_file(name, entry.path, records)
            if between is not None:
                between()
    except (RemotemError, OSError):
        log.warning("could not index the files of a finished job", exc_info=True)
