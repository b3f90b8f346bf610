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


def test_a_direct_save_a_server_stop_interrupted_ends_with_the_reason_and_leaves_nothing(home, demo_dir):
    """The server stopped between a direct save's record and the end of its files: the next one
    ends it, and removes what it wrote (a published file, a half-written one), and only that."""
    from jupyter_remotem.jobs.models import Phase
    from jupyter_remotem.jobs.output import temporary_name
    from jupyter_remotem.jobs.store import JobStore

    results = home / "results"
    results.mkdir()
    url = f"sqlite:///{home / 'jobs.sqlite'}"
    request = {"repository": "demo", "path": "scan.npy", "dataset": None, "operation": "frame_stats",
               "params": {}, "roi": None,
               "output": {"repository": "results", "path": "stats.npy", "format": "npy", "overwrite": False}}
    # What the stopped server left: the held record, its NPY's sidecar already in place and
    # recorded, the NPY half-written under its temporary name; and a file of someone else's.
    store = JobStore(url)
    held = store.create("ada", "reduction", request, phase=Phase.HELD)
    published = results / "stats.npy.json"
    published.write_bytes(b'{"job_id": "..."}')
    stat = published.stat()
    store.record_written(held.id, [{"repository": "results", "path": "stats.npy.json", "kind": "file",
                                    "format": "json", "size": stat.st_size, "mtime": stat.st_mtime}])
    partial = results / temporary_name("stats.npy", held.id)
    partial.write_bytes(b"\x93NUMPY half")
    (results / "other.npy").write_bytes(b"kept")
    store.close()
    config = {
        "ServerApp": {"jpserver_extensions": {"jupyter_remotem": True}},
        "RemotemApp": {
            "repositories": [{"name": "demo", "url": str(demo_dir)},
                             {"name": "results", "url": str(results), "writable": True}],
            "generate_demo_data": False, "owner": "ada", "job_database_url": url,
        },
    }
    server = start_server(home, config)
    try:
        job = wait(lambda: (lambda j: j if j["phase"] != "HELD" else None)(
            server.request("GET", f"remotem/api/jobs/{held.id}")[1]), "the interrupted save to end")
        assert job["phase"] == "ERROR" and job["error"]["code"] == "interrupted", job
        assert not partial.exists(), "its temporary file is removed"
        assert not published.exists(), "the file it had published is removed"
        assert [p.name for p in results.iterdir()] == ["other.npy"]
        code, usage = server.request("GET", "remotem/api/quota")
        assert code == 200 and usage["usage"]["storage_bytes"] == 0, usage
    finally:
        stop_group(server.process)
