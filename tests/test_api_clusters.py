"""``remotem/api/clusters``: start, watch, scale, adapt and stop a Dask cluster; limits, other users'
clusters, the idle culler, and the server's activity (watching a cluster is not using the server).

Clusters here are the smallest there are: threads of the test's server (``cluster_processes=False``),
one thread each.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _api import call, server_config, wait_until

from jupyter_remotem.clusters.channel import FILE_NAME, read_access


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, cluster_backend="local", cluster_processes=False,
                         cluster_idle_check_interval=0.2, cluster_limits={"workers": 2, "clusters": 2})


def registry(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["remotem"].clusters


@pytest.fixture
def clusters_end_with_the_test(jp_serverapp):
    yield
    registry(jp_serverapp).close_all()


async def test_the_options_are_served_with_this_servers_limits(jp_fetch):
    code, schema = await call(jp_fetch, "GET", "clusters", "options")
    assert code == 200 and schema["backend"] == "local" and schema["clusters_per_user"] == 2
    options = {option["name"]: option for option in schema["options"]}
    assert set(options) == {"workers", "cores_per_worker", "memory_per_worker_gib", "adapt_minimum",
                            "adapt_maximum", "idle_timeout_s"}
    assert options["workers"]["maximum"] == 2 and options["adapt_maximum"]["maximum"] == 2
    assert options["cores_per_worker"]["maximum"] == 4 and options["adapt_maximum"]["nullable"] is True


async def test_a_cluster_is_started_watched_scaled_adapted_and_stopped(jp_fetch, jp_serverapp,
                                                                        clusters_end_with_the_test):
    code, started = await call(jp_fetch, "POST", "clusters", body={"workers": 1, "memory_per_worker_gib": 0.5})
    assert code == 201, started
    cluster_id = started["id"]
    assert started["state"] == "running" and started["workers"] == 1 and started["cores"] == 1
    assert started["memory_bytes"] == 2**29 and started["tasks"] == 0
    assert "address" not in started and "tls" not in repr(started).lower()
    code, listed = await call(jp_fetch, "GET", "clusters")
    assert [c["id"] for c in listed["clusters"]] == [cluster_id]

    # Work on the cluster shows as its tasks (sent through the channel a job worker uses).
    services = jp_serverapp.web_app.settings["remotem"]
    access = read_access(services.supervisor.state_dir / FILE_NAME, cluster_id, services.server_owner)
    assert access.address.startswith("tls://")

    def submit_waiting_task() -> Any:
        from distributed import Client, Event

        client = Client(access.address, security=access.security(), timeout=10)
        release = Event("release", client=client)
        future = client.submit(lambda: Event("release").wait(30), pure=False)
        return client, release, future

    client, release, future = await asyncio.to_thread(submit_waiting_task)
    try:
        async def busy() -> Any:
            return (await call(jp_fetch, "GET", "clusters", cluster_id))[1]["tasks"] == 1

        await wait_until(busy, "the task to show", timeout=15)
    finally:
        await asyncio.to_thread(lambda: (release.set(), future.result(timeout=15), client.close()))

    code, scaled = await call(jp_fetch, "PATCH", "clusters", cluster_id, body={"workers": 2})
    assert code == 200 and scaled["options"]["workers"] == 2 and scaled["adaptive"] is False

    async def two_workers() -> Any:
        shown = (await call(jp_fetch, "GET", "clusters", cluster_id))[1]
        return shown if shown["workers"] == 2 else None

    shown = await wait_until(two_workers, "the second worker", timeout=15)
    assert shown["cores"] == 2 and shown["memory_bytes"] == 2 * 2**29

    code, adapted = await call(jp_fetch, "PATCH", "clusters", cluster_id,
                               body={"adapt_minimum": 1, "adapt_maximum": 2})
    assert code == 200 and adapted["adaptive"] is True
    assert (adapted["options"]["adapt_minimum"], adapted["options"]["adapt_maximum"]) == (1, 2)
    code, fixed = await call(jp_fetch, "PATCH", "clusters", cluster_id, body={"workers": 1})
    assert code == 200 and fixed["adaptive"] is False and fixed["options"]["adapt_maximum"] is None

    code, refused = await call(jp_fetch, "PATCH", "clusters", cluster_id, body={"cores_per_worker": 2})
    assert code == 400 and refused["error"]["code"] == "bad_parameter"

    code, _ = await call(jp_fetch, "DELETE", "clusters", cluster_id)
    assert code == 204
    assert (await call(jp_fetch, "GET", "clusters"))[1]["clusters"] == []
    code, ended = await call(jp_fetch, "GET", "clusters", cluster_id)
    assert code == 200 and ended["state"] == "stopped" and ended["stopped_reason"] == "stopped"
    with pytest.raises(Exception):  # gone from the channel too
        read_access(services.supervisor.state_dir / FILE_NAME, cluster_id, services.server_owner)
    code, again = await call(jp_fetch, "DELETE", "clusters", cluster_id)
    assert code == 404 and again["error"]["code"] == "not_found"


async def test_options_over_a_limit_or_of_the_wrong_kind_are_refused(jp_fetch, clusters_end_with_the_test):
    code, body = await call(jp_fetch, "POST", "clusters", body={"workers": 3})
    assert code == 413 and body["error"]["code"] == "cluster_limit"
    assert body["error"]["details"] == {"option": "workers", "allowed": 2} and body["error"]["hint"]
    code, body = await call(jp_fetch, "POST", "clusters", body={"adapt_minimum": 0, "adapt_maximum": 5})
    assert code == 413 and body["error"]["details"]["option"] == "adapt_maximum"
    for wrong in ({"workers": "two"}, {"workers": 1.5}, {"cores_per_worker": 0}, {"gpus": 1}, [1],
                  {"adapt_minimum": 2, "adapt_maximum": 1}):
        code, body = await call(jp_fetch, "POST", "clusters", body=wrong)
        assert code == 400 and set(body["error"]) >= {"code", "message", "hint"}, wrong
    assert (await call(jp_fetch, "GET", "clusters"))[1]["clusters"] == []

    for _ in range(2):
        assert (await call(jp_fetch, "POST", "clusters", body={"workers": 0}))[0] == 201
    code, body = await call(jp_fetch, "POST", "clusters", body={"workers": 0})
    assert code == 413 and body["error"]["details"] == {"option": "clusters", "allowed": 2}


async def test_another_users_cluster_is_not_found(jp_fetch, jp_serverapp, clusters_end_with_the_test):
    foreign = await asyncio.to_thread(registry(jp_serverapp).start, "someone-else", {"workers": 0})
    assert (await call(jp_fetch, "GET", "clusters"))[1]["clusters"] == []
    for method, body in (("GET", None), ("PATCH", {"workers": 1}), ("DELETE", None)):
        code, answer = await call(jp_fetch, method, "clusters", foreign["id"], body=body)
        assert code == 404 and answer["error"]["code"] == "not_found", method
    assert registry(jp_serverapp).get("someone-else", foreign["id"])["state"] == "running"


async def test_an_idle_cluster_is_stopped_by_the_server(jp_fetch, clusters_end_with_the_test):
    code, started = await call(jp_fetch, "POST", "clusters", body={"workers": 0, "idle_timeout_s": 1})
    assert code == 201 and started["options"]["idle_timeout_s"] == 1

    async def stopped() -> Any:
        shown = (await call(jp_fetch, "GET", "clusters", started["id"]))[1]
        return shown if shown["state"] == "stopped" else None

    ended = await wait_until(stopped, "the idle cluster to stop", timeout=30)
    assert ended["stopped_reason"] == "idle" and ended["idle_s"] >= 1


async def test_watching_clusters_is_not_activity_of_the_user(jp_fetch, jp_serverapp, clusters_end_with_the_test):
    code, started = await call(jp_fetch, "POST", "clusters", body={"workers": 0})
    assert code == 201
    settings = jp_serverapp.web_app.settings
    before = settings["api_last_activity"]
    for _ in range(3):
        assert (await call(jp_fetch, "GET", "clusters"))[0] == 200
        assert (await call(jp_fetch, "GET", "clusters", started["id"]))[0] == 200
    assert settings["api_last_activity"] == before
    assert (await call(jp_fetch, "DELETE", "clusters", started["id"]))[0] == 204
    assert settings["api_last_activity"] > before, "stopping one is"
