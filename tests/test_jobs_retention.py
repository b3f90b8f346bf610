"""Retention removes exactly the expired results and nothing else."""

from __future__ import annotations

from datetime import timedelta

from jupyter_remotem.jobs.models import Phase, utcnow
from jupyter_remotem.jobs.retention import collect_expired
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.registry import RepositoryRegistry


def test_collector_removes_expired_results_archives_jobs_and_touches_nothing_else(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("old.h5", "fresh.h5", "copied.bin", "unrelated.h5", "old.npy", "old.npy.json"):
        (out / name).write_bytes(b"x")
    registry = RepositoryRegistry.from_dicts([{"name": "out", "url": str(out), "writable": True}])
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    now = utcnow()

    def finished(results, destruction):
        job = store.create("alice", "reduction", {"operation": "com"}, destruction=destruction)
        store.claim("w")
        store.finish(job.id, Phase.COMPLETED, results=results, worker_id="w")
        return job

    def result(name, fmt):
        return {"repository": "out", "path": name, "size": 1, "format": fmt}

    old = finished([result("old.h5", "hdf5")], now - timedelta(hours=1))
    old_npy = finished([result("old.npy.json", "json"), result("old.npy", "npy")], now - timedelta(hours=1))
    copy = store.create("alice", "copy", {"operation": "copy"}, destruction=now - timedelta(hours=1))
    store.claim("w")
    store.finish(copy.id, Phase.COMPLETED, results=[result("copied.bin", "copy")], worker_id="w")
    fresh = finished([result("fresh.h5", "hdf5")], now + timedelta(days=1))
    escaping = finished([{"repository": "out", "path": "../outside.h5", "size": 1, "format": "hdf5"}],
                        now - timedelta(hours=1))
    (tmp_path / "outside.h5").write_bytes(b"keep")

    archived = collect_expired(store, registry, now)

    assert set(archived) == {old.id, old_npy.id, copy.id, escaping.id}
    assert sorted(p.name for p in out.iterdir()) == ["copied.bin", "fresh.h5", "unrelated.h5"]
    assert (tmp_path / "outside.h5").read_bytes() == b"keep"
    assert store.get(old.id, "alice").phase == "ARCHIVED"
    assert store.get(fresh.id, "alice").phase == "COMPLETED"
    assert collect_expired(store, registry, now) == []


def test_retention_removes_what_a_copy_wrote_keeps_what_it_cannot_and_leaves_other_owners_alone(tmp_path):
    out, frozen = tmp_path / "out", tmp_path / "frozen"
    (out / "ingest" / "day1").mkdir(parents=True)
    (out / "ingest" / "theirs.txt").write_bytes(b"the user's")
    for name in ("a.bin", "b.bin"):
        (out / "ingest" / "day1" / name).write_bytes(b"copied")
    (out / "ingest" / ".day1.remotem-manifest.json").write_bytes(b"{}")
    frozen.mkdir()
    (frozen / "old.h5").write_bytes(b"xyz")
    registry = RepositoryRegistry.from_dicts([{"name": "out", "url": str(out), "writable": True},
                                              {"name": "frozen", "url": str(frozen), "writable": False}])
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    past = utcnow() - timedelta(hours=1)

    def expired(owner, files):
        job = store.create(owner, "copy", {"operation": "copy"}, destruction=past)
        assert store.claim("w").id == job.id
        store.record_written(job.id, files)
        store.finish(job.id, Phase.ERROR, worker_id="w")
        return job.id

    copied = expired("alice", [
        {"repository": "out", "path": "ingest/day1", "kind": "folder"},
        {"repository": "out", "path": "ingest/day1/a.bin", "format": "copy", "size": 6},
        {"repository": "out", "path": "ingest/day1/b.bin", "format": "copy", "size": 6},
        {"repository": "out", "path": "ingest/.day1.remotem-manifest.json", "format": "manifest", "size": 2}])
    stuck = expired("alice", [{"repository": "frozen", "path": "old.h5", "format": "hdf5", "size": 3}])
    bobs = expired("bob", [{"repository": "out", "path": "ingest/theirs.txt", "format": "copy", "size": 10}])

    assert collect_expired(store, registry, owner="alice") == [copied]
    assert sorted(p.name for p in (out / "ingest").iterdir()) == ["theirs.txt"], "files, manifest, folder gone"
    assert store.get(copied, None).phase == "ARCHIVED"
    assert (frozen / "old.h5").exists() and store.get(stuck, None).phase == "ERROR", "kept for the next round"
    assert store.usage("alice", 30).storage_bytes == 3, "what could not be removed still counts"
    assert store.get(bobs, None).phase == "ERROR", "another owner's jobs are their own server's to sweep"
    store.close()
