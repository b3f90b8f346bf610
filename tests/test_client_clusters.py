"""``c.clusters`` in the notebook client, through a real server: options from the server, start,
scale, adapt, watch, stop; a refusal over a limit is the client's error with the server's words."""

from __future__ import annotations

import time

import numpy as np
import pytest
from _api import server_config
from _client import client, in_thread, kernel_env, stop_server_worker  # noqa: F401 - fixtures

import jupyter_remotem as remotem

from jupyter_remotem.client.errors import BadRequest, RemotemError


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, cluster_backend="local", cluster_processes=False,
                         cluster_limits={"workers": 2, "memory_per_worker_gib": 1})


@pytest.fixture
def clusters_end_with_the_test(jp_serverapp):
    yield
    jp_serverapp.web_app.settings["remotem"].clusters.close_all()


async def test_the_client_starts_scales_adapts_and_stops_a_cluster(client, clusters_end_with_the_test):  # noqa: F811
    def run():
        options = {option["name"]: option for option in client.clusters.options()}
        with pytest.raises(RemotemError) as over:
            client.clusters.start(memory_per_worker_gib=2)
        with pytest.raises(BadRequest) as unknown:
            client.clusters.start(gpus=1)
        cluster = client.clusters.start(workers=1, memory_per_worker_gib=0.5)
        started = repr(cluster), cluster.dashboard_link, cluster.state
        listed = [c.id for c in client.clusters.list()]
        cluster.scale(2)
        deadline = time.monotonic() + 15
        while cluster.refresh().workers < 2:
            assert time.monotonic() < deadline, "the second worker did not come"
            time.sleep(0.02)  # poll interval
        scaled = cluster.workers, repr(cluster)
        adapted = cluster.adapt(0, 2).adaptive
        cluster.stop()
        ended = client.clusters.get(cluster.id)
        return options, over.value, unknown.value, cluster, started, listed, scaled, adapted, ended, \
            client.clusters.list()

    options, over, unknown, cluster, started, listed, scaled, adapted, ended, after = await in_thread(run)
    assert options["memory_per_worker_gib"]["maximum"] == 1 and options["workers"]["maximum"] == 2
    assert over.code == "cluster_limit" and over.status == 413 and "memory_per_worker_gib" in str(over)
    assert unknown.code == "bad_parameter" and "workers" in unknown.hint
    text, link, state = started
    assert state == "running" and text.startswith(f"<Cluster {cluster.id[:8]} running: 1 workers, 1 cores, 0.5 GiB")
    assert link is None or link.startswith("http")
    assert listed == [cluster.id]
    assert scaled[0] == 2 and "2 workers, 2 cores, 1.0 GiB" in scaled[1]
    assert adapted is True
    assert ended.state == "stopped" and repr(ended) == f"<Cluster {cluster.id[:8]} stopped (stopped)>"
    assert after == []


class TestAJobOnYourCluster:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, start_worker=True, cluster_backend="local", cluster_processes=False)

    @pytest.fixture(autouse=True)
    def ends(self, stop_server_worker, clusters_end_with_the_test):  # noqa: F811
        return None

    async def test_a_job_submitted_to_your_cluster_runs_there_and_gives_the_interactive_answer(self, client):  # noqa: F811
        disk = remotem.disk(32, 32, 9)

        def run():
            cluster = client.clusters.start(workers=1)
            ds = client.open("demo", "scan.h5")
            job = ds.submit("virtual_detector", {"detectors": [disk]}, output="bf-on-cluster.npy", cluster=cluster)
            job.wait(120, False)
            return cluster, job, job.result(), ds.virtual_detector(disk)

        cluster, job, result, interactive = await in_thread(run)
        assert job.status == "COMPLETED" and job.cluster == cluster.id
        np.testing.assert_array_equal(result.reshape(interactive.shape), interactive)  # npy keeps the detector axis
