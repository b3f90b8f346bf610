"""A job whose work is done but whose results take a while to index (thousands of files) keeps
its heartbeat until it is marked done: no other worker takes it for a lost one and runs it again."""

from __future__ import annotations

import threading
import time

import numpy as np

from jupyter_remotem.jobs import worker as worker_module
from jupyter_remotem.jobs.models import Phase
from jupyter_remotem.jobs.runner import Outcome
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.jobs.worker import Worker, WorkerOptions
from jupyter_remotem.storage.registry import RepositoryRegistry

#: Result files of the job: indexing them takes well over the stale limit below (about 15 s),
#: while a loaded machine may delay one beat by a second (a write waits for SQLite's lock).
FILES = 400
STALE_AFTER_S = 2.0


#: Jobs ``many_results`` was given, in order.
RUNS: list[str] = []


def many_results(context) -> Outcome:
    """A runner whose work is quick and whose results are many."""
    RUNS.append(context.job.id)
    results = [{"repository": "out", "path": f"r{i:04d}.npy", "format": "npy"} for i in range(FILES)]
    return Outcome(results, "copy", "out", 0, 0.01, 1, 0)


def test_a_job_indexing_its_many_results_is_not_taken_for_lost(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    for i in range(FILES):
        np.save(out / f"r{i:04d}.npy", np.full((4, 4), i, dtype=np.float32))
    registry = RepositoryRegistry.from_dicts([{"name": "out", "url": str(out), "writable": True}])
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    RUNS.clear()
    monkeypatch.setitem(worker_module.RUNNERS, "copy", f"{__name__}:many_results")
    job = store.create("ada", "copy", {"repository": "out", "path": ""})
    worker = Worker(store, registry, "w-1", WorkerOptions(report_s=0.1, stale_after_s=STALE_AFTER_S,
                                                          once=True, scheduler="none"))
    requeued: list[str] = []
    done = threading.Event()

    def other_worker() -> None:  # what every other worker does while it waits for work
        while not done.is_set():
            requeued.extend(store.requeue_stale(STALE_AFTER_S))
            done.wait(0.05)

    watcher = threading.Thread(target=other_worker)
    watcher.start()
    started = time.monotonic()
    running = threading.Thread(target=worker.run)
    running.start()
    running.join(timeout=120)  # a job taken for lost is run again and again: stop it, then fail
    if running.is_alive():
        worker.stop()
        running.join()
    done.set()
    watcher.join()
    concluding = time.monotonic() - started
    finished = store.get(job.id, "ada")
    assert concluding > 2 * STALE_AFTER_S, concluding  # long enough that a silent job would go stale
    assert requeued == [] and RUNS == [job.id], (requeued, RUNS)
    assert finished.phase == Phase.COMPLETED.value and finished.attempts == 1
    assert len(finished.results) == FILES
