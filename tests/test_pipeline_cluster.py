"""The same pipeline inline, on a real LocalCluster (2 worker processes) and against S3 on moto: equal
bytes everywhere, re-runs that skip, and a worker killed with SIGKILL mid-run."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import s3fs
from _pipeline_cells import build, executions, load, source, table
from _services import S3_BUCKET, S3_SECRET, skip_or_fail

from jupyter_remotem.pipeline import PreflightError, plan, run

distributed = pytest.importorskip("distributed")

ITEMS = table(200)
S3_ITEMS = table(50)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as local:
        yield local


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as connected:
        yield connected


def products(fs, root: str) -> dict[str, bytes]:
    """Every product's bytes below ``root`` (manifests left out: they record times and hosts)."""
    found = {}
    for path in fs.find(root):
        relative = path[len(root.rstrip("/")) + 1:]
        if not relative.rsplit("/", 1)[-1].startswith("."):
            found[relative] = fs.cat_file(path)
    return found


def local_products(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".")}


def wait_for(condition, what: str, deadline_s: float = 120.0) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)


def test_on_a_local_cluster_and_s3_the_products_are_the_inline_bytes(tmp_path: Path, client, s3_endpoint: str):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    module = load(tmp_path / "code", source(log_dir))
    inline_store, cluster_store = tmp_path / "inline", tmp_path / "cluster"

    inline = run(build(module, ITEMS), store=str(inline_store))
    on_cluster = run(build(module, ITEMS), store=str(cluster_store), cluster=client)
    assert on_cluster.counts()["normalize_cell"]["executed"] == 200
    assert on_cluster.counts()["project_cell"]["executed"] == 200
    assert inline.counts() == on_cluster.counts()
    reference = local_products(inline_store)
    assert len(reference) == 400
    assert local_products(cluster_store) == reference

    again = run(build(module, ITEMS), store=str(cluster_store), cluster=client)
    assert again.executed() == [] and again.counts()["project_cell"]["skipped"] == 200

    options = {"key": "testing", "secret": S3_SECRET, "endpoint_url": s3_endpoint}
    prefix = f"{S3_BUCKET}/pipeline-{uuid.uuid4().hex[:8]}"
    # The first 50 cells on S3 (moto is slow at many small PUTs): the same keys, so the same bytes.
    on_s3 = run(build(module, S3_ITEMS), store=f"s3://{prefix}", storage_options=options, cluster=client)
    assert on_s3.counts()["project_cell"]["executed"] == 50
    fs = s3fs.S3FileSystem(**options)
    s3_products = products(fs, prefix)
    assert len(s3_products) == 100
    assert s3_products == {name: reference[name] for name in s3_products}
    # The store is the only thing that changed: a re-run against S3 skips everything too.
    assert plan(build(module, S3_ITEMS), store=f"s3://{prefix}", storage_options=options).to_run() == []
    counts = executions(log_dir, "normalize")
    assert counts == {i: 3 if i < 50 else 2 for i in range(200)}


def test_a_worker_killed_mid_run_redoes_no_finished_target(tmp_path: Path, client):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    text = source(log_dir).replace("STALL_ID = -1", "STALL_ID = 120")
    module = load(tmp_path / "code", text)
    store = tmp_path / "store"
    outcome: dict[str, object] = {}

    def first_run() -> None:
        try:
            outcome["result"] = run(build(module, ITEMS), store=str(store), cluster=client, window=6)
        except Exception as error:  # noqa: BLE001 - the test inspects what the run said
            outcome["error"] = error

    runner = threading.Thread(target=first_run)
    runner.start()
    wait_for(lambda: (log_dir / "stalled").exists(), "cell 120 was never reached")
    # The worker stalled in cell 120 holds it; everything committed until now must survive as is.
    committed = {p: p.read_bytes() for p in store.rglob(".*.manifest.json")}
    assert len(committed) >= 100
    os.kill(int((log_dir / "stalled").read_text()), signal.SIGKILL)
    (log_dir / "release").touch()
    runner.join(timeout=180)
    assert not runner.is_alive()

    rerun = run(build(module, ITEMS), store=str(store), cluster=client)
    finished_before = {p.parent.name + "/" + p.name[1:-len(".manifest.json")] for p in committed}
    assert not finished_before & set(rerun.executed())
    assert {p: p.read_bytes() for p in committed} == committed  # not one was rewritten
    counts = executions(log_dir, "normalize")
    for target in finished_before:
        if target.startswith("normalized/"):
            assert counts[int(target.split("/")[1].split(".")[0])] == 1
    assert plan(build(module, ITEMS), store=str(store)).to_run() == []

    reference = tmp_path / "reference"
    run(build(module, ITEMS), store=str(reference))
    assert local_products(store) == local_products(reference)
    assert not [p for p in store.rglob("*.partial-*")]  # no temporary left under a final name


def test_a_local_store_on_a_worker_that_cannot_see_it_is_refused_before_anything_runs(tmp_path: Path):
    """A worker in its own mount namespace, with an empty file system over the store's folder: a real
    worker on "another machine" as far as that folder goes."""
    if shutil.which("unshare") is None:
        skip_or_fail("unshare (util-linux) is needed to give a worker its own mount namespace")
    hidden = tmp_path / "hidden"
    store = hidden / "store"
    store.mkdir(parents=True)
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    module = load(tmp_path / "code", source(log_dir))
    with distributed.LocalCluster(n_workers=0, dashboard_address=":0", processes=True) as scheduler_only, \
            distributed.Client(scheduler_only) as client:
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", scheduler_only.scheduler_address,
                  "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--no-nanny"]
        script = f"mount -t tmpfs none {shlex.quote(str(hidden))} && exec {shlex.join(worker)}"
        with open(tmp_path / "worker.log", "wb") as log:
            process = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            client.wait_for_workers(1, timeout=60)
            assert client.run(os.path.isdir, str(store)) == {w: False for w in client.nthreads()}
            with pytest.raises(PreflightError, match="workers cannot see") as refused:
                run(build(module, table(4)), store=str(store), cluster=client)
            assert refused.value.code == "pipeline_preflight" and "s3://" in refused.value.hint
            assert executions(log_dir, "normalize") == {}
            assert list(store.iterdir()) == []  # nothing written, not even the probe left behind
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _tasks_on_scheduler(dask_scheduler) -> int:
    return len(dask_scheduler.tasks)


def test_submission_is_bounded_by_the_window(tmp_path: Path, client):
    """However many items, the scheduler holds a few windows' worth of them, not all: ``window`` in
    flight, plus finished ones whose release the client has sent but the scheduler not yet handled."""
    from jupyter_remotem.pipeline import step
    from jupyter_remotem.pipeline.writers import Json

    @step(target="seen/{i}.json", writer=Json())
    def seen(i: int):
        return {"tasks": distributed.get_client().run_on_scheduler(_tasks_on_scheduler)}

    result = run(seen.map(list(range(60))), store=str(tmp_path / "s"), cluster=client, window=4)
    assert len(result.executed()) == 60
    counts = [Json().read(result.plan.store, f"seen/{i}.json")["tasks"] for i in range(60)]
    assert max(counts) <= 3 * 4 < 60
    # Nothing is left behind on the cluster once the client's releases arrive.
    wait_for(lambda: client.run_on_scheduler(_tasks_on_scheduler) == 0, "tasks stayed on the scheduler", 30)
