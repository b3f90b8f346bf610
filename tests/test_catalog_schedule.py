"""``c.RemotemApp.catalog_refresh``: every repository is re-indexed on a schedule, as index jobs
that never pile up behind one another, and a file added later is found after the next run."""

from __future__ import annotations

import numpy as np
import pytest
from _api import call, server_config, stop_started_worker, wait_until


@pytest.fixture
def repositories(repositories, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    return repositories + [{"name": "incoming", "url": str(folder), "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, start_worker=True, catalog_refresh=0.5)


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)


async def test_repositories_are_indexed_on_a_schedule(jp_fetch, tmp_path):
    async def found(query: str):
        code, answer = await call(jp_fetch, "GET", "search", q=query)
        assert code == 200, answer
        return answer["hits"]

    assert await wait_until(lambda: found("format:npy AND repository:demo"), "the demo repository indexed",
                            timeout=120)
    np.save(tmp_path / "incoming" / "late.npy", np.ones((2, 2, 3, 3), np.float32))
    hits = await wait_until(lambda: found("name:late.npy"), "the new file indexed by a later run", timeout=120)
    assert hits[0]["repository"] == "incoming" and hits[0]["shape"] == [2, 2, 3, 3]
    code, jobs = await call(jp_fetch, "GET", "jobs", kind="index")
    waiting = [job for job in jobs["jobs"] if job["phase"] in ("QUEUED", "EXECUTING")]
    # Never more than one waiting or running job per repository.
    per_repository = [job["request"]["repository"] for job in waiting]
    assert len(set(per_repository)) == len(per_repository), per_repository
