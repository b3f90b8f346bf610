"""The ledger of what jobs wrote: one row per file or folder a job put into a repository.

Deleting a job, and retention, remove exactly the files listed here; the storage quota sums
their sizes.  Both therefore agree with the disk as long as every write is recorded, and every
removal forgets its row.  The rules (see :class:`.models.WrittenFile`):

* a path has one owner, the job that last wrote its bytes — a job that overwrites another's
  result takes the row over;
* a resubmitted copy *adopts* the files the same owner's earlier attempt copied and it
  verified instead of copying again, so the complete copy is one job's output;
* files kept after their job was deleted stay in the ledger without a job, counted for the owner.

These are session-level functions; :class:`.store.JobStore` wraps each in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .models import FINISHED, Job, Phase, WrittenFile, empty_written, utcnow

#: Paths named in a job's ``written`` summary (the delete dialog shows them).
SAMPLE = 5
#: Formats that are not results of their own: sidecars and copy manifests.
NOT_RESULTS = frozenset({"json", "manifest"})
#: Rows per ``IN (...)`` list, well under every back end's limit on bound parameters.
BATCH = 500


def key(repository: str, path: str) -> str:
    """The row id of a path: a digest, so that paths of any length make a short unique key."""
    return hashlib.sha256(f"{repository}\0{path}".encode()).hexdigest()


def _batches(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def record(session: Session, job_id: str, files: Iterable[dict[str, Any]], take_over: bool = True) -> bool:
    """Record ``files`` ({repository, path, kind, format, size, mtime}) as written by the job.

    With ``take_over`` a row of another job for the same path becomes this job's (its bytes
    were overwritten); without, existing rows are left alone.  False when the job is gone."""
    job = session.get(Job, job_id)
    if job is None:
        return False
    wanted = {key(f["repository"], f["path"]): f for f in files}
    now = utcnow()
    for ids in _batches(sorted(wanted)):
        existing = {row.id: row for row in session.scalars(select(WrittenFile).where(WrittenFile.id.in_(ids)))}
        for row_id in ids:
            file = wanted[row_id]
            row = existing.get(row_id)
            if row is not None and not take_over and row.job_id != job_id:
                continue
            values = dict(job_id=job_id, owner=job.owner, groups=job.groups, repository=file["repository"],
                          path=file["path"], kind=file.get("kind", "file"), format=file.get("format"),
                          size=int(file.get("size") or 0), mtime=file.get("mtime"), recorded=now, verified=None)
            if row is None:
                session.add(WrittenFile(id=row_id, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
    return True


def adopt(session: Session, job_id: str, repository: str, paths: Iterable[str]) -> int:
    """Make files that the same owner's other jobs wrote at ``paths`` this job's; the number taken.

    Files kept after their job was deleted stay kept: the owner detached them on purpose."""
    owner = session.scalar(select(Job.owner).where(Job.id == job_id))
    if owner is None:
        return 0
    taken = 0
    for ids in _batches(sorted({key(repository, path) for path in paths})):
        taken += session.execute(
            update(WrittenFile)
            .where(WrittenFile.id.in_(ids), WrittenFile.owner == owner, WrittenFile.job_id.is_not(None),
                   WrittenFile.job_id != job_id)
            .values(job_id=job_id)
            .execution_options(synchronize_session=False)
        ).rowcount
    return taken


def hand_over_folder(session: Session, row_id: str, job_id: str) -> bool:
    """A folder the job made still holds what other jobs wrote: it becomes one of theirs, to go
    when that one's files do.  False when no other job wrote inside (only the user's files)."""
    row = session.get(WrittenFile, row_id)
    if row is None or row.job_id != job_id:
        return False
    inside = session.scalars(
        select(WrittenFile).where(WrittenFile.repository == row.repository,
                                  WrittenFile.path.startswith(row.path + "/", autoescape=True),
                                  WrittenFile.job_id.is_not(None), WrittenFile.job_id != job_id)
        .order_by(WrittenFile.recorded.desc()).limit(1)
    ).first()
    if inside is None:
        return False
    row.job_id, row.owner, row.groups = inside.job_id, inside.owner, inside.groups
    return True


def rows_of(session: Session, job_id: str) -> list[WrittenFile]:
    return list(session.scalars(select(WrittenFile).where(WrittenFile.job_id == job_id)
                                .order_by(WrittenFile.repository, WrittenFile.path)))


def forget(session: Session, row_ids: Iterable[str]) -> None:
    for ids in _batches(sorted(set(row_ids))):
        session.execute(delete(WrittenFile).where(WrittenFile.id.in_(ids)))


def _at_or_below(repository: str, path: str) -> Any:
    """Rows of ``path`` and of everything below it (``path/...``; LIKE wildcards escaped)."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return (WrittenFile.repository == repository) & (
        (WrittenFile.path == path) | WrittenFile.path.like(f"{escaped}/%", escape="\\"))


def forget_under(session: Session, repository: str, path: str) -> int:
    """Someone deleted ``path`` (a file, or a folder and all in it) from the tree."""
    return session.execute(delete(WrittenFile).where(_at_or_below(repository, path))
                           .execution_options(synchronize_session=False)).rowcount


def move(session: Session, repository: str, old: str, new: str) -> int:
    """Someone renamed ``old`` to ``new``: the rows follow, keyed by their new paths (a row
    already at a new path is replaced: the file there was overwritten by the move)."""
    rows = list(session.scalars(select(WrittenFile).where(_at_or_below(repository, old))))
    for row in rows:
        moved = new + row.path[len(old):]
        session.execute(delete(WrittenFile).where(WrittenFile.id == key(repository, moved)))
        session.execute(delete(WrittenFile).where(WrittenFile.id == row.id))
        session.flush()
        session.add(WrittenFile(**{column.name: getattr(row, column.name) for column in WrittenFile.__table__.columns
                                   if column.name not in ("id", "path")}, id=key(repository, moved), path=moved))
    return len(rows)


