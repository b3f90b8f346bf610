"""Administration on a real JupyterHub: alice's group (``microscopy``) administers, as the hub
says; from her own server she sees and steers bob's job in the store every server shares, and
bob, outside the group, finds no administration API at all."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.hub

PATHS = ("admin", "admin/jobs", "admin/queue", "admin/workers", "admin/throughput", "admin/quotas")


def test_a_hub_group_administers_every_users_jobs(hub):
    job = {"repository": "demo", "path": "scan.h5", "operation": "frame_stats", "params": {},
           "output": {"repository": "notebooks", "path": "bob_admin_stats.h5", "format": "hdf5"}}
    made = hub.user_api("bob", "POST", "jobs", job)
    assert made.status_code == 201, made.text
    bobs = made.json()["id"]

    listing = hub.user_api("alice", "GET", "admin/jobs?user=bob")
    assert listing.status_code == 200, listing.text
    assert bobs in {j["id"] for j in listing.json()["jobs"]} and "bob" in listing.json()["users"]
    paused = hub.user_api("alice", "POST", f"admin/jobs/{bobs}/pause", {})
    assert paused.status_code == 200 and paused.json()["paused_by"] == "alice", paused.text
    refused = hub.user_api("bob", "POST", f"jobs/{bobs}/resume", {})
    assert refused.status_code == 409 and "administrator" in refused.json()["error"]["message"]
    record = hub.user_api("bob", "GET", f"jobs/{bobs}").json()
    assert [(a["admin"], a["action"]) for a in record["admin_actions"]] == [("alice", "pause")]
    cancelled = hub.user_api("alice", "POST", f"admin/jobs/{bobs}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json()["phase"] == "ABORTED"

    missing = hub.user_api("bob", "GET", "nonesuch")
    for path in PATHS:
        answer = hub.user_api("bob", "GET", path)
        assert answer.status_code == 404 and answer.json() == missing.json(), (path, answer.text)
