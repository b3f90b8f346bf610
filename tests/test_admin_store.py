"""The administrator's queries and actions on the job store itself, on SQLite and on a real
PostgreSQL (a hub's shared store): JSON columns compared as PostgreSQL allows, buckets of
ended jobs against a count made by hand, the queue against the order ``claim`` takes."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from _postgres import fresh_database, postgres_server_url  # noqa: F401  (fixture)
from sqlalchemy import update

from jupyter_remotem.admin import actions, queries
from jupyter_remotem.errors import Conflict
from jupyter_remotem.jobs.models import Job, Phase, utcnow
from jupyter_remotem.jobs.store import JobStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[JobStore]:
    if request.param == "sqlite":
        store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
        yield store
        store.close()
        return
    store = JobStore(fresh_database(request.getfixturevalue("postgres_server_url")))
    yield store
    store.close()


def make(store, owner, groups=("g1",), priority=0):
    return store.create(owner, "copy", {"operation": "copy"}, priority=priority, quote={"seconds": 4.0},
                        groups=groups)


def test_throughput_buckets_match_a_count_by_hand(store):
    rng = random.Random(7)
    now = utcnow().replace(minute=30)
    expected: Counter = Counter()
    for _ in range(40):
        job = make(store, rng.choice(["ann", "bob"]))
        phase = rng.choice([Phase.COMPLETED, Phase.ERROR, Phase.ABORTED])
        store.finish(job.id, phase)
        hours_ago = rng.randrange(0, 30)
        ended = now - timedelta(hours=hours_ago)
        with store.writing() as session:
            session.execute(update(Job).where(Job.id == job.id).values(ended=ended, started=ended - timedelta(seconds=3)))
        expected[(hours_ago, phase.value)] += 1
    series = queries.throughput(store, "hour", now - timedelta(hours=47), now)
    assert len(series["buckets"]) == 48
    names = {"COMPLETED": "completed", "ERROR": "failed", "ABORTED": "aborted"}
    for hours_ago in range(30):
        bucket = series["buckets"][-1 - hours_ago]
        for phase, name in names.items():
            assert bucket[name] == expected[(hours_ago, phase)], (hours_ago, phase)
        assert bucket["seconds"] == pytest.approx(3.0 * expected[(hours_ago, "COMPLETED")])
    days = queries.throughput(store, "day", now - timedelta(days=3), now)
    assert sum(b["completed"] + b["failed"] + b["aborted"] for b in days["buckets"]) == 40


def test_queue_order_is_the_claim_order_and_actions_apply(store):
    jobs = [make(store, owner, priority=p) for owner, p in [("ann", 0), ("bob", 7), ("ann", 7), ("bob", -2)]]
    order = [j["id"] for j in queries.queue(store)["queue"]]
    assert order == [jobs[1].id, jobs[2].id, jobs[0].id, jobs[3].id]
    actions.reprioritise(store, jobs[3].id, "root", {"priority": 9})
    actions.pause(store, jobs[1].id, "root")
    assert actions.pause(store, jobs[1].id, "other").paused_by == "other", "a held job may be held again"
    claimed = [store.claim("w").id for _ in range(3)]
    assert claimed == [jobs[3].id, jobs[2].id, jobs[0].id] and store.claim("w") is None
    actions.resume(store, jobs[1].id, "root")
    assert store.claim("w").id == jobs[1].id
    store.finish(jobs[1].id, Phase.ERROR, error={"message": "boom"})
    with pytest.raises(Conflict):
        actions.pause(store, jobs[1].id, "root")  # a finished job is not held
    with pytest.raises(Conflict):
        actions.reprioritise(store, jobs[1].id, "root", {"priority": 1})
    assert actions.requeue(store, jobs[1].id, "root").phase == "QUEUED"
    recorded = [(a["action"], a["admin"]) for a in store.history(jobs[1].id, "bob")["admin_actions"]]
    assert recorded == [("pause", "root"), ("pause", "other"), ("resume", "root"), ("requeue", "root")]


def test_jobs_quotas_and_quotes_on_each_back_end(store):
    a = make(store, "ann", groups=("g1", "g2"))
    b = make(store, "bob", groups=("g2",))
    store.claim("w")
    store.finish(a.id, Phase.COMPLETED, worker_id="w")
    page = queries.jobs(store, queries.JobFilter(users=("bob",), limit=10))
    assert [j["id"] for j in page["jobs"]] == [b.id] and page["users"] == ["ann", "bob"]
    quotas = queries.quotas(store, {"pools": {"g2": {"compute_hours": 1}}})
    assert {u["user"]: u["groups"] for u in quotas["users"]} == {"ann": ["g1", "g2"], "bob": ["g2"]}
    assert {g["group"]: g["pool"] for g in quotas["groups"]} == {"g1": False, "g2": True}
    quotes = queries.quotes(store)
    assert [r["id"] for r in quotes["records"]] == [a.id] and quotes["records"][0]["quoted_s"] == 4.0
