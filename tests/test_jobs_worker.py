"""Worker processes (``jupyter remotem worker``) running reduction jobs from a real job database.

Jobs here run over the small demo scan cut into many tiny partitions, and long-running ones are
slowed with the worker's read-rate limit, so that there is time to kill, cancel or pause them
mid-way.  Every wait polls against a deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

import h5py
import numpy as np
import pytest
from _jobs import (  # noqa: F401  (fixtures and helpers)
    DETECTORS,
    FRAME_BYTES,
    N_PARTITIONS,
    PARTITION_BYTES,
    SCAN_BYTES,
    SLOW,
    WORKER,
    Workers,
    assert_same_arrays,
    leftovers,
    phase_of,
    place,
    reference,
    sqlite_url,
    store_for,
    submit,
    wait_for,
    workers,
)
from _postgres import database_url, postgres_server_url  # noqa: F401  (fixtures)

from jupyter_remotem.compute.partitions import cluster_partition_bytes
from jupyter_remotem.jobs.rate import SteadyRate
from jupyter_remotem.jobs.requests import JobRequest


@pytest.mark.timeout(120)
def test_two_workers_never_run_the_same_job(database_url, place, workers, store_for):  # noqa: F811
    store = store_for(database_url)
    jobs = [submit(store, f"bf-{i}.h5") for i in range(6)]
    for name in ("w1", "w2"):  # one partition per job, each job taking about a second
        workers.start(database_url, name, "--max-read-rate", str(SCAN_BYTES), partition_bytes=SCAN_BYTES)
    wait_for(lambda: all(phase_of(store, j) == "COMPLETED" for j in jobs), "all jobs to complete", 60)
    workers.stop_all()
    assert [p.returncode for p in workers.processes] == [0, 0]
    ran = {name: [line.split()[4] for line in workers.log(name).splitlines() if "running job" in line]
           for name in ("w1", "w2")}
    assert sorted(ran["w1"] + ran["w2"]) == sorted(jobs), ran
    assert ran["w1"] and ran["w2"], "both workers should have had work"
    expected = reference(place["demo"], partition_bytes=SCAN_BYTES)
    for i, job_id in enumerate(jobs):
        job = store.get(job_id, "alice")
        assert job.attempts == 1
        assert job_id in ran[job.worker_id]
        with h5py.File(place["out"] / f"bf-{i}.h5") as f:
            assert json.loads(f.attrs["remotem_provenance"])["worker"] == job.worker_id
        assert_same_arrays(place["out"] / f"bf-{i}.h5", expected)
    assert leftovers(place["out"]) == []


@pytest.mark.timeout(120)
def test_job_survives_kill_9_of_its_worker(database_url, place, workers, store_for):  # noqa: F811
    store = store_for(database_url)
    job_id = submit(store, "scans/bf.h5")
    first = workers.start(database_url, "doomed", "--max-read-rate", str(SLOW))
    wait_for(lambda: len(store.checkpoints(job_id)) >= 10, "some checkpoints")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id)}
    assert 10 <= len(before) < N_PARTITIONS
    assert phase_of(store, job_id) == "EXECUTING"  # nobody has noticed yet

    workers.start(database_url, "rescuer", "--stale-after", "1.5")
    wait_for(lambda: phase_of(store, job_id) == "COMPLETED", "the job to complete after the crash", 60)
    assert_same_arrays(place["out"] / "scans" / "bf.h5", reference(place["demo"]))
    after = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id)}
    assert sorted(after) == list(range(N_PARTITIONS))
    assert {p: after[p] for p in before} == before, "finished partitions were computed again"
    assert {after[p][0] for p in after if p not in before} == {"rescuer"}
    job = store.get(job_id, "alice")
    assert (job.attempts, job.worker_id) == (2, "rescuer")
    assert job.progress["resumed"] == len(before) * 16
    assert leftovers(place["out"]) == []


def test_cancel_stops_a_running_job_within_seconds(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    job_id = submit(store, "cancelled.h5")
    workers.start(sqlite_url, "w", "--max-read-rate", str(SLOW))
    wait_for(lambda: len(store.checkpoints(job_id)) >= 3, "some checkpoints")
    asked = time.monotonic()
    assert store.request_action(job_id, "alice", "cancel").action == "cancel"
    wait_for(lambda: phase_of(store, job_id) == "ABORTED", "the job to abort", 10)
    assert time.monotonic() - asked < 3
    job = store.get(job_id, "alice")
    assert job.results == [] and job.ended is not None
    assert job.progress["done"] < job.progress["total"]
    assert all(c.data is None for c in store.checkpoints(job_id, with_data=True))
    assert list(place["out"].iterdir()) == []


def test_pause_suspends_and_resume_completes_with_the_same_result(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    job_id = submit(store, "stats.h5", operation="frame_stats", params={})
    workers.start(sqlite_url, "w", "--max-read-rate", str(SLOW))
    wait_for(lambda: len(store.checkpoints(job_id)) >= 3, "some checkpoints")
    store.request_action(job_id, "alice", "pause")
    wait_for(lambda: phase_of(store, job_id) == "SUSPENDED", "the job to be suspended", 10)
    paused = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id, with_data=True) if c.data}
    assert 3 <= len(paused) < N_PARTITIONS
    assert store.get(job_id, "alice").worker_id is None
    assert list(place["out"].iterdir()) == []

    assert store.request_action(job_id, "alice", "resume").phase == "QUEUED"
    wait_for(lambda: phase_of(store, job_id) == "COMPLETED", "the resumed job to complete", 60)
    assert_same_arrays(place["out"] / "stats.h5", reference(place["demo"], "frame_stats", {}))
    after = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id)}
    assert {p: after[p] for p in paused} == paused, "paused work was computed again"
    assert store.get(job_id, "alice").attempts == 2
    assert leftovers(place["out"]) == []


def test_sigterm_hands_the_running_job_back(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    job_id = submit(store, "bf.npy")
    process = workers.start(sqlite_url, "w", "--max-read-rate", str(SLOW))
    wait_for(lambda: len(store.checkpoints(job_id)) >= 3, "some checkpoints")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    job = store.get(job_id, "alice")
    assert (job.phase, job.worker_id) == ("QUEUED", None)
    kept = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id)}
    assert len(kept) >= 3

    log = workers.run_once(sqlite_url, "next")
    assert f"{len(kept)} resumed" in log
    assert phase_of(store, job_id) == "COMPLETED"
    after = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id)}
    assert {p: after[p] for p in kept} == kept, "handed-back work was computed again"
    expected = reference(place["demo"])
    assert np.load(place["out"] / "bf.npy").tobytes() == expected.arrays[expected.primary].tobytes()


def test_results_carry_their_provenance(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    h5_job = submit(store, "com.h5", operation="com", params={"cx": 31.5, "cy": 31.5})
    npy_job = submit(store, "com_x.npy", operation="com", params={"cx": 31.5, "cy": 31.5}, array="com_x")
    workers.run_once(sqlite_url, "w")
    source = (place["demo"] / "scan.h5").stat()
    expected = reference(place["demo"], "com", {"cx": 31.5, "cy": 31.5})

    with h5py.File(place["out"] / "com.h5") as f:
        attrs = dict(f.attrs)
    assert attrs["owner"] == "alice" and attrs["operation"] == "com"
    assert json.loads(attrs["parameters"]) == {"cx": 31.5, "cy": 31.5}
    assert (attrs["input_repository"], attrs["input_path"]) == ("demo", "scan.h5")
    assert attrs["input_size"] == source.st_size and attrs["input_mtime"] == pytest.approx(source.st_mtime)
    for package in ("jupyter_remotem", "numpy", "numba", "h5py"):
        assert attrs[f"version_{package}"] not in ("", "unknown")
    assert attrs["version_numpy"] == np.__version__
    assert_same_arrays(place["out"] / "com.h5", expected)

    assert np.load(place["out"] / "com_x.npy").tobytes() == expected.arrays["com_x"].tobytes()
    sidecar = json.loads((place["out"] / "com_x.npy.json").read_text())
    assert sidecar["array"] == "com_x" and sidecar["provenance"]["job_id"] == npy_job
    assert sidecar["provenance"]["input"]["size"] == source.st_size
    assert [r["path"] for r in store.get(npy_job, "alice").results] == ["com_x.npy.json", "com_x.npy"]
    assert store.get(h5_job, "alice").results == [
        {"repository": "out", "path": "com.h5", "size": (place["out"] / "com.h5").stat().st_size, "format": "hdf5"}]
    assert leftovers(place["out"]) == []


@pytest.mark.timeout(120)
def test_a_throttled_job_records_the_rate_of_its_work_not_of_its_waits(sqlite_url, place, workers, store_for):
    """The throughput record decides whether an interactive view runs (``interactive_limit``): a
    job slowed by the read-rate limit, or by its first partition's fixed costs, must not make the
    repository look slow for every viewer afterwards."""
    store = store_for(sqlite_url)
    assert store.throughput("virtual_detector", "demo") is None
    job_id = submit(store, "throttled.h5")
    started = time.monotonic()
    workers.run_once(sqlite_url, "w", "--max-read-rate", str(SLOW))
    elapsed = time.monotonic() - started
    assert phase_of(store, job_id) == "COMPLETED"
    assert elapsed >= SCAN_BYTES / SLOW * 0.9, "the limit held the job back"
    recorded = store.throughput("virtual_detector", "demo")
    assert recorded is not None
    # Held to SLOW, the whole job read at about SLOW; its work alone ran many times faster.
    assert recorded > 5 * SLOW, (recorded, SLOW)


def test_the_steady_rate_leaves_out_the_first_partition_and_the_waits(monkeypatch):
    """One partition is all fixed costs (opening, compiling): no figure to judge later views by."""
    clock = iter([10.0, 12.5])  # the two partitions finish at these times
    monkeypatch.setattr("jupyter_remotem.jobs.rate.time.perf_counter", lambda: next(clock))
    rate = SteadyRate()
    rate.paused(5.0)  # before the clock starts: not counted
    rate.done(100)
    assert (rate.nbytes, rate.seconds) == (0, 0.0)
    rate.paused(0.5)
    rate.done(300)
    assert (rate.nbytes, rate.seconds) == (300, 2.0)


def test_failing_job_reports_why_and_leaves_other_results_alone(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    shutil.copy(place["demo"] / "scan.h5", place["scratch"] / "doomed.h5")
    earlier = submit(store, "earlier.h5")
    workers.run_once(sqlite_url, "w1")
    assert phase_of(store, earlier) == "COMPLETED"
    kept = (place["out"] / "earlier.h5").read_bytes()

    failing = submit(store, "failing.h5", repository="scratch", path="doomed.h5")
    (place["scratch"] / "doomed.h5").unlink()
    workers.run_once(sqlite_url, "w2")
    job = store.get(failing, "alice")
    assert job.phase == "ERROR"
    assert job.error["kind"] == "fatal" and job.error["code"] == "not_found"
    assert "doomed.h5" in job.error["message"]
    assert (place["out"] / "earlier.h5").read_bytes() == kept
    assert sorted(p.name for p in place["out"].iterdir()) == ["earlier.h5"]


def test_existing_output_is_kept_unless_overwrite_is_asked(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    (place["out"] / "precious.h5").write_bytes(b"not to be lost")
    refused = submit(store, "precious.h5")
    workers.run_once(sqlite_url, "w1")
    error = store.get(refused, "alice").error
    assert (phase_of(store, refused), error["code"]) == ("ERROR", "conflict")
    assert "overwrite" in error["hint"]
    assert (place["out"] / "precious.h5").read_bytes() == b"not to be lost"

    replaced = submit(store, "precious.h5", overwrite=True)
    workers.run_once(sqlite_url, "w2")
    assert phase_of(store, replaced) == "COMPLETED"
    assert_same_arrays(place["out"] / "precious.h5", reference(place["demo"]))
    assert leftovers(place["out"]) == []


def test_read_only_output_repository_is_refused_before_any_work(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    body = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector", "params": DETECTORS,
            "output": {"repository": "demo", "path": "mine.h5"}}
    job_id = store.create("alice", "reduction", JobRequest.from_json(body).to_json()).id
    workers.run_once(sqlite_url, "w")
    job = store.get(job_id, "alice")
    assert (job.phase, job.error["code"]) == ("ERROR", "forbidden")
    assert store.checkpoints(job_id) == []
    assert not (place["demo"] / "mine.h5").exists()



@pytest.mark.timeout(180)
def test_big_jobs_run_on_a_local_cluster_with_the_same_result(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    vd_job = submit(store, "cluster_vd.h5")
    stats_job = submit(store, "cluster_stats.h5", operation="frame_stats", params={})
    log = workers.run_once(sqlite_url, "w", "--cluster-threshold", "0")
    assert phase_of(store, vd_job) == phase_of(store, stats_job) == "COMPLETED", log
    # On a cluster, partitions are a few per worker (LocalCluster: one worker per core).
    cluster_bytes = cluster_partition_bytes(SCAN_BYTES, os.cpu_count() or 1, floor=PARTITION_BYTES)
    assert_same_arrays(place["out"] / "cluster_vd.h5", reference(place["demo"], partition_bytes=cluster_bytes))
    assert_same_arrays(place["out"] / "cluster_stats.h5",
                       reference(place["demo"], "frame_stats", {}, partition_bytes=cluster_bytes))
    for name in ("cluster_vd.h5", "cluster_stats.h5"):
        with h5py.File(place["out"] / name) as f:
            assert json.loads(f.attrs["remotem_provenance"])["executor"].startswith("dask tcp://"), log
