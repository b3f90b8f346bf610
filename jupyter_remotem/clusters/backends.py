"""Where clusters come from: a ``LocalCluster`` beside the server, or dask-gateway on a hub.

A backend starts one cluster from checked :class:`~.options.ClusterOptions` and answers a
:class:`RunningCluster`, which the registry scales, adapts, watches and closes the same way
whatever made it.  Each running cluster has its own connected ``distributed.Client`` (the
server's) and says how another process reaches it (:class:`~.channel.ClusterAccess`).

Both backends' schedulers take TLS connections only: the local one with a certificate made for
it in memory (``Security.temporary()``), the gateway's with the one the gateway issues.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from typing import Any, Protocol

from ..errors import StorageUnavailable
from .channel import ClusterAccess
from .options import ClusterOptions

GIB = 1024**3


class ClusterUnavailable(StorageUnavailable):
    """The backend could not start or reach a cluster (the gateway is down, say)."""

    code = "cluster_unavailable"
    default_hint = "Try again later; if it persists, tell the administrator (the server log has the reason)."


class RunningCluster(Protocol):
    backend: str
    client: Any

    @property
    def address(self) -> str: ...

    @property
    def dashboard_link(self) -> str | None: ...

    def access(self, cluster_id: str, owner: str) -> ClusterAccess: ...

    def scale(self, workers: int) -> None: ...

    def adapt(self, minimum: int, maximum: int) -> None: ...

    def close(self) -> None: ...


class Backend(Protocol):
    name: str

    def start(self, options: ClusterOptions) -> RunningCluster: ...


def _dashboard_available() -> bool:
    """Dask serves its dashboard only with bokeh installed."""
    return importlib.util.find_spec("bokeh") is not None


class LocalRunning:
    """A ``LocalCluster`` of this server's, with its client."""

    backend = "local"

    def __init__(self, cluster: Any, client: Any, security: Any) -> None:
        self.cluster = cluster
        self.client = client
        self._security = security

    @property
    def address(self) -> str:
        return str(self.cluster.scheduler_address)

    @property
    def dashboard_link(self) -> str | None:
        return self.cluster.dashboard_link if _dashboard_available() else None

    def access(self, cluster_id: str, owner: str) -> ClusterAccess:
        security = self._security
        return ClusterAccess(cluster_id, owner, self.address, security.tls_ca_file, security.tls_client_cert,
                             security.tls_client_key)

    def scale(self, workers: int) -> None:
        self._stop_adapting()
        self.cluster.scale(workers)

    def adapt(self, minimum: int, maximum: int) -> None:
        self._stop_adapting()
        self.cluster.adapt(minimum=minimum, maximum=maximum)

    def _stop_adapting(self) -> None:
        adaptive = getattr(self.cluster, "_adaptive", None)
        if adaptive is not None:
            adaptive.stop()
            self.cluster._adaptive = None

    def close(self) -> None:
        self._stop_adapting()
        try:
            self.client.close()
        finally:
            self.cluster.close()


@functools.cache
def _thread_worker_class() -> type:
    """Dask workers that are threads of the server: they share its memory, so their memory limit is
    what they offer, never measured.  Measured, the server's own memory would count as theirs and
    pause them (a paused worker takes no task: "no valid workers") or spill what they hold."""
    from distributed import Worker

    class ThreadWorker(Worker):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            manager = self.memory_manager
            manager.memory_target_fraction = manager.memory_spill_fraction = False
            manager.memory_pause_fraction = False
            self.periodic_callbacks.pop("memory_monitor", None)  # not started yet: it never runs

    return ThreadWorker


class LocalBackend:
    """Clusters of worker processes (or threads, ``processes=False``) on the server's machine."""

    name = "local"

    def __init__(self, processes: bool = True) -> None:
        self.processes = processes

    def start(self, options: ClusterOptions) -> LocalRunning:
        from distributed import Client, LocalCluster
        from distributed.security import Security

        security = Security.temporary()
        workers = options.adapt_minimum if options.adaptive else options.workers
        threads = {} if self.processes else {"worker_class": _thread_worker_class()}
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=options.cores_per_worker,
            memory_limit=int(options.memory_per_worker_gib * GIB),
            processes=self.processes,
            protocol="tls://",
            host="127.0.0.1",
            security=security,
            dashboard_address="127.0.0.1:0",  # its HTTP server (dashboard with bokeh, /health) on loopback only
            silence_logs=logging.ERROR,
            **threads,
        )
        try:
            # Not the default of the server process: its own computations keep their own schedulers.
            client = Client(cluster, security=security, timeout=30, set_as_default=False)
        except Exception:
            cluster.close()
            raise
        running = LocalRunning(cluster, client, security)
        if options.adaptive:
            running.adapt(options.adapt_minimum or 0, options.adapt_maximum or 0)
        return running


