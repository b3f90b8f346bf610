"""Pipelines as durable jobs, through the REST API of a real Jupyter server and the real detached
job worker it starts: per-step progress counts, a re-run that skips everything, cancel, kill -9 of
the worker with a resume that redoes no finished target, a personal token refused, a quota refusal
counting the expected outputs, and no secret of an S3 repository in the job record, its log or the
pickled payload.

The pipeline is the seed's (select cells, normalise, max-project) from ``_pipeline_cells``; its
steps log each execution to a folder, so the tests count how often each target was made.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from _api import call, job_finished, server_config, stop_started_worker, wait_until
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _pipeline_cells import CHANNELS, build, edited, executions, load, reference, source, table
from _services import S3_BUCKET, S3_SECRET

from jupyter_remotem.pipeline import File, PipelineError
from jupyter_remotem.pipeline.durable import submission

ITEMS = 12
WORKER = ["--poll", "0.1", "--report", "0.2", "--scheduler", "none"]
STALE_AFTER = 4.0


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    return folder


@pytest.fixture
def repositories(repositories, results):
    return repositories + [{"name": "results", "url": str(results), "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, start_worker=True, worker_arguments=WORKER, housekeeping_interval=600,
                         job_stale_after=STALE_AFTER, job_recovery_interval=0.5)


@pytest.fixture
def server(jp_serverapp):
    yield jp_serverapp
    stop_started_worker(jp_serverapp)


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "log"
    folder.mkdir()
    yield folder
    (folder / "release").write_text("end")  # a stalled step never outlives its test


def cells(tmp_path: Path, log_dir: Path, stall: int | None = None):
    text = source(log_dir)
    if stall is not None:
        text = edited(text, "STALL_ID = -1", f"STALL_ID = {stall}")
    return load(tmp_path / "code", text)


async def submit(jp_fetch, handles, **options: Any) -> dict[str, Any]:
    code, job = await call(jp_fetch, "POST", "pipelines", body=submission(handles, "results", path="cells", **options))
    assert code == 201, job
    assert job["kind"] == "pipeline"
    return job


def steps_of(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert job["progress"], job
    return {s["step"]: s for s in job["progress"].get("steps", [])}


async def job_of(jp_fetch, job_id: str) -> dict[str, Any]:
    code, job = await call(jp_fetch, "GET", "jobs", job_id)
    assert code == 200, job
    return job


async def test_a_pipeline_job_reports_counts_per_step_and_a_resubmission_skips_everything(
        jp_fetch, server, tmp_path, log_dir, results):
    module = cells(tmp_path, log_dir)
    items = table(ITEMS)
    job = await submit(jp_fetch, build(module, items))
    assert job["request"]["params"]["function"]["sha256"]  # the code only as its digest
    assert job["quote"]["targets"] == 2 * ITEMS
    done = await job_finished(jp_fetch, job["id"])
    assert done["phase"] == "COMPLETED", done
    steps = steps_of(done)
    assert steps["normalize_cell"] == {"step": "normalize_cell", "kind": "target", "total": ITEMS, "done": ITEMS,
                                       "skipped": 0, "failed": 0, "pending": 0}
    assert steps["project_cell"]["done"] == ITEMS and steps["project_cell"]["pending"] == 0
    assert steps["select_cell"]["kind"] == "in memory" and steps["select_cell"]["done"] == ITEMS
    assert done["progress"]["store"] == "repository:results/cells"
    assert done["progress"]["done"] == done["progress"]["total"] == 3 * ITEMS
    for i in range(ITEMS):
        normed, _ = reference(module, i, items["fov_seed"][i], items["cell_index"][i])
        with tifffile.TiffFile(results / "cells" / "normalized" / f"{i}.ome.tiff") as tif:
            assert tif.series[0].axes == "CZYX"
            np.testing.assert_array_equal(tif.asarray(), normed)
            assert [c.get("Name") for c in _channels(tif)] == CHANNELS
    [run_result] = done["results"]
    assert run_result["kind"] == "pipeline_run" and run_result["targets"] == 2 * ITEMS
    record = json.loads((results / run_result["path"]).read_text())
    assert record["job"]["id"] == job["id"] and record["counts"]["normalize_cell"]["executed"] == ITEMS
    assert done["written"]["files"] >= 4 * ITEMS  # each target and its manifest count for the quota

    again = await submit(jp_fetch, build(module, items))
    assert again["quote"]["targets"] == 0 and again["quote"]["bytes_written"] == 0
    finished = await job_finished(jp_fetch, again["id"])
    assert finished["phase"] == "COMPLETED", finished
    steps = steps_of(finished)
    assert steps["normalize_cell"]["skipped"] == ITEMS and steps["normalize_cell"]["done"] == 0
    assert steps["project_cell"]["skipped"] == ITEMS
    assert steps["select_cell"]["total"] == 0  # nothing downstream needed it
    assert executions(log_dir, "normalize") == {i: 1 for i in range(ITEMS)}
    assert executions(log_dir, "project") == {i: 1 for i in range(ITEMS)}


async def test_a_pipeline_job_on_a_local_cluster_writes_the_same_targets_and_records_its_workers(
        jp_fetch, server, tmp_path, log_dir, results):
    """``cluster="local"``: the job worker starts a LocalCluster for the run; every target equals
    the plain computation and the run record names the Dask workers that made them."""
    module = cells(tmp_path, log_dir)
    items = table(4)
    job = await submit(jp_fetch, build(module, items), cluster="local")
    assert job["request"]["cluster"] == "local", job["request"]
    done = await job_finished(jp_fetch, job["id"], timeout=180)
    assert done["phase"] == "COMPLETED", done
    assert steps_of(done)["normalize_cell"]["done"] == 4
    for i in range(4):
        normed, _ = reference(module, i, items["fov_seed"][i], items["cell_index"][i])
        with tifffile.TiffFile(results / "cells" / "normalized" / f"{i}.ome.tiff") as tif:
            np.testing.assert_array_equal(tif.asarray(), normed)
    [run_result] = done["results"]
    record = json.loads((results / run_result["path"]).read_text())
    assert record["workers"], record  # computed on the cluster's workers, not inline
    assert executions(log_dir, "normalize") == {i: 1 for i in range(4)}


def _channels(tif: Any) -> list[dict[str, str]]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(tif.ome_metadata)
    return [element.attrib for element in root.iter() if element.tag.endswith("Channel")]


async def test_a_cancelled_pipeline_stops_between_items_and_removes_what_it_made(
        jp_fetch, server, tmp_path, log_dir, results):
    module = cells(tmp_path, log_dir, stall=3)
    job = await submit(jp_fetch, build(module, table(ITEMS)))
    await wait_until(_exists(log_dir / "stalled"), "the pipeline to reach cell 3", timeout=60)
    running = await job_of(jp_fetch, job["id"])
    assert running["phase"] == "EXECUTING"
    assert _target_rows(server, job["id"]) > 0  # cells 0-2 committed, each a row in the job store
    code, _ = await call(jp_fetch, "POST", "jobs", job["id"], "cancel")
    assert code == 200
    await wait_until(_heard(jp_fetch, job["id"]), "the worker to hear of the cancel", timeout=20)
    (log_dir / "release").write_text("go")  # the running item ends; the next one never starts
    ended = await job_finished(jp_fetch, job["id"])
    assert ended["phase"] == "ABORTED", ended
    steps = steps_of(ended)
    assert steps["normalize_cell"]["pending"] >= ITEMS - 4 and steps["normalize_cell"]["failed"] == 0
    assert max(executions(log_dir, "normalize")) <= 3
    # Targets, their manifests and the run's record alike.
    made = [p for p in (results / "cells").rglob("*") if p.is_file()] if (results / "cells").exists() else []
    assert made == [], f"a cancel removes what the job made unless asked to keep its files: {made}"
    assert _target_rows(server, job["id"]) == 0, "no row names a removed target"


def _target_rows(server, job_id: str) -> int:
    """Rows of the pipeline targets ``job_id`` committed, in the server's job store."""
    from sqlalchemy import func, select

    from jupyter_remotem.pipeline.models import PipelineTarget

    store = server.web_app.settings["remotem"].jobs
    with store.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(PipelineTarget)
                                     .where(PipelineTarget.job_id == job_id)))


