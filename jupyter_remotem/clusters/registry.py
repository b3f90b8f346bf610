"""The clusters of one Jupyter server, each belonging to one user: start, watch, scale, adapt, stop,
and stop them when idle.

A cluster lives as long as this server (or until stopped or idle): the registry holds its client
in memory and publishes how to reach it in the private channel (:mod:`.channel`) for the job
worker.  Another user's cluster is not there (:class:`NotFound`, as for a cluster that never
existed).  A stopped cluster is remembered for a while with why it stopped (``"idle"``,
``"stopped"``), so a client watching it learns what happened.

Watching a cluster is no activity of its user: the handlers that poll it do not touch the server's
``last_activity``, so the hub's idle culler still stops a server whose clusters nobody uses.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import BadParameter, NotFound
from ..jobs.models import utcnow
from .backends import Backend, ClusterUnavailable, RunningCluster
from .channel import ClusterChannel
from .options import ClusterLimitExceeded, ClusterLimits, ClusterOptions, checked_options

log = logging.getLogger(__name__)

#: Stopped clusters remembered (newest kept), for ``GET clusters/{id}`` after the end.
REMEMBERED = 64


@dataclass
class ClusterEntry:
    id: str
    owner: str
    options: ClusterOptions
    started: datetime = field(default_factory=utcnow)
    running: RunningCluster | None = None
    state: str = "starting"
    stopped: datetime | None = None
    stopped_reason: str | None = None
    #: ``time.monotonic()`` when it was last seen busy (or started).
    busy_at: float = field(default_factory=time.monotonic)
    idle_s: float = 0.0


class ClusterRegistry:
    """See the module docstring."""

    def __init__(self, backend: Backend, limits: ClusterLimits, channel: ClusterChannel | None = None,
                 prices: Any = None) -> None:
        self.backend = backend
        self.limits = limits
        self.channel = channel
        #: The administrator's prices (:class:`..jobs.costs.Prices`); None: clusters show no cost.
        self.prices = prices
        self._entries: dict[str, ClusterEntry] = {}
        self._ended: OrderedDict[str, ClusterEntry] = OrderedDict()
        self._lock = threading.Lock()
        #: Rounds of the idle check done, so tests and monitoring can wait on them.
        self.cull_rounds = 0

    # -- what users ask ---------------------------------------------------------------------
    def schema(self) -> dict[str, Any]:
        return dict(self.limits.schema(), backend=self.backend.name)

    def start(self, owner: str, body: Any) -> dict[str, Any]:
        options = checked_options(body, self.limits)
        with self._lock:
            mine = [entry for entry in self._entries.values() if entry.owner == owner]
            if len(mine) >= self.limits.clusters:
                raise ClusterLimitExceeded(
                    f"You run {len(mine)} cluster(s); this server allows {self.limits.clusters} per user.",
                    hint="Stop one (DELETE remotem/api/clusters/{id}) or scale it instead.",
                    option="clusters", allowed=self.limits.clusters)
            entry = ClusterEntry(uuid.uuid4().hex, owner, options)
            self._entries[entry.id] = entry  # holds the slot while it starts
        try:
            entry.running = self.backend.start(options)
        except ClusterUnavailable:
            self._forget(entry, "failed")
            raise
        except Exception as error:  # noqa: BLE001 - a failed start is the user's 503, never a 500
            self._forget(entry, "failed")
            log.warning("jupyter_remotem: cluster for %s did not start", owner, exc_info=True)
            raise ClusterUnavailable(f"The cluster did not start: {type(error).__name__}.") from None
        with self._lock:
            stopped_meanwhile = entry.id not in self._entries  # DELETE while it started
            if not stopped_meanwhile:
                entry.state = "running"
        if stopped_meanwhile:
            entry.running.close()
            entry.running = None
            raise NotFound(f"The cluster '{entry.id}' was stopped while it started.",
                           hint="GET remotem/api/clusters lists yours.")
        entry.busy_at = time.monotonic()
        if self.channel is not None:
            self.channel.publish(entry.running.access(entry.id, owner))
        log.info("jupyter_remotem: cluster %s started for %s (%s)", entry.id, owner, self.backend.name)
        return self.describe(entry)

    def list(self, owner: str) -> list[dict[str, Any]]:
        with self._lock:
            mine = [entry for entry in self._entries.values() if entry.owner == owner]
        return [self.describe(entry) for entry in mine]

    def get(self, owner: str, cluster_id: str) -> dict[str, Any]:
        return self.describe(self._find(owner, cluster_id, ended=True))

    def change(self, owner: str, cluster_id: str, body: Any) -> dict[str, Any]:
        """Scale to ``workers``, or adapt between ``adapt_minimum`` and ``adapt_maximum``; a new
        ``idle_timeout_s``.  Cores and memory of a running cluster's workers stay as started."""
        entry = self._find(owner, cluster_id)
        if isinstance(body, dict) and {"cores_per_worker", "memory_per_worker_gib"} & set(body):
            raise BadParameter("Cores and memory per worker are fixed when a cluster starts.",
                               hint="Scale with 'workers' or 'adapt_minimum'/'adapt_maximum'; for other workers, "
                                    "start another cluster.")
        if isinstance(body, dict) and "workers" in body and "adapt_maximum" not in body:
            body = dict(body, adapt_minimum=None, adapt_maximum=None)  # a size given ends adapting
        options = checked_options(body, self.limits, current=entry.options)
        running = self._running(entry)
        if options.adaptive:
            running.adapt(options.adapt_minimum or 0, options.adapt_maximum or 0)
        elif options.workers != entry.options.workers or entry.options.adaptive:
            running.scale(options.workers)
        entry.options = options
        return self.describe(entry)

    def stop(self, owner: str, cluster_id: str, reason: str = "stopped") -> None:
        entry = self._find(owner, cluster_id)
        self._close(entry, reason)

    # -- housekeeping -----------------------------------------------------------------------
    def cull(self) -> list[str]:
        """Stop every cluster that has run no task for its idle timeout; the ids stopped."""
        with self._lock:
            entries = [entry for entry in self._entries.values() if entry.state == "running"]
        stopped = []
        for entry in entries:
            if self._idle_for(entry) >= entry.options.idle_timeout_s:
                log.info("jupyter_remotem: cluster %s of %s idle for %.0f s; stopping it", entry.id, entry.owner,
                         entry.idle_s)
                self._close(entry, "idle")
                stopped.append(entry.id)
        self.cull_rounds += 1
        return stopped

    def close_all(self) -> None:
        with self._lock:
            entries = list(self._entries.values())
        for entry in entries:
            self._close(entry, "server stopped")

    # -- inside -----------------------------------------------------------------------------
    def _idle_for(self, entry: ClusterEntry) -> float:
        """Seconds without a task: the scheduler's own reckoning (``check_idle``), bounded by the
        last time this registry saw it busy."""
        now = time.monotonic()
        try:
            client = self._running(entry).client
            idle_since = client.sync(client.scheduler.check_idle)
        except Exception:  # noqa: BLE001 - an unreachable scheduler counts as idle since last seen busy
            idle_since = 0.0
        if idle_since is None:  # busy now
            entry.busy_at = now
        else:
            scheduler_idle = time.time() - float(idle_since) if idle_since else float("inf")
            entry.busy_at = max(entry.busy_at, now - scheduler_idle)
        entry.idle_s = now - entry.busy_at
        return entry.idle_s

    def _find(self, owner: str, cluster_id: str, ended: bool = False) -> ClusterEntry:
        with self._lock:
            entry = self._entries.get(cluster_id) or (self._ended.get(cluster_id) if ended else None)
        if entry is None or entry.owner != owner:
            raise NotFound(f"There is no cluster '{cluster_id}'.", hint="GET remotem/api/clusters lists yours.")
        return entry

    def _running(self, entry: ClusterEntry) -> RunningCluster:
        if entry.running is None or entry.state != "running":
            raise ClusterUnavailable(f"The cluster '{entry.id}' is {entry.state}.",
                                     hint="Wait until it runs, or start another.")
        return entry.running

    def _close(self, entry: ClusterEntry, reason: str) -> None:
        with self._lock:
            if entry.state in ("stopping", "stopped"):
                return
            entry.state = "stopping"
        if self.channel is not None:
            self.channel.withdraw(entry.id)
        try:
            if entry.running is not None:
                entry.running.close()
        except Exception:  # noqa: BLE001 - it is gone either way; the log has why the close failed
            log.warning("jupyter_remotem: cluster %s did not close cleanly", entry.id, exc_info=True)
        self._forget(entry, reason)
        log.info("jupyter_remotem: cluster %s of %s stopped (%s)", entry.id, entry.owner, reason)

    def _forget(self, entry: ClusterEntry, reason: str) -> None:
        with self._lock:
            self._entries.pop(entry.id, None)
            entry.state, entry.stopped, entry.stopped_reason = "stopped", utcnow(), reason
            entry.running = None
            self._ended[entry.id] = entry
            while len(self._ended) > REMEMBERED:
                self._ended.popitem(last=False)

    def describe(self, entry: ClusterEntry) -> dict[str, Any]:
        """What the API answers about a cluster: never its address or credentials."""
        answer: dict[str, Any] = {
            "id": entry.id,
            "backend": self.backend.name,
            "state": entry.state,
            "options": entry.options.to_json(),
            "adaptive": entry.options.adaptive,
            "started": entry.started.isoformat(),
            "stopped": entry.stopped.isoformat() if entry.stopped else None,
            "stopped_reason": entry.stopped_reason,
            "idle_s": round(entry.idle_s, 1),
            "workers": 0, "cores": 0, "memory_bytes": 0, "memory_used_bytes": 0, "tasks": 0,
            "dashboard_link": None,
        }
        running = entry.running
        if running is None or entry.state != "running":
            return self._priced(answer, entry)
        try:
            info = running.client.scheduler_info(n_workers=-1)
            processing = running.client.processing()
        except Exception:  # noqa: BLE001 - a scheduler that does not answer is shown as such, not a 500
            answer["state"] = "unreachable"
            return answer
        workers = info.get("workers", {}).values()
        answer.update(
            workers=len(workers),
            cores=sum(int(w.get("nthreads", 0)) for w in workers),
            memory_bytes=sum(int(w.get("memory_limit") or 0) for w in workers),
            memory_used_bytes=sum(int((w.get("metrics") or {}).get("memory") or 0) for w in workers),
            tasks=sum(len(tasks) for tasks in processing.values()),
            dashboard_link=running.dashboard_link,
        )
        return self._priced(answer, entry)

    def _priced(self, answer: dict[str, Any], entry: ClusterEntry) -> dict[str, Any]:
        """With prices set, what the cluster costs per hour (``cost_per_hour``): its workers' cores
        and memory as they are, or, while it starts, as asked; a stopped cluster costs nothing."""
        if self.prices is None or answer["state"] == "stopped":
            return answer
        from ..jobs.costs import cluster_cost

        if answer["workers"]:
            cores, memory_gib = float(answer["cores"]), answer["memory_bytes"] / 2**30
        else:
            asked = entry.options.adapt_minimum if entry.options.adaptive else entry.options.workers
            cores = float((asked or 0) * entry.options.cores_per_worker)
            memory_gib = (asked or 0) * entry.options.memory_per_worker_gib
        return dict(answer, cost_per_hour=cluster_cost(self.prices, cores, memory_gib, 1.0))
