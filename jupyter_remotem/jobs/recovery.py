"""Jobs recover by themselves: the Jupyter server notices a dead worker and starts another.

A worker that dies without a word (``kill -9``, an out-of-memory kill, a machine restart)
leaves its job EXECUTING.  Every ``job_recovery_interval`` seconds (and once at start-up) the
server looks, for its owner's jobs:

* when the worker lock is free, the worker that last held it is gone: its jobs are queued
  again at once, whatever their heartbeat says;
* a job whose heartbeat is older than ``job_stale_after`` is queued again — and when the worker
  that runs it still holds the lock, that worker is hung and is killed, so a new one can start;
* when any of the owner's jobs is then QUEUED and no worker is alive, one is started.

The requeued job resumes from its checkpoints (or a copy from its manifest).  A pending cancel
or pause is honoured at the requeue: a job it ends ABORTED is cleaned up (:mod:`.cancel`).
Workers requeue stale jobs too; the store's conditional updates make sure only one party wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from ..storage.registry import RepositoryRegistry
from .cancel import clean_up_requeued
from .models import Phase, utcnow
from .store import JobStore
from .supervisor import WorkerSupervisor, worker_prefix

log = logging.getLogger(__name__)


@dataclass
class Recovery:
    """What one look found and did."""

    requeued: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    killed: int | None = None
    started: bool = False


def recover(store: JobStore, supervisor: WorkerSupervisor, registry: RepositoryRegistry, owner: str | None,
            stale_after_s: float, scratch_dir: Path | None = None) -> Recovery:
    """One look (see module docstring); safe to run from any thread, any number of times."""
    outcome = Recovery()
    alive = supervisor.alive()
    last = supervisor.last_worker()
    ours = worker_prefix(last) if last is not None else None
    if alive and ours is not None and supervisor.enabled:
        cutoff = utcnow() - timedelta(seconds=stale_after_s)
        silent = [job_id for job_id, worker, beat in store.executing(owner)
                  if (worker or "").startswith(ours) and beat is not None and beat < cutoff]
        if silent and supervisor.kill_hung(last):
            outcome.killed, alive = last, False
            log.warning("jupyter_remotem: killed job worker %d, silent for over %g s while holding its lock",
                        last, stale_after_s)
    if not alive and ours is not None:
        outcome.requeued += store.requeue_of_worker(ours, owner)
    outcome.requeued += store.requeue_stale(stale_after_s, owner)
    for job_id in outcome.requeued:
        log.warning("jupyter_remotem: job %s lost its worker; queued again", job_id)
    outcome.aborted = clean_up_requeued(store, registry, outcome.requeued, scratch_dir)
    if store.count(owner, [Phase.QUEUED]):
        outcome.started = supervisor.ensure_running()
    return outcome
