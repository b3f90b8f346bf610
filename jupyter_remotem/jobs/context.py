"""What a worker hands to a running job, what paces its reads, and what a finished job hands back.

Kept apart from the runners (:mod:`.runner` and the others named in ``worker.RUNNERS``) so that a
worker imports a runner, with its formats and kernels, only when a job of its kind comes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..compute.partitions import TARGET_BYTES

if TYPE_CHECKING:
    from ..compute.cluster import ClusterManager
    from ..compute.progress import Progress
    from ..storage.registry import RepositoryRegistry
    from .models import Job
    from .store import JobStore


@dataclass
class JobContext:
    """What a worker hands to a running job."""

    job: Job
    worker_id: str
    store: JobStore
    repositories: RepositoryRegistry
    #: Set by the worker to stop the job between partitions (cancel, pause, shutdown, time limit).
    cancel: threading.Event
    progress: Callable[[Progress], None]
    partition_bytes: int = TARGET_BYTES
    #: Bytes per second this job may read, to leave shared storage to interactive users.
    max_read_rate: float | None = None
    #: Where outputs for remote repositories are built before their upload (None: the default).
    scratch_dir: Path | None = None
    #: The Dask cluster for big inputs (None: always inline).
    cluster: ClusterManager | None = None
    #: Inputs at least this large run on the cluster; smaller ones inline, where task overhead
    #: and a second copy of the page cache in worker processes would cost more than they gain.
    cluster_threshold_bytes: int = 4 * 1024**3

    def recorder(self, files: list[dict[str, Any]]) -> None:
        """Record files and folders this job put into a repository (see :mod:`.written`)."""
        self.store.record_written(self.job.id, files)

    def client_for(self, nbytes: int) -> Any:
        """A distributed client when this job is big enough to use the cluster, else None."""
        if self.cluster is None or nbytes < self.cluster_threshold_bytes:
            return None
        return self.cluster.client()


@dataclass
class Outcome:
    results: list[dict[str, Any]]
    operation: str
    repository: str
    bytes_read: int
    seconds: float
    partitions: int
    resumed: int
    #: The steady part of the work (see :mod:`.rate`): what the throughput record holds.
    steady_bytes: int = 0
    steady_seconds: float = 0.0


class Throttle:
    """Waits after each partition so that reading stays under a rate; a cancel ends the wait."""

    def __init__(self, rate: float | None, cancel: threading.Event) -> None:
        self.rate = rate
        self.cancel = cancel
        self.started = time.monotonic()
        self.nbytes = 0

    def after(self, nbytes: int) -> float:
        """Wait as long as the rate asks; the seconds waited."""
        if not self.rate:
            return 0.0
        self.nbytes += nbytes
        delay = self.nbytes / self.rate - (time.monotonic() - self.started)
        if delay <= 0:
            return 0.0
        waited = time.monotonic()
        self.cancel.wait(delay)
        return time.monotonic() - waited