def close_gateway(gateway: Any) -> None:
    """Close a ``dask_gateway.Gateway`` for good: dask-gateway closes it again when it is collected,
    which raises (an unraisable exception in the log) once its loop has stopped."""
    gateway.close()
    _forget_loop(gateway)


def _forget_loop(gateway: Any) -> None:
    gateway.__dict__.pop("_loop_runner", None)  # its __del__ closes only what still has a loop


class GatewayRunning:
    """A dask-gateway cluster started by this server for its user."""

    backend = "gateway"

    def __init__(self, gateway: Any, cluster: Any, client: Any) -> None:
        self.gateway = gateway
        self.cluster = cluster
        self.client = client

    @property
    def address(self) -> str:
        return str(self.cluster.scheduler_address)

    @property
    def dashboard_link(self) -> str | None:
        return self.cluster.dashboard_link

    def access(self, cluster_id: str, owner: str) -> ClusterAccess:
        security = self.cluster.security
        return ClusterAccess(cluster_id, owner, self.address, security.tls_cert, security.tls_cert, security.tls_key)

    def scale(self, workers: int) -> None:
        self.cluster.scale(workers)  # the gateway stops adapting when told a size

    def adapt(self, minimum: int, maximum: int) -> None:
        self.cluster.adapt(minimum=minimum, maximum=maximum)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            try:
                self.cluster.shutdown()
                _forget_loop(self.cluster.gateway)
            finally:
                close_gateway(self.gateway)


class GatewayBackend:
    """Clusters from a dask-gateway server, as the hub user this server belongs to.

    The gateway authenticates the server's own JupyterHub API token (``auth="jupyterhub"`` reads
    ``JUPYTERHUB_API_TOKEN``); a test or a gateway without the hub passes another ``auth``.  Cores
    and memory go to the gateway as its ``worker_cores`` and ``worker_memory`` options when it
    declares them (the gateway's administrator bounds them again)."""

    name = "gateway"

    def __init__(self, address: str, proxy_address: str | None = None, auth: Any = "jupyterhub") -> None:
        self.address = address
        self.proxy_address = proxy_address or None
        self.auth = auth

    @classmethod
    def address_from_environment(cls) -> str:
        """The gateway's address as dask's configuration or its environment variable says."""
        return os.environ.get("DASK_GATEWAY__ADDRESS", "")

    def gateway(self) -> Any:
        from dask_gateway import Gateway

        return Gateway(self.address, proxy_address=self.proxy_address, auth=self.auth)

    def start(self, options: ClusterOptions) -> GatewayRunning:
        gateway = self.gateway()
        try:
            offered = gateway.cluster_options()
            chosen = {}
            if "worker_cores" in offered:
                chosen["worker_cores"] = options.cores_per_worker
            if "worker_memory" in offered:
                chosen["worker_memory"] = options.memory_per_worker_gib
            for name, value in chosen.items():
                setattr(offered, name, value)
            cluster = gateway.new_cluster(offered, shutdown_on_close=True)
        except Exception as error:  # noqa: BLE001 - the gateway's reason, without a traceback to the user
            close_gateway(gateway)
            raise ClusterUnavailable(f"The dask-gateway at {self.address} did not start a cluster: "
                                     f"{type(error).__name__}: {error}"[:500]) from None
        try:
            client = cluster.get_client(set_as_default=False)
        except Exception:
            cluster.shutdown()
            close_gateway(gateway)
            raise
        running = GatewayRunning(gateway, cluster, client)
        if options.adaptive:
            running.adapt(options.adapt_minimum or 0, options.adapt_maximum or 0)
        else:
            running.scale(options.workers)
        return running
