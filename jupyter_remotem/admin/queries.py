"""What an administrator looks at, read from the job store: every owner's jobs, the queue in the
order workers take it, workers with their heartbeats, jobs ended per hour or day, quota use per
user and group, and quoted against actual seconds of finished jobs.

Every answer is bounded: lists are paginated or capped, time series by their number of buckets,
so one request never reads an unbounded number of rows into memory.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import String, cast, func, select

from ..errors import BadParameter
from ..jobs import ledger
from ..jobs.models import Job, Phase, WorkerRecord, WrittenFile, utcnow
from ..jobs.quotas import Limits, limits_for, pools_for, report

#: Longest page of jobs one request may ask for.
MAX_PAGE = 500
#: Most buckets of a time series (a year of days, two months of hours).
MAX_BUCKETS = 1500
#: Most quoted-vs-actual records in one answer.
MAX_QUOTES = 1000
#: Seconds without a heartbeat after which a worker is shown as silent.
ALIVE_S = 120.0
BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
_ENDED = (Phase.COMPLETED.value, Phase.ERROR.value, Phase.ABORTED.value)


@dataclass(frozen=True)
class JobFilter:
    """The narrowing of ``GET admin/jobs``."""

    users: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    since: datetime | None = None
    offset: int = 0
    limit: int = 100


def parse_since(raw: str | None) -> datetime | None:
    """``?since=`` as an ISO 8601 time (UTC when it names no zone); 400 when it is not one."""
    if raw is None or raw == "":
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(f"'since' must be an ISO 8601 time, not {raw!r}.",
                           hint="For example since=2026-12-01T00:00:00Z.") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def page_bounds(offset: int | None, limit: int | None) -> tuple[int, int]:
    offset = 0 if offset is None else offset
    limit = 100 if limit is None else limit
    if offset < 0:
        raise BadParameter("'offset' must be 0 or more.")
    if not 1 <= limit <= MAX_PAGE:
        raise BadParameter(f"'limit' must be from 1 to {MAX_PAGE}.", hint="Page on with 'offset'.")
    return offset, limit


def _admin_json(job: Job) -> dict[str, Any]:
    """A job as an administrator sees it: what its owner sees, where it runs, and its groups."""
    return dict(job.to_listing_json(), worker_id=job.worker_id,
                heartbeat=job.heartbeat.isoformat() if job.heartbeat else None, groups=list(job.groups or []))


def jobs(store: Any, wanted: JobFilter) -> dict[str, Any]:
    """Every owner's jobs, newest first, narrowed by ``wanted``; one page of them and the total."""
    where = []
    if wanted.users:
        where.append(Job.owner.in_(wanted.users))
    if wanted.phases:
        where.append(Job.phase.in_(wanted.phases))
    if wanted.kinds:
        where.append(Job.kind.in_(wanted.kinds))
    if wanted.since is not None:
        where.append(Job.created >= wanted.since)
    with store.reading() as session:
        total = int(session.scalar(select(func.count()).select_from(Job).where(*where)) or 0)
        page = list(session.scalars(select(Job).where(*where).order_by(Job.created.desc(), Job.id)
                                    .offset(wanted.offset).limit(wanted.limit)))
        ledger.attach_summaries(session, page)
        owners = sorted(session.scalars(select(Job.owner).distinct()))
    return {"jobs": [_admin_json(job) for job in page], "total": total, "offset": wanted.offset,
            "limit": wanted.limit, "users": owners}


