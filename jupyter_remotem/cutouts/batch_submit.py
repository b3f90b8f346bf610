"""Submitting a batch of cutouts: the one path behind ``POST cutouts/jobs`` and UWS ``cutouts/async``.

Checks every row (:func:`.batch.check`), the output folder (writable, inside its repository,
not in a closed dataset), quotes the batch from the measured history with its place in the
queue, checks the quotas (refused with the quote when it does not fit) and makes the job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..errors import BudgetExceeded, Forbidden
from ..jobs.models import Phase, utcnow
from ..jobs.quotas import QuotaExceeded
from . import batch, history, positions


def home_repository(services: Any, user: Any) -> str | None:
    """The user's home repository (the one with ``home: true``) if they may write to it."""
    for repository in services.access.visible(user, services.registry.all()):
        if repository.config.home and repository.config.writable:
            return repository.name
    return None


def queue_position(services: Any) -> int:
    """Jobs ahead of a new one: those queued or running now."""
    return services.jobs.count(None, [Phase.QUEUED, Phase.EXECUTING])


def prepare(services: Any, user: Any, body: Any, repository: Callable[[str], Any]) -> tuple[batch.Checked, Any]:
    """The checked batch and its output repository; ``repository(name)`` gives a repository
    the caller may read (404 otherwise)."""
    limit = int(getattr(services, "cutout_batch_max", batch.DEFAULT_MAX_POSITIONS))

    def read_table(spec: dict[str, str], most: int) -> list[dict[str, str]]:
        return positions.read_table(repository(spec["repository"]), spec["path"], most)

    rows, table = batch.rows_from_body(body, read_table, limit)
    output = batch.output_of(body.get("output"), home_repository(services, user), batch.defaults_of(
        body.get("defaults")), rows)
    target = repository(output["repository"])
    if not target.config.writable:
        raise Forbidden(f"Repository '{output['repository']}' is read-only.",
                        hint="Choose a writable repository for the cutouts (your home repository by default).")
    target.ensure_inside(output["path"])
    checked = batch.check(services.cutouts, user, body, rows, output, table=table)
    return checked, target


def quote_of(services: Any, checked: batch.Checked) -> dict[str, Any]:
    return services.priced(history.quote(services.jobs, checked.surveys, checked.bytes_by_survey, checked.counts,
                                         queue_position(services)), None)


def create(services: Any, user: Any, checked: batch.Checked, quote: dict[str, Any], phase: Phase = Phase.QUEUED,
           execution_duration: float | None = None) -> Any:
    """The job, admitted against the quotas; an over-quota batch is refused with its quote."""
    verdict = services.quota_of(user, quote)
    if not verdict.get("fits", True):
        error = BudgetExceeded if verdict.get("code") == BudgetExceeded.code else QuotaExceeded
        raise error(verdict["reason"], quote=quote, quota={k: verdict[k] for k in ("limits", "usage", "remaining")})
    try:
        job = services.jobs.create(
            services.owner_of(user), "cutouts", checked.request, priority=services.priority_boost(user),
            quote=quote, execution_duration=execution_duration, phase=phase,
            destruction=utcnow() + timedelta(days=services.retention_days), limits=services.limits_of(user),
            groups=services.groups_of(user), pools=services.pools_of(user))
    except (QuotaExceeded, BudgetExceeded) as refused:
        raise type(refused)(refused.message, quote=quote, **refused.details) from None
    if phase == Phase.QUEUED:
        services.supervisor.ensure_running()
    return job


def renew(services: Any, job: Any, until: Any = None) -> Any:
    """Keep a batch's files longer: its destruction moves to ``until`` (a datetime), at most the
    retention period from now (the default); never into the past."""
    from sqlalchemy import update

    from ..jobs.models import Job

    now = utcnow()
    latest = now + timedelta(days=services.retention_days)
    when = latest if until is None else min(max(until, now), latest)
    with services.jobs.writing() as session:
        session.execute(update(Job).where(Job.id == job.id, Job.owner == job.owner).values(destruction=when)
                        .execution_options(synchronize_session=False))
    return services.jobs.get(job.id, job.owner)
