"""Shared by the job tests: repositories for one test, worker processes, waits and references.

Jobs run over the small demo scan cut into many tiny partitions; long-running ones are slowed
with the worker's read-rate limit, so that there is time to kill, cancel or pause them mid-way.
Every wait polls against a deadline.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from jupyter_remotem.compute.executor import run_plan
from jupyter_remotem.compute.operations import ReductionResult, get_operation
from jupyter_remotem.compute.partitions import dataset_partitions
from jupyter_remotem.formats import open_dataset
from jupyter_remotem.jobs.requests import JobRequest
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

FRAME_BYTES = 64 * 64 * 2
PARTITION_BYTES = 16 * FRAME_BYTES  # 96 partitions over the 1536 frames of the demo scan
N_PARTITIONS = 96
SCAN_BYTES = 1536 * FRAME_BYTES
#: Read rate at which one job over the demo scan takes about six seconds.
SLOW = SCAN_BYTES / 6
DETECTORS = {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8},
                           {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}]}
WORKER = [sys.executable, "-m", "jupyter_remotem.cli", "worker"]


@pytest.fixture
def place(tmp_path: Path, demo_dir: Path) -> dict[str, Any]:
    """Repositories for one test: the demo scans (read-only), a writable output and scratch folder."""
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    out.mkdir()
    scratch.mkdir()
    config = tmp_path / "repositories.json"
    config.write_text(json.dumps({"repositories": [
        {"name": "demo", "url": str(demo_dir)},
        {"name": "out", "url": str(out), "writable": True},
        {"name": "scratch", "url": str(scratch), "writable": True},
    ]}))
    return {"config": config, "out": out, "scratch": scratch, "logs": tmp_path, "demo": demo_dir}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.sqlite'}"


@pytest.fixture
def store_for() -> Iterator[Callable[[str], JobStore]]:
    stores: list[JobStore] = []

    def make(url: str) -> JobStore:
        stores.append(JobStore(url))
        return stores[-1]

    yield make
    for store in stores:
        store.close()


class Workers:
    """Worker subprocesses of one test, stopped (SIGTERM, then checked for a clean exit) at its end."""

    def __init__(self, place: dict[str, Any]) -> None:
        self.place = place
        self.processes: list[subprocess.Popen] = []

    def start(self, url: str, name: str, *options: str, partition_bytes: int = PARTITION_BYTES) -> subprocess.Popen:
        with open(self.place["logs"] / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                [*WORKER, "--db", url, "--config", str(self.place["config"]), "--worker-id", name,
                 "--partition-bytes", str(partition_bytes), "--poll", "0.1", "--report", "0.2", *options],
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def run_once(self, url: str, name: str, *options: str) -> str:
        process = self.start(url, name, "--once", *options)
        assert process.wait(timeout=60) == 0, self.log(name)
        return self.log(name)

    def log(self, name: str) -> str:
        return (self.place["logs"] / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=20)


@pytest.fixture
def workers(place: dict[str, Any]) -> Iterator[Workers]:
    pool = Workers(place)
    try:
        yield pool
    finally:
        pool.stop_all()


def wait_for(condition: Callable[[], Any], what: str, deadline_s: float = 30.0) -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")


def submit(store: JobStore, output: str, operation: str = "virtual_detector", params: dict | None = None,
           repository: str = "demo", path: str = "scan.h5", owner: str = "alice", **output_options: Any) -> str:
    body = {"repository": repository, "path": path, "operation": operation,
            "params": DETECTORS if params is None else params,
            "output": {"repository": "out", "path": output, **output_options}}
    request = JobRequest.from_json(body)
    return store.create(owner, "reduction", request.to_json(), priority=request.priority).id


def reference(demo_dir: Path, operation: str = "virtual_detector", params: dict | None = None,
              partition_bytes: int = PARTITION_BYTES) -> ReductionResult:
    """The same reduction run uninterrupted in this process, with the workers' partitions."""
    repo = Repository(RepositoryConfig.from_dict({"name": "demo", "url": str(demo_dir)}))
    with open_dataset(repo, "scan.h5") as dataset:
        plan = get_operation(operation).plan(dataset, DETECTORS if params is None else params)
        parts = dataset_partitions(dataset, target_bytes=partition_bytes)
        return run_plan(dataset, plan, parts)


def assert_same_arrays(path: Path, expected: ReductionResult) -> None:
    with h5py.File(path, "r") as f:
        assert sorted(f) == sorted(expected.arrays)
        for name, array in expected.arrays.items():
            assert f[name].dtype == array.dtype
            assert f[name][()].tobytes() == np.ascontiguousarray(array).tobytes(), name


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".partial-" in p.name]


def phase_of(store: JobStore, job_id: str) -> str:
    return store.get(job_id, None).phase
