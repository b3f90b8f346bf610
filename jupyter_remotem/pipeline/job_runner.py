"""Running a ``"pipeline"`` job in the job worker (see :mod:`.durable`).

The worker opens the store the job names with its own repository configuration, plans, and runs
what is not up to date. Its progress is the per-step counts (done / skipped / failed / pending),
reported with each outcome; each committed target's manifest is also a row of the job store's
database (:mod:`.target_index`); what it makes in a repository is recorded as it is committed, so the
storage quota counts it at once and a cancel removes it (unless the owner keeps the files). A
requeued job (kill -9, a stopped worker) plans again: what was committed is skipped by its key.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..compute.executor import Progress
from ..errors import Forbidden
from ..jobs.runner import JobContext, Outcome
from .durable import StepCounts, open_store
from .execute import _needed, run
from .payload import unpack
from .planning import make_plan
from .provenance import library_versions, now, run_manifest_name
from .store import Store
from .target_index import TargetIndex

#: Under the jobs' logger: what is logged here is the job's log (jobs/joblog.py).
log = logging.getLogger("jupyter_remotem.jobs.pipeline")

#: Ledger records are written in batches of this many committed targets (and at the end).
RECORD_BATCH = 64


@dataclass
class PipelineProgress(Progress):
    """A job's :class:`Progress` with the per-step counts, which the job's progress shows."""

    details: dict[str, Any] = field(default_factory=dict)


class _Recorder:
    """Records committed targets of a repository store in the job's ledger, in batches."""

    def __init__(self, context: JobContext, store: Store) -> None:
        self.context = context
        self.store = store
        self.pending: list[str] = []
        self.lock = threading.Lock()

    def add(self, relative: str) -> None:
        if self.store.repository is None:
            return
        with self.lock:
            self.pending.append(relative)
            full = len(self.pending) >= RECORD_BATCH
        if full:
            self.flush()

    def add_run(self, run_id: str) -> None:
        if self.store.repository is not None:
            self.context.recorder(records_of_run(self.store, run_id))

    def flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
        if batch:
            self.context.recorder([r for relative in batch for r in records_of(self.store, relative)])


def records_of(store: Store, relative: str) -> list[dict[str, Any]]:
    """Ledger entries of one committed target: its file (or folder tree) and its manifest."""
    from ..jobs.written import file_record, tree_records
    from .store import manifest_name

    repository = store.repository
    path = store.repository_path(relative)
    info = store.data_info(relative) or {}
    found = (tree_records(repository, path, "pipeline") if info.get("type") == "directory"
             else [file_record(repository, path, "pipeline")])
    return found + [file_record(repository, store.repository_path(manifest_name(relative)), "manifest")]


def _cluster_for(context: JobContext, choice: str) -> Any:
    if choice == "local":
        return "local"
    if choice == "server":
        if context.cluster is None:
            log.warning("this worker has no cluster (--scheduler none): the pipeline runs inline")
            return None
        return context.cluster.client()
    return None


def _record(context: JobContext, stored: dict[str, Any]) -> dict[str, Any]:
    """This attempt's run record: the notebook's (code, git) with who, where and what ran it."""
    record = dict(stored)
    job = context.job
    record["submitted_from"] = {key: stored.get(key) for key in ("host", "python", "platform", "libraries", "who")}
    record.update({
        "run": uuid.uuid4().hex, "who": job.owner, "started": now(), "ended": None,
        "job": {"id": job.id, "attempt": job.attempts, "worker": context.worker_id},
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "platform": platform.platform(), "host": platform.node(),
        "libraries": library_versions(sorted((stored.get("libraries") or {}).keys()) or ["jupyter_remotem"]),
    })
    return record


def run_pipeline_job(context: JobContext) -> Outcome:
    job = context.job
    request = job.request or {}
    handles = unpack(request.get("params"))
    spec = request.get("store") or {}
    repository = None
    if "repository" in spec:
        repository = context.repositories.get(spec["repository"])
        if not repository.config.writable:
            raise Forbidden(f"Repository '{repository.name}' is read-only.", hint="Choose a writable repository.")
    store = open_store(spec, repository)
    started = time.monotonic()
    plan = make_plan(handles, store)
    counts = StepCounts(plan, _needed(plan))
    recorder = _Recorder(context, store)
    record = _record(context, request.get("record") or {})
    described = store.describe()

    def report() -> None:
        done, total = counts.finished()
        context.progress(PipelineProgress(done, total, 0, time.monotonic() - started, details={
            "steps": counts.to_json(), "store": described, "run": record["run"]}))

    def observe(outcome: Any) -> None:
        counts.add(outcome)
        if outcome.status == "executed" and outcome.target is not None:
            recorder.add(outcome.target)
        report()

    report()
    log.info("pipeline %s: %d calls in %s (%s)", request.get("params", {}).get("name"), len(plan.nodes),
             described, ", ".join(f"{s['step']} {s['total']}" for s in counts.to_json()))
    try:
        result = run(plan, store, cluster=_cluster_for(context, request.get("cluster") or "inline"),
                     errors="raise", observer=observe, cancel=context.cancel, record=record,
                     index=TargetIndex(context.store, owner=job.owner, job_id=job.id))
    finally:
        recorder.flush()
        if record.get("ended") and any(per.get("executed") for per in (record.get("counts") or {}).values()):
            recorder.add_run(record["run"])  # the run manifest beside the targets is the job's too
        report()
        # The last counts, also when the run stops with an error or a cancel.
        done, total = counts.finished()
        from ..jobs.worker import progress_json

        try:
            context.store.update_progress(job.id, context.worker_id, progress_json(PipelineProgress(
                done, total, 0, time.monotonic() - started, details={"steps": counts.to_json(), "store": described,
                                                                     "run": record["run"]})))
        except Exception:  # noqa: BLE001 - the job may have been taken over; its end is recorded elsewhere
            pass
    # The targets are in the job's ledger already (quota, deletion); its results are the run's record,
    # which names them: one entry however many targets, so that ending the job stays quick.
    results = []
    if repository is not None and any(per.get("executed") for per in result.counts().values()):
        path = store.repository_path(run_manifest_name(record["run"]))
        results.append({"repository": repository.name, "path": path, "size": int(
            (store.data_info(run_manifest_name(record["run"])) or {}).get("size") or 0), "format": "json",
            "kind": "pipeline_run", "targets": sum(1 for n in plan.nodes if n.target is not None)})
    log.info("pipeline: %s", "; ".join(f"{s['step']}: {s['done']} done, {s['skipped']} skipped, {s['failed']} failed"
                                       for s in counts.to_json()))
    return Outcome(results=results, operation="pipeline", repository=spec.get("repository") or described,
                   bytes_read=0, seconds=result.seconds, partitions=len(plan.nodes),
                   resumed=sum(1 for o in result.outcomes if o.status == "skipped"))


def records_of_run(store: Store, run_id: str) -> list[dict[str, Any]]:
    from ..jobs.written import file_record

    return [file_record(store.repository, store.repository_path(run_manifest_name(run_id)), "manifest")]
