"""The durable job store: every state change of a job is one short SQL transaction.

The web server and any number of worker processes share one database.  Each transition is a
conditional ``UPDATE`` (``... WHERE phase = 'QUEUED'``), so two parties racing for the same job
cannot both win; claiming takes the next job with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and
inside a ``BEGIN IMMEDIATE`` transaction on SQLite.  Admission against a quota reads the
owner's usage and inserts the job in one transaction that holds a lock per owner, so two
submissions at the same moment cannot both take the last of a quota.  Users see only their own jobs: a job of
someone else is reported as not found, exactly like a job that does not exist.
"""

from __future__ import annotations

import fcntl
import json
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    String,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from ..errors import BadParameter, Conflict, NotFound
from . import costs, ledger
from .models import (
    FINISHED,
    KINDS,
    Action,
    AdminAction,
    Base,
    Checkpoint,
    Job,
    JobEvent,
    Phase,
    ThroughputRecord,
    WorkerRecord,
    WrittenFile,
    utcnow,
)
from .quotas import Limits, Usage, require_fit
from ..notify import request as notify_request


class JobLost(Conflict):
    """The worker no longer holds the job: it was requeued as stale or finished elsewhere."""

    code = "job_lost"
    default_hint = "Another worker took the job over; this worker must stop working on it."


#: Most log lines kept per job (its worker's records while running it); later ones are dropped.
MAX_LOG_LINES = 500
#: Longest log line kept, in characters.
MAX_LOG_CHARS = 2000


def _note_phase(session: Session, job_id: str, phase: str, message: str = "") -> None:
    """A line of the job's history: it entered ``phase`` (with why, when there is a why)."""
    session.add(JobEvent(job_id=job_id, at=utcnow(), kind="phase", phase=phase, message=message))


#: Phases a job may be cancelled from without a worker's help.
_IDLE = (Phase.PENDING.value, Phase.QUEUED.value, Phase.HELD.value, Phase.SUSPENDED.value)


def default_database_url() -> str:
    """A SQLite file in the user's Jupyter data folder: one user, any number of local workers."""
    from jupyter_core.paths import jupyter_data_dir

    return f"sqlite:///{Path(jupyter_data_dir()) / 'remotem' / 'jobs.sqlite'}"


