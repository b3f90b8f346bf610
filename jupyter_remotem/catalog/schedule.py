"""Re-indexing on a schedule (``c.RemotemApp.catalog_refresh``): every repository of the server
gets an ``index`` job of the server's owner, unless one is already waiting or running for it, so
a slow crawl never piles up behind itself.  Each run opens only what changed."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from ..jobs.models import Phase, utcnow

#: Phases in which an index job still has work to do.
PENDING = [Phase.QUEUED, Phase.EXECUTING, Phase.SUSPENDED]
#: One look at a time: two rounds in the I/O pool must not both find a repository without a job.
_ROUND = threading.Lock()


def refresh(services: Any) -> list[str]:
    """Submit the index jobs due now; answers the repositories they are for."""
    with _ROUND:
        return _refresh(services)


def _refresh(services: Any) -> list[str]:
    owner = services.server_owner
    waiting = {(job.request or {}).get("repository")
               for job in services.jobs.list(owner, PENDING, ["index"])}
    submitted = []
    for repository in services.registry.all():
        if repository.name in waiting:
            continue
        services.jobs.create(owner, "index", {"repository": repository.name, "path": ""},
                             quote={"seconds": None, "bytes_read": 0, "bytes_written": 0, "basis": "index"},
                             destruction=utcnow() + timedelta(days=1))
        submitted.append(repository.name)
    if submitted:
        services.supervisor.ensure_running()
    return submitted
