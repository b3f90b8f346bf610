"""Removing what jobs made once it is no longer wanted: on delete, and after its destruction time.

What a job wrote is what its ledger (:mod:`.ledger`) lists — every result file and sidecar,
every file a copy wrote, its manifest, the folders it created — and only that is removed, in
the repository it was written to, through that repository's path rule (never following a
symlink out).  A listed file that is no longer what the job wrote (replaced, turned into a
link or a folder, moved out of reach) is left alone and no longer counted; a folder goes only
when it is empty — one that still holds what other jobs wrote is handed to one of them.  A file that cannot be removed now (storage unreachable, repository made
read-only) keeps its row, so the quota goes on counting it and the removal can be tried again.

Housekeeping also checks recorded files against the storage, each every ten minutes or so
(:func:`verify_written`): a file removed or replaced by other means (the file browser, a
script) stops counting, so the quota keeps agreeing with the disk.
"""

from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import BadParameter, NotFound, RemotemError, StorageUnavailable
from ..storage.registry import RepositoryRegistry
from ..storage.repository import Entry, Repository
from .models import Job, WrittenFile
from .store import JobStore
from .written import fresh_info

log = logging.getLogger(__name__)

#: Seconds by which a file's mtime may differ from the recorded one (WebDAV keeps whole seconds).
MTIME_TOLERANCE_S = 1.0
#: Recorded files :func:`verify_written` checks per housekeeping round.
VERIFY_PER_ROUND = 1000
#: Seconds before a recorded file is checked again.
RECHECK_AFTER_S = 600.0


class RemovalIncomplete(StorageUnavailable):
    code = "removal_incomplete"
    default_hint = ("Try again later; or delete the job with ?keep_files=1 to keep its files "
                    "(they go on counting against your storage quota).")


@dataclass
class Removal:
    """What became of a job's recorded files."""

    removed: list[str] = field(default_factory=list)
    #: Listed, but no longer what the job wrote (or already gone): left alone, no longer counted.
    left: list[str] = field(default_factory=list)
    #: Could not be removed now; still recorded.
    failed: list[str] = field(default_factory=list)


def _unchanged(repository: Repository, row: WrittenFile) -> bool:
    """Whether the file at the row's path is still the one the job wrote."""
    full = repository.full_path(row.path)  # refuses a path that now leads out of the repository
    if repository.is_local and os.path.islink(full):
        return False
    entry = fresh_info(repository, row.path)
    if row.kind == "folder":
        return entry.type == "directory"
    if entry.type != "file" or int(entry.size or 0) != int(row.size or 0):
        return False
    return row.mtime is None or entry.mtime is None or abs(entry.mtime - row.mtime) <= MTIME_TOLERANCE_S


def _is_empty(repository: Repository, row: WrittenFile) -> bool:
    full = repository.full_path(row.path)
    if repository.is_local:
        return not os.listdir(full)  # everything, also links the listing would hide
    return not repository.list(row.path, include_hidden=True)


def _remove_one(repository: Repository, row: WrittenFile) -> str:
    """'removed', 'left' or 'failed' (see :class:`Removal`)."""
    try:
        if not _unchanged(repository, row):
            return "left"
        if row.kind == "folder" and not _is_empty(repository, row):
            return "left"
    except NotFound:
        return "left"
    except StorageUnavailable:
        return "failed"
    except RemotemError:  # the path now leads out of the repository, or is refused
        return "left"
    if not repository.config.writable:
        return "failed"
    full = repository.full_path(row.path)
    try:
        if row.kind == "folder":
            repository.fs.rmdir(full)
        else:
            repository.fs.rm(full)
    except FileNotFoundError:
        return "left"
    except OSError as error:
        if row.kind == "folder":  # filled meanwhile, or a store without real folders
            return "left"
        log.warning("could not remove %s:%s: %s", repository.name, row.path, error)
        return "failed"
    except Exception as error:  # client libraries raise their own types
        log.warning("could not remove %s:%s: %s", repository.name, row.path, type(error).__name__)
        return "failed"
    return "removed"


