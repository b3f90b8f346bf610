"""``jobs``: submit, list, steer and follow durable jobs (IVOA UWS phases)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from tornado import web
from tornado.iostream import StreamClosedError

from ..errors import BadParameter, Conflict, Forbidden, NotFound
from ..jobs.cancel import clean_up_cancelled
from ..jobs.copy_request import CopyRequest
from ..jobs.models import KINDS, Phase, utcnow
from ..jobs.output import OutputWriter
from ..jobs.quotes import quote_copy, quote_reduction
from ..jobs.requests import JobRequest
from ..jobs.retention import delete_files_of
from ..storage.transfer import plan_copy
from .base import RemotemHandler

FINAL_PHASES = {Phase.COMPLETED.value, Phase.ERROR.value, Phase.ABORTED.value, Phase.ARCHIVED.value}
ACTIONS = ("cancel", "pause", "resume")
KEEP_FILES = {"1": True, "true": True, "0": False, "false": False, "": False}


class JobsBase(RemotemHandler):
    serves_reach = True  # confined repositories, and records filtered by place (auth/reach.py)

    async def prepare(self) -> None:
        """A job named in the URL must be within a restricted token's reach (404 otherwise)."""
        await super().prepare()
        job_id = self.path_kwargs.get("job_id")
        if self.reach is not None and job_id:
            self.within_reach(await self.run_blocking(self.services.jobs.get, job_id, self.owner))

    def writable(self, name: str) -> Any:
        repo = self.repository(name)
        if not repo.config.writable:
            raise Forbidden(f"Repository '{name}' is read-only.", hint="Choose a writable repository for the output.")
        return repo


def phases_argument(handler: RemotemHandler, finished_word: bool = False) -> list[str] | None:
    """``?phase=`` (repeated; also UWS's ``PHASE``) as phase names, None when not given;
    with ``finished_word``, ``finished`` stands for every final phase."""
    given = handler.get_query_arguments("PHASE") or handler.get_query_arguments("phase")
    valid = {phase.value for phase in Phase}
    phases: list[str] = []
    for phase in given:
        if finished_word and phase.lower() == "finished":
            phases += sorted(FINAL_PHASES)
        elif phase.upper() in valid:
            phases.append(phase.upper())
        else:
            words = ", ".join(sorted(valid) + (["finished"] if finished_word else []))
            raise BadParameter(f"Unknown phase {phase!r}.", hint=f"Phases: {words}.")
    return phases or None


def kinds_argument(handler: RemotemHandler) -> list[str] | None:
    """``?kind=`` (repeated) as job kinds, None when not given."""
    kinds = handler.get_query_arguments("kind")
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise BadParameter(f"Unknown job kind {unknown[0]!r}.", hint=f"Kinds: {', '.join(sorted(KINDS))}.")
    return kinds or None


