"""What the Jupyter server does for jobs in the background, once a minute or so.

* Tell JupyterHub's idle culler the server is busy while this user's jobs are queued or running
  (jupyter_server reports every settings key ending in ``_last_activity``).
* Requeue jobs whose worker died and start a worker when jobs wait and none is alive
  (:mod:`.recovery`, which also runs on its own, shorter interval); end direct saves a
  server stop interrupted (:func:`.direct_save.end_interrupted`).
* Remove results past their destruction time and mark those jobs ARCHIVED.
* End uploads left unfinished for ``upload_expiry_days`` (:mod:`.uploads`).
* Check recorded files against the storage (each every ten minutes or so), so that files
  removed or replaced by other means stop counting against the quota.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from .direct_save import end_interrupted
from .models import Phase, utcnow
from .recovery import recover
from .retention import collect_expired, verify_written
from .uploads import expire_uploads

ACTIVITY_KEY = "remotem_last_activity"
ACTIVE_PHASES = [Phase.QUEUED.value, Phase.EXECUTING.value]

log = logging.getLogger(__name__)


#: Held while a round runs: a round that takes longer than the interval is not joined by the next.
_running = threading.Lock()


#: Held while a recovery look runs (see :func:`recover_jobs`).
_recovering = threading.Lock()


def recover_jobs(services: Any) -> None:
    """Requeue jobs of dead workers and start one (:func:`.recovery.recover`); safe to call
    from a worker thread, at start-up and every ``job_recovery_interval`` seconds."""
    if not _recovering.acquire(blocking=False):
        return
    try:
        registry = services.registry_of(services.server_owner)  # the owner's own storages too
        recover(services.jobs, services.supervisor, registry, services.server_owner,
                services.supervisor.stale_after_s)
        for job_id in end_interrupted(services.jobs, registry, services.server_owner, services.started):
            log.warning("jupyter_remotem: direct save %s was interrupted by a server stop; ended", job_id)
    except Exception:  # recovery must never take the server down; the next look tries again
        log.exception("jupyter_remotem: job recovery failed")
    finally:
        services.recovery_rounds += 1
        _recovering.release()


def tick(services: Any, settings: dict[str, Any]) -> None:
    """One round of housekeeping; safe to call from a worker thread."""
    if not _running.acquire(blocking=False):
        return
    try:
        if services.jobs.count(services.server_owner, ACTIVE_PHASES):
            settings[ACTIVITY_KEY] = utcnow()
        recover_jobs(services)
        registry = services.registry_of(services.server_owner)  # the owner's own storages too
        archived = collect_expired(services.jobs, registry, owner=services.server_owner)
        if archived:
            log.info("jupyter_remotem: archived %d expired jobs", len(archived))
        verify_written(services.jobs, registry, services.server_owner)
        expired = expire_uploads(services.jobs, registry, services.server_owner,
                                 Path(services.upload_staging_dir), services.upload_expiry_s)
        if expired:
            log.info("jupyter_remotem: ended %d unfinished uploads past upload_expiry_days", len(expired))
    except Exception:  # housekeeping must never take the server down
        log.exception("jupyter_remotem: job housekeeping failed")
    finally:
        services.housekeeping_rounds += 1
        _running.release()
