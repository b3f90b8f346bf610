"""``POST saves``: save what a viewer shows — at once when it is small, as a job when it is not.

The body is a job's (the reduction, ``output``, ``view``, ``fft`` for the FFT of the image); unlike
``POST jobs`` its operation may answer at once (``pick``).  Within the interactive limit
the server computes and writes it while the request waits and answers the finished job (201,
phase COMPLETED, see :mod:`..jobs.direct_save`); beyond it the same request is queued for the
workers and the queued job answered (202).  ``?dry_run=1`` answers the quote, the quota's
verdict, whether it would be saved at once (``direct``) and whether the output's name is taken
(``target``: ``exists`` and ``free_path``, the first free ``name-N.ext``), so that a dialog can warn
before it submits; the refusal to overwrite without ``"overwrite": true`` (409) stays the guard.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from tornado import web

from ..jobs import direct_save
from ..jobs.direct_save import DirectSaveRequest
from ..jobs.models import Phase, utcnow
from ..jobs.output import OutputWriter
from ..jobs.quotes import quote_reduction
from .jobs import JobsBase


class SavesHandler(JobsBase):
    required_scopes = {"POST": "jobs"}

    @web.authenticated
    async def post(self) -> None:
        request = DirectSaveRequest.from_json(self.json_body())
        dry_run = self.get_query_argument("dry_run", "0") not in ("0", "", "false")
        source = self.repository(request.reduction.repository)
        target = self.writable(request.output.repository)
        await self.refuse_closed(target.name, request.output.path)
        services, user = self.services, self.current_user
        quote, via_job = await self.run_blocking(self._plan, source, request)
        writer = OutputWriter(target, request.output, "check")
        if dry_run:
            def answer() -> dict[str, Any]:
                exists = writer.exists()
                return {"quote": quote, "kind": request.kind, "quota": services.quota_of(user, quote),
                        "direct": not via_job,
                        "target": {"exists": exists, "free_path": writer.free_path() if exists else writer.spec.path}}

            self.write_json(await self.run_blocking(answer))
            return
        await self.run_blocking(writer.check)  # read-only, or taken without "overwrite": before any work
        if via_job:
            job = await self.run_blocking(self._queue, source, request)
            self.set_status(202)
            self.write_json(dict(job.to_json(), direct=False))
            return
        await self.run_blocking(services.require_quota, user, quote)  # over quota or budget: before the work
        self.cancel = threading.Event()
        began = utcnow()  # the work counts against the compute quota, as a job's would
        result, record, stats = await self.run_blocking(
            direct_save.compute, source, request, self.owner, services.datasets, self.cancel)

        def save() -> Any:
            jobs = services.jobs
            job = jobs.create(self.owner, request.kind, request.to_json(), quote=quote, phase=Phase.HELD,
                              destruction=utcnow() + timedelta(days=services.retention_days),
                              limits=services.limits_of(user), groups=services.groups_of(user),
                              pools=services.pools_of(user), started=began)
            direct_save.write(jobs, target, request, job.id, result, record(job.id), stats)
            return jobs.get(job.id, self.owner)

        job = await self.run_blocking(save)
        self.set_status(201)
        self.write_json(dict(job.to_json(), direct=True))

    def _plan(self, source: Any, request: DirectSaveRequest) -> tuple[dict[str, Any], bool]:
        """The quote, and whether a worker must do it (beyond the interactive limit)."""
        throughput = self.services.speeds.operation(request.reduction.operation, source).bytes_s
        with request.reduction.opened(source, self.services.datasets) as dataset:
            quote = direct_save.estimate(dataset, request, throughput)
        via_job = direct_save.needs_job(request, quote, self.services.interactive_limit_s)
        if via_job:
            quote = quote_reduction(self.services.speeds, source, request.as_job())
        return self.services.priced(quote, source.name), via_job

    def _queue(self, source: Any, request: DirectSaveRequest) -> Any:
        """Submit the save as a job, as ``POST jobs`` does."""
        services, user = self.services, self.current_user
        job_request = request.as_job()
        job = services.jobs.create(
            self.owner, job_request.kind, job_request.to_json(),
            priority=job_request.priority + services.priority_boost(user),
            quote=services.priced(quote_reduction(services.speeds, source, job_request), source.name),
            destruction=utcnow() + timedelta(days=services.retention_days),
            limits=services.limits_of(user), groups=services.groups_of(user), pools=services.pools_of(user))
        services.supervisor.ensure_running()
        return job

    def on_connection_close(self) -> None:
        super().on_connection_close()
        cancel = getattr(self, "cancel", None)
        if cancel is not None:
            cancel.set()