def queue(store: Any, limit: int = MAX_PAGE) -> dict[str, Any]:
    """QUEUED jobs in the order a worker takes them (highest priority, then oldest: as
    :meth:`..jobs.store.JobStore.claim` orders them), with their positions; running and held
    (paused, pending) jobs beside them."""
    with store.reading() as session:
        waiting = list(session.scalars(select(Job).where(Job.phase == Phase.QUEUED.value)
                                       .order_by(Job.priority.desc(), Job.created, Job.id).limit(limit)))
        queued_total = int(session.scalar(select(func.count()).select_from(Job)
                                          .where(Job.phase == Phase.QUEUED.value)) or 0)
        running = list(session.scalars(select(Job).where(Job.phase == Phase.EXECUTING.value)
                                       .order_by(Job.started).limit(limit)))
        held = list(session.scalars(select(Job).where(Job.phase.in_(
            [Phase.PENDING.value, Phase.SUSPENDED.value])).order_by(Job.created).limit(limit)))
    return {"queue": [dict(_admin_json(job), position=index + 1) for index, job in enumerate(waiting)],
            "queued": queued_total, "running": [_admin_json(job) for job in running],
            "held": [_admin_json(job) for job in held]}


def workers(store: Any, now: datetime | None = None) -> dict[str, Any]:
    """Every worker the store knows of, with when it was last heard of and what it runs now."""
    now = now or utcnow()
    with store.reading() as session:
        rows = list(session.scalars(select(WorkerRecord).order_by(WorkerRecord.seen.desc()).limit(MAX_PAGE)))
        running = session.execute(select(Job.worker_id, Job.id, Job.heartbeat)
                                  .where(Job.phase == Phase.EXECUTING.value)).all()
    by_worker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for worker_id, job_id, heartbeat in running:
        by_worker[worker_id or ""].append({"id": job_id, "heartbeat": heartbeat.isoformat() if heartbeat else None})
    answer = []
    for row in rows:
        silence = max((now - row.seen).total_seconds(), 0.0)
        answer.append({"worker_id": row.worker_id, "started": row.started.isoformat(), "seen": row.seen.isoformat(),
                       "silence_s": round(silence, 1), "alive": silence <= ALIVE_S,
                       "max_read_rate": row.max_read_rate, "jobs": by_worker.get(row.worker_id, [])})
    return {"workers": answer, "alive_after_s": ALIVE_S}


def _floor(when: datetime, step: timedelta) -> datetime:
    when = when.astimezone(timezone.utc)
    if step >= timedelta(days=1):
        return when.replace(hour=0, minute=0, second=0, microsecond=0)
    return when.replace(minute=0, second=0, microsecond=0)


def throughput(store: Any, bucket: str, since: datetime | None, now: datetime | None = None) -> dict[str, Any]:
    """Jobs ended per ``bucket`` (hour or day) since ``since``: completed, failed, cancelled, and
    the seconds the completed ones ran, by kind too, every bucket present (zeros included)."""
    if bucket not in BUCKETS:
        raise BadParameter(f"'bucket' must be one of {', '.join(BUCKETS)}, not {bucket!r}.")
    step = BUCKETS[bucket]
    now = now or utcnow()
    since = since or now - step * (48 if bucket == "hour" else 30)
    first, last = _floor(since, step), _floor(now, step)
    count = int((last - first) / step) + 1
    if count > MAX_BUCKETS:
        raise BadParameter(f"That is {count:,} {bucket}s; at most {MAX_BUCKETS:,} buckets are answered.",
                           hint="Use a later 'since', or bucket=day.")
    series = [{"start": (first + step * i).isoformat(), "completed": 0, "failed": 0, "aborted": 0, "seconds": 0.0,
               "kinds": Counter()} for i in range(count)]
    with store.reading() as session:
        rows = session.execute(select(Job.ended, Job.started, Job.phase, Job.kind)
                               .where(Job.phase.in_(_ENDED), Job.ended >= first)).all()
    name = {Phase.COMPLETED.value: "completed", Phase.ERROR.value: "failed", Phase.ABORTED.value: "aborted"}
    for ended, started, phase, kind in rows:
        index = int((ended - first) / step)
        if not 0 <= index < count:
            continue
        entry = series[index]
        entry[name[phase]] += 1
        entry["kinds"][f"{kind}:{name[phase]}"] += 1
        if phase == Phase.COMPLETED.value and started is not None:
            entry["seconds"] += max((ended - started).total_seconds(), 0.0)
    for entry in series:
        entry["kinds"] = dict(entry["kinds"])
        entry["seconds"] = round(entry["seconds"], 3)
    return {"bucket": bucket, "since": first.isoformat(), "buckets": series}