def _heard(jp_fetch, job_id: str):
    """A probe: has the worker reported since now (its next report answers it a cancel or a pause)?"""
    asked = datetime.now(timezone.utc)

    async def probe() -> bool:
        job_now = await job_of(jp_fetch, job_id)
        progress = job_now["progress"] or {}
        return job_now["phase"] != "EXECUTING" or ("updated" in progress and
                                                   datetime.fromisoformat(progress["updated"]) > asked)

    return probe


async def test_a_paused_pipeline_keeps_its_targets_and_resumes_from_them(jp_fetch, server, tmp_path, log_dir,
                                                                        results):
    module = cells(tmp_path, log_dir, stall=3)
    job = await submit(jp_fetch, build(module, table(ITEMS)))
    await wait_until(_exists(log_dir / "stalled"), "the pipeline to reach cell 3", timeout=60)
    code, _ = await call(jp_fetch, "POST", "jobs", job["id"], "pause")
    assert code == 200
    await wait_until(_heard(jp_fetch, job["id"]), "the worker to hear of the pause", timeout=20)
    (log_dir / "release").write_text("go")  # the running item ends and commits; the next one never starts

    async def suspended() -> bool:
        return (await job_of(jp_fetch, job["id"]))["phase"] == "SUSPENDED"

    await wait_until(suspended, "the job to be suspended", timeout=30)
    paused = steps_of(await job_of(jp_fetch, job["id"]))["normalize_cell"]
    assert paused["done"] == 4 and paused["pending"] == ITEMS - 4
    made = sorted(p.name for p in (results / "cells" / "normalized").iterdir() if not p.name.startswith("."))
    assert made == [f"{i}.ome.tiff" for i in range(4)]  # a pause, unlike a cancel, keeps what was made

    code, _ = await call(jp_fetch, "POST", "jobs", job["id"], "resume")
    assert code == 200
    ended = await job_finished(jp_fetch, job["id"])
    assert ended["phase"] == "COMPLETED", ended
    assert ended["attempts"] >= 2
    steps = steps_of(ended)
    assert steps["normalize_cell"]["skipped"] == 4 and steps["normalize_cell"]["done"] == ITEMS - 4
    assert executions(log_dir, "normalize") == {i: 1 for i in range(ITEMS)}  # nothing finished was redone
    assert executions(log_dir, "project") == {i: 1 for i in range(ITEMS)}


