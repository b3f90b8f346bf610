"""``c.clusters``: Dask clusters of your own on the server (a LocalCluster there, or dask-gateway on a hub).

>>> c.clusters.options()                      # what a cluster takes, with this server's limits
>>> cluster = c.clusters.start(workers=2, memory_per_worker_gib=4)
>>> cluster                                   # <Cluster 3f2a… running: 2 workers, 2 cores, 8.0 GiB, 0 tasks>
>>> cluster.dashboard_link
>>> cluster.scale(4); cluster.adapt(minimum=0, maximum=8)
>>> ds.submit("com", {...}, output="com.h5", cluster=cluster)   # a job that runs on it
>>> cluster.stop()

The options and their limits are the server's (``GET clusters/options``): this module repeats none
of them, and checks only that the names you give are among those the server declares.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from .errors import BadRequest

if TYPE_CHECKING:
    from .server import Client

GIB = 1024**3


class Cluster:
    """One of your clusters, as the server last described it (:meth:`refresh` asks again)."""

    def __init__(self, clusters: Clusters, description: dict[str, Any]) -> None:
        self._clusters = clusters
        self.description = description

    @property
    def id(self) -> str:
        return str(self.description["id"])

    def __getattr__(self, name: str) -> Any:
        """``state``, ``workers``, ``cores``, ``memory_bytes``, ``tasks``, ``options`` ... as served."""
        description = self.__dict__.get("description") or {}
        if name in description:
            return description[name]
        raise AttributeError(name)

    @property
    def dashboard_link(self) -> str | None:
        """Where the cluster's Dask dashboard is (None when the server serves none)."""
        return self.description.get("dashboard_link")

    def refresh(self) -> Cluster:
        self.description = self._clusters._connection.get_json("clusters", self.id)
        return self

    def scale(self, workers: int) -> Cluster:
        """A fixed size of ``workers`` (ends adapting)."""
        return self._change({"workers": workers})

    def adapt(self, minimum: int, maximum: int) -> Cluster:
        """Grow and shrink with the work, between ``minimum`` and ``maximum`` workers."""
        return self._change({"adapt_minimum": minimum, "adapt_maximum": maximum})

    def stop(self) -> None:
        self._clusters._connection.request("DELETE", "clusters", self.id)
        self.description = dict(self.description, state="stopped")

    def _change(self, body: dict[str, Any]) -> Cluster:
        self.description = self._clusters._connection.request("PATCH", "clusters", self.id, body=body).json()
        return self

    def __repr__(self) -> str:
        d = self.description
        if d.get("state") != "running":
            reason = f" ({d['stopped_reason']})" if d.get("stopped_reason") else ""
            return f"<Cluster {self.id[:8]} {d.get('state')}{reason}>"
        bounds = d.get("options") or {}
        size = f"adapting {bounds.get('adapt_minimum')}-{bounds.get('adapt_maximum')}, " if d.get("adaptive") else ""
        return (f"<Cluster {self.id[:8]} running: {size}{d['workers']} workers, {d['cores']} cores, "
                f"{d['memory_bytes'] / GIB:.1f} GiB, {d['tasks']} tasks>")

    def _repr_html_(self) -> str:
        import html

        link = self.dashboard_link
        dashboard = f' <a href="{html.escape(link)}" target="_blank">dashboard</a>' if link else ""
        return f"<code>{html.escape(repr(self))}</code>{dashboard}"


class Clusters:
    """Your clusters on one server (see the module docstring)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @property
    def _connection(self) -> Any:
        return self.client.connection

    @cached_property
    def _schema(self) -> dict[str, Any]:
        return self._connection.get_json("clusters", "options")

    def options(self) -> list[dict[str, Any]]:
        """What a cluster takes: each option's name, label, unit, default and this server's limits."""
        return list(self._schema["options"])

    @property
    def backend(self) -> str:
        """``local`` (beside the server) or ``gateway`` (dask-gateway on the hub)."""
        return str(self._schema["backend"])

    def list(self) -> list[Cluster]:
        return [Cluster(self, d) for d in self._connection.get_json("clusters")["clusters"]]

    def get(self, cluster_id: str) -> Cluster:
        return Cluster(self, self._connection.get_json("clusters", cluster_id))

    def start(self, **options: Any) -> Cluster:
        """Start a cluster; options the server does not declare are refused here, limits there."""
        known = [option["name"] for option in self.options()]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise BadRequest(f"Unknown cluster options: {', '.join(unknown)}.", f"Options: {', '.join(known)}.",
                             code="bad_parameter")
        return Cluster(self, self._connection.post_json("clusters", body=options))

    def __iter__(self):  # noqa: ANN204 - iterating the clusters as listed now
        return iter(self.list())

    def __repr__(self) -> str:
        listed = self.list()
        return f"<your clusters ({self.backend}): {', '.join(repr(c) for c in listed) or 'none'}>"
