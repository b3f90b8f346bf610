"""Tables of the job store: jobs (IVOA UWS), their checkpoints, and measured throughput.

One schema serves SQLite (a file beside the user's Jupyter data, the default) and PostgreSQL (a
hub with several workers).  Times are stored as UTC and always come back timezone-aware, because
SQLite keeps no time zone and comparisons across the two back ends must agree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..compute.sent_code import without_code


class Phase(str, Enum):
    """UWS execution phases."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    HELD = "HELD"
    SUSPENDED = "SUSPENDED"
    ARCHIVED = "ARCHIVED"


#: Phases after which a job never runs again; only these may be deleted.
FINISHED = frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED, Phase.ARCHIVED})

#: Job kinds, as the operation registry names them, plus plain copies.
KINDS = frozenset({"reduction", "transformation", "copy", "upload", "index", "dataset", "pipeline",
                   "cutouts", "cutouts-index"})


class Action(str, Enum):
    """What a user asked a running job to do; the worker acts on it between partitions."""

    CANCEL = "cancel"
    PAUSE = "pause"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every back end."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Job store times must be timezone-aware.")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "remotem_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    phase: Mapped[str] = mapped_column(String(16), default=Phase.QUEUED.value)
    kind: Mapped[str] = mapped_column(String(32))
    #: The ``POST reductions`` body plus ``output`` ({repository, path, format, overwrite}).
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: {done, total, bytes, throughput, eta} as the worker last reported them.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    #: {seconds, bytes}: the estimate given when the job was submitted.
    quote: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    #: Seconds of execution after which the worker stops the job with an error (None: no limit).
    execution_duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    destruction: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: [{repository, path, size, format}]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: {kind: transient|fatal, code, message}
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: How many times a worker has claimed the job (more than one after a crash or a pause).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The owner's groups at submission: the job counts against these groups' shared quota pools.
    groups: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    #: Cancelled with ``?keep_files=1``: what it wrote stays, listed and counted, instead of
    #: being removed with its partial output.
    keep_files: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: Cleared from the owner's list of jobs ("Clear finished"): the job, its history and its
    #: files all stay (``GET jobs/{id}`` still answers it); only the list leaves it out.
    dismissed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: The administrator who paused the job: held out of the queue until an administrator
    #: resumes it (the owner cannot); None when no administrator holds it (:mod:`..admin`).
    paused_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: How the owner asked to hear that the job ended ("email"), None: not at all (:mod:`..notify`).
    notify: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: When the notice went out (or was given up on); None while one is still owed.
    notified: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Tries at sending the notice so far (bounded: :data:`..notify.mailer.MAX_ATTEMPTS`).
    notify_attempts: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_remotem_jobs_queue", "phase", "priority", "created"),)

    def to_json(self) -> dict[str, Any]:
        """The job as the REST API shows it to its owner."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "owner": self.owner,
            "phase": self.phase,
            "kind": self.kind,
            "request": without_code(self.request),  # a sent function as its digest (compute/sent_code.py)
            "priority": self.priority,
            "created": iso(self.created),
            "started": iso(self.started),
            "ended": iso(self.ended),
            "progress": self.progress,
            "quote": self.quote,
            "execution_duration": self.execution_duration,
            "destruction": iso(self.destruction),
            "results": self.results or [],
            "error": self.error,
            "action": self.action,
            "attempts": self.attempts,
            "written": getattr(self, "written", None) or empty_written(),
            "keep_files": bool(self.keep_files),
            "dismissed": bool(self.dismissed),
            "paused_by": self.paused_by,
            "notify": self.notify,
            # Where it runs: one of its owner's clusters (remotem/api/clusters) for a reduction, a pipeline's
            # own choice (inline, local, server), else None (the worker decides).
            "cluster": self.request.get("cluster") if isinstance(self.request, dict) else None,
        }

    def to_listing_json(self) -> dict[str, Any]:
        """The job as lists show it: a request's long lists (the positions of a batch of
        cutouts: 100,000 rows are megabytes) as their length; ``GET jobs/{id}`` has them whole."""
        shown = self.to_json()
        shown["request"] = _brief(shown["request"])
        return shown


#: Items of a list in a request up to which job lists show it whole.
LISTED_ITEMS = 100


def _brief(document: Any) -> Any:
    if isinstance(document, dict):
        return {key: _brief(value) for key, value in document.items()}
    if isinstance(document, list) and len(document) > LISTED_ITEMS:
        return {"count": len(document), "omitted": "GET remotem/api/jobs/{id} answers the whole list"}
    return document


def empty_written() -> dict[str, Any]:
    """The ``written`` summary of a job that wrote nothing (yet)."""
    return {"files": 0, "bytes": 0, "folders": 0, "sample": []}


class WrittenFile(Base):
    """One file or folder a job put into a repository: what deleting the job removes, what the
    storage quota counts.

    A path has at most one row (``id`` is a digest of repository and path): the job that last
    wrote it owns it, so a job that overwrites another's result takes it over and bytes are never
    counted twice.  Owner and groups are copied from the job, so that files kept after their job
    was deleted (``DELETE jobs/{id}?keep_files=1``; ``job_id`` is then None) still count against
    the owner's quota and the pools of their groups.  ``size`` and ``mtime`` are what the storage
    said right after the write: a file that no longer matches them was replaced by someone else
    and is neither removed nor counted any more.
    """

    __tablename__ = "remotem_written"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The job that wrote it; None once the job was deleted with its files kept.
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    groups: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    repository: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    #: "file", or "folder" (a folder the job created: removed with the job only when left empty).
    kind: Mapped[str] = mapped_column(String(16), default="file")
    #: The result format (hdf5, npy, json, tiff, png, hspy), "copy" for a copied file, "manifest".
    format: Mapped[str | None] = mapped_column(String(16), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    mtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When housekeeping last found the file as it was written (None: not checked yet).
    verified: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_remotem_written_verify", "verified"),)


class JobEvent(Base):
    """One line of a job's history: a change of phase (``kind`` "phase"), or a record its worker
    logged while running it (``kind`` "log", bounded per job: :data:`.joblog.MAX_LOG_LINES`)."""

    __tablename__ = "remotem_job_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(8))
    #: The phase entered (phase events).
    phase: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: DEBUG, INFO, WARNING, ERROR (log events).
    level: Mapped[str | None] = mapped_column(String(8), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")

    def to_json(self) -> dict[str, Any]:
        line: dict[str, Any] = {"at": self.at.isoformat(), "message": self.message}
        if self.kind == "phase":
            line["phase"] = self.phase
        else:
            line["level"] = self.level
        return line


class Checkpoint(Base):
    """One finished partition of a job; ``data`` holds its partial result until the job ends."""

    __tablename__ = "remotem_checkpoints"

    job_id: Mapped[str] = mapped_column(ForeignKey("remotem_jobs.id", ondelete="CASCADE"), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The frame range the partial covers, so a changed partitioning never reuses it.
    start: Mapped[int] = mapped_column(Integer)
    stop: Mapped[int] = mapped_column(Integer)
    worker_id: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class ThroughputRecord(Base):
    """How fast an operation ran against a repository, to make later quotes from measurements."""

    __tablename__ = "remotem_throughput"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation: Mapped[str] = mapped_column(String(64))
    repository: Mapped[str] = mapped_column(String(255))
    bytes: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[float] = mapped_column(Float)
    #: (measured - quoted) / quoted seconds; None when there was no quote.
    estimate_error: Mapped[float | None] = mapped_column(Float, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_remotem_throughput_lookup", "operation", "repository", "created"),)


class ApiToken(Base):
    """A personal token for scripts and services: it opens this API only (see :mod:`..auth.tokens`)."""

    __tablename__ = "remotem_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the secret; the secret itself is shown once, when the token is made, and never stored.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: The owner's groups when the token was made: what it may read.
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: What it may do (:mod:`..auth.scopes`); None, for a token made before scopes: everything.
    scopes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    #: Where it may go (:mod:`..auth.reach`: places and datasets); None: wherever its owner may.
    reach: Mapped[list[dict[str, str]] | None] = mapped_column(JSON(none_as_null=True), nullable=True)

    @property
    def granted(self) -> list[str]:
        from ..auth.scopes import NAMES

        return list(NAMES) if self.scopes is None else list(self.scopes)

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"id": self.id, "name": self.name, "owner": self.owner, "groups": list(self.groups or []),
                "scopes": self.granted, "reach": self.reach, "created": iso(self.created), "expires": iso(self.expires),
                "last_used": iso(self.last_used)}


class WorkerRecord(Base):
    """A worker process as it last announced itself: quotes read its ``--max-read-rate``."""

    __tablename__ = "remotem_workers"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: Bytes per second its jobs may read (None: as fast as the storage gives).
    max_read_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    started: Mapped[datetime] = mapped_column(UTCDateTime)
    seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AdminAction(Base):
    """One thing an administrator did to a job (cancel, pause, resume, priority, requeue): who,
    when, what.  The job's owner sees these in the job's record (``GET jobs/{id}``)."""

    __tablename__ = "remotem_admin_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    admin: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))
    #: What changed, in words a person reads ("priority 0 -> 5").
    detail: Mapped[str] = mapped_column(Text, default="")

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "admin": self.admin, "action": self.action, "detail": self.detail}


class UserAddress(Base):
    """The e-mail address a user set for job notices (``PUT me/email``), when the hub gives none."""

    __tablename__ = "remotem_user_addresses"

    owner: Mapped[str] = mapped_column(String(255), primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
