"""What the Jupyter server does for jobs in the background, once a minute or so.

* Tell JupyterHub's idle culler the server is busy while this user's jobs are queued or running
  (jupyter_server reports every settings key ending in ``_last_activity``).
* Start a worker when jobs wait and none is alive (after a machine restart, say).
* Remove results past their destruction time and mark those jobs ARCHIVED.
"""

from __future__ import annotations

import logging
from typing import Any

from .models import Phase, utcnow
from .retention import collect_expired

ACTIVITY_KEY = "remotem_last_activity"
ACTIVE_PHASES = [Phase.QUEUED.value, Phase.EXECUTING.value]

log = logging.getLogger(__name__)


def tick(services: Any, settings: dict[str, Any]) -> None:
    """One round of housekeeping; safe to call from a worker thread."""
    try:
        active = services.jobs.list(services.server_owner, ACTIVE_PHASES)
        if active:
            settings[ACTIVITY_KEY] = utcnow()
            if any(job.phase == Phase.QUEUED.value for job in active):
                services.supervisor.ensure_running()
        archived = collect_expired(services.jobs, services.registry)
        if archived:
            log.info("jupyter_remotem: archived %d expired jobs", len(archived))
    except Exception:  # housekeeping must never take the server down
        log.exception("jupyter_remotem: job housekeeping failed")
    finally:
        services.housekeeping_rounds += 1