@pytest.mark.parametrize("where", ["inline", "cluster"])
def test_a_cancel_stops_a_run_before_its_next_items_inline_and_on_a_cluster(tmp_path, log_dir, where):
    import threading

    from distributed import LocalCluster

    from jupyter_remotem.compute.executor import Cancelled
    from jupyter_remotem.pipeline import run

    module = cells(tmp_path, log_dir)
    cancel = threading.Event()
    seen = []

    def observe(outcome):
        seen.append(outcome)
        if len(seen) == 4:
            cancel.set()

    store = tmp_path / "store"
    if where == "inline":
        with pytest.raises(Cancelled):
            run(build(module, table(40)), store=str(store), observer=observe, cancel=cancel)
    else:
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
            with pytest.raises(Cancelled):
                run(build(module, table(40)), store=str(store), cluster=cluster, observer=observe, cancel=cancel,
                    window=2)
    made = executions(log_dir, "normalize")
    assert 2 <= sum(made.values()) < 40, made
    # What was committed stays committed: a re-run skips it and makes only the rest.
    again = run(build(module, table(40)), store=str(store))
    assert again.counts()["project_cell"]["skipped"] + again.counts()["project_cell"]["executed"] == 40
    assert again.counts()["project_cell"]["skipped"] >= 2


def _exists(path: Path):
    async def probe() -> bool:
        return path.exists()

    return probe


