"""UWS 1.1 at ``cutouts/async`` over the batch jobs (see :mod:`..cutouts.uws`).

``POST async`` creates (303 to the job), ``GET async/{id}`` answers the job document (``WAIT=``
blocks until the phase changes, at most a minute), ``POST async/{id}/phase`` with ``PHASE=RUN``
or ``PHASE=ABORT``, ``DELETE async/{id}`` or ``POST async/{id}`` with ``ACTION=DELETE`` remove
it; ``phase``, ``quote``, ``destruction``, ``executionduration``, ``error``, ``parameters``,
``results`` and ``owner`` answer their parts.  Refusals are the product's JSON errors.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from tornado import web

from ..cutouts import batch_submit, manifest, uws
from ..errors import BadParameter, Conflict, NotFound, TooLarge
from ..jobs.cancel import clean_up_cancelled
from ..jobs.models import FINISHED, Phase
from ..jobs.retention import delete_files_of
from ..notify import request as notify_request
from .cutout_jobs import CutoutJobsBase

ACTIVE = {Phase.PENDING.value, Phase.QUEUED.value, Phase.EXECUTING.value, Phase.HELD.value, Phase.SUSPENDED.value}
PARTS = ("phase", "quote", "destruction", "executionduration", "error", "parameters", "results", "owner")
#: Seconds between looks at the job while a ``WAIT`` blocks.
WAIT_POLL_S = 0.2


class UwsBase(CutoutJobsBase):
    required_scopes = {"POST": "jobs", "DELETE": "jobs"}

    def arguments(self) -> dict[str, list[str]]:
        """Query and form arguments together (UWS clients POST forms)."""
        found = {name: [v.decode("utf-8", "replace") for v in values]
                 for name, values in self.request.query_arguments.items()}
        if self.request.method == "POST":
            if self._body_too_large:
                raise TooLarge(f"The request body is larger than {self.services.limits.max_body_bytes:,} bytes.",
                               hint="Submit large batches as a table (POST remotem/api/cutouts/jobs with \"table\").")
            text = bytes(self._body or b"").decode("utf-8", "replace")
            for name, values in (parse_qs(text, keep_blank_values=True) if text.strip() else {}).items():
                found.setdefault(name, []).extend(values)
        return found

    def argument(self, arguments: dict[str, list[str]], name: str) -> str | None:
        values = [v for key, vs in arguments.items() if key.lower() == name.lower() for v in vs]
        if len(values) > 1:
            raise BadParameter(f"'{name}' is given {len(values)} times.", hint="Give it once.")
        return values[0] if values else None

    @property
    def base(self) -> str:
        """Absolute URL of ``remotem/api/cutouts/`` as this client reached it."""
        return f"{self.request.protocol}://{self.request.host}{self.base_url}remotem/api/cutouts/"

    def write_xml(self, text: str) -> None:
        self.set_header("Content-Type", "text/xml; charset=utf-8")
        self.finish(text)

    def write_text(self, text: str) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text)

    def see(self, where: str) -> None:
        self.set_status(303)
        self.set_header("Location", where)
        self.finish()

    def rows_of(self, job: Any) -> list[dict[str, Any]]:
        """The made cutouts of a completed job (the manifest parsed once per version of it)."""
        if job.phase != Phase.COMPLETED.value:
            return []
        repository, folder = self.output_of(job)
        return list(manifest.made(job.id, repository, folder))

    async def document(self, job: Any) -> str:
        rows = await self.run_blocking(self.rows_of, job)
        return uws.job_xml(job, self.base, rows)

    async def remove(self, job_id: str) -> None:
        """UWS DELETE: a finished job goes with its files; an unfinished one is aborted first
        (at once when no worker holds it, else by its worker, and then goes on being listed
        ABORTED until deleted again)."""
        jobs, owner = self.services.jobs, self.owner
        job = await self.run_blocking(self.job, job_id)
        if Phase(job.phase) not in FINISHED:
            job = await self.run_blocking(jobs.request_action, job_id, owner, "cancel", False)
            if job.phase != Phase.ABORTED.value:
                return
            await self.run_blocking(clean_up_cancelled, jobs, self.registry, job)
        job = await self.run_blocking(jobs.deletable, job_id, owner)
        await self.run_blocking(delete_files_of, jobs, self.registry, job)
        await self.run_blocking(jobs.delete, job_id, owner, False)

    async def change_phase(self, job_id: str, phase: str | None) -> None:
        wanted = (phase or "").upper()
        jobs = self.services.jobs
        await self.run_blocking(self.job, job_id)
        if wanted == "RUN":
            await self.run_blocking(jobs.run, job_id, self.owner)
            self.services.supervisor.ensure_running()
        elif wanted == "ABORT":
            job = await self.run_blocking(jobs.request_action, job_id, self.owner, "cancel", False)
            if job.phase == Phase.ABORTED.value:
                await self.run_blocking(clean_up_cancelled, jobs, self.registry, job)
        else:
            raise BadParameter(f"PHASE={phase!r}: a job's phase is changed with PHASE=RUN or PHASE=ABORT.",
                               hint="POST PHASE=RUN to start a PENDING job, PHASE=ABORT to stop it.")


class UwsJobsHandler(UwsBase):
    @web.authenticated
    async def get(self) -> None:
        phases = [p.upper() for p in self.get_query_arguments("PHASE")]
        unknown = [p for p in phases if p not in {phase.value for phase in Phase}]
        if unknown:
            raise BadParameter(f"Unknown phase {unknown[0]!r}.", hint="Phases: " + ", ".join(p.value for p in Phase))
        jobs = await self.run_blocking(self.services.jobs.list, self.owner, phases or None, ["cutouts"], False)
        self.write_xml(uws.jobs_xml(jobs, self.base))

    @web.authenticated
    async def post(self) -> None:
        """Create a job from SODA parameters; 303 to its document."""
        arguments = self.arguments()
        notify = [v for name in [n for n in arguments if n.lower() == "notify"] for v in arguments.pop(name)]
        if notify:  # NOTIFY=email: an e-mail when the job ends, as "notify" on every job
            notify_request.mark(notify[-1])
        body, control, given = uws.batch_body(arguments)
        start = control.get("phase", "").upper()
        if start not in ("", "RUN"):
            raise BadParameter(f"PHASE={control['phase']!r} on creation: only PHASE=RUN starts a job at once.",
                               hint="Leave PHASE out to make a PENDING job, started later with PHASE=RUN.")
        duration = uws.execution_duration(control.get("executionduration"))
        services, user = self.services, self.current_user
        checked, target = await self.run_blocking(batch_submit.prepare, services, user, body, self.repository)
        checked.request["parameters"] = given
        if control.get("runid"):
            checked.request["runid"] = control["runid"][:64]
        await self.refuse_closed(target.name, checked.request["output"]["path"])
        quote = await self.run_blocking(batch_submit.quote_of, services, checked)
        phase = Phase.QUEUED if start == "RUN" else Phase.PENDING
        job = await self.run_blocking(batch_submit.create, services, user, checked, quote, phase, duration)
        self.see(f"{self.base}async/{job.id}")


class UwsJobHandler(UwsBase):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        """The job document; ``WAIT=n`` blocks while the job is active (and, with ``PHASE=``, in
        that phase) until it changes or ``n`` seconds pass (at most a minute)."""
        job = await self.run_blocking(self.job, job_id)
        wait = uws.wait_seconds(self.get_query_argument("WAIT", None))
        since = self.get_query_argument("PHASE", None)
        if wait is not None and job.phase in ACTIVE and (since is None or since.upper() == job.phase):
            loop = asyncio.get_running_loop()
            deadline, start_phase = loop.time() + wait, job.phase
            while job.phase == start_phase and loop.time() < deadline:
                await asyncio.sleep(min(WAIT_POLL_S, max(deadline - loop.time(), 0)))
                job = await self.run_blocking(self.job, job_id)
        self.write_xml(await self.document(job))

    @web.authenticated
    async def post(self, job_id: str) -> None:
        arguments = self.arguments()
        action = self.argument(arguments, "ACTION")
        if action is not None:
            if action.upper() != "DELETE":
                raise BadParameter(f"ACTION={action!r}: the only action on a job is DELETE.", hint="ACTION=DELETE.")
            await self.remove(job_id)
            self.see(f"{self.base}async")
            return
        phase = self.argument(arguments, "PHASE")
        if phase is None:
            raise BadParameter("POST to a job takes ACTION=DELETE or PHASE=RUN|ABORT.", hint="For example PHASE=RUN.")
        await self.change_phase(job_id, phase)
        self.see(f"{self.base}async/{job_id}")

    @web.authenticated
    async def delete(self, job_id: str) -> None:
        await self.remove(job_id)
        self.see(f"{self.base}async")


class UwsJobPartHandler(UwsBase):
    @web.authenticated
    async def get(self, job_id: str, part: str) -> None:
        if part not in PARTS:
            raise NotFound(f"A UWS job has no '{part}'.", hint="Parts: " + ", ".join(PARTS) + ".")
        job = await self.run_blocking(self.job, job_id)
        if part == "phase":
            self.write_text(job.phase)
        elif part == "quote":
            self.write_text(uws.quote_time(job) or "")
        elif part == "destruction":
            self.write_text(uws._time(job.destruction) or "")
        elif part == "executionduration":
            self.write_text(str(int(job.execution_duration or 0)))
        elif part == "owner":
            self.write_text(job.owner or "")
        elif part == "error":
            if not job.error:
                raise NotFound("This job has no error.", hint="GET the job's phase.")
            self.write_text(str(job.error.get("message") or ""))
        elif part == "results":
            rows = await self.run_blocking(self.rows_of, job)
            self.write_xml('<?xml version="1.0" encoding="UTF-8"?>\n'
                           + uws.results_xml(uws.results(job, self.base, rows)).replace(
                               "<uws:results>", f'<uws:results xmlns:uws="{uws.UWS_NS}" '
                                                f'xmlns:xlink="{uws.XLINK_NS}">', 1))
        else:
            pairs = (job.request or {}).get("parameters") or uws._parameters_of(job.request or {})
            from xml.sax.saxutils import escape, quoteattr

            items = "".join(f"<uws:parameter id={quoteattr(n)}>{escape(v)}</uws:parameter>" for n, v in pairs)
            self.write_xml(f'<?xml version="1.0" encoding="UTF-8"?>\n<uws:parameters xmlns:uws="{uws.UWS_NS}">'
                           f"{items}</uws:parameters>")

    @web.authenticated
    async def post(self, job_id: str, part: str) -> None:
        """``phase`` (PHASE=RUN|ABORT) or ``destruction`` (DESTRUCTION=an ISO 8601 time: the
        files are kept until then, at most the retention period from now)."""
        arguments = self.arguments()
        if part == "destruction":
            text = self.argument(arguments, "DESTRUCTION")
            try:
                until = datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
            except ValueError:
                raise BadParameter(f"DESTRUCTION={text!r} is not an ISO 8601 time.",
                                   hint="For example DESTRUCTION=2030-01-01T00:00:00Z.") from None
            if until.tzinfo is None:
                until = until.replace(tzinfo=timezone.utc)
            job = await self.run_blocking(self.job, job_id)
            await self.run_blocking(batch_submit.renew, self.services, job, until)
        elif part == "phase":
            await self.change_phase(job_id, self.argument(arguments, "PHASE"))
        else:
            raise Conflict(f"The job's {part} is not changed here.",
                           hint="POST PHASE=RUN or PHASE=ABORT to .../phase, DESTRUCTION to .../destruction.")
        self.see(f"{self.base}async/{job_id}")
