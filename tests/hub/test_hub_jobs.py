"""Jobs belong to the hub user who submitted them, even with every server on one job store."""

from __future__ import annotations

import pytest
from _scenario import PRIVATE_FILE

from jupyter_remotem.jobs.store import JobStore

pytestmark = pytest.mark.hub


def frame_stats_job(repository: str, path: str, output: str) -> dict:
    return {"repository": repository, "path": path, "operation": "frame_stats", "params": {},
            "output": {"repository": "notebooks", "path": output, "format": "hdf5"}}


def submit(hub, user: str, body: dict) -> dict:
    response = hub.user_api(user, "POST", "jobs", body)
    assert response.status_code == 201, response.text
    return response.json()


def listed(hub, user: str) -> set[str]:
    response = hub.user_api(user, "GET", "jobs")
    assert response.status_code == 200, response.text
    return {job["id"] for job in response.json()["jobs"]}


def test_a_job_is_owned_by_the_hub_user_and_invisible_to_others(hub):
    alices = submit(hub, "alice", frame_stats_job("private", PRIVATE_FILE, "alice_stats.h5"))
    # No worker runs in these tests: the job waits, but it is a real, stored job.
    assert alices["owner"] == "alice" and alices["phase"] in ("PENDING", "QUEUED")
    again = hub.user_api("alice", "GET", f"jobs/{alices['id']}")
    assert again.status_code == 200 and again.json()["owner"] == "alice"
    assert alices["id"] in listed(hub, "alice")

    assert alices["id"] not in listed(hub, "bob")
    for method, path in (("GET", ""), ("GET", "/results"), ("POST", "/cancel"), ("DELETE", "")):
        response = hub.user_api("bob", method, f"jobs/{alices['id']}{path}")
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert response.json()["error"]["code"] and PRIVATE_FILE not in response.text
    assert hub.user_api("alice", "GET", f"jobs/{alices['id']}").json()["phase"] == alices["phase"], \
        "bob's cancel must not have touched alice's job"


def test_each_user_sees_only_their_own_jobs_in_the_shared_store(hub):
    alices = submit(hub, "alice", frame_stats_job("demo", "scan.h5", "alice_scan_stats.h5"))
    bobs = submit(hub, "bob", frame_stats_job("demo", "scan.h5", "bob_scan_stats.h5"))
    assert bobs["owner"] == "bob"
    assert bobs["id"] not in listed(hub, "alice") and alices["id"] not in listed(hub, "bob")
    assert hub.user_api("alice", "GET", f"jobs/{bobs['id']}").status_code == 404
    store = JobStore(hub.job_database_url)
    try:
        owners = {job_id: store.get(job_id, None).owner for job_id in (alices["id"], bobs["id"])}
    finally:
        store.close()
    assert owners == {alices["id"]: "alice", bobs["id"]: "bob"}, "both servers write to the one store"


def test_a_job_cannot_read_a_repository_the_user_may_not_see(hub):
    response = hub.user_api("bob", "POST", "jobs", frame_stats_job("private", PRIVATE_FILE, "bob_private.h5"))
    assert response.status_code == 404, response.text
    assert PRIVATE_FILE not in response.text
