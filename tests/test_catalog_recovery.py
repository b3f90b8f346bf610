"""Indexing survives ``kill -9`` of its worker: the next worker takes the job over, keeps what
was written before the crash (those files count as unchanged) and finishes the rest."""

from __future__ import annotations

import signal

import numpy as np
import pytest
from _jobs import phase_of, place, sqlite_url, store_for, wait_for, workers  # noqa: F401  (fixtures)

from jupyter_remotem.catalog.sql import Caller
from jupyter_remotem.catalog.store import CatalogStore

FILES = 3000


@pytest.mark.timeout(180)
def test_indexing_resumes_after_kill_9(sqlite_url, place, workers, store_for):  # noqa: F811
    rng = np.random.default_rng(0)
    for i in range(FILES):
        folder = place["out"] / f"run{i % 30}"
        folder.mkdir(exist_ok=True)
        np.save(folder / f"f{i}.npy", rng.integers(0, 9, (2, 2, 4, 4), dtype=np.uint8))
    store = store_for(sqlite_url)
    catalog = CatalogStore(store)
    job = store.create("alice", "index", {"repository": "out", "path": ""})
    caller = Caller(("out",), "alice")
    first = workers.start(sqlite_url, "doomed")
    wait_for(lambda: catalog.search(None, caller, limit=1).total >= 400, "some files indexed", 60)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before = catalog.search(None, caller, limit=1).total
    assert 400 <= before < FILES, before
    workers.start(sqlite_url, "rescuer", "--stale-after", "1.5")
    wait_for(lambda: phase_of(store, job.id) == "COMPLETED", "the index job to complete after the crash", 120)
    summary = store.get(job.id, "alice").results[0]
    assert catalog.search(None, caller, limit=1).total == FILES
    assert summary["seen"] == FILES and summary["unchanged"] >= before and summary["indexed"] == FILES - summary[
        "unchanged"]
    assert catalog.search({"op": "eq", "key": "name", "value": "f2999.npy"}, caller).hits[0]["shape"] == [2, 2, 4, 4]
