"""Fixtures of the saved-result tests: a writable ``results`` repository beside the usual ones,
and a server whose detached worker runs the jobs (stopped after each test)."""

from __future__ import annotations

import pytest
from _api import call, server_config, stop_started_worker, wait_until


@pytest.fixture
def repositories(repositories, results_dir):
    return repositories + [{"name": "results", "url": str(results_dir), "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, start_worker=True)


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)


async def run_job(jp_fetch, body: dict) -> dict:
    """Submit a job and wait for it to complete (an error fails the test); the finished job."""
    code, job = await call(jp_fetch, "POST", "jobs", body=body)
    assert code == 201, job

    async def finished():
        current = (await call(jp_fetch, "GET", "jobs", job["id"]))[1]
        return current if current["phase"] in ("COMPLETED", "ERROR") else None

    done = await wait_until(finished, f"job {job['id']} to finish", timeout=120)
    assert done["phase"] == "COMPLETED", done
    return done
