"""``clusters``: the caller's Dask clusters (:mod:`..clusters`).

``GET clusters`` lists them (state, workers, cores, memory, tasks, dashboard link),
``POST clusters`` starts one from the options ``GET clusters/options`` declares (413
``cluster_limit`` over a limit), ``GET/PATCH/DELETE clusters/{id}`` watches, scales or adapts,
and stops one.  Another user's cluster is not found (404).  Polling these answers is not activity
of the user (the hub's idle culler must still see an unused server as idle), so the reads leave
``last_activity`` alone.  A personal token needs the ``jobs`` scope to start, change or stop one.
"""

from __future__ import annotations

from tornado import web

from ..errors import NotFound
from .base import RemotemHandler

_COMPUTE = {"POST": "jobs", "PATCH": "jobs", "DELETE": "jobs"}


class ClustersBase(RemotemHandler):
    required_scopes = _COMPUTE

    @property
    def clusters(self):  # noqa: ANN201 - the ClusterRegistry of this server
        registry = getattr(self.services, "clusters", None)
        if registry is None:
            raise NotFound("Clusters on demand are not enabled on this server.",
                           hint="Ask the administrator (c.RemotemApp.cluster_backend).")
        return registry

    @property
    def _track_activity(self) -> bool:  # type: ignore[override]
        """Only what changes a cluster is the user's activity; watching it is not."""
        return self.request.method not in ("GET", "HEAD")


class ClustersHandler(ClustersBase):
    @web.authenticated
    async def get(self) -> None:
        clusters = await self.run_blocking(self.clusters.list, self.owner)
        self.write_json({"clusters": clusters})

    @web.authenticated
    async def post(self) -> None:
        registry, body = self.clusters, self.json_body()
        started = await self.run_blocking(registry.start, self.owner, body)
        self.set_status(201)
        self.write_json(started)


class ClusterOptionsHandler(ClustersBase):
    @web.authenticated
    async def get(self) -> None:
        """The options a cluster takes, each with its default and the limits of this server."""
        self.write_json(self.clusters.schema())


class ClusterHandler(ClustersBase):
    @web.authenticated
    async def get(self, cluster_id: str) -> None:
        self.write_json(await self.run_blocking(self.clusters.get, self.owner, cluster_id))

    @web.authenticated
    async def patch(self, cluster_id: str) -> None:
        registry, body = self.clusters, self.json_body()
        self.write_json(await self.run_blocking(registry.change, self.owner, cluster_id, body))

    @web.authenticated
    async def delete(self, cluster_id: str) -> None:
        await self.run_blocking(self.clusters.stop, self.owner, cluster_id)
        self.set_status(204)
        self.finish()
