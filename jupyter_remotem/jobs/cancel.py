"""What a cancelled job leaves behind: nothing, unless its owner asked to keep what it wrote.

A cancel means "I do not want this": the job's partial output (a transformation's temporary
file and scratch folder, a copy's partial files) always goes, and so does everything its ledger
lists — the files a copy finished, its manifest, the folders it made — so that a cancelled
folder copy leaves no gigabytes behind that the Jobs list says nothing about.  With
``POST jobs/{id}/cancel?keep_files=1`` the files it finished stay, listed in its ``written``
summary and counted against the storage quota like any other result, until the job is deleted
(``DELETE jobs/{id}`` removes them then, ``?keep_files=1`` keeps them for good).

The clean-up runs where the cancel takes effect: in the worker that stops the job, in the
handler when no worker held it, and wherever a stale job with a pending cancel is requeued.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import NotFound
from ..storage.registry import RepositoryRegistry
from .models import Job, Phase
from .retention import Removal, remove_written
from .store import JobStore
from .transform_runner import discard_partial_output
from .uploads import discard_upload

log = logging.getLogger(__name__)


def clean_up_cancelled(store: JobStore, registry: RepositoryRegistry, job: Job,
                       scratch_dir: Path | None = None, upload_staging: Path | None = None) -> Removal | None:
    """Remove what the cancelled ``job`` wrote (see module docstring); None when it is kept.

    ``job`` is re-read, since the owner's choice to keep the files was made after a worker
    claimed it.  A file that cannot be removed now keeps its ledger row, so it goes on being
    listed and counted, and deleting the job tries again."""
    job = store.get(job.id, None)
    if job.kind == "upload":
        discard_upload(registry, job, upload_staging or Path(""))
        return None
    discard_partial_output(registry, job, scratch_dir, store)
    if job.keep_files:
        return None
    outcome = remove_written(store, registry, job)
    if outcome.failed:
        log.warning("job %s: %d files of the cancelled job could not be removed yet", job.id, len(outcome.failed))
    return outcome


def clean_up_requeued(store: JobStore, registry: RepositoryRegistry, job_ids: list[str],
                      scratch_dir: Path | None = None) -> list[str]:
    """After a requeue of stale jobs: clean up those a pending cancel ended (ABORTED)."""
    aborted = []
    for job_id in job_ids:
        try:
            job = store.get(job_id, None)
        except NotFound:  # deleted meanwhile
            continue
        if job.phase == Phase.ABORTED.value:
            clean_up_cancelled(store, registry, job, scratch_dir)
            aborted.append(job_id)
    return aborted
