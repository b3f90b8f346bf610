"""Closing and verifying as durable jobs (kind ``dataset``): hashing every file of a large
dataset takes minutes, so it runs in a worker with progress by bytes and a cancel between
reads, never inside a request.  The caller's rights were checked when the job was made; the
dataset's state is checked again here, since it may have been closed meanwhile."""

from __future__ import annotations

import posixpath
import time
from typing import Any

from ..compute.executor import Cancelled, Progress
from ..errors import BadParameter, Conflict, NotFound
from ..jobs.runner import JobContext, Outcome
from . import manifest
from .store import DatasetStore

ACTIONS = ("close", "verify")


def dataset_request(body: Any) -> dict[str, str]:
    if not isinstance(body, dict) or set(body) != {"dataset", "action"} or body["action"] not in ACTIONS \
            or not isinstance(body["dataset"], str):
        raise BadParameter(f'A dataset job is {{"dataset": id, "action": one of {list(ACTIONS)}}}.')
    return {"dataset": body["dataset"], "action": body["action"]}


def run_dataset_job(context: JobContext) -> Outcome:
    request = dataset_request(context.job.request)
    store = DatasetStore(context.store)
    record = store.record(request["dataset"])
    if record is None:
        raise NotFound("The dataset was unregistered before the job ran.")
    repository = context.repositories.get(record["repository"])
    started = time.perf_counter()
    members = manifest.members(repository, record["path"])
    total = sum(size for _, size in members) or 1
    done = 0

    def hashed(nbytes: int) -> None:
        nonlocal done
        done += nbytes
        context.progress(Progress(done, total, done, time.perf_counter() - started))

    if request["action"] == "close":
        if record["state"] == "closed":
            raise Conflict(f"Dataset '{record['name']}' is already closed.")
        files = []
        for member, _ in sorted(members):
            where = posixpath.join(record["path"], member) if member else record["path"]
            repository.ensure_inside(where)  # a link out stops the close by name
            size = repository.info(where).size or 0
            files.append(manifest.ManifestFile(member, size, manifest.sha256_of(
                repository, where, stop=context.cancel.is_set, read=hashed)))
        if context.cancel.is_set():
            raise Cancelled("Stopped before the manifest was complete; the dataset stays open.")
        store.close_as_recorded(record["id"], files)
        result = {"kind": "dataset", "dataset": record["id"], "action": "close", "files": len(files),
                  "bytes": sum(file.size for file in files)}
    else:
        if record["state"] != "closed":
            raise Conflict(f"Dataset '{record['name']}' is open: there is no manifest to verify against.",
                           hint="Close it first.")
        differences = manifest.compare(repository, record["path"], store.recorded_files(record["id"]),
                                       stop=context.cancel.is_set, read=hashed)
        if context.cancel.is_set():
            raise Cancelled("Stopped before every file was compared.")
        store.note_verified(record["id"], differences)
        result = {"kind": "dataset", "dataset": record["id"], "action": "verify", **differences.to_json()}
    return Outcome([result], f"dataset-{request['action']}", repository.name, done, time.perf_counter() - started,
                   len(members), 0)
