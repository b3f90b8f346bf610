"""The Dask cluster behind big work: started once per process and reused.

By default a ``LocalCluster`` of worker processes (one thread each, so numba and BLAS do not
fight over cores); with a scheduler address the server joins an existing cluster instead.
"""

from __future__ import annotations

import threading
from typing import Any


class ClusterManager:
    def __init__(self, scheduler_address: str = "", n_workers: int | None = None, security: Any = None) -> None:
        self.scheduler_address = scheduler_address
        #: The ``distributed.Security`` a scheduler that takes TLS only needs (a user's own cluster).
        self.security = security
        self.n_workers = n_workers
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        """A connected ``distributed.Client``, created on first use."""
        with self._lock:
            if self._client is None:
                from distributed import Client, LocalCluster

                if self.scheduler_address:
                    self._client = Client(self.scheduler_address, timeout=30, security=self.security)
                else:
                    import os

                    workers = self.n_workers or max(1, os.cpu_count() or 1)
                    self._cluster = LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=40,
                    )
                    self._client = Client(self._cluster)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None