class JobsHandler(JobsBase):
    required_scopes = {"POST": "jobs"}

    @web.authenticated
    async def get(self) -> None:
        """The caller's jobs, newest first; ``?phase=`` and ``?kind=`` narrow them, and jobs
        cleared from the list (``POST jobs/clear``) are left out unless ``?dismissed=1``."""
        phases, kinds = phases_argument(self), kinds_argument(self)
        shown = self.get_query_argument("dismissed", "0").lower()
        if shown not in KEEP_FILES:
            raise BadParameter("'dismissed' must be 1 (list cleared jobs too) or 0 (the default).")
        dismissed = None if KEEP_FILES[shown] else False
        jobs = await self.run_blocking(self.services.jobs.list, self.owner, phases, kinds, dismissed)
        if self.reach is not None:
            jobs = await self.run_blocking(lambda: [job for job in jobs if self._reachable(job)])
        self.write_json({"jobs": [job.to_listing_json() for job in jobs]})

    def _reachable(self, job: Any) -> bool:
        try:
            self.within_reach(job)
        except NotFound:
            return False
        return True

    @web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        dry_run = self.get_query_argument("dry_run", "0") not in ("0", "", "false")
        writer: OutputWriter | None = None  # a copy's targets are checked file by file as it runs
        if isinstance(body, dict) and body.get("operation") == "copy":
            kind, stored, quote, priority = await self.run_blocking(self._prepare_copy, body)
        else:
            kind, stored, quote, priority, writer = await self.run_blocking(self._prepare_reduction, body)
        target = stored.get("target") if kind == "copy" else stored.get("output")
        await self.refuse_closed(target["repository"], target["path"])  # the output may not enter a closed dataset
        services = self.services
        if dry_run:
            def answer() -> dict[str, Any]:
                verdict: dict[str, Any] = {"quote": quote, "kind": kind,
                                           "quota": services.quota_of(self.current_user, quote)}
                if writer is not None:  # so that a dialog can warn before it submits
                    exists = writer.exists()
                    verdict["target"] = {"exists": exists,
                                         "free_path": writer.free_path() if exists else writer.spec.path}
                return verdict

            self.write_json(await self.run_blocking(answer))
            return
        if writer is not None:  # taken without "overwrite": 409 now, not an ERROR job later
            await self.run_blocking(writer.check)
        user = self.current_user
        job = await self.run_blocking(
            lambda: services.jobs.create(
                self.owner,
                kind,
                stored,
                priority=priority + services.priority_boost(user),
                quote=quote,
                destruction=utcnow() + timedelta(days=services.retention_days),
                # Admitted against the quotas in the same transaction.
                limits=services.limits_of(user),
                groups=services.groups_of(user),
                pools=services.pools_of(user),
            )
        )
        services.supervisor.ensure_running()
        self.set_status(201)
        self.write_json(job.to_json())

    def _prepare_reduction(self, body: Any) -> tuple[str, dict[str, Any], dict[str, Any], int, OutputWriter]:
        request = JobRequest.from_json(body)
        if request.cluster is not None:  # one of the caller's running clusters (404 otherwise)
            self._check_cluster(request.cluster)
        source = self.repository(request.reduction.repository)
        target = self.writable(request.output.repository)
        quote = self.services.priced(quote_reduction(self.services.speeds, source, request), source.name)
        return request.kind, request.to_json(), quote, request.priority, OutputWriter(target, request.output, "check")

    def _check_cluster(self, cluster_id: str) -> None:
        registry = self.services.clusters
        shown = registry.get(self.owner, cluster_id) if registry is not None else None
        if shown is None or shown["state"] != "running":
            raise NotFound(f"There is no running cluster '{cluster_id}' of yours.",
                           hint="GET remotem/api/clusters lists them; start one with POST remotem/api/clusters.")

    def _prepare_copy(self, body: Any) -> tuple[str, dict[str, Any], dict[str, Any], int]:
        request = CopyRequest.from_json(body)
        source = self.repository(request.source.repository)
        target = self.writable(request.target.repository)
        manifest = plan_copy(source, request.source.path, target, request.target.path)
        quote = self.services.priced(
            quote_copy(self.services.speeds, source, target, manifest.total_bytes, len(manifest.items)), source.name)
        return "copy", request.to_json(), quote, request.priority


class JobsClearHandler(JobsBase):
    required_scopes = {"POST": "jobs"}
    serves_reach = False  # it clears every finished job of the owner, wherever it wrote

    @web.authenticated
    async def post(self) -> None:
        """"Clear finished": the caller's finished jobs (``?phase=`` among COMPLETED, ERROR,
        ABORTED, ARCHIVED or ``finished``, the default; ``?kind=`` to narrow) leave the list.
        Nothing is deleted: not the jobs (``GET jobs/{id}`` still answers them, and
        ``GET jobs?dismissed=1`` lists them), not their files (results, uploaded files), not
        what they count against the quotas.  Deleting a job is ``DELETE jobs/{id}``."""
        phases, kinds = phases_argument(self, finished_word=True), kinds_argument(self)
        cleared = await self.run_blocking(self.services.jobs.dismiss, self.owner, phases, kinds)
        self.write_json({"cleared": cleared})


