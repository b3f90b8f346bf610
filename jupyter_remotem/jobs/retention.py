"""Removing what jobs made once it is no longer wanted: on delete, and after its destruction time.

Only the files a job lists as its results are removed (and their provenance sidecars), in the
repositories it wrote them to; a copy job's results are the user's copied data and are never
deleted here.  Nothing else is touched, whatever the paths look like.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ..errors import NotFound, RemotemError
from ..storage.registry import RepositoryRegistry
from .models import Job
from .store import JobStore

log = logging.getLogger(__name__)

#: Result formats whose files the job created and may therefore delete.
OWNED_FORMATS = {"hdf5", "npy", "tiff", "json"}


def remove_results(registry: RepositoryRegistry, job: Job) -> list[str]:
    """Delete the job's own result files; returns what was removed."""
    removed = []
    for result in job.results or []:
        if result.get("format") not in OWNED_FORMATS:
            continue
        try:
            repository = registry.get(result["repository"])
            if repository.exists(result["path"]):
                repository.fs.rm(repository.full_path(result["path"]))
                removed.append(f"{repository.name}:{result['path']}")
        except (NotFound, KeyError):
            continue
        except RemotemError as error:
            log.warning("could not remove a result of job %s: %s", job.id, error.message)
    return removed


def collect_expired(store: JobStore, registry: RepositoryRegistry, now: datetime | None = None) -> list[str]:
    """Remove results of jobs past their destruction time and mark them ARCHIVED."""
    archived = []
    for job in store.expired(now):
        remove_results(registry, job)
        store.archive(job.id, job.owner)
        archived.append(job.id)
    return archived