def release(session: Session, job_id: str, keep: bool) -> None:
    """The job is deleted: its rows, and those of the pipeline targets it committed, are kept
    without it (``keep``) or dropped."""
    from ..pipeline.models import PipelineTarget  # noqa: PLC0415 - the pipeline's table, in this database

    for model in (WrittenFile, PipelineTarget):
        if keep:
            session.execute(update(model).where(model.job_id == job_id).values(job_id=None)
                            .execution_options(synchronize_session=False))
        else:
            session.execute(delete(model).where(model.job_id == job_id))


def forget_targets(session: Session, job_id: str) -> int:
    """The pipeline targets the job committed were removed with its files: their rows go too, so
    that no listing or ``latest`` names a product that is no longer there."""
    from ..pipeline.models import PipelineTarget  # noqa: PLC0415

    return session.execute(delete(PipelineTarget).where(PipelineTarget.job_id == job_id)).rowcount


def attach_summaries(session: Session, jobs: list[Job]) -> list[Job]:
    """Give each job its ``written`` summary (files, bytes, folders and a few paths) for the API."""
    ids = [job.id for job in jobs]
    summaries: dict[str, dict[str, Any]] = {}
    for batch in _batches(ids):
        totals = session.execute(
            select(WrittenFile.job_id, WrittenFile.kind, func.count(), func.coalesce(func.sum(WrittenFile.size), 0))
            .where(WrittenFile.job_id.in_(batch)).group_by(WrittenFile.job_id, WrittenFile.kind))
        for job_id, kind, count, size in totals:
            summary = summaries.setdefault(job_id, empty_written())
            if kind == "folder":
                summary["folders"] += int(count)
            else:
                summary["files"] += int(count)
                summary["bytes"] += int(size)
        ranked = (
            select(WrittenFile.job_id, WrittenFile.repository, WrittenFile.path,
                   func.row_number().over(partition_by=WrittenFile.job_id,
                                          order_by=(WrittenFile.repository, WrittenFile.path)).label("rank"))
            .where(WrittenFile.job_id.in_(batch), WrittenFile.kind == "file")
            .subquery()
        )
        sample = select(ranked.c.job_id, ranked.c.repository, ranked.c.path).where(ranked.c.rank <= SAMPLE)
        for job_id, repository, path in session.execute(sample.order_by(ranked.c.job_id, ranked.c.rank)):
            # (setdefault: under READ COMMITTED a row may appear between the two statements)
            summaries.setdefault(job_id, empty_written())["sample"].append({"repository": repository, "path": path})
    for job in jobs:
        job.written = summaries.get(job.id, empty_written())  # type: ignore[attr-defined]
    return jobs


def stored_bytes(session: Session, where: Any, member: Any = None) -> tuple[int, int, int, int, dict[str, int]]:
    """For the ledger rows matching ``where`` (and ``member`` of their groups, for pools):
    bytes, result files, bytes kept without a job, files kept, and bytes per job."""
    total = results = kept_bytes = kept_files = 0
    per_job: dict[str, int] = {}
    query = select(WrittenFile.job_id, WrittenFile.size, WrittenFile.format, WrittenFile.groups).where(
        where, WrittenFile.kind == "file")
    for job_id, size, fmt, groups in session.execute(query):
        if member is not None and not member(groups):
            continue
        total += int(size or 0)
        results += fmt not in NOT_RESULTS
        if job_id is None:
            kept_bytes += int(size or 0)
            kept_files += 1
        else:
            per_job[job_id] = per_job.get(job_id, 0) + int(size or 0)
    return total, results, kept_bytes, kept_files, per_job


def to_verify(session: Session, owner: str, limit: int, checked_before: datetime) -> list[WrittenFile]:
    """``owner``'s rows of finished or deleted jobs not checked since ``checked_before``, least
    recently checked first (see :mod:`.retention`)."""
    settled = [p.value for p in FINISHED]
    finished_jobs = select(Job.id).where(Job.phase.in_(settled))
    query = (select(WrittenFile)
             .where(WrittenFile.owner == owner,
                    WrittenFile.job_id.is_(None) | WrittenFile.job_id.in_(finished_jobs),
                    WrittenFile.verified.is_(None) | (WrittenFile.verified < checked_before))
             .order_by(WrittenFile.verified.is_not(None), WrittenFile.verified, WrittenFile.id)
             .limit(limit))
    return list(session.scalars(query))


def mark_verified(session: Session, row_ids: list[str], when: datetime) -> None:
    for ids in _batches(sorted(row_ids)):
        session.execute(update(WrittenFile).where(WrittenFile.id.in_(ids)).values(verified=when)
                        .execution_options(synchronize_session=False))


def backfill(session: Session) -> None:
    """Rows for the results of jobs finished before the ledger existed, so that an upgraded
    database keeps counting (and deleting) them.  Such a job listed each file it wrote, except a
    copy, which listed only its target: that is recorded as one file of the copy's size, so a
    copied file is still removed with its job while a copied folder (whose files are not known)
    is left alone and no longer counted."""
    completed = select(Job).where(Job.phase == Phase.COMPLETED.value).order_by(Job.created)
    for job in session.scalars(completed):
        files = [dict(result, kind="file") for result in job.results or []
                 if isinstance(result, dict) and result.get("repository") and result.get("path")]
        if files:
            record(session, job.id, files)