def quotas(store: Any, config: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Quota use of every owner the store knows (their limits as configured, for the groups their
    latest job was submitted with) and of every group's shared pool (configured ones, and every
    group jobs were submitted with)."""
    default_period = limits_for(config, "", ()).period_days
    latest = select(Job.owner, func.max(Job.created).label("created")).group_by(Job.owner).subquery()
    with store.reading() as session:
        owners = sorted(set(session.scalars(select(Job.owner).distinct()))
                        | set(session.scalars(select(WrittenFile.owner).distinct())))
        # The groups of each owner's latest job (one row per owner, not one per job).
        latest_groups = {owner: groups or [] for owner, groups in session.execute(
            select(Job.owner, Job.groups).join(latest, (Job.owner == latest.c.owner)
                                               & (Job.created == latest.c.created)))}
        # Every distinct set of groups jobs were submitted with (JSON has no equality on
        # PostgreSQL, so its text is compared).
        seen_groups = {g for text in session.scalars(select(cast(Job.groups, String)).where(
            Job.groups.is_not(None)).distinct()) for g in (json.loads(text) or [])}
    users = []
    for owner in owners[:MAX_PAGE]:
        groups = latest_groups.get(owner, [])
        limits = limits_for(config, owner, groups)
        users.append(dict(report(limits, store.usage(owner, limits.period_days, now)), user=owner,
                          groups=list(groups)))
    configured = pools_for(config, set(config.get("pools", {})) | seen_groups)
    groups_answer = []
    for group in sorted(set(configured) | seen_groups)[:MAX_PAGE]:
        pool = configured.get(group)
        period = pool.period_days if pool is not None else default_period
        usage = store.pool_usage(group, period, now)
        entry = report(pool, usage) if pool is not None else dict(report(Limits(period_days=period), usage), limits=None)
        groups_answer.append(dict(entry, group=group, pool=pool is not None))
    return {"users": users, "groups": groups_answer}


def quotes(store: Any, limit: int = 200, kinds: tuple[str, ...] = ()) -> dict[str, Any]:
    """The history behind estimates: finished jobs' quoted seconds against the seconds they ran,
    newest first, with the relative error of each ((actual - quoted) / quoted) and, per kind,
    the mean and median absolute error."""
    if not 1 <= limit <= MAX_QUOTES:
        raise BadParameter(f"'limit' must be from 1 to {MAX_QUOTES}.")
    where = [Job.phase == Phase.COMPLETED.value, Job.started.is_not(None), Job.ended.is_not(None),
             Job.quote.is_not(None), cast(Job.quote, String).like('%"seconds"%')]
    if kinds:
        where.append(Job.kind.in_(kinds))
    with store.reading() as session:
        rows = session.execute(select(Job.id, Job.owner, Job.kind, Job.request, Job.quote, Job.started, Job.ended)
                               .where(*where).order_by(Job.ended.desc()).limit(limit)).all()
    records, errors = [], defaultdict(list)
    for job_id, owner, kind, request, quote, started, ended in rows:
        quoted = (quote or {}).get("seconds")
        if not isinstance(quoted, (int, float)) or isinstance(quoted, bool):
            continue
        actual = max((ended - started).total_seconds(), 0.0)
        error = (actual - quoted) / quoted if quoted > 0 else None
        records.append({"id": job_id, "owner": owner, "kind": kind,
                        "operation": (request or {}).get("operation"), "quoted_s": float(quoted),
                        "actual_s": round(actual, 3), "error": None if error is None else round(error, 4),
                        "ended": ended.isoformat()})
        if error is not None:
            errors[kind].append(abs(error))
    summary = {}
    for kind, values in sorted(errors.items()):
        ordered = sorted(values)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        summary[kind] = {"jobs": len(values), "mean_abs_error": round(sum(values) / len(values), 4),
                         "median_abs_error": round(median, 4)}
    return {"records": records, "by_kind": summary}
