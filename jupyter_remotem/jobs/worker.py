"""The job worker: a loop that claims queued jobs and runs them, one at a time.

Run as many workers as there are cores to spare, on as many machines as share the database;
the store makes sure each job is claimed once.  While a job runs, a monitor thread reports its
progress (which is also the worker's heartbeat) and reads back what the owner asked for, so a
cancel or pause takes effect at the next partition.  A worker that dies without a word is
noticed by the others when its heartbeat grows stale, and by the Jupyter server when its lock is
free (:mod:`.recovery`); its job is queued again and resumes from its checkpoints.  A cancelled
job's output is removed unless its owner asked to keep it (:mod:`.cancel`).
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ..clusters.channel import job_cluster
from ..compute.cluster import ClusterManager
from ..compute.partitions import TARGET_BYTES
from ..compute.progress import Cancelled, Progress
from ..errors import BadParameter, RemotemError, StorageUnavailable
from ..storage.registry import RepositoryRegistry
from . import joblog
from .context import JobContext, Outcome
from .models import Job, Phase, utcnow
from .priority import lower_for_batch
from .store import JobLost, JobStore

log = logging.getLogger(__name__)

#: How each job kind is run, as "module:function"; kinds missing here end in a clear error instead
#: of waiting forever.  A runner is imported when the first job of its kind comes: a worker's start
#: then costs what every job needs, not the formats and kernels of the kinds it may never run.
RUNNERS: dict[str, str] = {
    "reduction": "jupyter_remotem.jobs.runner:run_reduction_job",
    "transformation": "jupyter_remotem.jobs.transform_runner:run_transformation_job",
    "copy": "jupyter_remotem.jobs.copy_runner:run_copy_job",
    "index": "jupyter_remotem.catalog.index_runner:run_index_job",
    "dataset": "jupyter_remotem.datasets.runner:run_dataset_job",
    "pipeline": "jupyter_remotem.pipeline.job_runner:run_pipeline_job",
    "cutouts": "jupyter_remotem.cutouts.batch_run:run_cutouts_job",
    "cutouts-index": "jupyter_remotem.cutouts.index_job:run_cutouts_index_job",
}


def runner_for(kind: str) -> Callable[[JobContext], Outcome] | None:
    """The function that runs jobs of ``kind`` (imported now if it was not yet), None if none does."""
    target = RUNNERS.get(kind)
    if target is None:
        return None
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


#: Seconds between a worker's announcements of itself (its read limit, for quotes).
ANNOUNCE_S = 5.0

#: Seconds of silence after which a job's worker counts as gone (workers report every second);
#: the server's ``job_stale_after`` and ``jupyter remotem worker --stale-after`` default to it.
STALE_AFTER_S = 30.0


@dataclass
class WorkerOptions:
    #: Seconds between looks at an empty queue.
    poll_s: float = 0.5
    #: A job whose worker has not reported for this long is given to another worker.
    stale_after_s: float = STALE_AFTER_S
    #: Seconds between progress reports (and heartbeats, and looks at cancel/pause requests).
    report_s: float = 1.0
    partition_bytes: int = TARGET_BYTES
    max_read_rate: float | None = None
    #: Exit when the queue is empty instead of waiting for more jobs.
    once: bool = False
    #: Exit after this many seconds with nothing to do (None: never); the server starts a new
    #: worker when a job arrives, so an idle one need not hold memory for ever.
    idle_exit_s: float | None = None
    #: "local" (a LocalCluster started on first need), "none" (always inline) or a scheduler address.
    scheduler: str = "local"
    cluster_threshold_bytes: int = 4 * 1024**3
    #: Where outputs for remote repositories are built before their upload (None: the default).
    scratch_dir: Path | None = None
    #: Niceness added once the worker has claimed its first job (:mod:`.priority`); 0 leaves it.
    batch_nice: int = 0
    #: The private file saying how to reach the clusters jobs name (:mod:`..clusters.channel`).
    clusters_file: Path | None = None


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def progress_json(progress: Progress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {
        "done": progress.frames_done,
        "total": progress.frames_total,
        "fraction": round(progress.fraction, 4),
        "bytes": progress.bytes_read,
        "throughput_bytes_s": round(progress.throughput_bytes_s, 1),
        "eta_s": None if progress.eta_s is None else round(progress.eta_s, 2),
        "updated": utcnow().isoformat(),
        "resumed": progress.frames_resumed,
        **getattr(progress, "details", {}),  # a pipeline's per-step counts
    }


def error_summary(error: BaseException) -> dict[str, Any]:
    """The UWS error summary: storage hiccups are transient (worth retrying), the rest fatal."""
    if isinstance(error, RemotemError):
        return {
            "kind": "transient" if isinstance(error, StorageUnavailable) else "fatal",
            "code": error.code,
            "message": error.message,
            "hint": error.hint,
        }
    return {
        "kind": "fatal",
        "code": "internal_error",
        "message": f"{type(error).__name__}: {error}"[:500],
        "hint": "This is a bug in jupyter_remotem; the worker log has the details.",
    }


class _Monitor(threading.Thread):
    """Reports a running job's progress and turns requests into a stop (see module docstring)."""

    def __init__(self, store: JobStore, job: Job, worker_id: str, interval: float) -> None:
        super().__init__(name=f"remotem-monitor-{job.id[:8]}", daemon=True)
        self.store = store
        self.job = job
        self.worker_id = worker_id
        self.interval = interval
        self.cancel = threading.Event()
        self.reason: str | None = None
        self._latest: Progress | None = None
        self._done = threading.Event()
        self._t0 = time.monotonic()
        self._last_beat = self._t0

    def report(self, progress: Progress) -> None:
        self._latest = progress

    @property
    def progress(self) -> dict[str, Any] | None:
        return progress_json(self._latest)

    def stop_job(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.cancel.set()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.beat()

    def beat_if_due(self) -> None:
        """Beat now, from the calling thread, if the last beat is an interval old."""
        if time.monotonic() - self._last_beat >= self.interval:
            self.beat()

    def beat(self) -> None:
        self._last_beat = time.monotonic()
        try:
            action = self.store.update_progress(self.job.id, self.worker_id, self.progress)
        except JobLost:
            self.stop_job("lost")
            return
        except SQLAlchemyError as error:
            log.warning("job %s: could not report progress: %s", self.job.id, error)
            return
        if action is not None:
            self.stop_job(action.value)
        limit = self.job.execution_duration
        if limit and time.monotonic() - self._t0 > limit:
            self.stop_job("timeout")

    def close(self) -> None:
        self._done.set()
        self.join()


class Worker:
    """Claims and runs jobs until stopped (see module docstring)."""

    def __init__(
        self,
        store: JobStore,
        repositories: RepositoryRegistry,
        worker_id: str | None = None,
        options: WorkerOptions | None = None,
        own_storages: Any = None,
    ) -> None:
        self.store = store
        self.repositories = repositories
        #: Users' own storages (:mod:`..storage.own`): each job sees its owner's beside the configured ones.
        self.own_storages = own_storages
        self.worker_id = worker_id or default_worker_id()
        self.options = options or WorkerOptions()
        self._stopping = threading.Event()
        self._monitor: _Monitor | None = None
        self._job_log: joblog.JobLogHandler | None = None
        # Started on the first big job only, then reused for the worker's life.
        self.cluster = None if self.options.scheduler == "none" else ClusterManager(
            "" if self.options.scheduler == "local" else self.options.scheduler
        )
        self._last_requeue = float("-inf")
        self._base_priority = os.getpriority(os.PRIO_PROCESS, 0)

    def stop(self) -> None:
        """Finish soon: the running job is handed back to the queue with its checkpoints.

        Safe to call from a signal handler.
        """
        self._stopping.set()
        monitor = self._monitor
        if monitor is not None:
            monitor.stop_job("shutdown")

    def run(self) -> int:
        log.info("worker %s: started", self.worker_id)
        idle_since = time.monotonic()
        announced = -math.inf
        while not self._stopping.is_set():
            try:
                if time.monotonic() - announced >= ANNOUNCE_S:  # quotes follow this worker's read limit
                    self.store.announce_worker(self.worker_id, self.options.max_read_rate)
                    announced = time.monotonic()
                self._requeue_stale()
                job = self.store.claim(self.worker_id) if self.store.has_queued() else None
            except SQLAlchemyError as error:
                log.warning("worker %s: job database unavailable: %s", self.worker_id, error)
                self._stopping.wait(max(self.options.poll_s, 5.0))
                continue
            if job is None:
                idle = self.options.idle_exit_s
                if self.options.once or (idle is not None and time.monotonic() - idle_since > idle):
                    break
                self._stopping.wait(self.options.poll_s)
                continue
            self.execute(job)
            idle_since = time.monotonic()
        if self.cluster is not None:
            self.cluster.close()
        try:
            self.store.forget_worker(self.worker_id)  # gone: quotes no longer count its limit
        except SQLAlchemyError:
            pass
        log.info("worker %s: stopped", self.worker_id)
        return 0

    def _requeue_stale(self) -> None:
        now = time.monotonic()
        if now - self._last_requeue < min(self.options.stale_after_s / 2, 10.0):
            return
        self._last_requeue = now
        requeued = self.store.requeue_stale(self.options.stale_after_s)
        for job_id in requeued:
            log.warning("worker %s: job %s had a silent worker; queued again", self.worker_id, job_id)
        if not requeued:
            return
        from .cancel import clean_up_requeued  # with the runners' clean-up: imported when needed

        clean_up_requeued(self.store, self.repositories, requeued, self.options.scratch_dir)

    def execute(self, job: Job) -> None:
        """Run one claimed job and record how it ended; what is logged meanwhile is its log."""
        if self.options.batch_nice > 0:  # claimed at normal priority; computed at batch priority
            lower_for_batch(self.options.batch_nice, self._base_priority)
        repositories = self.repositories_of(job)
        with joblog.capturing(self.store, job.id, repositories) as job_log:  # their secrets kept out of its log
            self._job_log = job_log
            try:
                self._execute(job, repositories)
            finally:
                self._job_log = None

    def _log_stored(self) -> None:
        """Store the job's log lines so far: whoever sees the job end must find how it ended in its log."""
        if self._job_log is not None:
            self._job_log.flush()

    def repositories_of(self, job: Job) -> RepositoryRegistry:
        """The repositories ``job`` may use: the configured ones and its owner's own storages."""
        if self.own_storages is None:
            return self.repositories
        try:
            return self.own_storages.registry_for(job.owner, self.repositories)
        except SQLAlchemyError as error:
            log.warning("worker %s: own storages of %s unavailable: %s", self.worker_id, job.owner, error)
            return self.repositories

    def _execute(self, job: Job, repositories: RepositoryRegistry | None = None) -> None:
        repositories = repositories if repositories is not None else self.repositories
        monitor = _Monitor(self.store, job, self.worker_id, self.options.report_s)
        self._monitor = monitor
        if self._stopping.is_set():
            monitor.stop_job("shutdown")
        monitor.start()
        log.info("worker %s: running job %s (%s, attempt %d)", self.worker_id, job.id, job.kind, job.attempts)
        outcome: Outcome | None = None
        error: BaseException | None = None
        chosen: ClusterManager | None = None
        try:
            runner = runner_for(job.kind)
            if runner is None:
                raise BadParameter(f"Jobs of kind '{job.kind}' cannot run on this worker yet.")
            chosen = job_cluster(job, self.options.clusters_file)  # the owner's cluster the job names
            outcome = runner(JobContext(
                job=job,
                worker_id=self.worker_id,
                store=self.store,
                repositories=repositories,
                cancel=monitor.cancel,
                progress=monitor.report,
                partition_bytes=self.options.partition_bytes,
                max_read_rate=self.options.max_read_rate,
                scratch_dir=self.options.scratch_dir,
                cluster=chosen or self.cluster,
                cluster_threshold_bytes=0 if chosen else self.options.cluster_threshold_bytes,
            ))
        except Cancelled:
            pass
        except Exception as exc:  # every failure must end the job, never the worker
            error = exc
            if not isinstance(exc, RemotemError):
                log.exception("worker %s: job %s failed", self.worker_id, job.id)
        finally:
            self._monitor = None
            if chosen is not None:
                chosen.close()
            if outcome is None:
                monitor.close()
        self._conclude(job, monitor, outcome, error, repositories)

    def _conclude(self, job: Job, monitor: _Monitor, outcome: Outcome | None, error: BaseException | None,
                  repositories: RepositoryRegistry | None = None) -> None:
        store, me = self.store, self.worker_id
        repositories = repositories if repositories is not None else self.repositories
        progress = monitor.progress
        if outcome is not None:
            # The monitor still beats while the results are indexed and derived (seconds for a
            # job with thousands of files): a silent job would be taken for a lost one and redone.
            try:
                if job.kind != "index":  # what a job wrote is found by a search as soon as it is COMPLETED
                    from ..catalog.index_runner import index_written

                    index_written(store, repositories, outcome.results, between=monitor.beat_if_due)
                    from ..datasets.derived import derive_results

                    derive_results(store, job, outcome.results)  # results of jobs on closed datasets
            finally:
                monitor.close()
            log.info("worker %s: job %s COMPLETED (%d partitions, %d resumed)", me, job.id,
                     outcome.partitions, outcome.resumed)
            self._log_stored()
            store.finish(job.id, Phase.COMPLETED, results=outcome.results, worker_id=me, progress=progress)
            quote = (job.quote or {}).get("seconds")
            if outcome.steady_bytes and outcome.steady_seconds > 0:  # the work's own rate (see .rate)
                store.record_throughput(outcome.operation, outcome.repository, outcome.steady_bytes,
                                        outcome.steady_seconds, quote)
            return
        reason = monitor.reason
        if reason == "timeout" or (reason is None and error is not None):
            from .transform_runner import discard_partial_output

            discard_partial_output(repositories, job, self.options.scratch_dir)  # it will not resume
        if reason == "lost":
            log.warning("worker %s: job %s was taken over by another worker", me, job.id)
            return
        if reason == "cancel":
            from .cancel import clean_up_cancelled

            try:
                clean_up_cancelled(store, repositories, job, self.options.scratch_dir)
            except Exception:  # what stays is still listed and counted; deleting the job retries
                log.exception("worker %s: clean-up of cancelled job %s failed", me, job.id)
        log.info("worker %s: job %s ended (%s)", me, job.id, reason or type(error).__name__)
        self._log_stored()
        if reason == "cancel":
            store.finish(job.id, Phase.ABORTED, worker_id=me, progress=progress)
        elif reason == "pause":
            store.release(job.id, me, Phase.SUSPENDED)
        elif reason == "shutdown":
            store.release(job.id, me, Phase.QUEUED)
        elif reason == "timeout":
            store.finish(job.id, Phase.ERROR, worker_id=me, error={
                "kind": "fatal",
                "code": "execution_duration_exceeded",
                "message": f"The job ran longer than its limit of {job.execution_duration:g} s.",
                "hint": "Submit it with a longer execution duration, or restrict it with an ROI.",
            })
        elif error is not None:
            store.finish(job.id, Phase.ERROR, error=error_summary(error), worker_id=me)