def remove_written(store: JobStore, registry: RepositoryRegistry, job: Job) -> Removal:
    """Remove every file and folder the job wrote (see module docstring), and the temporary
    files it may have left; rows of files removed or left are forgotten."""
    from .transform_runner import discard_partial_output

    outcome = Removal()
    forget: list[str] = []
    rows = store.written(job.id)
    # Files first, then folders from the deepest: a folder the job made is empty once its files are gone.
    rows.sort(key=lambda row: (row.kind == "folder", -row.path.count("/"), row.path))
    discard_partial_output(registry, job, store=store)
    repositories: dict[str, Repository | None] = {}
    for row in rows:
        if row.repository not in repositories:
            try:
                repositories[row.repository] = registry.get(row.repository)
            except NotFound:  # no longer configured: nothing can reach those files
                repositories[row.repository] = None
        repository = repositories[row.repository]
        verdict = "left" if repository is None else _remove_one(repository, row)
        getattr(outcome, verdict).append(f"{row.repository}:{row.path}")
        if verdict == "left" and row.kind == "folder" and store.hand_over_folder(row.id, job.id):
            continue  # other jobs' files are inside: it goes with the last of them
        if verdict != "failed":
            forget.append(row.id)
    store.forget_written(forget)
    if not outcome.failed:  # its pipeline targets are gone with their files and manifests
        store.forget_targets(job.id)
    return outcome


def delete_files_of(store: JobStore, registry: RepositoryRegistry, job: Job) -> Removal:
    """:func:`remove_written`, raising :class:`RemovalIncomplete` when some file stays."""
    outcome = remove_written(store, registry, job)
    if outcome.failed:
        names = ", ".join(outcome.failed[:5]) + (f" and {len(outcome.failed) - 5} more" if len(outcome.failed) > 5 else "")
        raise RemovalIncomplete(
            f"{len(outcome.failed)} file{'' if len(outcome.failed) == 1 else 's'} of job '{job.id}' could not be "
            f"removed: {names}; the job and those files are kept.",
            failed=outcome.failed[:100],
        )
    return outcome


def collect_expired(store: JobStore, registry: RepositoryRegistry, now: datetime | None = None,
                    owner: str | None = None) -> list[str]:
    """Remove the files of jobs past their destruction time and mark them ARCHIVED; a job some of
    whose files cannot be removed now stays as it is, for the next round.

    ``owner`` restricts this to one owner's jobs: on a hub whose servers share the database, a
    server's repositories (a "home" above all) are its owner's, and must not be searched for
    paths another user's job wrote in theirs."""
    archived = []
    for job in store.expired(now):
        if owner is not None and job.owner != owner:
            continue
        outcome = remove_written(store, registry, job)
        if outcome.failed:
            log.warning("job %s: %d files could not be removed yet", job.id, len(outcome.failed))
            continue
        store.archive(job.id, job.owner)
        archived.append(job.id)
    return archived


def _listed(repository: Repository, folder: str) -> dict[str, Entry] | None:
    """The folder's entries by path, from a fresh listing; None when the folder is gone."""
    try:
        return {entry.path: entry for entry in repository.list(folder, include_hidden=True)}
    except NotFound:
        return None
    except BadParameter:  # no longer a folder
        return None


def _still_there(repository: Repository, row: WrittenFile, listing: dict[str, Entry] | None) -> bool:
    """:func:`_unchanged`, from the listing of the row's folder (remote stores) or a stat (local)."""
    if repository.is_local:
        return _unchanged(repository, row)
    entry = (listing or {}).get(row.path)
    if entry is None:
        return False
    if row.kind == "folder":
        return entry.type == "directory"
    if entry.type != "file" or int(entry.size or 0) != int(row.size or 0):
        return False
    return row.mtime is None or entry.mtime is None or abs(entry.mtime - row.mtime) <= MTIME_TOLERANCE_S


def verify_written(store: JobStore, registry: RepositoryRegistry, owner: str, limit: int = VERIFY_PER_ROUND,
                   recheck_after_s: float = RECHECK_AFTER_S) -> list[str]:
    """Forget ``owner``'s recorded files of finished (or deleted) jobs that are gone or were
    replaced, so that the quota stops counting them; the rest are marked checked.  Each file is
    checked at most every ``recheck_after_s``, and on remote stores by listing its folder, one
    request for all the files in it.  Files in repositories this server does not know are left
    for a server that does; a storage that does not answer is asked again next time."""
    forget, checked = [], []
    rows = store.written_to_verify(owner, limit, recheck_after_s)
    by_folder: dict[tuple[str, str], list[WrittenFile]] = {}
    for row in rows:
        by_folder.setdefault((row.repository, posixpath.dirname(row.path)), []).append(row)
    for (name, folder), group in sorted(by_folder.items()):
        try:
            repository = registry.get(name)
        except NotFound:
            continue
        try:
            listing = None if repository.is_local else _listed(repository, folder)
            for row in group:
                try:
                    (checked if _still_there(repository, row, listing) else forget).append(row)
                except NotFound:
                    forget.append(row)
        except StorageUnavailable:
            continue
        except RemotemError:  # a path that now leads out of the repository
            forget.extend(row for row in group if row not in checked)
    store.forget_written([row.id for row in forget])
    store.mark_verified([row.id for row in checked])
    return [f"{row.repository}:{row.path}" for row in forget]