async def test_kill_9_of_the_worker_resumes_the_pipeline_without_redoing_finished_targets(
        jp_fetch, server, tmp_path, log_dir, results):
    module = cells(tmp_path, log_dir, stall=5)
    items = table(ITEMS)
    job = await submit(jp_fetch, build(module, items))
    await wait_until(_exists(log_dir / "stalled"), "the pipeline to reach cell 5", timeout=60)
    pid = int((log_dir / "stalled").read_text())
    assert pid == server.web_app.settings["remotem"].supervisor.last_worker()  # inline: the job worker itself

    async def five_done() -> bool:  # progress per item is served while the job runs
        steps = ((await job_of(jp_fetch, job["id"]))["progress"] or {}).get("steps") or []
        return any(s["step"] == "normalize_cell" and s["done"] == 5 and s["pending"] == ITEMS - 5 for s in steps)

    await wait_until(five_done, "the progress to show five cells done", timeout=20)
    os.kill(pid, signal.SIGKILL)

    async def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return _zombie(pid)

    await wait_until(gone, "the killed worker to be gone", timeout=10)
    (log_dir / "release").write_text("go")
    ended = await job_finished(jp_fetch, job["id"], timeout=STALE_AFTER + 90)
    assert ended["phase"] == "COMPLETED", ended
    assert ended["attempts"] >= 2
    counts = executions(log_dir, "normalize")
    # Cells before the kill were made once; the one killed mid-way twice; the rest once.
    assert counts == {i: 2 if i == 5 else 1 for i in range(ITEMS)}, counts
    assert executions(log_dir, "project") == {i: 1 for i in range(ITEMS)}
    steps = steps_of(ended)
    assert steps["normalize_cell"]["skipped"] == 5 and steps["normalize_cell"]["done"] == ITEMS - 5
    assert steps["project_cell"]["skipped"] == 5 and steps["project_cell"]["done"] == ITEMS - 5
    for i in range(ITEMS):
        normed, _ = reference(module, i, items["fov_seed"][i], items["cell_index"][i])
        np.testing.assert_array_equal(tifffile.imread(results / "cells" / "normalized" / f"{i}.ome.tiff"), normed)
    assert not [p for p in results.rglob("*") if ".partial-" in p.name]


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1].startswith("Z")
    except FileNotFoundError:
        return True


async def test_the_notebook_client_submits_and_waits_for_a_pipeline(jp_fetch, server, client, tmp_path, log_dir,
                                                                   results):  # noqa: F811 - fixture
    module = cells(tmp_path, log_dir)
    job = await in_thread(client.run_pipeline, build(module, table(3)), "results", path="viaclient")
    assert job.kind == "pipeline"
    await in_thread(job.wait, timeout=60, progress=False)
    assert sorted(p.name for p in (results / "viaclient" / "projections").iterdir()
                  if not p.name.startswith(".")) == ["0.png", "1.png", "2.png"]


def test_inputs_with_credentials_never_enter_a_payload(tmp_path, log_dir):
    module = cells(tmp_path, log_dir)
    handles = module.normalize_cell.map([1], [File("s3://bucket/fov.tiff", storage_options={"secret": "x"})])
    with pytest.raises(PipelineError, match="credentials"):
        submission(handles, "results")


async def test_a_personal_token_may_not_submit_a_pipeline(jp_fetch, http_server_client, jp_base_url, tmp_path,
                                                         log_dir):
    status, token = await call(jp_fetch, "POST", "tokens", body={"name": "script"})
    assert status == 201, token
    module = cells(tmp_path, log_dir)
    body = submission(build(module, table(3)), "results")
    for query in ("", "?dry_run=1"):
        answer = await http_server_client.fetch(
            f"{jp_base_url}remotem/api/pipelines{query}", method="POST", raise_error=False,
            headers={"Authorization": f"token {token['token']}"}, body=json.dumps(body))
        assert answer.code == 403, answer.body
        error = json.loads(answer.body)["error"]
        assert error["code"] == "forbidden" and "personal token" in error["message"] and error["hint"]
    code, jobs = await call(jp_fetch, "GET", "jobs", kind="pipeline")
    assert code == 200 and jobs["jobs"] == []
    # The same body from the logged-in session is accepted (as a dry run here).
    code, answer = await call(jp_fetch, "POST", "pipelines", body=body, dry_run=1)
    assert code == 200 and answer["quote"]["targets"] == 6, answer


