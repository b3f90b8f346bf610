"""A local cluster of worker threads inside the server: its workers keep taking tasks whatever the
server's own memory, and its client never becomes the default scheduler of the server's process."""

from __future__ import annotations

import dask
import numpy as np
import psutil
import pytest
from distributed import default_client

from jupyter_remotem.clusters.backends import LocalBackend
from jupyter_remotem.clusters.options import ClusterOptions


def test_thread_workers_are_not_paused_by_the_servers_memory_and_their_client_is_not_the_default():
    # A limit far below what this process already holds: measured, it would pause the worker at once.
    limit_gib = 0.02
    assert psutil.Process().memory_info().rss > limit_gib * 2**30
    options = ClusterOptions(workers=1, cores_per_worker=1, memory_per_worker_gib=limit_gib, adapt_minimum=None,
                             adapt_maximum=None, idle_timeout_s=600)
    scheduler_before = dask.config.get("scheduler", None)
    running = LocalBackend(processes=False).start(options)
    try:
        client = running.client
        [worker] = running.cluster.workers.values()
        assert worker.memory_manager.memory_limit == int(limit_gib * 2**30)  # still what it offers
        assert "memory_monitor" not in worker.periodic_callbacks
        future = client.submit(np.add, np.ones(1000), 1)
        assert float(future.result(timeout=30).sum()) == 2000.0
        assert client.run(lambda dask_worker: dask_worker.status.name) == {worker.address: "running"}
        assert dask.config.get("scheduler", None) == scheduler_before
        with pytest.raises(ValueError):
            default_client()
        scaled_to = 2
        running.scale(scaled_to)
        client.wait_for_workers(scaled_to, timeout=30)
        assert all("memory_monitor" not in w.periodic_callbacks for w in running.cluster.workers.values())
    finally:
        running.close()
