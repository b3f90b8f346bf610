"""``admin/...``: every user's jobs, the queue, workers, throughput, quotas and estimates, and
actions on anyone's job, for members of ``c.RemotemApp.admin_groups`` only.

Everyone else, and a personal token without the ``admin`` scope, gets the same 404 as an
endpoint that does not exist: the administration API is invisible to them.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..admin import actions, queries
from ..admin.access import SCOPE, is_admin
from ..errors import BadParameter, Forbidden
from ..jobs.models import KINDS, Phase
from .base import RemotemHandler
from .jobs import kinds_argument, phases_argument


class AdminBase(RemotemHandler):
    """Authenticates as every handler does, then answers 404 unless the caller administers."""

    def required_scope(self) -> str:
        return SCOPE

    async def prepare(self) -> None:
        try:
            await super().prepare()
        except Forbidden:  # a personal token without the admin scope: as if nothing were here
            raise web.HTTPError(404, "No such API endpoint.") from None
        if self.current_user is None:
            return  # @web.authenticated answers as on every other endpoint
        if not is_admin(self.services.groups_of(self.current_user), self.services.admin_groups, self.api_token):
            raise web.HTTPError(404, "No such API endpoint.")

    @property
    def admin(self) -> str:
        return self.owner or "admin"


class AdminHandler(AdminBase):
    @web.authenticated
    async def get(self) -> None:
        """What the lab asks to decide whether to show the Admin panel (404: no panel)."""
        self.write_json({"admin": self.admin, "admin_groups": list(self.services.admin_groups),
                         "actions": list(actions.ACTIONS), "kinds": sorted(KINDS),
                         "phases": [phase.value for phase in Phase]})


class AdminJobsHandler(AdminBase):
    @web.authenticated
    async def get(self) -> None:
        """Every user's jobs, newest first: ``?user=``, ``?phase=``, ``?kind=`` (each repeatable),
        ``?since=`` (created at or after, ISO 8601), ``?offset=`` and ``?limit=``."""
        offset, limit = queries.page_bounds(self.query_int("offset"), self.query_int("limit"))
        users = tuple(user for user in self.get_query_arguments("user") if user)
        wanted = queries.JobFilter(users=users, phases=tuple(phases_argument(self) or ()),
                                   kinds=tuple(kinds_argument(self) or ()),
                                   since=queries.parse_since(self.get_query_argument("since", None)),
                                   offset=offset, limit=limit)
        self.write_json(await self.run_blocking(queries.jobs, self.services.jobs, wanted))


class AdminJobHandler(AdminBase):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        """Anyone's job with its history, log and the actions administrators took on it."""
        jobs = self.services.jobs
        job = await self.run_blocking(jobs.get, job_id, None)
        details = await self.run_blocking(jobs.history, job_id, None)
        self.write_json(dict(queries._admin_json(job), **details))  # noqa: SLF001 - this module's shape


class AdminJobActionHandler(AdminBase):
    @web.authenticated
    async def post(self, job_id: str, action: str) -> None:
        """``cancel``, ``pause``, ``resume``, ``priority`` (body ``{"priority": n}``) or ``requeue``."""
        if action not in actions.ACTIONS:
            raise BadParameter(f"Unknown action '{action}'.", hint=f"Use one of: {', '.join(actions.ACTIONS)}.")
        services, admin = self.services, self.admin
        body = self.json_body() if action == "priority" else None
        if action == "cancel":
            job = await self.run_blocking(actions.cancel, services.jobs, services.registry,
                                          services.upload_staging_dir, job_id, admin)
        elif action == "priority":
            job = await self.run_blocking(actions.reprioritise, services.jobs, job_id, admin, body)
        else:
            job = await self.run_blocking(getattr(actions, action), services.jobs, job_id, admin)
        if action in ("resume", "requeue"):
            services.supervisor.ensure_running()
        self.write_json(queries._admin_json(job))  # noqa: SLF001


class AdminQueueHandler(AdminBase):
    @web.authenticated
    async def get(self) -> None:
        """QUEUED jobs in the order workers take them, with positions; running and held ones."""
        self.write_json(await self.run_blocking(queries.queue, self.services.jobs))


class AdminWorkersHandler(AdminBase):
    @web.authenticated
    async def get(self) -> None:
        self.write_json(await self.run_blocking(queries.workers, self.services.jobs))


class AdminThroughputHandler(AdminBase):
    @web.authenticated
    async def get(self) -> None:
        """Jobs ended per ``?bucket=hour`` (the default) or ``day`` since ``?since=``."""
        bucket = self.get_query_argument("bucket", "hour")
        since = queries.parse_since(self.get_query_argument("since", None))
        self.write_json(await self.run_blocking(queries.throughput, self.services.jobs, bucket, since))


class AdminQuotasHandler(AdminBase):
    @web.authenticated
    async def get(self) -> None:
        self.write_json(await self.run_blocking(queries.quotas, self.services.jobs, self.services.quotas))


class AdminQuotesHandler(AdminBase):
    @web.authenticated
    async def get(self) -> None:
        """Quoted against actual seconds of finished jobs (``?limit=``, ``?kind=``)."""
        limit = self.query_int("limit", 200) or 0
        kinds = tuple(kinds_argument(self) or ())
        self.write_json(await self.run_blocking(queries.quotes, self.services.jobs, limit, kinds))


def admin_routes(api: str, job: str) -> list[tuple[str, Any]]:
    """The administration endpoints under ``api`` (job ids matched by ``job``)."""
    return [
        (rf"{api}/admin/?", AdminHandler),
        (rf"{api}/admin/jobs/?", AdminJobsHandler),
        (rf"{api}/admin/jobs/{job}/?", AdminJobHandler),
        (rf"{api}/admin/jobs/{job}/(?P<action>[a-z]+)/?", AdminJobActionHandler),
        (rf"{api}/admin/queue/?", AdminQueueHandler),
        (rf"{api}/admin/workers/?", AdminWorkersHandler),
        (rf"{api}/admin/throughput/?", AdminThroughputHandler),
        (rf"{api}/admin/quotas/?", AdminQuotasHandler),
        (rf"{api}/admin/quotes/?", AdminQuotesHandler),
        (rf"{api}/admin(?:/.*)?", AdminUnknownHandler),
    ]


class AdminUnknownHandler(AdminBase):
    """Any other ``admin/...`` path: 404 for administrators too, after the same check."""

    @web.authenticated
    async def get(self, *args: Any) -> None:
        raise web.HTTPError(404, "No such API endpoint.")

    post = put = delete = patch = get
