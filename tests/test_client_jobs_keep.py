"""Keeping a job's files from the notebook client: ``job.delete(keep_files=True)`` and
``job.cancel(keep_files=True)`` say so to the server; without, the files go with the job."""

from __future__ import annotations

import pytest
from _api import server_config
from _client import client, in_thread, kernel_env, stop_server_worker  # noqa: F401 - fixtures

import jupyter_remotem as remotem

DISK = remotem.disk(32, 32, 9)


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, start_worker=True)


@pytest.fixture(autouse=True)
def worker_stopped_afterwards(stop_server_worker):
    return stop_server_worker


async def test_delete_keeps_or_removes_the_files(client, jp_root_dir):
    ds = await in_thread(client.open, "demo", "scan.h5")
    kept = await in_thread(ds.submit, "virtual_detector", {"detectors": [DISK]}, output="results/kept.npy")
    gone = await in_thread(ds.submit, "virtual_detector", {"detectors": [DISK]}, output="results/gone.npy")
    for job in (kept, gone):
        await in_thread(job.wait, 120, False)
        assert job.status == "COMPLETED", job.info
    await in_thread(kept.delete, True)
    await in_thread(gone.delete)
    files = sorted(p.name for p in (jp_root_dir / "results").iterdir() if not p.name.startswith("."))
    assert "kept.npy" in files and "gone.npy" not in files, files
    quota = await in_thread(client.quota)
    assert quota["usage"]["storage_bytes"] >= (jp_root_dir / "results" / "kept.npy").stat().st_size


class TestWithoutWorker:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories)  # no worker: the job stays QUEUED until cancelled

    async def test_cancel_keeps_the_files_when_asked(self, client):
        ds = await in_thread(client.open, "demo", "scan.h5")
        job = await in_thread(ds.submit, "virtual_detector", {"detectors": [DISK]}, output="results/c.npy")
        await in_thread(job.cancel, True)
        assert job.status == "ABORTED" and job.info["keep_files"] is True, job.info
        other = await in_thread(ds.submit, "virtual_detector", {"detectors": [DISK]}, output="results/d.npy")
        await in_thread(other.cancel)
        assert other.status == "ABORTED" and other.info["keep_files"] is False, other.info
