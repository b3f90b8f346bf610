"""The job store on SQLite and on a real PostgreSQL: ownership, queue order, atomic claims, states."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from _postgres import database_url, postgres_server_url  # noqa: F401  (fixtures)

from jupyter_remotem.errors import BadParameter, Conflict, NotFound
from jupyter_remotem.jobs.checkpoints import decode_partial, encode_partial
from jupyter_remotem.jobs.models import Action, Phase, utcnow
from jupyter_remotem.jobs.requests import JobRequest
from jupyter_remotem.jobs.store import JobLost, JobStore
from jupyter_remotem.kernels import FrameMoments

REQUEST = {"repository": "demo", "path": "scan.h5", "operation": "frame_stats",
           "output": {"repository": "out", "path": "stats.h5"}}


@pytest.fixture
def store(database_url):  # noqa: F811
    store = JobStore(database_url)
    yield store
    store.close()


def test_users_see_and_touch_only_their_own_jobs(store):
    mine = store.create("alice", "reduction", REQUEST)
    theirs = store.create("bob", "reduction", REQUEST)
    assert [job.id for job in store.list("alice")] == [mine.id]
    assert store.get(mine.id, "alice").request == REQUEST
    for attempt in (
        lambda: store.get(theirs.id, "alice"),
        lambda: store.request_action(theirs.id, "alice", "cancel"),
        lambda: store.delete(theirs.id, "alice"),
        lambda: store.get("no-such-job", "alice"),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert store.get(theirs.id, "bob").phase == "QUEUED"
    assert {job.id for job in store.list(None)} == {mine.id, theirs.id}
    assert store.list("alice", phases=[Phase.COMPLETED]) == []


def test_claim_takes_highest_priority_then_oldest(store):
    low = store.create("alice", "reduction", REQUEST, priority=0)
    first_high = store.create("alice", "reduction", REQUEST, priority=5)
    second_high = store.create("bob", "reduction", REQUEST, priority=5)
    middle = store.create("alice", "reduction", REQUEST, priority=1)
    held = store.create("alice", "reduction", REQUEST, priority=9, phase=Phase.PENDING)
    claimed = [store.claim("w1") for _ in range(4)]
    assert [job.id for job in claimed] == [first_high.id, second_high.id, middle.id, low.id]
    assert all(job.phase == "EXECUTING" and job.worker_id == "w1" and job.attempts == 1 for job in claimed)
    assert store.claim("w1") is None
    store.run(held.id, "alice")
    assert store.claim("w2").id == held.id


def test_concurrent_claims_never_hand_out_a_job_twice(store, database_url):  # noqa: F811
    ids = {store.create("alice", "reduction", REQUEST, priority=i % 3).id for i in range(40)}
    claimed: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        own = JobStore(database_url)
        start.wait()
        got = claimed.setdefault(name, [])
        while (job := own.claim(name)) is not None:
            got.append(job.id)
        own.close()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [job_id for got in claimed.values() for job_id in got]
    assert sorted(every) == sorted(ids)
    for name, got in claimed.items():
        assert all(store.get(job_id, None).worker_id == name for job_id in got)


def test_stale_jobs_return_to_the_queue_with_their_checkpoints(store):
    job = store.create("alice", "reduction", REQUEST)
    assert store.claim("gone").id == job.id
    store.record_checkpoint(job.id, "gone", 0, 0, 16, b"partial-0")
    assert store.requeue_stale(60) == []  # its heartbeat is fresh
    assert store.requeue_stale(0) == [job.id]
    requeued = store.get(job.id, "alice")
    assert (requeued.phase, requeued.worker_id) == ("QUEUED", None)
    assert [c.data for c in store.checkpoints(job.id, with_data=True)] == [b"partial-0"]
    with pytest.raises(JobLost):
        store.update_progress(job.id, "gone", {"done": 1})
    assert store.claim("next").attempts == 2
    assert not store.finish(job.id, Phase.COMPLETED, results=[], worker_id="gone")
    assert store.get(job.id, None).phase == "EXECUTING"


def test_stale_job_with_a_pending_cancel_ends_aborted(store):
    job = store.create("alice", "reduction", REQUEST)
    store.claim("gone")
    store.request_action(job.id, "alice", "cancel")
    store.requeue_stale(0)
    assert store.get(job.id, "alice").phase == "ABORTED"


def test_owner_actions_follow_the_uws_phases(store):
    job = store.create("alice", "reduction", REQUEST)
    assert store.request_action(job.id, "alice", "pause").phase == "SUSPENDED"
    assert store.claim("w") is None
    assert store.request_action(job.id, "alice", "resume").phase == "QUEUED"
    running = store.claim("w")
    assert store.update_progress(running.id, "w", {"done": 3, "total": 10}) is None
    assert store.request_action(job.id, "alice", "pause").action == "pause"
    assert store.update_progress(running.id, "w", None) is Action.PAUSE
    assert store.request_action(job.id, "alice", "resume").action is None
    assert store.request_action(job.id, "alice", "cancel").action == "cancel"
    assert store.update_progress(running.id, "w", None) is Action.CANCEL
    assert store.get(job.id, "alice").progress == {"done": 3, "total": 10}
    with pytest.raises(Conflict):
        store.delete(job.id, "alice")
    assert store.finish(job.id, Phase.ABORTED, worker_id="w")
    with pytest.raises(Conflict):
        store.request_action(job.id, "alice", "resume")
    with pytest.raises(BadParameter):
        store.request_action(job.id, "alice", "explode")
    store.delete(job.id, "alice")
    with pytest.raises(NotFound):
        store.get(job.id, "alice")


def test_finishing_drops_partial_results_but_keeps_the_record(store):
    job = store.create("alice", "reduction", REQUEST)
    store.claim("w")
    store.record_checkpoint(job.id, "w", 0, 0, 8, b"a")
    store.record_checkpoint(job.id, "w", 1, 8, 16, b"b")
    store.record_checkpoint(job.id, "w2", 1, 8, 16, b"c")  # a recomputation replaces the record
    assert [(c.partition, c.worker_id, c.data) for c in store.checkpoints(job.id, with_data=True)] == [
        (0, "w", b"a"), (1, "w2", b"c")]
    results = [{"repository": "out", "path": "stats.h5", "size": 10, "format": "hdf5"}]
    assert store.finish(job.id, Phase.COMPLETED, results=results, worker_id="w")
    finished = store.get(job.id, "alice")
    assert (finished.phase, finished.results, finished.ended is not None) == ("COMPLETED", results, True)
    assert [(c.partition, c.data) for c in store.checkpoints(job.id, with_data=True)] == [(0, None), (1, None)]
    store.delete(job.id, "alice")
    assert store.checkpoints(job.id) == []


def test_expired_lists_finished_jobs_past_their_destruction_time(store):
    now = utcnow()
    old = store.create("alice", "reduction", REQUEST, destruction=now - timedelta(days=1))
    store.create("alice", "reduction", REQUEST, destruction=now - timedelta(days=1))  # still queued
    store.create("alice", "reduction", REQUEST, destruction=now + timedelta(days=1))
    store.create("alice", "reduction", REQUEST)
    store.request_action(old.id, "alice", "cancel")
    assert [job.id for job in store.expired(now)] == [old.id]
    store.archive(old.id, "alice")
    assert store.expired(now) == []
    assert store.get(old.id, "alice").phase == "ARCHIVED"


def test_throughput_history_gives_measured_speed(store):
    assert store.throughput("virtual_detector", "demo") is None
    store.record_throughput("virtual_detector", "demo", 2_000_000, 1.0, quoted_s=2.0)
    store.record_throughput("virtual_detector", "demo", 6_000_000, 1.0, quoted_s=None)
    assert store.throughput("virtual_detector", "demo") == pytest.approx(4_000_000)
    assert store.throughput("virtual_detector", "s3") is None


def test_checkpoint_codec_returns_identical_partials():
    frames = np.random.default_rng(1).integers(0, 1000, (7, 5, 6)).astype(np.uint16)
    moments = FrameMoments.from_frames(frames)
    back = decode_partial(encode_partial(moments), FrameMoments.empty((5, 6), np.uint16))
    assert back.count == moments.count and type(back.count) is type(moments.count)
    for name in ("sum", "mean", "m2", "max", "min"):
        assert getattr(back, name).dtype == getattr(moments, name).dtype
        assert getattr(back, name).tobytes() == getattr(moments, name).tobytes()
    array = np.linspace(0, 1, 12).reshape(3, 4)
    assert decode_partial(encode_partial(array)).tobytes() == array.tobytes()


@pytest.mark.parametrize("change, message", [
    ({"output": None}, "needs 'output'"),
    ({"output": {"repository": "out", "path": "../escape.h5"}}, "may not leave"),
    ({"output": {"repository": "out", "path": "result.txt"}}, "Unknown output format"),
    ({"output": {"repository": "out", "path": "r.h5", "array": "x"}}, "HDF5 holds them all"),
    ({"priority": "high"}, "priority"),
    ({"operation": "pick"}, "needs no job"),
    ({"operation": "nonsense"}, "Unknown operation"),
])
def test_job_requests_are_validated_at_submission(change, message):
    with pytest.raises(BadParameter, match=message):
        JobRequest.from_json({**REQUEST, **change})
    normal = JobRequest.from_json({**REQUEST, "priority": 3}).to_json()
    assert normal["output"] == {"repository": "out", "path": "stats.h5", "format": "hdf5", "overwrite": False}
    assert normal["priority"] == 3


@pytest.mark.parametrize("shared", [False, True], ids=["own quota", "group pool"])
def test_concurrent_submissions_cannot_both_take_the_last_of_a_quota(store, database_url, shared):  # noqa: F811
    """Eight submissions at once, each quoted 40 % of the storage limit: two are admitted —
    of one user's own quota, or of a group pool that four members submit to."""
    from jupyter_remotem.jobs.quotas import Limits, QuotaExceeded

    limits = Limits(storage_bytes=1000)
    admitted: list[str] = []
    refused: list[QuotaExceeded] = []
    start = threading.Barrier(8)

    def submit(owner: str) -> None:
        own = JobStore(database_url)
        start.wait()
        quota = {"pools": {"team": limits}, "groups": ["team"]} if shared else {"limits": limits}
        try:
            admitted.append(own.create(owner, "reduction", REQUEST, quote={"bytes_written": 400}, **quota).id)
        except QuotaExceeded as refusal:
            refused.append(refusal)
        finally:
            own.close()

    owners = [f"member{i % 4}" if shared else "alice" for i in range(8)]
    threads = [threading.Thread(target=submit, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(admitted) == 2 and len(refused) == 6
    if shared:
        assert store.pool_usage("team", 30).reserved_bytes == 800
        assert all(str(refusal).startswith("Group 'team'") for refusal in refused)
        return
    assert store.usage("alice", 30).reserved_bytes == 800
    assert all("storage" in str(refusal).lower() for refusal in refused)
    # Another owner's quota is their own.
    assert store.create("bob", "reduction", REQUEST, quote={"bytes_written": 400}, limits=limits)


def test_a_database_made_before_job_groups_gains_the_column_and_keeps_its_jobs(database_url):  # noqa: F811
    from sqlalchemy import inspect, text

    old = JobStore(database_url)
    kept = old.create("alice", "reduction", REQUEST)
    with old.engine.begin() as connection:  # what an earlier version's table looked like
        connection.execute(text("ALTER TABLE remotem_jobs DROP COLUMN groups"))
        from jupyter_remotem.migrations import BASELINE_TABLES

        connection.execute(text("DROP TABLE alembic_version"))  # it came before migrations too,
        for later in sorted(set(inspect(connection).get_table_names()) - set(BASELINE_TABLES)):
            connection.execute(text(f"DROP TABLE {later}"))  # and before what later migrations add
        assert "groups" not in {c["name"] for c in inspect(connection).get_columns("remotem_jobs")}
    old.close()
    upgraded = JobStore(database_url)
    try:
        assert upgraded.get(kept.id, "alice").groups is None
        grouped = upgraded.create("alice", "reduction", REQUEST, groups=["team", "beamline"])
        assert upgraded.get(grouped.id, "alice").groups == ["beamline", "team"]
        assert upgraded.pool_usage("team", 30).results == 0
    finally:
        upgraded.close()


def _open_new_stores_together(directory: str, rounds: int, barrier: Any, failures: Any) -> None:
    """In a separate process: for each round, open the round's new SQLite store at the same
    moment as the other processes."""
    for number in range(rounds):
        barrier.wait()
        try:
            JobStore(f"sqlite:///{directory}/round{number}.sqlite").close()
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
            failures.put(f"round {number}: {error}")


def test_servers_starting_together_on_a_new_sqlite_file_all_open_it(tmp_path):
    """A hub's servers share one job database; on a new file, their first connections switch it to
    WAL at the same moment, which SQLite refuses at once rather than waiting."""
    context = multiprocessing.get_context("spawn")
    processes, rounds = 4, 40
    barrier, failures = context.Barrier(processes), context.Queue()
    started = [context.Process(target=_open_new_stores_together, args=(str(tmp_path), rounds, barrier, failures))
               for _ in range(processes)]
    for process in started:
        process.start()
    for process in started:
        process.join(timeout=120)
    assert [process.exitcode for process in started] == [0] * processes
    reported = []
    while not failures.empty():
        reported.append(failures.get())
    assert reported == []
    for number in range(rounds):
        with sqlite3.connect(tmp_path / f"round{number}.sqlite") as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert "remotem_jobs" in {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
