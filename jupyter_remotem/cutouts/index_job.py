"""Refreshing a survey's footprint index as a durable job (kind ``cutouts-index``).

A request never reads tile headers: it only checks the listing (:meth:`.FootprintIndex.ensure`)
and, when the index lacks something, submits this job, which the worker runs like any other:
the listing diff first (new, changed and gone files by size and time), then the headers of
what is new or changed in batches of :data:`BATCH_FILES`, each batch one transaction, with
progress over the files to read and a cancel between batches.  A killed job leaves every
committed row right (each replaces its tile and band's row), so the next run's diff holds only
what is left.  A survey with an index keeps answering from it while the job runs; one never
indexed answers 503 ``index_pending`` with the job until it ends.

The jobs belong to no user (:data:`OWNER`): they serve every user of the survey, appear in the
admin views (where they can be cancelled and re-prioritised) and never count against anyone's
quota.  At most one is queued or running per survey: asking again answers that one.  A server
that starts no worker of its own runs these jobs itself (:class:`LocalIndexRunner`, unless
``index_jobs_in_server`` is off), because its own real-time answers need the index; where a
worker runs, it takes them as they come.  A job that fails, or reads none of the tiles, leaves
the survey in ``state: error``; one never indexed then answers 409 ``index_failed`` at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..compute.executor import Cancelled, Progress
from ..errors import IndexFailed, IndexPending, NotFound
from ..jobs.models import FINISHED, Job, Phase
from ..jobs.runner import JobContext, Outcome
from ..jobs.store import JobStore
from .footprints import REFRESH_AFTER_S, FootprintIndex
from .surveys import Survey

#: The job's log (the worker records ``jupyter_remotem.jobs`` with each job).
log = logging.getLogger("jupyter_remotem.jobs.cutouts_index")

KIND = "cutouts-index"
#: Whose jobs these are: no user's (a name no login gives: it has a space and brackets).
OWNER = "[cutouts index]"
#: Tile headers read per transaction: what a killed job may read again.
BATCH_FILES = 50
#: Seconds a client is told to wait before asking again about a survey being indexed.
RETRY_AFTER_S = 2
#: Index jobs looked at when telling each survey's state (newest first).
RECENT_JOBS = 500
#: Failures a job's result lists (the count is always whole).
FAILURES_LISTED = 100


def survey_of(job: Job) -> str:
    return str(((job.request or {}).get("survey") or {}).get("name", ""))


def run_cutouts_index_job(context: JobContext) -> Outcome:
    started = time.perf_counter()
    survey = Survey.from_dict(context.job.request["survey"])
    repository = context.repositories.get(survey.repository)
    index = FootprintIndex(context.store)
    diff = index.diff(survey, repository)
    if diff.files == 0 and not diff.failed:
        # A folder gone (or a pattern matching nothing): an error to show, not an empty index;
        # the rows of an earlier index stay until the files are back.
        where = f"'{survey.path or '/'}' of repository '{survey.repository}'"
        raise NotFound(f"Survey '{survey.name}': no tile files in {where}"
                       + (f" match '{survey.pattern}'." if survey.pattern else " (its 'tiles' table)."),
                       hint="Check that the repository's storage and the survey's folder are there, and the "
                            "survey's 'path' and 'pattern' (or 'tiles') settings.")
    index.remove(survey.name, diff.gone)
    total, done = len(diff.todo), 0
    counts = {"added": 0, "updated": 0}
    failed = list(diff.failed)
    log.info("survey %s: %d files listed, %d to read, %d gone", survey.name, diff.files, total, len(diff.gone))

    def report() -> None:
        context.progress(Progress(done, total, 0, time.perf_counter() - started))

    report()
    batches = 0
    for first in range(0, total, BATCH_FILES):
        if context.cancel.is_set():
            raise Cancelled("Stopped between two batches of tiles; what was indexed stays, a new run goes on "
                            "from there.")
        applied = index.apply(survey, repository, diff.todo[first:first + BATCH_FILES])
        counts["added"] += applied["added"]
        counts["updated"] += applied["updated"]
        failed += applied["failed"]
        done = min(total, first + BATCH_FILES)
        batches += 1
        report()
    for failure in failed[:FAILURES_LISTED]:
        log.warning("survey %s: %s: %s", survey.name, failure["path"], failure["error"])
    summary = {"kind": KIND, "survey": survey.name, "files": diff.files, "read": total, **counts,
               "removed": len(diff.gone), "failed": len(failed), "failures": failed[:FAILURES_LISTED]}
    return Outcome([summary], KIND, survey.repository, 0, time.perf_counter() - started, batches, 0)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class IndexJobs:
    """Submitting index jobs (one at a time per survey) and telling each survey's state."""

    ACTIVE = (Phase.PENDING, Phase.QUEUED, Phase.EXECUTING, Phase.SUSPENDED, Phase.HELD)

    def __init__(self, store: JobStore, start: Callable[[], Any] = lambda: None) -> None:
        self.store = store
        #: Called after a job is queued: starts a worker (or the server's own runner).
        self.start = start
        self._submitting = threading.Lock()

    def _recent(self) -> list[Job]:
        with self.store.reading() as session:
            return list(session.scalars(select(Job).where(Job.kind == KIND)
                                        .order_by(Job.created.desc(), Job.id).limit(RECENT_JOBS)))

    def active(self, name: str) -> Job | None:
        """The survey's index job still to run or running, if any."""
        with self.store.reading() as session:
            jobs = session.scalars(select(Job).where(Job.kind == KIND,
                                                     Job.phase.in_([p.value for p in self.ACTIVE]))
                                   .order_by(Job.created, Job.id))
            return next((job for job in jobs if survey_of(job) == name), None)

    def submit(self, survey: Survey) -> Job:
        """The survey's queued or running index job, or a new one (and a worker to run it)."""
        from .batch import survey_dict

        with self._submitting:
            job = self.active(survey.name)
            if job is None:
                job = self.store.create(OWNER, KIND, {"survey": survey_dict(survey)})
                log.info("survey %s: index job %s queued", survey.name, job.id)
        self.start()
        return job

    def states(self, index: FootprintIndex, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{"state", "job", "indexed_at"}`` per survey.  ``state``: ``never`` until a first job
        has completed (a job may be on its way; a first one stopped half-way leaves rows, but not
        yet the survey's whole index); ``refreshing`` while a job is to run or running on an index
        that was built; ``error`` when no job is about and the last one failed, or read no tile
        at all (``message`` and ``hint`` say why; ``error`` has them with the code); ``current``
        otherwise.  While a job runs, ``progress`` is its ``{done, total, fraction}`` over the
        tile files it reads (the lab shows "Indexing … 5 of 12 files")."""
        recent = self._recent()
        return {name: self._entry(index, recent, name)[0] for name in names}

    def _entry(self, index: FootprintIndex, recent: list[Job], name: str) -> tuple[dict[str, Any], bool]:
        """One survey's listing entry, and whether its index was ever built whole."""
        mine = [job for job in recent if survey_of(job) == name]
        active = next((job for job in reversed(mine) if Phase(job.phase) in self.ACTIVE), None)
        completed = next((job for job in mine if job.phase == Phase.COMPLETED.value), None)
        rows = index.summary(name)
        # Rows and no job about: a completed job was cleared away since, the index stands.
        exists = completed is not None or (rows["files"] > 0 and active is None)
        indexed_at = _iso(completed.ended) if completed is not None else rows["indexed"]
        state = ("refreshing" if exists else "never") if active is not None else ("current" if exists else "never")
        entry: dict[str, Any] = {"state": state, "job": active.id if active is not None else None,
                                 "indexed_at": indexed_at}
        if active is not None and active.progress:
            entry["progress"] = progress_of(active.progress)
        last = next((job for job in mine if Phase(job.phase) in FINISHED), None)
        failure = failure_of(last, rows["files"]) if last is not None else None
        if failure is not None:
            entry["error"] = failure
            if active is None:
                entry.update(state="error", message=failure["message"], hint=failure["hint"])
        return entry, exists and rows["files"] > 0

    def pending(self, index: FootprintIndex, survey: Survey) -> IndexPending | IndexFailed | None:
        """The refusal for a survey that has no index yet (None once it has one): 503 while its
        job is on its way, 409 ``index_failed`` with the reason when the last one failed (asking
        again does not help: a client waiting for the index stops at once)."""
        state, built = self._entry(index, self._recent(), survey.name)
        if state["state"] == "error" and not built:  # not tried again on every request
            return IndexFailed(
                f"The footprint index of survey '{survey.name}' could not be built: {state['error']['message']}",
                hint=f"{state['error']['hint']} The survey's files are listed again every "
                     f"{int(REFRESH_AFTER_S // 60)} minutes (an administrator can ask at once: "
                     f"POST remotem/api/cutouts/surveys/{survey.name}/index).", survey=survey.name)
        if state["state"] != "never":  # built (an error of a later refresh: it answers from what it has)
            return None
        job = state["job"] or self.submit(survey).id
        return IndexPending(
            f"The footprint index of survey '{survey.name}' is being built (job {job}); cutouts of it can be "
            "answered once it is.",
            hint="Ask again in a few seconds; GET remotem/api/cutouts/surveys shows index.state, 'current' "
                 "when it is ready, and index.progress meanwhile.", job=job, survey=survey.name,
            retry_after=RETRY_AFTER_S)


def progress_of(progress: dict[str, Any]) -> dict[str, Any]:
    """A running index job's progress as the listing shows it: tile files read of those to read."""
    done, total = int(progress.get("done") or 0), int(progress.get("total") or 0)
    return {"done": done, "total": total, "fraction": round(done / total, 4) if total else 0.0}


def failure_of(job: Job, files: int) -> dict[str, str] | None:
    """Why the survey's last finished index job left it without a usable index, if it did: the
    job failed (a repository gone, storage refusing), or it read none of the tile files (none is
    a FITS image with a WCS)."""
    if job.phase == Phase.ERROR.value:
        error = job.error or {}
        return {"code": str(error.get("code") or "index_failed"),
                "message": str(error.get("message") or "the index job failed"),
                "hint": str(error.get("hint") or "An administrator finds the job's log in the admin view.")}
    summary = (job.results or [{}])[0] if job.phase == Phase.COMPLETED.value else {}
    failed = int(summary.get("failed") or 0) if isinstance(summary, dict) else 0
    if failed and files == 0:
        first = (summary.get("failures") or [{}])[0]
        example = f", e.g. '{first.get('path')}': {first.get('error')}" if first.get("path") else ""
        return {"code": "unreadable_file",
                "message": f"none of its {failed} tile file(s) could be read{example}",
                "hint": "Tiles are FITS images with a celestial WCS (the survey's 'hdu' names which HDU); fix or "
                        "remove the files that are not."}
    return None


class LocalIndexRunner:
    """Runs the queued index jobs in this process, one after the other, on a thread of its own:
    what a server that starts no worker does (see module docstring).  It is a worker for these
    jobs only: the same claim, heartbeat, progress, cancel and conclusion.

    The thread waits :data:`IDLE_S` for more jobs after the last one (they come in bursts: the
    start-up check, then the first requests), then ends; the next :meth:`kick` starts another.
    :meth:`stop` (the extension's shutdown hook) ends it with the server: a job it is running is
    handed back to the queue between two batches of tiles, for the next server or worker."""

    #: Seconds the thread waits for another job before it ends.
    IDLE_S = 30.0
    #: Seconds :meth:`stop` waits for the running batch of tile headers to end.
    STOP_S = 10.0

    def __init__(self, store: JobStore, registry: Any) -> None:
        self.store = store
        self.registry = registry
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._again = threading.Event()
        self._stopping = threading.Event()
        self._worker: Any = None

    def kick(self) -> None:
        """Make sure the queued index jobs are being run (not once stopped)."""
        with self._lock:
            if self._stopping.is_set():
                return
            self._again.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="remotem-cutouts-index", daemon=True)
                self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """End the thread: no new job is taken, the running one is handed back; answers whether
        the thread ended within ``timeout`` (default :data:`STOP_S`)."""
        with self._lock:
            self._stopping.set()
            self._again.set()  # wakes the idle wait
            thread, worker = self._thread, self._worker
        if worker is not None:
            worker.stop()
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.STOP_S if timeout is None else timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        from ..jobs.worker import STALE_AFTER_S, Worker, WorkerOptions, default_worker_id

        worker = Worker(self.store, self.registry, default_worker_id(),
                        WorkerOptions(report_s=0.2, scheduler="none", once=True))
        with self._lock:
            self._worker = worker
        while True:
            with self._lock:
                if self._stopping.is_set() or not self._again.is_set():
                    self._thread = self._worker = None
                    return
                self._again.clear()
            try:
                # One this process ran when the server stopped is silent now: it is run again.
                self.store.requeue_stale(STALE_AFTER_S, owner=OWNER)
                while not self._stopping.is_set() and (job := self.store.claim(worker.worker_id,
                                                                              kinds=[KIND])) is not None:
                    worker.execute(job)
            except Exception:  # the next kick tries again; the server goes on either way
                if self._stopping.is_set():
                    continue  # its store closed under it while the server stopped
                log.exception("running the footprint index jobs failed")
            self._again.wait(self.IDLE_S)
