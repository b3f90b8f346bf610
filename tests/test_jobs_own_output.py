"""A job whose worker was lost after it had put its result in place (killed between the rename
and marking the job done) is run again by the next attempt, which replaces its own earlier
files instead of failing on "already exists"; another job's file at that path is still refused."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from _api import WithServerWorker, call, job_finished, server_config
from sqlalchemy import update

from jupyter_remotem.jobs.models import Job, utcnow

BF = {"operation": "virtual_detector", "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]}}


class TestOwnOutput(WithServerWorker):
    @pytest.fixture
    def jp_server_config(self, repositories, tmp_path):
        (tmp_path / "out").mkdir()
        return server_config(repositories + [{"name": "out", "url": str(tmp_path / "out"), "writable": True}],
                             start_worker=True)

    async def test_a_lost_attempt_after_publishing_is_redone_over_its_own_files(self, jp_fetch, jp_serverapp,
                                                                               tmp_path):
        body = dict(BF, repository="demo", path="scan.h5", output={"repository": "out", "path": "bf.npy"})
        status, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert status == 201, job
        first = await job_finished(jp_fetch, job["id"])
        assert first["phase"] == "COMPLETED", first
        written = np.load(tmp_path / "out" / "bf.npy")

        # The state a worker killed right after the rename leaves: the result in place and in
        # the job's ledger, the job still EXECUTING with a heartbeat gone quiet.
        jobs = jp_serverapp.web_app.settings["remotem"].jobs
        with jobs.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job["id"]).values(
                phase="EXECUTING", ended=None, results=None, worker_id="lost:1:x",
                heartbeat=utcnow() - timedelta(hours=1)))
        assert jobs.requeue_stale(60.0) == [job["id"]]
        again = await job_finished(jp_fetch, job["id"])
        assert again["phase"] == "COMPLETED", again.get("error")
        assert again["attempts"] == first["attempts"] + 1
        assert [r["path"] for r in again["results"]] == [r["path"] for r in first["results"]]
        np.testing.assert_array_equal(np.load(tmp_path / "out" / "bf.npy"), written)
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bf.npy", "bf.npy.json"]

        # Another job may still not write over it without asking.
        status, refused = await call(jp_fetch, "POST", "jobs", body=body)
        assert status == 409 and "already exists" in refused["error"]["message"], refused
