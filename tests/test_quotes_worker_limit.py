"""Quotes follow the workers' ``--max-read-rate``: with every worker alive reading under a limit,
a job's estimate is made at that limit (basis "worker limit"); a worker without one, or none
alive, leaves the measured speed."""

from __future__ import annotations

import pytest
from _api import call, server_config, stop_started_worker, wait_until
from _jobs import place, sqlite_url, store_for, wait_for, workers  # noqa: F401  (fixtures)
from _results import repositories  # noqa: F401  (fixture: a writable "results" beside the others)

from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.measured import MeasuredSpeeds, Speed

LIMIT = 2e6


def test_the_fastest_limit_of_the_workers_alive_caps_a_jobs_speed(sqlite_url, place, workers, store_for):  # noqa: F811
    store: JobStore = store_for(sqlite_url)
    speeds = MeasuredSpeeds(store, probe=None)
    fast = Speed(5e8, "probe")
    assert speeds.for_jobs(fast) is fast  # no worker yet
    slow = workers.start(sqlite_url, "slow", "--max-read-rate", str(LIMIT))
    wait_for(lambda: store.workers_read_cap(30) == LIMIT, "the worker's announcement")
    assert speeds.for_jobs(fast) == Speed(LIMIT, "worker limit")
    assert speeds.for_jobs(Speed(1e6, "history")) == Speed(1e6, "history")  # already slower
    free = workers.start(sqlite_url, "free")
    wait_for(lambda: store.workers_read_cap(30) is None, "a worker without a limit")
    assert speeds.for_jobs(fast) is fast
    free.terminate()
    free.wait(30)
    wait_for(lambda: store.workers_read_cap(30) == LIMIT, "the free worker to be forgotten")
    slow.terminate()
    slow.wait(30)
    assert store.workers_read_cap(30) is None


@pytest.fixture
def jp_server_config(repositories):  # noqa: F811
    return server_config(repositories, start_worker=True, worker_arguments=["--max-read-rate", str(LIMIT)])


async def test_a_dry_run_quotes_at_the_workers_limit(jp_fetch, jp_serverapp):
    body = {"repository": "demo", "path": "scan.h5", "operation": "frame_stats",
            "output": {"repository": "results", "path": "never.h5"}}

    async def quoted():
        code, answer = await call(jp_fetch, "POST", "jobs", body=body, dry_run="1")
        assert code == 200, answer
        return answer["quote"] if answer["quote"]["basis"] == "worker limit" else None

    try:
        quote = await wait_until(quoted, "the started worker's announcement", timeout=60)
        assert quote["throughput_bytes_s"] == LIMIT
        assert quote["seconds"] == pytest.approx(quote["bytes_read"] / LIMIT)
    finally:
        stop_started_worker(jp_serverapp)