@pytest.mark.parametrize("change, status, fragment", [
    (lambda b: b.update(store={"repository": "demo"}), 403, "read-only"),
    (lambda b: b.update(store={"repository": "nowhere"}), 404, "nowhere"),
    (lambda b: b.update(store={"repository": "private"}), 404, "private"),
    (lambda b: b.update(store={"url": "/tmp/outside"}), 400, "outside every repository"),
    (lambda b: b.update(store={"url": "file:///tmp/outside"}), 400, "outside every repository"),
    (lambda b: b.update(store={"repository": "results", "path": "../up"}), 400, ""),
    (lambda b: b.update(cluster="everywhere"), 400, "cluster"),
    (lambda b: b["pipeline"].update(function="not base64!"), 400, "base64"),
    (lambda b: b["pipeline"].update(function=base64.b64encode(b"junk").decode()), 400, "unpickled"),
    (lambda b: b["pipeline"].update(environment={"python": "2.7", "cloudpickle": "1", "numpy": "1"}), 409, "python"),
    (lambda b: b.update(secret="x"), 400, "Unknown field"),
])
async def test_bad_submissions_answer_4xx_and_create_no_job(jp_fetch, tmp_path, log_dir, change, status, fragment):
    body = submission(build(cells(tmp_path, log_dir), table(2)), "results")
    change(body)
    code, answer = await call(jp_fetch, "POST", "pipelines", body=body)
    assert code == status, answer
    assert set(answer["error"]) >= {"code", "message", "hint"} and fragment in answer["error"]["message"]
    code, jobs = await call(jp_fetch, "GET", "jobs", kind="pipeline")
    assert jobs["jobs"] == []


class TestQuota:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, quotas={"default": {"storage_bytes": 50_000_000}})

    async def test_the_expected_outputs_are_counted_against_the_storage_quota(self, jp_fetch, tmp_path, log_dir):
        handles = build(cells(tmp_path, log_dir), table(10))
        body = submission(handles, "results", estimate_bytes=5_000_000)
        code, dry = await call(jp_fetch, "POST", "pipelines", body=body, dry_run=1)
        assert code == 200, dry
        assert dry["quote"]["bytes_written"] == 20 * 5_000_000
        assert dry["quote"]["steps"]["normalize_cell"] == {"targets": 10, "to_run": 10, "bytes_each": 5_000_000,
                                                           "measured": False}
        code, answer = await call(jp_fetch, "POST", "pipelines", body=body)
        assert code == 403, answer
        assert answer["error"]["code"] == "quota_exceeded" and "storage quota" in answer["error"]["message"]
        code, jobs = await call(jp_fetch, "GET", "jobs", kind="pipeline")
        assert jobs["jobs"] == []
        small = submission(handles, "results", estimate_bytes=1_000_000)
        code, job = await call(jp_fetch, "POST", "pipelines", body=small)
        assert code == 201 and job["quote"]["bytes_written"] == 20_000_000, job


def s3_repository(s3_endpoint: str) -> dict[str, Any]:
    """A writable repository on moto's S3, its credentials in the configuration only."""
    return {"name": "s3out", "url": f"s3://{S3_BUCKET}/pipe-{uuid.uuid4().hex[:8]}", "writable": True,
            "storage_options": {"key": "testing", "secret": S3_SECRET, "endpoint_url": s3_endpoint}}


class TestSecrets:
    """An S3 repository's credentials stay in the server's configuration."""

    @pytest.fixture
    def repositories(self, repositories, s3_endpoint):
        return repositories + [s3_repository(s3_endpoint)]

    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, start_worker=True, worker_arguments=WORKER)

    async def test_no_secret_of_the_store_in_the_job_record_its_log_or_the_payload(
            self, jp_fetch, server, tmp_path, log_dir, s3_endpoint):
        module = cells(tmp_path, log_dir)
        body = submission(build(module, table(3)), "s3out")
        payload = base64.b64decode(body["pipeline"]["function"])
        code, job = await call(jp_fetch, "POST", "pipelines", body=body)
        assert code == 201, job
        done = await job_finished(jp_fetch, job["id"])
        assert done["phase"] == "COMPLETED", done
        assert steps_of(done)["project_cell"]["done"] == 3
        services = server.web_app.settings["remotem"]
        stored = services.jobs.get(job["id"], None)
        worker_log = Path(services.supervisor.log_path).read_text() if Path(services.supervisor.log_path).exists() \
            else ""
        assert done["log"] or done["history"]  # the job's record, with its history and log lines
        for where, text in (("payload", payload.decode("latin-1")), ("job with its log", json.dumps(done)),
                            ("stored request", json.dumps(stored.request)), ("worker log", worker_log)):
            assert S3_SECRET not in text, where
        import s3fs

        fs = s3fs.S3FileSystem(key="testing", secret=S3_SECRET, endpoint_url=s3_endpoint)
        prefix = services.registry.get("s3out").config.url.split("://")[1]
        made = fs.find(f"{prefix}/projections")
        assert sorted(p.rsplit("/", 1)[-1] for p in made if not p.rsplit("/", 1)[-1].startswith(".")) == \
            ["0.png", "1.png", "2.png"]


