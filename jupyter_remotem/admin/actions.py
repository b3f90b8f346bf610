"""What an administrator may do to anyone's job: cancel, pause, resume, re-prioritise, requeue.

Each action is one conditional ``UPDATE`` (the job must still be in a phase the action applies
to, so racing a worker or the owner cannot leave it half-changed) in the same transaction as
its record in ``remotem_admin_actions`` (who, when, what), which the job's owner reads in the
job's record.  A pause by an administrator holds the job out of the queue (SUSPENDED, with
``paused_by``) until an administrator resumes it; the owner cannot resume it meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, update

from ..errors import BadParameter, Conflict
from ..jobs.cancel import clean_up_cancelled
from ..jobs.models import Action, AdminAction, Checkpoint, Job, JobEvent, Phase, utcnow
from ..jobs.requests import check_priority

ACTIONS = ("cancel", "pause", "resume", "priority", "requeue")
_WAITING = (Phase.PENDING.value, Phase.QUEUED.value, Phase.HELD.value, Phase.SUSPENDED.value)
_UNFINISHED = (*_WAITING, Phase.EXECUTING.value)


def _change(store: Any, job: Job, admin: str, action: str, detail: str,
            rules: list[tuple[tuple[str, ...], dict[str, Any]]]) -> Job:
    """Apply the first rule whose phases the job is in, and record the action; 409 when none
    applies (the job is in a phase the action does not apply to, or changed meanwhile)."""
    with store.writing() as session:
        for phases, values in rules:
            matched = session.execute(update(Job).where(Job.id == job.id, Job.phase.in_(phases)).values(**values)
                                      .execution_options(synchronize_session=False)).rowcount
            if matched:
                if values.get("phase"):
                    session.add(JobEvent(job_id=job.id, at=utcnow(), kind="phase", phase=values["phase"],
                                         message=f"{action} by administrator {admin}"))
                session.add(AdminAction(job_id=job.id, at=utcnow(), admin=admin, action=action, detail=detail))
                break
        else:
            raise Conflict(f"A job in phase {job.phase} cannot be asked to {action}.",
                           hint="GET remotem/api/admin/jobs shows each job's phase now.")
    return store.get(job.id, None)


def cancel(store: Any, registry: Any, staging_dir: str, job_id: str, admin: str) -> Job:
    """End the job: at once when no worker runs it (what it wrote is removed, as for its owner's
    cancel), else its worker stops it between two partitions."""
    job = store.get(job_id, None)
    changed = _change(store, job, admin, "cancel", f"cancelled in phase {job.phase}", [
        (_WAITING, {"phase": Phase.ABORTED.value, "ended": utcnow(), "paused_by": None}),
        ((Phase.EXECUTING.value,), {"action": Action.CANCEL.value}),
    ])
    if changed.phase == Phase.ABORTED.value:
        clean_up_cancelled(store, registry, changed, None, Path(staging_dir) if staging_dir else None)
        changed = store.get(job_id, None)
    return changed


def pause(store: Any, job_id: str, admin: str) -> Job:
    """Hold the job out of the queue; a running one is paused by its worker between partitions."""
    job = store.get(job_id, None)
    if job.kind == "upload":
        raise Conflict("An upload is sent by its client; it cannot be held in the queue.")
    return _change(store, job, admin, "pause", f"paused in phase {job.phase}", [
        ((Phase.PENDING.value, Phase.QUEUED.value, Phase.SUSPENDED.value),
         {"phase": Phase.SUSPENDED.value, "paused_by": admin}),
        ((Phase.EXECUTING.value,), {"action": Action.PAUSE.value, "paused_by": admin}),
    ])


def resume(store: Any, job_id: str, admin: str) -> Job:
    """Release a paused job (by an administrator or its owner) back into the queue."""
    job = store.get(job_id, None)
    return _change(store, job, admin, "resume", "released to the queue", [
        ((Phase.SUSPENDED.value,), {"phase": Phase.QUEUED.value, "paused_by": None, "action": None}),
        ((Phase.EXECUTING.value,), {"action": None, "paused_by": None}),
    ])


def reprioritise(store: Any, job_id: str, admin: str, body: Any) -> Job:
    """Give an unfinished job a new priority (higher runs first)."""
    if not isinstance(body, dict) or "priority" not in body or set(body) - {"priority"}:
        raise BadParameter("The body must be {\"priority\": <integer>}.", hint='For example {"priority": 10}.')
    priority = check_priority(body["priority"])
    job = store.get(job_id, None)
    return _change(store, job, admin, "priority", f"priority {job.priority} -> {priority}", [
        (_UNFINISHED, {"priority": priority}),
    ])


def requeue(store: Any, job_id: str, admin: str) -> Job:
    """Run a failed job again from the start: its error, times and partial results go."""
    job = store.get(job_id, None)
    if job.phase != Phase.ERROR.value:
        raise Conflict(f"Only a failed (ERROR) job can be requeued; this one is {job.phase}.",
                       hint="A cancelled job is submitted again by its owner.")
    with store.writing() as session:
        session.execute(delete(Checkpoint).where(Checkpoint.job_id == job_id))
    return _change(store, job, admin, "requeue", f"requeued after: {(job.error or {}).get('message', '')[:200]}", [
        ((Phase.ERROR.value,), {"phase": Phase.QUEUED.value, "error": None, "ended": None, "started": None,
                                "progress": None, "results": [], "worker_id": None, "heartbeat": None,
                                "action": None, "notified": None, "notify_attempts": None}),
    ])
