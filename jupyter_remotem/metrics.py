"""Prometheus metrics, on jupyter_server's own ``/metrics``.

A facility watches its servers with the tools it has: Prometheus scrapes ``/metrics`` of each
single-user server (with the server's token, unless ``ServerApp.authenticate_prometheus`` is
off), and these metrics sit beside jupyter_server's.  Two kinds:

* what happens in this process, counted as it happens: API requests by handler and status with
  their latency, interactive reductions by operation, and the bytes they read per repository;
* what the job store knows, read when scraped (a few grouped counts, so a scrape stays cheap):
  this server owner's jobs by phase and kind, the queue, the workers and how long ago each was
  heard of, and the Dask cluster this server computes on.

Nothing here carries a path, a parameter or a user's secret: labels are handler names, methods,
status codes, operation and repository names, phases and kinds.
"""

from __future__ import annotations

import inspect
import time
import weakref
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from .jobs.models import Job, Phase, WorkerRecord, utcnow

REQUESTS = Counter("remotem_requests", "Requests to the remote data API.", ["handler", "method", "code"])
REQUEST_SECONDS = Histogram(
    "remotem_request_duration_seconds", "Time to answer a request to the remote data API.", ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))
REDUCTIONS = Counter("remotem_reductions", "Interactive reductions answered, by operation.", ["operation"])
BYTES_READ = Counter("remotem_bytes_read", "Bytes interactive reductions read, by repository.", ["repository"])


def request_finished(handler: str, method: str, code: int, seconds: float) -> None:
    REQUESTS.labels(handler, method, str(code)).inc()
    REQUEST_SECONDS.labels(handler).observe(seconds)


def reduction_answered(operation: str, repository: str, bytes_read: int) -> None:
    REDUCTIONS.labels(operation).inc()
    BYTES_READ.labels(repository).inc(max(int(bytes_read), 0))


class JobStoreCollector(Collector):
    """Gauges read from the job store at scrape time, for the server that registered last
    (tests run servers one after another in a process; a deployment has one)."""

    def __init__(self) -> None:
        self._services: weakref.ReferenceType[Any] | None = None

    def watch(self, services: Any) -> None:
        self._services = weakref.ref(services)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        services = self._services() if self._services is not None else None
        if services is None:
            return
        jobs = GaugeMetricFamily("remotem_jobs", "This server owner's jobs, by phase and kind.",
                                 labels=["phase", "kind"])
        queued = GaugeMetricFamily("remotem_queue_length", "Jobs waiting for a worker (every owner's).")
        workers = GaugeMetricFamily("remotem_workers", "Job workers heard of in the last two minutes.")
        silence = GaugeMetricFamily("remotem_worker_silence_seconds", "Seconds since each recent worker was heard of.",
                                    labels=["worker"])
        store = services.jobs
        now = utcnow()
        with store._read() as session:  # noqa: SLF001 - the store's own read session
            rows = session.execute(select(Job.phase, Job.kind, func.count()).where(Job.owner == services.server_owner)
                                   .group_by(Job.phase, Job.kind)).all()
            waiting = session.scalar(select(func.count()).where(Job.phase == Phase.QUEUED.value)) or 0
            recent = session.execute(select(WorkerRecord.worker_id, WorkerRecord.seen)
                                     .where(WorkerRecord.seen > now - _RECENT)).all()
        for phase, kind, count in rows:
            jobs.add_metric([phase, kind], count)
        queued.add_metric([], waiting)
        workers.add_metric([], len(recent))
        for worker_id, seen in recent:
            silence.add_metric([worker_id], max((now - seen).total_seconds(), 0.0))
        yield from (jobs, queued, workers, silence)
        yield from _cluster_gauges(services)


def _cluster_gauges(services: Any) -> Iterator[GaugeMetricFamily]:
    """Workers and cores of the Dask cluster this server computes on, once it has one (a scrape
    never starts a cluster)."""
    client = getattr(services.cluster, "_client", None)
    if client is None or getattr(client, "status", "") != "running":
        return
    started = time.monotonic()
    try:
        info = client.scheduler_info(n_workers=-1) if _takes_n_workers(client) else client.scheduler_info()
    except Exception:  # a cluster going away is not the scrape's failure
        return
    members = (info.get("workers") or {}).values()
    cores = GaugeMetricFamily("remotem_cluster_cores", "Cores of the Dask cluster's workers.")
    count = GaugeMetricFamily("remotem_cluster_workers", "Workers of the Dask cluster.")
    cores.add_metric([], sum(int(worker.get("nthreads") or 0) for worker in members))
    count.add_metric([], len(members))
    ask = GaugeMetricFamily("remotem_cluster_scrape_seconds", "Time the scheduler took to describe the cluster.")
    ask.add_metric([], time.monotonic() - started)
    yield from (count, cores, ask)


def _takes_n_workers(client: Any) -> bool:
    return "n_workers" in inspect.signature(client.scheduler_info).parameters


_RECENT = timedelta(minutes=2)
COLLECTOR = JobStoreCollector()
REGISTRY.register(COLLECTOR)
