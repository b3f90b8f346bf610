"""The ledger of what jobs wrote, on SQLite and on a real PostgreSQL: one owner per path, what the
quota counts, files kept after their job, and databases made before the ledger existed."""

from __future__ import annotations

import pytest
from _postgres import database_url, postgres_server_url  # noqa: F401  (fixtures)
from sqlalchemy import inspect, text

from jupyter_remotem.jobs.models import Phase
from jupyter_remotem.jobs.store import JobStore

REQUEST = {"repository": "demo", "path": "scan.h5", "operation": "frame_stats",
           "output": {"repository": "out", "path": "stats.h5"}}


@pytest.fixture
def store(database_url):  # noqa: F811
    store = JobStore(database_url)
    yield store
    store.close()


def written(path: str, size: int, fmt: str = "npy", repository: str = "out") -> dict:
    return {"repository": repository, "path": path, "kind": "file", "format": fmt, "size": size, "mtime": 1.0}


def running(store: JobStore, owner: str = "alice", **options) -> str:
    job = store.create(owner, "reduction", REQUEST, **options)
    assert store.claim("w").id == job.id
    return job.id


def test_an_unfinished_job_reserves_only_what_it_has_not_written_yet(store):
    job_id = running(store, quote={"bytes_written": 1000, "seconds": 1})
    store.record_written(job_id, [written("part/a.bin", 400, "copy"),
                                  {"repository": "out", "path": "part", "kind": "folder"}])
    usage = store.usage("alice", 30)
    assert (usage.storage_bytes, usage.reserved_bytes, usage.results) == (400, 600, 1)
    summary = store.get(job_id, "alice").to_json()["written"]
    assert summary == {"files": 1, "bytes": 400, "folders": 1, "sample": [{"repository": "out", "path": "part/a.bin"}]}
    store.finish(job_id, Phase.ABORTED, worker_id="w")
    assert store.usage("alice", 30).storage_bytes == 400, "a cancelled job's finished files still count"


def test_a_path_has_one_owner_and_a_resubmitted_copy_adopts_only_its_owners_files(store):
    first, second = running(store), running(store)
    store.record_written(first, [written("a.npy", 10), written("b.npy", 20)])
    store.record_written(second, [written("a.npy", 11)])  # overwrote the first job's file
    assert [row.path for row in store.written(first)] == ["b.npy"]
    assert store.usage("alice", 30).storage_bytes == 31, "counted once, at its new size"

    bobs = running(store, owner="bob")
    store.record_written(bobs, [written("c.bin", 5, "copy")])
    kept = running(store)
    store.record_written(kept, [written("d.bin", 7, "copy")])
    store.finish(kept, Phase.COMPLETED, worker_id="w")
    store.delete(kept, "alice", keep_files=True)
    assert store.adopt_written(second, "out", ["b.npy", "c.bin", "d.bin", "nowhere.bin"]) == 1
    assert [row.path for row in store.written(second)] == ["a.npy", "b.npy"]
    assert [row.path for row in store.written(bobs)] == ["c.bin"], "another owner's files stay theirs"


def test_kept_files_count_for_their_owner_and_the_pools_of_their_groups(store):
    job_id = running(store, groups=["team"])
    results = [written("r.npy.json", 100, "json"), written("r.npy", 4000)]
    store.finish(job_id, Phase.COMPLETED, results=results, worker_id="w")
    assert store.usage("alice", 30).storage_bytes == 4100, "finishing records the results"
    store.delete(job_id, "alice", keep_files=True)
    usage, pool = store.usage("alice", 30), store.pool_usage("team", 30)
    assert (usage.storage_bytes, usage.results, usage.kept_bytes, usage.kept_files) == (4100, 1, 4100, 2)
    assert (pool.storage_bytes, pool.kept_bytes) == (4100, 4100)
    assert store.pool_usage("other", 30).storage_bytes == 0

    gone = running(store)
    store.finish(gone, Phase.COMPLETED, results=[written("s.h5", 50, "hdf5")], worker_id="w")
    store.delete(gone, "alice")
    assert store.usage("alice", 30).storage_bytes == 4100, "deleted without keep_files: no longer counted"


def test_a_database_made_before_the_ledger_keeps_counting_the_results_of_its_jobs(database_url):  # noqa: F811
    old = JobStore(database_url)
    reduction = running(old)
    old.finish(reduction, Phase.COMPLETED, worker_id="w",
               results=[written("bf.npy.json", 100, "json"), written("bf.npy", 3000)])
    copy = old.create("alice", "copy", {"operation": "copy"}).id
    old.claim("w")
    old.finish(copy, Phase.COMPLETED, worker_id="w", results=[
        {"repository": "out", "path": "ingest/day1", "size": 9000, "format": "copy", "files": 3}])
    unfinished = old.create("alice", "reduction", REQUEST, quote={"bytes_written": 70})
    with old.engine.begin() as connection:  # what an earlier version's database looked like
        connection.execute(text("DROP TABLE remotem_written"))
        from jupyter_remotem.migrations import BASELINE_TABLES

        connection.execute(text("DROP TABLE alembic_version"))  # it came before migrations too,
        for later in sorted(set(inspect(connection).get_table_names()) - set(BASELINE_TABLES)):
            connection.execute(text(f"DROP TABLE {later}"))  # and before what later migrations add
    old.close()

    upgraded = JobStore(database_url)
    try:
        with upgraded.engine.connect() as connection:
            assert inspect(connection).has_table("remotem_written")
        usage = upgraded.usage("alice", 30)
        assert (usage.storage_bytes, usage.results, usage.reserved_bytes) == (3100 + 9000, 2, 70)
        assert upgraded.get(reduction, "alice").to_json()["written"]["files"] == 2
        assert [row.path for row in upgraded.written(copy)] == ["ingest/day1"]
        assert upgraded.get(unfinished.id, "alice").phase == "QUEUED"
    finally:
        upgraded.close()
    again = JobStore(database_url)  # a second start does not fill it twice
    try:
        assert again.usage("alice", 30).storage_bytes == 12100
    finally:
        again.close()
