"""A job keeps running when the Jupyter server that started it stops, and a new server sees it."""

from __future__ import annotations

import time

import numpy as np
import pytest
from _processes import start_server, stop_group, stop_workers, worker_pids


def wait(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # poll interval of a deadline-bounded wait


@pytest.fixture
def home(tmp_path):
    yield tmp_path
    stop_workers(tmp_path / "data")


def test_job_survives_a_server_restart(home, demo_dir):
    results = home / "results"
    results.mkdir()
    config = {
        "ServerApp": {"jpserver_extensions": {"jupyter_remotem": True}},
        "RemotemApp": {
            "repositories": [
                {"name": "demo", "url": str(demo_dir)},
                {"name": "results", "url": str(results), "writable": True},
            ],
            "generate_demo_data": False,
            # Slow the worker down so the job is still running when the server goes away.
            "worker_arguments": ["--partition-bytes", "262144", "--max-read-rate", "2000000", "--report", "0.25"],
        },
    }
    first = start_server(home, config)
    try:
        status, job = first.request("POST", "remotem/api/jobs", {
            "repository": "demo", "path": "scan.npy", "operation": "frame_stats", "params": {},
            "output": {"repository": "results", "path": "stats.npy", "format": "npy"},
        })
        assert status == 201, job
        wait(lambda: (first.request("GET", f"remotem/api/jobs/{job['id']}")[1]["progress"] or {}).get("done"),
             "the job to make progress")
    finally:
        stop_group(first.process)
    [worker] = worker_pids(home / "data")  # the worker outlived the server

    second = start_server(home, config)
    try:
        status, listing = second.request("GET", "remotem/api/jobs")
        assert [j["id"] for j in listing["jobs"]] == [job["id"]]
        assert listing["jobs"][0]["phase"] in ("EXECUTING", "COMPLETED")
        done = wait(lambda: (lambda j: j if j["phase"] in ("COMPLETED", "ERROR") else None)(
            second.request("GET", f"remotem/api/jobs/{job['id']}")[1]), "the job to finish", timeout=120)
        assert done["phase"] == "COMPLETED", done
        assert done["attempts"] == 1, "the job was not restarted"
        assert worker_pids(home / "data") == [worker], "the same worker finished it"
    finally:
        stop_group(second.process)
    scan = np.load(demo_dir / "scan.npy").astype(np.float64)
    np.testing.assert_allclose(np.load(results / "stats.npy"), scan.reshape(-1, *scan.shape[2:]).mean(axis=0))