@pytest.fixture(scope="module")
def server_scheduler():
    """A Dask cluster standing for the server's: its scheduler's address is the job worker's ``--scheduler``."""
    import distributed

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster:
        yield cluster


class TestServerClusterAndBareS3:
    """``cluster="server"``: the job worker's own cluster (a scheduler this test starts, given to the
    worker as ``--scheduler``); the store a bare ``s3://`` URL inside the S3 repository, written with
    that repository's configured credentials: no AWS variable in any environment."""

    @pytest.fixture
    def repositories(self, repositories, s3_endpoint):
        return repositories + [s3_repository(s3_endpoint)]

    @pytest.fixture
    def jp_server_config(self, repositories, server_scheduler):
        return server_config(repositories, start_worker=True,
                             worker_arguments=["--poll", "0.1", "--report", "0.2", "--scheduler",
                                               server_scheduler.scheduler_address])

    async def test_a_pipeline_on_the_server_cluster_writes_a_bare_s3_url_with_the_repository_credentials(
            self, jp_fetch, server, tmp_path, log_dir, s3_endpoint, server_scheduler):
        import distributed
        import s3fs

        from jupyter_remotem.pipeline.target_index import TargetIndex

        assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"} & set(os.environ)
        services = server.web_app.settings["remotem"]
        prefix = services.registry.get("s3out").config.url
        module = cells(tmp_path, log_dir)
        body = submission(build(module, table(3)), f"{prefix}/sub", cluster="server")
        code, job = await call(jp_fetch, "POST", "pipelines", body=body)
        assert code == 201, job
        assert job["request"]["store"] == {"repository": "s3out", "path": "sub"}  # the URL is that folder
        done = await job_finished(jp_fetch, job["id"], timeout=120)
        assert done["phase"] == "COMPLETED", done
        assert steps_of(done)["project_cell"]["done"] == 3
        with distributed.Client(server_scheduler) as client:
            cluster_pids = set(client.run(os.getpid).values())
            cluster_workers = set(client.nthreads())
        made_in = {int(p.name.split("-")[2]) for p in log_dir.iterdir() if p.name.startswith("normalize-")}
        assert made_in and made_in <= cluster_pids  # the steps ran on the server's cluster's workers
        fs = s3fs.S3FileSystem(key="testing", secret=S3_SECRET, endpoint_url=s3_endpoint)
        root = prefix.split("://")[1]
        assert sorted(p.rsplit("/", 1)[-1] for p in fs.find(f"{root}/sub/projections")
                      if not p.rsplit("/", 1)[-1].startswith(".")) == ["0.png", "1.png", "2.png"]
        [run_result] = done["results"]
        record = json.loads(fs.cat_file(f"{root}/{run_result['path']}"))
        assert set(record["workers"]) == cluster_workers
        # The run's targets, listed from the job store's database, name the job and its owner.
        listed = TargetIndex(services.jobs).run_targets(record["run"])
        assert sorted(r["target"] for r in listed) == sorted(
            [f"normalized/{i}.ome.tiff" for i in range(3)] + [f"projections/{i}.png" for i in range(3)])
        assert {r["job"] for r in listed} == {job["id"]} and {r["store"] for r in listed} == {"repository:s3out/sub"}
        for where, text in (("job", json.dumps(done)), ("stored request", json.dumps(services.jobs.get(
                job["id"], None).request)), ("listing", json.dumps(listed))):
            assert S3_SECRET not in text, where

    async def test_a_url_inside_a_repository_may_not_climb_out_of_it(self, jp_fetch, server, tmp_path, log_dir):
        prefix = server.web_app.settings["remotem"].registry.get("s3out").config.url
        body = submission(build(cells(tmp_path, log_dir), table(2)), f"{prefix}/sub/../../up")
        code, answer = await call(jp_fetch, "POST", "pipelines", body=body, dry_run=1)
        assert code == 400, answer
        assert set(answer["error"]) >= {"code", "message", "hint"}
