"""``POST pipelines``: a pipeline of the user's own steps as a durable job (``?dry_run=1``: its
plan and quote only).

The body carries the pickled graph, so it is code: refused (403) for a personal token before
anything is read, like ``map`` and ``apply``.  The store is a writable repository the user may
see (404 otherwise) or an fsspec URL that is not the server's disk (one inside a configured
repository stands for that repository's folder, with its credentials); the plan is made here from
the store's manifests only, and its expected outputs (targets to make × their estimated size)
are admitted against the user's quotas in the same transaction that creates the job.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tornado import web

from ..auth.code_senders import refuse_code_from_token
from ..jobs.models import utcnow
from .jobs import JobsBase

WHAT = "A pipeline"


class PipelinesHandler(JobsBase):
    required_scopes = {"POST": "jobs"}

    @web.authenticated
    async def post(self) -> None:
        refuse_code_from_token(WHAT)
        body = self.json_body()
        dry_run = self.get_query_argument("dry_run", "0") not in ("0", "", "false")
        from ..pipeline.durable import PipelineRequest

        request = PipelineRequest.from_json(body)
        if "url" in request.store:
            request.store = self.repository_store(request.store["url"])
        repository = None
        if "repository" in request.store:
            repository = self.writable(request.store["repository"])
            await self.refuse_closed(repository.name, request.store.get("path") or "")
        plan, quote = await self.run_blocking(self._plan, request, repository)
        services, user = self.services, self.current_user
        if dry_run:
            answer = {"quote": quote, "plan": {"store": plan.store.describe(), "counts": plan.counts()},
                      "quota": await self.run_blocking(services.quota_of, user, quote)}
            self.write_json(answer)
            return
        job = await self.run_blocking(
            lambda: services.jobs.create(
                self.owner, "pipeline", request.to_json(),
                priority=request.priority + services.priority_boost(user),
                quote=quote,
                destruction=utcnow() + timedelta(days=services.retention_days),
                limits=services.limits_of(user),  # admitted against the quotas in the same transaction
                groups=services.groups_of(user),
                pools=services.pools_of(user),
            )
        )
        services.supervisor.ensure_running()
        self.set_status(201)
        self.write_json(job.to_json())

    def repository_store(self, url: str) -> dict[str, Any]:
        """A URL inside a configured repository is that repository's folder (its credentials, its
        checks); any other URL stays a URL, reached with the workers' own credentials."""
        from ..errors import NotFound
        from ..pipeline.durable import covering_repository

        covered = covering_repository(url, self.services.registry.all())
        if covered is None:
            return {"url": url}
        repository, path = covered
        try:
            self.repository(repository.name)
        except NotFound:  # not named: the user may not know it exists
            raise NotFound(f"The store {url!r} is not in a repository you can reach.",
                           hint="GET remotem/api/repositories lists the repositories you can read.") from None
        return {"repository": repository.name, "path": path}

    def _plan(self, request: Any, repository: Any) -> tuple[Any, dict[str, Any]]:
        from ..pipeline.durable import open_store, quote_for
        from ..pipeline.payload import unpack
        from ..pipeline.planning import make_plan

        handles = unpack(request.params, WHAT)
        plan = make_plan(handles, open_store(request.store, repository))
        return plan, self.services.priced(quote_for(plan, request.estimate_bytes), None)  # it quotes no reads