def normalise_url(url: str) -> URL:
    """A SQLAlchemy URL; plain ``postgresql://`` means the psycopg 3 driver we depend on."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    database = url.database if url.database and url.database != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so writers can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        _use_write_ahead_log(cursor, database)
        # With WAL this stays consistent after a crash; a power cut may lose the last checkpoints,
        # which are then recomputed.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("remotem_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _use_write_ahead_log(cursor: Any, database: str | None) -> None:
    """Ask for WAL, which a database keeps once switched.  SQLite answers "database is locked" at
    once, without waiting on its busy handler, when two processes make that switch together (a
    hub's servers starting side by side on a new shared file), so it is asked under a lock file
    beside the database.  Connections are pooled, so this runs seldom."""
    if database is None:
        cursor.execute("PRAGMA journal_mode=WAL")
        return
    with open(f"{database}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


#: Columns added after the first release: databases made before them get them on start-up.
_LATER_COLUMNS = {"remotem_jobs": ("groups", "keep_files", "dismissed")}


def _add_missing_columns(connection: Any) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for columns a database made by an earlier version lacks."""
    existing = inspect(connection)
    for table_name, columns in _LATER_COLUMNS.items():
        present = {column["name"] for column in existing.get_columns(table_name)}
        table = Base.metadata.tables[table_name]
        for name in columns:
            if name not in present:
                kind = table.columns[name].type.compile(dialect=connection.dialect)
                connection.execute(text(f'ALTER TABLE {table_name} ADD COLUMN "{name}" {kind}'))


#: Kinds of results that are not files the job wrote: folders (their files are recorded one by
#: one), an index job's summary of what it indexed, a dataset job's summary of what it hashed.
NOT_FILES = frozenset({"folder", "catalog", "dataset", "cutouts-index"})


class JobStore:
    """Jobs, checkpoints and throughput records in one SQL database (see module docstring)."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = _engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._create_schema()

    @property
    def is_postgresql(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    def _create_schema(self) -> None:
        """Bring the schema to the newest migration (:mod:`..migrations`); several processes may
        start at once, so this is serialised.  A database made before migrations is first brought
        to the baseline as it always was — missing tables created, later columns added, the ledger
        of written files filled from its jobs' results — then stamped with it."""
        from .. import migrations
        from ..catalog import models as _catalog_models  # noqa: F401 - the baseline holds the catalog's tables
        from ..datasets import models as _dataset_models  # noqa: F401 - and migration 0004 the datasets'
        from ..cutouts import models as _cutout_models  # noqa: F401 - and migration 0005 the footprints'
        from ..pipeline import models as _pipeline_models  # noqa: F401 - and 0009 the pipeline targets'
        from ..storage import own_models as _own_storage_models  # noqa: F401 - and 0010 the users' own storages

        with self.engine.connect() as connection:  # the usual case: nothing to do, known without a lock
            if migrations.is_at_head(connection):
                return
        with self.engine.connect().execution_options(remotem_write=True) as connection, connection.begin():
            if self.is_postgresql:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": zlib.crc32(b"remotem_jobs_schema")})
            existing = inspect(connection)
            if existing.has_table(Job.__tablename__) and migrations.current(connection) is None:
                upgrading = not existing.has_table(WrittenFile.__tablename__)
                Base.metadata.create_all(connection, tables=[Base.metadata.tables[name]
                                                             for name in migrations.BASELINE_TABLES])
                _add_missing_columns(connection)
                if upgrading:
                    with Session(connection) as session:
                        ledger.backfill(session)
                        session.flush()
                migrations.stamp(connection)
            migrations.upgrade(connection)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def reading(self) -> Any:
        """A session in a read transaction, for stores that share this database (the catalog)."""
        return self._read()

    def writing(self) -> Any:
        """A session in a write transaction (``BEGIN IMMEDIATE`` on SQLite), likewise."""
        return self._write()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            session.connection(execution_options={"remotem_write": True})
            yield session

    # -- submission and queries ----------------------------------------------------------------
    def create(
        self,
        owner: str,
        kind: str,
        request: dict[str, Any],
        priority: int = 0,
        quote: dict[str, Any] | None = None,
        execution_duration: float | None = None,
        destruction: datetime | None = None,
        phase: Phase = Phase.QUEUED,
        limits: Limits | None = None,
        groups: Iterable[str] = (),
        pools: dict[str, Limits] | None = None,
        started: datetime | None = None,
    ) -> Job:
        """A new job, QUEUED for the workers (or PENDING, to be started with :meth:`run`).

        ``started`` is for work the server did before the record was made (a direct save,
        computed while its request waited): it counts as compute time from then.

        With ``limits``, the job is admitted only if its ``quote`` fits them next to what the
        owner already uses and reserves (else :class:`~.quotas.QuotaExceeded`), checked in the
        same transaction as the insert; likewise each of ``pools``, the shared allocations of
        the owner's ``groups`` (recorded on the job, which counts against them)."""
        if kind not in KINDS:
            raise BadParameter(f"Unknown job kind {kind!r}.", hint=f"One of {', '.join(sorted(KINDS))}.")
        if phase not in (Phase.QUEUED, Phase.PENDING, Phase.HELD):
            raise BadParameter(f"A new job cannot start in phase {phase.value}.")
        job = Job(
            id=str(uuid.uuid4()),
            owner=owner,
            kind=kind,
            request=request,
            priority=int(priority),
            quote=quote,
            execution_duration=execution_duration,
            destruction=destruction,
            phase=Phase(phase).value,
            created=utcnow(),
            results=[],
            attempts=0,
            groups=sorted(set(groups)) or None,
            started=started,
            notify=notify_request.requested(),  # "notify" of the request making it (notify/request.py)
        )
        with self._write() as session:
            now = utcnow()
            if limits is not None:
                self._lock(session, f"owner:{owner}")
                require_fit(limits, self._usage(session, Job.owner == owner, WrittenFile.owner == owner,
                                                limits.period_days, now), quote or {})
            for group, pool in sorted((pools or {}).items()):
                self._lock(session, f"pool:{group}")
                require_fit(pool, self._pool_usage(session, group, pool.period_days, now), quote or {}, pool=group)
            session.add(job)
            _note_phase(session, job.id, job.phase, "submitted")
        return job

    def _lock(self, session: Session, name: str) -> None:
        """Serialise quota admissions against one owner's or pool's limits until the transaction
        ends. SQLite's ``BEGIN IMMEDIATE`` already serialises every writer; PostgreSQL takes an
        advisory lock (always in the same order: the owner's, then pools by name)."""
        if self.is_postgresql:
            key = zlib.crc32(f"remotem_quota:{name}".encode()) - 2**31  # a signed 32-bit key
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def get(self, job_id: str, owner: str | None) -> Job:
        """The job; ``owner=None`` is for workers and administrators, who see every job."""
        with self._read() as session:
            job = session.get(Job, job_id)
            if job is not None:
                ledger.attach_summaries(session, [job])
        if job is None or (owner is not None and job.owner != owner):
            raise NotFound(f"There is no job '{job_id}'.", hint="GET remotem/api/jobs lists your jobs.")
        return job

    def list(self, owner: str | None, phases: Iterable[Phase | str] | None = None,
             kinds: Iterable[str] | None = None, dismissed: bool | None = None) -> list[Job]:
        """Jobs of ``owner`` (everyone's for None), newest first; ``dismissed=False`` leaves out
        the jobs cleared from the list (:meth:`dismiss`), None keeps every job."""
        query = select(Job).order_by(Job.created.desc(), Job.id)
        if owner is not None:
            query = query.where(Job.owner == owner)
        if phases is not None:
            query = query.where(Job.phase.in_([Phase(p).value for p in phases]))
        if kinds is not None:
            query = query.where(Job.kind.in_(list(kinds)))
        if dismissed is not None:
            cleared = Job.dismissed.is_(True)
            query = query.where(cleared if dismissed else ~cleared | Job.dismissed.is_(None))
        with self._read() as session:
            return ledger.attach_summaries(session, list(session.scalars(query)))

    def count(self, owner: str | None, phases: Iterable[Phase | str]) -> int:
        """How many of ``owner``'s jobs (everyone's for None) are in ``phases``."""
        query = select(func.count()).select_from(Job).where(Job.phase.in_([Phase(p).value for p in phases]))
        if owner is not None:
            query = query.where(Job.owner == owner)
        with self._read() as session:
            return int(session.scalar(query) or 0)

    def executing(self, owner: str | None) -> list[tuple[str, str | None, datetime | None]]:
        """(id, worker id, heartbeat) of ``owner``'s EXECUTING jobs: what recovery looks at."""
        query = select(Job.id, Job.worker_id, Job.heartbeat).where(Job.phase == Phase.EXECUTING.value)
        if owner is not None:
            query = query.where(Job.owner == owner)
        with self._read() as session:
            return [tuple(row) for row in session.execute(query)]

    def results_in(self, owner: str, repository: str) -> dict[str, dict[str, Any]]:
        """Files in ``repository`` that ``owner``'s finished jobs wrote, by path: the tree's badges."""
        query = select(Job.id, Job.kind, Job.request, Job.results).where(
            Job.owner == owner, Job.phase == Phase.COMPLETED.value, Job.kind != "copy")
        badges: dict[str, dict[str, Any]] = {}
        with self._read() as session:
            for job_id, kind, request, results in session.execute(query):
                for result in results or []:
                    if result.get("repository") == repository and result.get("format") != "json":
                        badges[result["path"]] = {"job_id": job_id, "kind": kind,
                                                  "operation": (request or {}).get("operation"),
                                                  "format": result.get("format")}
        return badges

    def usage(self, owner: str, period_days: float, now: datetime | None = None) -> Usage:
        """What ``owner``'s jobs keep on disk (every file they wrote, and files kept after their
        job was deleted), ran for in the last ``period_days``, and are quoted to add while
        unfinished (see :mod:`.quotas`)."""
        with self._read() as session:
            return self._usage(session, Job.owner == owner, WrittenFile.owner == owner, period_days, now or utcnow())

    def pool_usage(self, group: str, period_days: float, now: datetime | None = None) -> Usage:
        """The same as :meth:`usage`, summed over every job submitted by a member of ``group``."""
        with self._read() as session:
            return self._pool_usage(session, group, period_days, now or utcnow())

    def _pool_usage(self, session: Session, group: str, period_days: float, now: datetime) -> Usage:
        # The JSON text narrows the rows in SQL; membership is then checked exactly.
        pattern = f"%{json.dumps(group)}%"
        return self._usage(session, cast(Job.groups, String).like(pattern),
                           cast(WrittenFile.groups, String).like(pattern), period_days, now,
                           lambda groups: group in (groups or []))

    @staticmethod
    def _usage(session: Session, jobs_where: Any, files_where: Any, period_days: float, now: datetime,
               member: Any = None) -> Usage:
        """Storage is what the ledger of written files holds, whatever the job's phase (a copy
        cancelled with ``keep_files`` keeps the files it finished); an unfinished job reserves what its quote says it will
        write beyond what it has written so far."""
        since = now - timedelta(days=period_days)
        unfinished = {Phase.PENDING.value, Phase.QUEUED.value, Phase.EXECUTING.value, Phase.HELD.value,
                      Phase.SUSPENDED.value}
        storage, results, kept_bytes, kept_files, per_job = ledger.stored_bytes(session, files_where, member)
        compute = reserved_s = spent = reserved_cost = 0.0
        reserved_bytes = 0
        query = select(Job.id, Job.phase, Job.quote, Job.started, Job.ended, Job.groups).where(jobs_where)
        for job_id, phase, quote, started, ended, groups in session.execute(query):
            if member is not None and not member(groups):
                continue
            ran = 0.0
            if started is not None and (ended or now) >= since:
                ran = max(((ended or now) - max(started, since)).total_seconds(), 0.0)
            compute += ran
            if phase in unfinished:
                quoted = int((quote or {}).get("bytes_written") or 0)
                reserved_bytes += max(quoted - per_job.get(job_id, 0), 0)
                reserved_s += max(float((quote or {}).get("seconds") or 0) - ran, 0.0)
            # Compute is spent as a job runs; what it reads and keeps when it completes, in that period.
            completed = phase in (Phase.COMPLETED.value, Phase.ARCHIVED.value) and ended is not None and ended >= since
            job_spent, job_reserved = costs.spent_by(quote, ran, completed)
            spent += job_spent
            reserved_cost += job_reserved if phase in unfinished else 0.0
        return Usage(storage, results, compute, reserved_bytes, reserved_s, kept_bytes, kept_files, spent,
                     reserved_cost)

    def expired(self, now: datetime | None = None) -> list[Job]:
        """Jobs past their destruction time, whose results retention should now remove."""
        with self._read() as session:
            finished = [p.value for p in FINISHED if p is not Phase.ARCHIVED]
            return list(session.scalars(
                select(Job).where(Job.destruction <= (now or utcnow()), Job.phase.in_(finished))
            ))

    # -- workers -------------------------------------------------------------------------------
    def has_queued(self) -> bool:
        """Whether any job waits, by one indexed read: an idle worker asks this before it claims,
        since a claim is a write transaction (on SQLite it takes the database's write lock, which
        every other writer then waits for) and costs several times the CPU of this look."""
        with self.engine.connect() as connection:
            return connection.execute(self._queued_probe).first() is not None

    _queued_probe = select(Job.id).where(Job.phase == Phase.QUEUED.value).limit(1)

    def claim(self, worker_id: str, kinds: Iterable[str] | None = None) -> Job | None:
        """Atomically take the highest-priority, oldest QUEUED job (of ``kinds``, when given), or
        None when there is none."""
        now = utcnow()
        queued = Job.phase == Phase.QUEUED.value
        if kinds is not None:
            queued = queued & Job.kind.in_(list(kinds))
        candidate = (
            select(Job.id)
            .where(queued)
            .order_by(Job.priority.desc(), Job.created, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(Job)
            .where(Job.id == candidate, Job.phase == Phase.QUEUED.value)
            .values(
                phase=Phase.EXECUTING.value,
                worker_id=worker_id,
                heartbeat=now,
                started=func.coalesce(Job.started, now),
                attempts=Job.attempts + 1,
                action=None,
            )
            .returning(Job)
            .execution_options(synchronize_session=False)
        )
        with self._write() as session:
            job = session.scalars(statement).one_or_none()
            if job is not None:
                _note_phase(session, job.id, Phase.EXECUTING.value, f"attempt {job.attempts}, worker {worker_id}")
            return job

    def announce_worker(self, worker_id: str, max_read_rate: float | None) -> None:
        """Note that ``worker_id`` is alive and how fast its jobs may read (quotes follow it)."""
        now = utcnow()
        with self._write() as session:
            row = session.get(WorkerRecord, worker_id)
            if row is None:
                session.add(WorkerRecord(worker_id=worker_id, max_read_rate=max_read_rate, started=now, seen=now))
            else:
                row.max_read_rate, row.seen = max_read_rate, now

    def forget_worker(self, worker_id: str) -> None:
        with self._write() as session:
            session.execute(delete(WorkerRecord).where(WorkerRecord.worker_id == worker_id))

    def workers_alive(self, alive_s: float) -> int:
        """How many workers were heard of in the last ``alive_s`` seconds."""
        since = utcnow() - timedelta(seconds=alive_s)
        with self._read() as session:
            return int(session.scalar(select(func.count()).select_from(WorkerRecord).where(
                WorkerRecord.seen >= since)) or 0)

    def workers_read_cap(self, alive_s: float) -> float | None:
        """The fastest rate at which a worker heard of in the last ``alive_s`` may read: None when
        none is alive or one of them reads without a limit."""
        since = utcnow() - timedelta(seconds=alive_s)
        with self._read() as session:
            caps = list(session.scalars(select(WorkerRecord.max_read_rate).where(WorkerRecord.seen >= since)))
        if not caps or any(cap is None for cap in caps):
            return None
        return max(caps)

    def heartbeat(self, worker_id: str) -> int:
        """Mark the worker alive for every job it runs; the number of such jobs."""
        with self._write() as session:
            result = session.execute(
                update(Job)
                .where(Job.worker_id == worker_id, Job.phase == Phase.EXECUTING.value)
                .values(heartbeat=utcnow())
                .execution_options(synchronize_session=False)
            )
            return result.rowcount

    def requeue_stale(self, timeout_s: float, owner: str | None = None) -> list[str]:
        """Give back jobs whose worker has not been heard of for ``timeout_s``; checkpoints stay.

        A pending cancel or pause is honoured here, since the worker that should have acted on
        it is gone (the caller cleans up after a job this ends ABORTED: :mod:`.cancel`).
        ``owner`` limits this to one owner's jobs (a Jupyter server rescues only its owner's).
        """
        cutoff = utcnow() - timedelta(seconds=timeout_s)
        return self._requeue([Job.heartbeat < cutoff], owner)

    def requeue_of_worker(self, worker_prefix: str, owner: str | None = None) -> list[str]:
        """Give back the jobs of a worker known to be dead (its lock is free), whatever their
        heartbeat says; ``worker_prefix`` is the start of its id (``host:pid:``)."""
        return self._requeue([Job.worker_id.startswith(worker_prefix, autoescape=True)], owner)

    def _requeue(self, conditions: list[Any], owner: str | None) -> list[str]:
        now = utcnow()
        where = [Job.phase == Phase.EXECUTING.value, *conditions]
        if owner is not None:
            where.append(Job.owner == owner)
        statement = (
            update(Job)
            .where(*where)
            .values(
                phase=case(
                    (Job.action == Action.CANCEL.value, Phase.ABORTED.value),
                    (Job.action == Action.PAUSE.value, Phase.SUSPENDED.value),
                    else_=Phase.QUEUED.value,
                ),
                ended=case((Job.action == Action.CANCEL.value, now), else_=Job.ended),
                worker_id=None,
                heartbeat=None,
                action=None,
            )
            .returning(Job.id, Job.phase)
            .execution_options(synchronize_session=False)
        )
        with self._write() as session:
            rows = session.execute(statement).all()
            for job_id, phase in rows:
                _note_phase(session, job_id, phase, "its worker stopped answering")
            aborted = [job_id for job_id, phase in rows if phase == Phase.ABORTED.value]
            if aborted:
                self._drop_checkpoint_data(session, aborted)
            return [job_id for job_id, _ in rows]

    def update_progress(self, job_id: str, worker_id: str, progress: dict[str, Any] | None) -> Action | None:
        """Store progress (and a heartbeat); answers the action the owner asked for, if any.

        Raises :class:`JobLost` when the job is no longer this worker's to run.
        """
        values: dict[str, Any] = {"heartbeat": utcnow()}
        if progress is not None:
            values["progress"] = progress
        statement = (
            update(Job)
            .where(Job.id == job_id, Job.worker_id == worker_id, Job.phase == Phase.EXECUTING.value)
            .values(**values)
            .returning(Job.action)
            .execution_options(synchronize_session=False)
        )
        with self._write() as session:
            row = session.execute(statement).one_or_none()
        if row is None:
            raise JobLost(f"Job '{job_id}' is no longer run by worker '{worker_id}'.")
        return Action(row[0]) if row[0] else None

    def set_held_progress(self, job_id: str, progress: dict[str, Any]) -> bool:
        """Progress of a HELD job that no worker runs (an upload, whose bytes its client sends)."""
        with self._write() as session:
            result = session.execute(
                update(Job).where(Job.id == job_id, Job.phase == Phase.HELD.value).values(progress=progress)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def release(self, job_id: str, worker_id: str, phase: Phase = Phase.QUEUED) -> bool:
        """A worker hands a job back unfinished: QUEUED (shutting down) or SUSPENDED (paused)."""
        if phase not in (Phase.QUEUED, Phase.SUSPENDED):
            raise ValueError(f"A job is released to QUEUED or SUSPENDED, not {phase}.")
        with self._write() as session:
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.phase == Phase.EXECUTING.value)
                .values(phase=phase.value, worker_id=None, heartbeat=None, action=None)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                _note_phase(session, job_id, phase.value, "paused" if phase is Phase.SUSPENDED else "worker stopped")
            return result.rowcount == 1

    def finish(
        self,
        job_id: str,
        phase: Phase,
        results: list[dict[str, Any]] | None = None,
        error: dict[str, Any] | None = None,
        worker_id: str | None = None,
        progress: dict[str, Any] | None = None,
    ) -> bool:
        """End a job as COMPLETED, ERROR or ABORTED; False when ``worker_id`` no longer holds it.

        The checkpoints' partial results are dropped, their records kept as the job's history.
        """
        if phase not in (Phase.COMPLETED, Phase.ERROR, Phase.ABORTED):
            raise ValueError(f"A job finishes as COMPLETED, ERROR or ABORTED, not {phase}.")
        conditions = [Job.id == job_id]
        if worker_id is not None:
            conditions += [Job.worker_id == worker_id, Job.phase == Phase.EXECUTING.value]
        else:
            conditions.append(Job.phase.not_in([p.value for p in FINISHED]))
        values: dict[str, Any] = {"phase": phase.value, "ended": utcnow(), "heartbeat": None, "action": None}
        if results is not None:
            values["results"] = results
        if error is not None:
            values["error"] = error
        if progress is not None:
            values["progress"] = progress
        with self._write() as session:
            result = session.execute(
                update(Job).where(*conditions).values(**values).execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return False
            _note_phase(session, job_id, phase.value, (error or {}).get("message") or "")
            self._drop_checkpoint_data(session, [job_id])
            if phase is Phase.COMPLETED:
                # Runners record each file as they put it in place; this covers any result they
                # did not (a copy's summary entry, a Zarr export: folders whose files are recorded).
                ledger.record(session, job_id, [dict(r, kind="file") for r in results or []
                                                if r.get("format") != "copy" and r.get("kind") not in NOT_FILES],
                              take_over=False)
            return True

    # -- owners' requests ----------------------------------------------------------------------
    def run(self, job_id: str, owner: str) -> Job:
        """UWS ``PHASE=RUN``: a PENDING or HELD job joins the queue."""
        if self.get(job_id, owner).paused_by:
            raise Conflict(f"Job '{job_id}' was paused by an administrator, who alone may resume it.")
        return self._transition(job_id, owner, [Phase.PENDING, Phase.HELD], phase=Phase.QUEUED.value)

    def request_action(self, job_id: str, owner: str, action: str, keep_files: bool = False) -> Job:
        """``cancel``, ``pause`` or ``resume`` on the owner's behalf.

        A job no worker holds changes phase at once; a running job gets the request flagged,
        and its worker acts on it between two partitions.  A cancel with ``keep_files`` asks
        that what the job wrote stays (see :mod:`.cancel`).
        """
        if action == "resume" and self.get(job_id, owner).paused_by:
            raise Conflict(f"Job '{job_id}' was paused by an administrator, who alone may resume it.",
                           hint="Ask your administrator; the job's record says who paused it and when.")
        self.get(job_id, owner)
        if action == "cancel":
            keep = bool(keep_files)
            return self._first_transition(job_id, owner, [
                (_IDLE, {"phase": Phase.ABORTED.value, "ended": utcnow(), "keep_files": keep}),
                ((Phase.EXECUTING.value,), {"action": Action.CANCEL.value, "keep_files": keep}),
            ], action)
        if action == "pause":
            return self._first_transition(job_id, owner, [
                ((Phase.PENDING.value, Phase.QUEUED.value, Phase.HELD.value), {"phase": Phase.SUSPENDED.value}),
                ((Phase.EXECUTING.value,), {"action": Action.PAUSE.value}),
                ((Phase.SUSPENDED.value,), {}),
            ], action)
        if action == "resume":
            return self._first_transition(job_id, owner, [
                ((Phase.SUSPENDED.value,), {"phase": Phase.QUEUED.value, "action": None}),
                ((Phase.EXECUTING.value,), {"action": None}),
                ((Phase.QUEUED.value,), {}),
            ], action)
        raise BadParameter(f"Unknown job action {action!r}.", hint="One of cancel, pause, resume.")

    def _first_transition(
        self, job_id: str, owner: str, rules: list[tuple[Iterable[str], dict[str, Any]]], action: str
    ) -> Job:
        with self._write() as session:
            for phases, values in rules:
                condition = [Job.id == job_id, Job.owner == owner, Job.phase.in_(list(phases))]
                if values:
                    matched = session.execute(
                        update(Job).where(*condition).values(**values).execution_options(synchronize_session=False)
                    ).rowcount
                else:
                    matched = session.scalar(select(func.count()).select_from(Job).where(*condition))
                if matched:
                    if values.get("phase"):
                        _note_phase(session, job_id, values["phase"], f"{action} asked by the owner")
                    if values.get("phase") == Phase.ABORTED.value:
                        self._drop_checkpoint_data(session, [job_id])
                    break
            else:
                phase = session.scalar(select(Job.phase).where(Job.id == job_id))
                raise Conflict(f"A job in phase {phase} cannot be asked to {action}.")
        return self.get(job_id, owner)

    def _transition(self, job_id: str, owner: str, sources: list[Phase], **values: Any) -> Job:
        with self._write() as session:
            matched = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.owner == owner, Job.phase.in_([p.value for p in sources]))
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if matched and values.get("phase"):
                _note_phase(session, job_id, values["phase"])
        job = self.get(job_id, owner)
        if not matched:
            raise Conflict(f"A job in phase {job.phase} cannot change to {values.get('phase')}.")
        return job

    def deletable(self, job_id: str, owner: str) -> Job:
        """The job, if it may be deleted now: it is finished (else :class:`Conflict`)."""
        job = self.get(job_id, owner)
        if Phase(job.phase) not in FINISHED:
            raise Conflict(
                f"Job '{job_id}' is {job.phase}; only finished jobs can be deleted.",
                hint="Cancel it first.",
            )
        return job

    def delete(self, job_id: str, owner: str, keep_files: bool = False) -> Job:
        """Forget a finished job and its checkpoints.  The caller removes the files it wrote first
        (:func:`.retention.remove_written`), whose rows are then gone; with ``keep_files`` the
        rows stay, without a job, and keep counting against the owner's quota."""
        job = self.deletable(job_id, owner)
        with self._write() as session:
            session.execute(delete(Checkpoint).where(Checkpoint.job_id == job_id))
            session.execute(delete(JobEvent).where(JobEvent.job_id == job_id))
            deleted = session.execute(
                delete(Job).where(Job.id == job_id, Job.phase.in_([p.value for p in FINISHED]))
                .execution_options(synchronize_session=False)
            ).rowcount
            if deleted:
                ledger.release(session, job_id, keep=keep_files)
        return job

    def dismiss(self, owner: str, phases: Iterable[Phase | str] | None = None,
                kinds: Iterable[str] | None = None) -> list[str]:
        """Clear ``owner``'s finished jobs (of ``phases`` and ``kinds``, default all) from their
        list: nothing is deleted, neither the jobs nor their files (a completed upload's file,
        a reduction's result), and nothing they count against the quotas changes."""
        finished = [p.value for p in FINISHED]
        wanted = [Phase(p).value for p in phases] if phases is not None else finished
        not_finished = sorted(set(wanted) - set(finished))
        if not_finished:
            raise BadParameter(f"Only finished jobs can be cleared, not {not_finished[0]} ones.",
                               hint=f"Finished phases: {', '.join(sorted(finished))}.")
        where = [Job.owner == owner, Job.phase.in_(wanted), Job.dismissed.is_(None) | ~Job.dismissed.is_(True)]
        if kinds is not None:
            where.append(Job.kind.in_(list(kinds)))
        with self._write() as session:
            ids = list(session.scalars(select(Job.id).where(*where)))
            if ids:
                session.execute(update(Job).where(Job.id.in_(ids), Job.phase.in_(finished)).values(dismissed=True)
                                .execution_options(synchronize_session=False))
        return ids

    # -- history and log ------------------------------------------------------------------------
    def append_log(self, job_id: str, lines: Iterable[tuple[datetime, str, str]]) -> int:
        """Keep (time, level, message) log lines of the job, up to :data:`MAX_LOG_LINES` in all;
        answers how many were kept."""
        lines = list(lines)
        if not lines:
            return 0
        with self._write() as session:
            present = int(session.scalar(select(func.count()).select_from(JobEvent).where(
                JobEvent.job_id == job_id, JobEvent.kind == "log")) or 0)
            kept = lines[:max(MAX_LOG_LINES - present, 0)]
            session.add_all(JobEvent(job_id=job_id, at=at, kind="log", level=level, message=message[:MAX_LOG_CHARS])
                            for at, level, message in kept)
        return len(kept)

    def history(self, job_id: str, owner: str | None) -> dict[str, Any]:
        """The job's phases with their times, and its log lines, oldest first (404 for a job
        of someone else)."""
        self.get(job_id, owner)
        with self._read() as session:
            events = list(session.scalars(select(JobEvent).where(JobEvent.job_id == job_id)
                                          .order_by(JobEvent.at, JobEvent.id)))
            actions = list(session.scalars(select(AdminAction).where(AdminAction.job_id == job_id)
                                           .order_by(AdminAction.at, AdminAction.id)))
        log = [event.to_json() for event in events if event.kind == "log"]
        return {"history": [event.to_json() for event in events if event.kind == "phase"], "log": log,
                "log_truncated": len(log) >= MAX_LOG_LINES,
                "admin_actions": [action.to_json() for action in actions]}  # what administrators did (admin/)

    def archive(self, job_id: str, owner: str) -> Job:
        """Mark a finished job ARCHIVED once its results were removed by the retention collector."""
        finished = [p for p in FINISHED if p is not Phase.ARCHIVED]
        job = self._transition(job_id, owner, finished, phase=Phase.ARCHIVED.value, results=[])
        with self._write() as session:
            ledger.release(session, job_id, keep=False)
        return job

    # -- what jobs wrote (see :mod:`.ledger`) ---------------------------------------------------
    def record_written(self, job_id: str, files: Iterable[dict[str, Any]]) -> bool:
        """Record files and folders the job just put in place; False when the job is gone."""
        files = list(files)
        if not files:
            return True
        with self._write() as session:
            return ledger.record(session, job_id, files)

    def adopt_written(self, job_id: str, repository: str, paths: Iterable[str]) -> int:
        """Take over files the owner's earlier jobs wrote at ``paths`` (a resubmitted copy)."""
        paths = list(paths)
        if not paths:
            return 0
        with self._write() as session:
            return ledger.adopt(session, job_id, repository, paths)

    def written(self, job_id: str) -> list[WrittenFile]:
        """The files and folders the job wrote and still owns, by repository and path."""
        with self._read() as session:
            return ledger.rows_of(session, job_id)

    def hand_over_folder(self, row_id: str, job_id: str) -> bool:
        """Give a folder the job made, not empty yet, to another job that wrote inside it."""
        with self._write() as session:
            return ledger.hand_over_folder(session, row_id, job_id)

    def forget_written(self, row_ids: Iterable[str]) -> None:
        """Drop rows of files that were removed, or are no longer what the job wrote."""
        with self._write() as session:
            ledger.forget(session, row_ids)

    def forget_targets(self, job_id: str) -> int:
        """Drop the rows of the pipeline targets ``job_id`` committed (they were removed)."""
        with self._write() as session:
            return ledger.forget_targets(session, job_id)

    def forget_written_under(self, repository: str, path: str) -> int:
        """A file or folder was deleted from the tree: its rows (and those below it) go."""
        with self._write() as session:
            return ledger.forget_under(session, repository, path)

    def move_written(self, repository: str, old: str, new: str) -> int:
        """A file or folder was renamed in the tree: its rows (and those below it) follow it."""
        with self._write() as session:
            return ledger.move(session, repository, old, new)

    def written_to_verify(self, owner: str, limit: int, recheck_after_s: float) -> list[WrittenFile]:
        """``owner``'s rows of finished or deleted jobs not checked for ``recheck_after_s``,
        least recently checked first."""
        with self._read() as session:
            return ledger.to_verify(session, owner, limit, utcnow() - timedelta(seconds=recheck_after_s))

    def mark_verified(self, row_ids: list[str]) -> None:
        if row_ids:
            with self._write() as session:
                ledger.mark_verified(session, row_ids, utcnow())

    # -- checkpoints ---------------------------------------------------------------------------
    def record_checkpoint(
        self, job_id: str, worker_id: str, partition: int, start: int, stop: int, data: bytes
    ) -> None:
        """Store one finished partition; a later record for the same partition replaces it."""
        with self._write() as session:
            session.execute(
                delete(Checkpoint).where(Checkpoint.job_id == job_id, Checkpoint.partition == partition)
            )
            session.add(Checkpoint(job_id=job_id, partition=partition, start=start, stop=stop,
                                   worker_id=worker_id, created=utcnow(), data=data))

    def checkpoints(self, job_id: str, with_data: bool = False) -> list[Checkpoint]:
        """The job's checkpoints in partition order (``data`` left unloaded unless asked for)."""
        columns = [Checkpoint.job_id, Checkpoint.partition, Checkpoint.start, Checkpoint.stop,
                   Checkpoint.worker_id, Checkpoint.created]
        if with_data:
            columns.append(Checkpoint.data)
        with self._read() as session:
            rows = session.execute(
                select(*columns).where(Checkpoint.job_id == job_id).order_by(Checkpoint.partition)
            ).all()
        return [Checkpoint(**row._asdict()) for row in rows]

    @staticmethod
    def _drop_checkpoint_data(session: Session, job_ids: list[str]) -> None:
        session.execute(
            update(Checkpoint).where(Checkpoint.job_id.in_(job_ids)).values(data=None)
            .execution_options(synchronize_session=False)
        )

    # -- measured throughput -------------------------------------------------------------------
    def record_throughput(
        self, operation: str, repository: str, nbytes: int, seconds: float, quoted_s: float | None
    ) -> None:
        error = (seconds - quoted_s) / quoted_s if quoted_s else None
        with self._write() as session:
            session.add(ThroughputRecord(operation=operation, repository=repository, bytes=int(nbytes),
                                         seconds=float(seconds), estimate_error=error, created=utcnow()))

    def throughput(self, operation: str, repository: str, last: int = 20, min_bytes: int = 0) -> float | None:
        """Bytes per second over the ``last`` runs of ``operation`` on ``repository``, if any;
        runs of fewer than ``min_bytes`` (whose time is mostly fixed costs) left out."""
        with self._read() as session:
            rows = session.execute(
                select(ThroughputRecord.bytes, ThroughputRecord.seconds)
                .where(ThroughputRecord.operation == operation, ThroughputRecord.repository == repository,
                       ThroughputRecord.bytes >= min_bytes)
                .order_by(ThroughputRecord.created.desc())
                .limit(last)
            ).all()
        seconds = sum(s for _, s in rows)
        return sum(b for b, _ in rows) / seconds if rows and seconds > 0 else None
