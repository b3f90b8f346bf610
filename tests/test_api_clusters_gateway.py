"""``remotem/api/clusters`` on a real dask-gateway server (its local backend, simple authentication):
start with cores and memory passed as the gateway's options, watch through the gateway, stop.  The
channel a job worker reads reaches the cluster through the gateway's proxy with its TLS credentials, and a
reduction job naming the cluster runs there."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _api import WithServerWorker, call, job_finished, server_config, wait_until
from _gateway import gateway_server

from jupyter_remotem.clusters.backends import close_gateway
from jupyter_remotem.clusters.channel import FILE_NAME, read_access


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with gateway_server(tmp_path_factory.mktemp("gateway")) as address:
        yield address


@pytest.fixture
def jp_server_config(repositories, gateway):
    return server_config(repositories, cluster_backend="auto", cluster_gateway_address=gateway,
                         cluster_gateway_auth="basic", cluster_limits={"workers": 1})


async def test_a_gateway_cluster_is_started_watched_used_and_stopped(jp_fetch, jp_serverapp, gateway: str,
                                                                      tmp_path: Path):
    services = jp_serverapp.web_app.settings["remotem"]
    code, schema = await call(jp_fetch, "GET", "clusters", "options")
    assert code == 200 and schema["backend"] == "gateway"
    code, started = await call(jp_fetch, "POST", "clusters", body={"workers": 1, "memory_per_worker_gib": 0.5})
    assert code == 201, started
    cluster_id = started["id"]
    try:
        assert started["backend"] == "gateway" and started["dashboard_link"].startswith(gateway)

        async def one_worker() -> Any:
            shown = (await call(jp_fetch, "GET", "clusters", cluster_id))[1]
            return shown if shown["workers"] == 1 else None

        shown = await wait_until(one_worker, "the gateway's worker", timeout=60)
        assert shown["cores"] == 1 and shown["memory_bytes"] == 2**29, shown

        access = read_access(services.supervisor.state_dir / FILE_NAME, cluster_id, services.server_owner)
        assert access.address.startswith("gateway://") and access.tls_key

        def compute() -> int:
            from distributed import Client

            with Client(access.address, security=access.security(), timeout=30) as client:
                return client.submit(lambda: 6 * 7).result(timeout=30)

        assert await asyncio.to_thread(compute) == 42
    finally:
        code, _ = await call(jp_fetch, "DELETE", "clusters", cluster_id)
    assert code == 204
    assert (await call(jp_fetch, "GET", "clusters"))[1]["clusters"] == []

    def listed_by_gateway() -> list[Any]:
        from dask_gateway import Gateway

        client = Gateway(gateway, auth="basic")
        try:
            return client.list_clusters()
        finally:
            close_gateway(client)

    assert await asyncio.to_thread(listed_by_gateway) == [], "the gateway stopped it too"


DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}


class TestAJobOnAGatewayCluster(WithServerWorker):
    @pytest.fixture
    def repositories(self, repositories, results_dir):
        return repositories + [{"name": "results", "url": str(results_dir), "writable": True}]

    @pytest.fixture
    def jp_server_config(self, repositories, gateway):
        return server_config(repositories, start_worker=True, cluster_gateway_address=gateway,
                             cluster_gateway_auth="basic")

    async def test_a_reduction_job_runs_on_the_gateway_cluster_it_names(self, jp_fetch, results_dir):
        code, cluster = await call(jp_fetch, "POST", "clusters", body={"workers": 1, "memory_per_worker_gib": 1})
        assert code == 201, cluster
        try:
            request = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
                       "params": {"detectors": [DISK]}}
            code, job = await call(jp_fetch, "POST", "jobs", body=dict(
                request, cluster=cluster["id"], output={"repository": "results", "path": "bf.npy"}))
            assert code == 201 and job["cluster"] == cluster["id"], job
            code, reference = await call(jp_fetch, "POST", "reductions", body=request)
            assert code == 200, reference
            done = await job_finished(jp_fetch, job["id"])
            assert done["phase"] == "COMPLETED", done
            assert np.array_equal(np.load(results_dir / "bf.npy"),
                                  np.array(reference["arrays"]["intensity"]["data"]))
            assert any("Dask cluster at gateway://" in line["message"] for line in done["log"]), done["log"]
        finally:
            assert (await call(jp_fetch, "DELETE", "clusters", cluster["id"]))[0] == 204
