"""Upload jobs (kind ``upload``, see :mod:`..handlers.uploads`): where their bytes wait, and what
happens to uploads nobody finishes.

An upload is HELD while its client sends bytes; no worker runs it, so the server looks after it:
a cancel or a tus termination removes its partial file, and an upload left unfinished for
``upload_expiry_days`` is ended (ABORTED, "expired") with its partial file removed.  Partial
files of remote targets wait in the server's staging folder; any there whose upload has ended
(a crash between the last byte and the clean-up) go too.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from ..errors import RemotemError
from ..storage.registry import RepositoryRegistry
from ..storage.uploads import UploadPlace
from .models import Job, Phase, utcnow
from .store import JobStore

log = logging.getLogger(__name__)


def place_of(registry: RepositoryRegistry, job: Job, staging: Path) -> UploadPlace:
    """Where the bytes of upload ``job`` go."""
    request = job.request
    return UploadPlace(registry.get(request["repository"]), request["path"], job.id, staging)


def discard_upload(registry: RepositoryRegistry, job: Job, staging: Path) -> None:
    """Remove the partial file of an upload that will not finish (cancelled, terminated, expired)."""
    try:
        place_of(registry, job, staging).discard()
    except (OSError, RemotemError) as error:  # a repository gone from the configuration, say
        log.warning("upload %s: partial file not removed: %s", job.id, type(error).__name__)


def expire_uploads(store: JobStore, registry: RepositoryRegistry, owner: str, staging: Path,
                   expiry_s: float) -> list[str]:
    """End ``owner``'s uploads unfinished for ``expiry_s``; clear staged files of ended uploads."""
    cutoff = utcnow() - timedelta(seconds=expiry_s)
    ended = []
    for job in store.list(owner, [Phase.HELD]):
        if job.kind == "upload" and job.created < cutoff:
            discard_upload(registry, job, staging)
            store.finish(job.id, Phase.ABORTED, error={
                "code": "expired", "kind": "fatal", "message": "The upload was not finished in time.",
                "hint": "Upload the file again."})
            ended.append(job.id)
    if staging.is_dir():
        held = {job.id for job in store.list(None, [Phase.HELD]) if job.kind == "upload"}
        for staged in staging.iterdir():
            if staged.name not in held:
                staged.unlink(missing_ok=True)
    return ended
