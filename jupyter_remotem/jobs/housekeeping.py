"""What the Jupyter server does for jobs in the background, once a minute or so.

* Tell JupyterHub's idle culler the server is busy while this user's jobs are queued or running
  (jupyter_server reports every settings key ending in ``_last_activity``).
* Start a worker when jobs wait and none is alive (after a machine restart, say).
* Remove results past their destruction time and mark those jobs ARCHIVED.
* Check recorded files against the storage (each every ten minutes or so), so that files
  removed or replaced by other means stop counting against the quota.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .models import Phase, utcnow
from .retention import collect_expired, verify_written

ACTIVITY_KEY = "remotem_last_activity"
ACTIVE_PHASES = [Phase.QUEUED.value, Phase.EXECUTING.value]

log = logging.getLogger(__name__)


#: Held while a round runs: a round that takes longer than the interval is not joined by the next.
_running = threading.Lock()


def tick(services: Any, settings: dict[str, Any]) -> None:
    """One round of housekeeping; safe to call from a worker thread."""
    if not _running.acquire(blocking=False):
        return
    try:
        active = services.jobs.list(services.server_owner, ACTIVE_PHASES)
        if active:
            settings[ACTIVITY_KEY] = utcnow()
            if any(job.phase == Phase.QUEUED.value for job in active):
                services.supervisor.ensure_running()
        archived = collect_expired(services.jobs, services.registry, owner=services.server_owner)
        if archived:
            log.info("jupyter_remotem: archived %d expired jobs", len(archived))
        verify_written(services.jobs, services.registry, services.server_owner)
    except Exception:  # housekeeping must never take the server down
        log.exception("jupyter_remotem: job housekeeping failed")
    finally:
        services.housekeeping_rounds += 1
        _running.release()