class JobHandler(JobsBase):
    required_scopes = {"DELETE": "jobs"}

    @web.authenticated
    async def get(self, job_id: str) -> None:
        """The job, with its history: each phase it entered and when (``history``), and the lines
        its worker logged while running it (``log``, bounded; ``log_truncated`` when lines were
        dropped)."""
        jobs = self.services.jobs
        job = await self.run_blocking(jobs.get, job_id, self.owner)
        details = await self.run_blocking(jobs.history, job_id, self.owner)
        self.write_json(dict(job.to_json(), **details))

    @web.authenticated
    async def delete(self, job_id: str) -> None:
        """Delete a finished job and every file it wrote; ``?keep_files=1`` keeps the files, which
        then go on counting against the owner's storage quota."""
        keep = keep_files_argument(self)
        jobs, owner = self.services.jobs, self.owner
        job = await self.run_blocking(jobs.deletable, job_id, owner)
        if not keep:
            await self.run_blocking(delete_files_of, jobs, self.registry, job)
        await self.run_blocking(jobs.delete, job_id, owner, keep)
        self.set_status(204)
        self.finish()


def keep_files_argument(handler: RemotemHandler) -> bool:
    """``?keep_files=1``: a delete or cancel leaves the job's files in place (counted)."""
    keep = handler.get_query_argument("keep_files", "0").lower()
    if keep not in KEEP_FILES:
        raise BadParameter("'keep_files' must be 1 (keep the job's files) or 0 (remove them, the default).")
    return KEEP_FILES[keep]


class JobActionHandler(JobsBase):
    required_scopes = {"POST": "jobs"}

    @web.authenticated
    async def post(self, job_id: str, action: str) -> None:
        """Cancel, pause or resume.  A cancel removes what the job wrote unless ``?keep_files=1``
        (see jobs/cancel.py); a job no worker held is cleaned up here, a running one by its worker."""
        if action not in ACTIONS:
            raise BadParameter(f"Unknown action '{action}'.", hint=f"Use one of: {', '.join(ACTIONS)}.")
        keep = keep_files_argument(self) if action == "cancel" else False
        jobs = self.services.jobs
        if action != "cancel" and (await self.run_blocking(jobs.get, job_id, self.owner)).kind == "upload":
            raise Conflict("An upload is paused and resumed by the client sending it, not here.",
                           hint="Stop sending to pause; send the rest (tus: HEAD, then PATCH) to resume.")
        job = await self.run_blocking(jobs.request_action, job_id, self.owner, action, keep)
        if action == "cancel" and job.phase == Phase.ABORTED.value:  # no worker held it to clean up
            await self.run_blocking(clean_up_cancelled, jobs, self.registry, job, None,
                                    Path(self.services.upload_staging_dir))
            job = await self.run_blocking(jobs.get, job_id, self.owner)
        if action == "resume":
            self.services.supervisor.ensure_running()
        self.write_json(job.to_json())


class JobResultsHandler(JobsBase):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        job = await self.run_blocking(self.services.jobs.get, job_id, self.owner)
        self.write_json({"id": job.id, "phase": job.phase, "results": job.results or []})


class JobEventsHandler(JobsBase):
    """Server-sent events: the job whenever it changes, until it reaches a final phase."""

    @web.authenticated
    async def get(self, job_id: str) -> None:
        jobs = self.services.jobs
        job = await self.run_blocking(jobs.get, job_id, self.owner)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        last = None
        quiet = 0.0
        interval = self.services.event_interval_s
        try:
            while True:
                payload = json.dumps(job.to_json())
                if payload != last:
                    self.write(f"event: job\ndata: {payload}\n\n")
                    await self.flush()
                    last, quiet = payload, 0.0
                elif quiet >= 15.0:
                    self.write(": keep-alive\n\n")  # proxies close silent connections
                    await self.flush()
                    quiet = 0.0
                if job.phase in FINAL_PHASES:
                    break
                await asyncio.sleep(interval)
                quiet += interval
                job = await self.run_blocking(jobs.get, job_id, self.owner)
        except StreamClosedError:
            return
        self.finish()
