"""Administrator actions on another user's jobs that a real worker runs: a cancel ends a running
job, a requeued failed job runs again to completion, and its owner reads both in its record."""

from __future__ import annotations

import shutil

import pytest
from _api import call, server_config, stop_started_worker, wait_until

from jupyter_remotem.jobs.requests import JobRequest

DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}


@pytest.fixture
def repositories(repositories, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    return repositories + [{"name": "results", "url": str(out), "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, owner="root", user_groups=["staff"], admin_groups=["staff"],
                         start_worker=True, worker_arguments=["--partition-bytes", "131072",
                                                              "--max-read-rate", "1000000", "--report", "0.2"])


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)


def bobs_job(services, repository: str, path: str, output: str):
    """A reduction another user submitted to the shared store."""
    request = JobRequest.from_json({"repository": repository, "path": path, "operation": "virtual_detector",
                                    "params": {"detectors": [DISK]},
                                    "output": {"repository": "results", "path": output, "format": "hdf5"}})
    job = services.jobs.create("bob", request.kind, request.to_json(), quote={"seconds": 5.0})
    services.supervisor.ensure_running()
    return job


async def phase_of(jp_fetch, job_id: str, phases: set[str]):
    async def reached():
        job = (await call(jp_fetch, "GET", "admin", "jobs", job_id))[1]
        return job if job["phase"] in phases else None

    return await wait_until(reached, f"job {job_id} in {sorted(phases)}", timeout=120)


async def test_cancel_ends_a_running_job_of_another_user(jp_fetch, jp_serverapp, tmp_path):
    services = jp_serverapp.web_app.settings["remotem"]
    job = bobs_job(services, "demo", "scan.h5", "slow.h5")

    async def under_way():
        running = (await call(jp_fetch, "GET", "admin", "jobs", job.id))[1]
        return running["phase"] == "EXECUTING" and (running["progress"] or {}).get("done")

    await wait_until(under_way, "the job to be under way", timeout=120)
    code, asked = await call(jp_fetch, "POST", "admin", "jobs", job.id, "cancel")
    assert code == 200, asked
    ended = await phase_of(jp_fetch, job.id, {"ABORTED", "COMPLETED", "ERROR"})
    assert ended["phase"] == "ABORTED", "its worker stopped it"
    assert ended["results"] == [] and not (tmp_path / "results" / "slow.h5").exists(), "it ended before it was done"
    record = services.jobs.history(job.id, "bob")
    assert [(a["admin"], a["action"]) for a in record["admin_actions"]] == [("root", "cancel")]


async def test_a_requeued_failed_job_runs_again(jp_fetch, jp_serverapp, demo_dir, tmp_path):
    services = jp_serverapp.web_app.settings["remotem"]
    job = bobs_job(services, "results", "late.h5", "late-bf.h5")
    failed = await phase_of(jp_fetch, job.id, {"ERROR", "COMPLETED"})
    assert failed["phase"] == "ERROR", failed
    shutil.copy(demo_dir / "scan.h5", tmp_path / "results" / "late.h5")  # what it lacked is there now
    code, again = await call(jp_fetch, "POST", "admin", "jobs", job.id, "requeue")
    assert code == 200 and again["phase"] == "QUEUED", again
    done = await phase_of(jp_fetch, job.id, {"ERROR", "COMPLETED"})
    assert done["phase"] == "COMPLETED", done
    assert done["attempts"] == 2 and (tmp_path / "results" / "late-bf.h5").exists()
    record = services.jobs.history(job.id, "bob")
    assert [h["phase"] for h in record["history"]] == ["QUEUED", "EXECUTING", "ERROR", "QUEUED", "EXECUTING",
                                                      "COMPLETED"]
    assert record["admin_actions"][0]["action"] == "requeue"
