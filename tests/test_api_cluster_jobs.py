"""A job sent to one of its owner's clusters (``"cluster": id``): the detached worker joins that
cluster through the private channel, the result is the one computed without it, and the job's
details name the cluster.  A cluster that is not the caller's (or not running) is refused."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from _api import WithServerWorker, call, job_finished, server_config

DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}


def reduction_job(output: str, **extra):
    return {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
            "params": {"detectors": [DISK]},
            "output": {"repository": "results", "path": output, "format": "npy"}, **extra}


@pytest.fixture
def repositories(repositories, results_dir):
    return repositories + [{"name": "results", "url": str(results_dir), "writable": True}]


class TestJobsOnACluster(WithServerWorker):
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, start_worker=True, cluster_backend="local", cluster_processes=False)

    @pytest.fixture(autouse=True)
    def clusters_end_with_the_test(self, jp_serverapp):
        yield
        jp_serverapp.web_app.settings["remotem"].clusters.close_all()

    async def test_a_reduction_on_a_started_cluster_gives_the_same_result_and_names_it(
            self, jp_fetch, jp_serverapp, results_dir):
        registry = jp_serverapp.web_app.settings["remotem"].clusters
        code, cluster = await call(jp_fetch, "POST", "clusters", body={"workers": 1})
        assert code == 201, cluster
        scheduler = registry._entries[cluster["id"]].running.cluster.scheduler  # threads of this process
        transitions_before = scheduler.transition_counter

        code, on_cluster = await call(jp_fetch, "POST", "jobs",
                                      body=reduction_job("bf-cluster.npy", cluster=cluster["id"]))
        assert code == 201, on_cluster
        assert on_cluster["cluster"] == cluster["id"] and on_cluster["request"]["cluster"] == cluster["id"]
        # Without a cluster: the same reduction computed by the server, as the viewer asks it.
        interactive = {key: value for key, value in reduction_job("-").items() if key != "output"}
        code, reference = await call(jp_fetch, "POST", "reductions", body=interactive)
        assert code == 200, reference

        done = await job_finished(jp_fetch, on_cluster["id"])
        assert done["phase"] == "COMPLETED", done
        expected = np.array(reference["arrays"]["intensity"]["data"])
        assert np.array_equal(np.load(results_dir / "bf-cluster.npy"), expected)
        assert scheduler.transition_counter > transitions_before, "its partitions ran on the cluster"
        assert done["cluster"] == cluster["id"]
        assert any("Dask cluster" in line["message"] for line in done["log"]), done["log"]


async def test_a_job_naming_a_cluster_that_is_not_the_callers_is_refused(jp_fetch, jp_serverapp):
    registry = jp_serverapp.web_app.settings["remotem"].clusters
    foreign = await asyncio.to_thread(registry.start, "someone-else", {"workers": 0})
    try:
        for cluster_id in (foreign["id"], "0123abcd"):
            code, body = await call(jp_fetch, "POST", "jobs", body=reduction_job("bf.npy", cluster=cluster_id))
            assert code == 404 and body["error"]["code"] == "not_found", body
        code, body = await call(jp_fetch, "POST", "jobs", body=reduction_job("bf.npy", cluster="../x"))
        assert code == 400 and body["error"]["code"] == "bad_parameter"
        export = {"repository": "demo", "path": "scan.h5", "operation": "export", "params": {},
                  "output": {"repository": "results", "path": "copy.h5"}, "cluster": foreign["id"]}
        code, body = await call(jp_fetch, "POST", "jobs", body=export)
        assert code == 400 and "'cluster' is for reductions" in body["error"]["message"], body
    finally:
        await asyncio.to_thread(registry.close_all)
