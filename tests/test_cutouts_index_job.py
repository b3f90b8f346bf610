"""The footprint index is refreshed by a durable job (kind ``cutouts-index``): a survey never
indexed answers 503 ``index_pending`` with its job, a stale one keeps answering from its last
index while the job runs, a job stopped between batches leaves what it committed right and the
next run reads only what is left, and ``POST cutouts/surveys/{name}/index`` is for
administrators (one job per survey at a time); the listing shows a running job's progress; a
failed job (tiles that are not FITS, a repository gone) is ``state: error`` with the reason, and
cutouts of such a survey answer 409 ``index_failed`` at once; the server's own runner of these
jobs ends with the server.

No worker runs these jobs by itself here (``start_worker=False`` and ``index_jobs_in_server=False``:
a deployment whose workers run elsewhere), so the test decides when a job runs: in this process,
by the worker's own code."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest
from _api import api_path, call, server_config, wait_until
from _cutouts import error_of, hdus_of, indexed, sky_dir, sky_surveys, sync, tile_file  # noqa: F401 - fixtures
from astropy.io import fits

from jupyter_remotem.compute.executor import Cancelled
from jupyter_remotem.cutouts import index_job
from jupyter_remotem.cutouts.footprints import footprint
from jupyter_remotem.cutouts.models import CutoutTile
from jupyter_remotem.jobs.runner import JobContext
from jupyter_remotem.jobs.worker import Worker, WorkerOptions, progress_json

#: Tiles of the mosaic survey: 2 × 2 tiles × 3 bands.
MOSAIC_FILES = 12


def held_config(repositories, sky_dir, surveys=(), **extra):
    """A server that starts no worker and runs no index job itself: they wait for the test."""
    return server_config(repositories + [{"name": "sky", "url": str(sky_dir)}], surveys=sky_surveys() + list(surveys),
                         cutout_realtime_pixels=300_000, start_worker=False, index_jobs_in_server=False, **extra)


@pytest.fixture
def jp_server_config(repositories, sky_dir):
    return held_config(repositories, sky_dir, owner="root", user_groups=["staff"], admin_groups=["staff"])


@pytest.fixture
def services(jp_serverapp):
    return jp_serverapp.web_app.settings["remotem"]


async def listing(jp_fetch):
    code, body = await call(jp_fetch, "GET", "cutouts", "surveys")
    assert code == 200, body
    return {s["name"]: s["index"] for s in body["surveys"]}


async def run_index_jobs(services):
    """Every queued index job, run to its end by a worker's own code (claim, heartbeat, conclusion)."""
    def run():
        worker = Worker(services.jobs, services.registry, "test-worker",
                        WorkerOptions(report_s=0.1, scheduler="none", once=True))
        while (job := services.jobs.claim(worker.worker_id, kinds=[index_job.KIND])) is not None:
            worker.execute(job)

    await asyncio.get_running_loop().run_in_executor(None, run)


def mosaic_rows(services):
    with services.jobs.reading() as session:
        return {(r.tile, r.band): (r.path, r.size, r.mtime, r.vertices)
                for r in session.query(CutoutTile).filter(CutoutTile.survey == "demo_mosaic")}


async def test_a_never_indexed_survey_waits_for_its_job_and_a_stopped_job_resumes(jp_fetch, services, sky_dir,
                                                                                monkeypatch):
    # The start-up check queued one job per survey; until it runs, the survey has no index.
    states = await wait_until(lambda: _all_queued(jp_fetch), "the start-up index jobs")
    mosaic = states["demo_mosaic"]
    assert mosaic["state"] == "never" and mosaic["indexed_at"] is None
    response = await jp_fetch(*api_path("cutouts", "sync"), params={"survey": "demo_mosaic", "ra": "150",
                                                                    "dec": "2", "size": "32pix"}, raise_error=False)
    error = error_of(response, 503)
    assert error["code"] == "index_pending" and error["details"]["job"] == mosaic["job"]
    assert int(response.headers["Retry-After"]) > 0

    # Asking again returns the queued job, not a second one.
    code, job = await call(jp_fetch, "POST", "cutouts", "surveys", "demo_mosaic", "index")
    assert code == 202 and job["id"] == mosaic["job"] and job["kind"] == "cutouts-index", job
    assert job["phase"] == "QUEUED"

    # A run stopped after its first batch: what it committed is right, the rest is still to do.
    # The start-up check listed the surveys in order: the mosaic's job is the oldest.
    monkeypatch.setattr(index_job, "BATCH_FILES", 5)
    record = services.jobs.claim("test-worker", kinds=[index_job.KIND])
    assert record.id == mosaic["job"]
    cancel, reports = threading.Event(), []

    def progress(report):
        reports.append((report.frames_done, report.frames_total))
        services.jobs.update_progress(record.id, "test-worker", progress_json(report))  # as a worker's monitor
        if report.frames_done:
            cancel.set()

    context = JobContext(job=record, worker_id="test-worker", store=services.jobs, repositories=services.registry,
                         cancel=cancel, progress=progress)
    with pytest.raises(Cancelled):
        await asyncio.get_running_loop().run_in_executor(None, index_job.run_cutouts_index_job, context)
    assert reports == [(0, MOSAIC_FILES), (5, MOSAIC_FILES)]
    # While it runs, the listing says how far it is (the lab's "Indexing … 5 of 12 files").
    running = (await listing(jp_fetch))["demo_mosaic"]
    assert running["state"] == "never" and running["job"] == record.id
    assert running["progress"] == {"done": 5, "total": MOSAIC_FILES, "fraction": round(5 / MOSAIC_FILES, 4)}
    assert "progress" not in (await listing(jp_fetch))["demo_ra0"], "a job not running has none"
    assert services.jobs.release(record.id, "test-worker")  # handed back, as a stopping worker does
    rows = mosaic_rows(services)
    assert len(rows) == 5
    for (tile, band), (path, size, mtime, vertices) in rows.items():
        file = tile_file(sky_dir, "demo_mosaic", tile, band)
        assert path.endswith(file.name) and size == file.stat().st_size
        with fits.open(file) as hdus:
            assert vertices == footprint(hdus[1].header if file.name.endswith(".fz") else hdus[0].header)["vertices"]

    await run_index_jobs(services)
    done = services.jobs.get(mosaic["job"], None)
    assert done.phase == "COMPLETED", done.error
    assert done.progress["done"] == done.progress["total"] == MOSAIC_FILES - 5, "only what was left is read"
    assert done.results[0]["added"] == MOSAIC_FILES - 5 and done.results[0]["failed"] == 0
    assert len(mosaic_rows(services)) == MOSAIC_FILES
    states = await listing(jp_fetch)
    assert {s["state"] for s in states.values()} == {"current"} and states["demo_mosaic"]["job"] is None
    assert states["demo_mosaic"]["indexed_at"] == done.ended.isoformat()
    hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="32pix"))

    # A changed tile: the survey answers from its last index while its new job waits.
    changed = tile_file(sky_dir, "demo_mosaic", "t00", "g")
    stat = changed.stat()
    os.utime(changed, (stat.st_atime, stat.st_mtime + 10))
    code, again = await call(jp_fetch, "POST", "cutouts", "surveys", "demo_mosaic", "index")
    assert code == 202 and again["id"] != mosaic["job"]
    states = await listing(jp_fetch)
    assert states["demo_mosaic"]["state"] == "refreshing" and states["demo_mosaic"]["job"] == again["id"]
    hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="32pix"))
    await run_index_jobs(services)
    refreshed = services.jobs.get(again["id"], None)
    assert refreshed.phase == "COMPLETED" and refreshed.results[0]["updated"] == 1, refreshed.results
    assert mosaic_rows(services)[("t00", "g")][2] == changed.stat().st_mtime
    assert (await listing(jp_fetch))["demo_mosaic"]["state"] == "current"


async def _all_queued(jp_fetch):
    states = await listing(jp_fetch)
    return states if all(s["job"] for s in states.values()) else None


class TestNotAdministrator:
    @pytest.fixture
    def jp_server_config(self, repositories, sky_dir):
        return held_config(repositories, sky_dir, owner="carol", user_groups=["astro"], admin_groups=["staff"])

    async def test_the_index_endpoint_is_hidden_from_others(self, jp_fetch, services):
        code, body = await call(jp_fetch, "POST", "cutouts", "surveys", "demo_mosaic", "index")
        assert code == 404, body
        code, body = await call(jp_fetch, "POST", "cutouts", "surveys", "no_such_survey", "index")
        assert code == 404, body


@pytest.fixture(scope="module")
def junk_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A survey folder whose tiles are not FITS files."""
    folder = tmp_path_factory.mktemp("junk")
    for tile in ("t00", "t01"):
        (folder / f"{tile}_r.fits").write_bytes(b"not a FITS file, just text with the right name\n")
    return folder


def failing_surveys() -> list[dict]:
    return [{"name": "junk", "repository": "junk", "path": "", "bands": ["r"], "pattern": "{tile}_{band}.fits",
             "pixscale": 0.5},
            {"name": "gone", "repository": "gone", "path": "", "bands": ["r"], "pattern": "{tile}_{band}.fits",
             "pixscale": 0.5}]


class TestFailingIndexJobs:
    @pytest.fixture
    def jp_server_config(self, repositories, sky_dir, junk_dir, tmp_path):
        extra = [{"name": "junk", "url": str(junk_dir)}, {"name": "gone", "url": str(tmp_path / "removed")}]
        return held_config(repositories + extra, sky_dir, surveys=failing_surveys())

    async def test_a_failed_index_is_an_error_state_and_cutouts_say_why_at_once(self, jp_fetch, services):
        states = await wait_until(lambda: _queued(jp_fetch, ["demo_mosaic", "junk"]), "the start-up index jobs")
        # Nothing listed in a folder gone: no job yet, until a cutout asks for one.
        assert states["gone"] == {"state": "never", "job": None, "indexed_at": None}
        response = await jp_fetch(*api_path("cutouts", "sync"), params={"survey": "gone", "ra": "10", "dec": "10",
                                                                        "size": "8pix"}, raise_error=False)
        assert error_of(response, 503)["code"] == "index_pending"

        await run_index_jobs(services)
        states = await listing(jp_fetch)
        assert states["demo_mosaic"]["state"] == "current" and "error" not in states["demo_mosaic"]
        junk, gone = states["junk"], states["gone"]
        assert junk["state"] == "error" and junk["job"] is None, junk
        assert "none of its 2 tile file(s) could be read" in junk["message"] and "_r.fits" in junk["message"]
        assert "FITS" in junk["hint"] and junk["error"]["code"] == "unreadable_file"
        assert gone["state"] == "error" and "no tile files" in gone["message"] and "repository 'gone'" in gone["message"]
        assert gone["hint"] and gone["error"]["code"] == "not_found"

        for name, words in [("junk", "tile file(s) could be read"), ("gone", "no tile files")]:
            response = await jp_fetch(*api_path("cutouts", "sync"), params={"survey": name, "ra": "10", "dec": "10",
                                                                            "size": "8pix"}, raise_error=False)
            error = error_of(response, 409)
            assert error["code"] == "index_failed" and words in error["message"], error
            assert f"surveys/{name}/index" in error["hint"] and "Retry-After" not in response.headers
            # A batch of it is refused the same way, before any job exists.
            code, body = await call(jp_fetch, "POST", "cutouts", "jobs", body={
                "defaults": {"survey": name, "size": "8pix"}, "positions": [{"id": "a", "ra": 10, "dec": 10}]})
            assert code == 409 and body["error"]["code"] == "index_failed", body
        assert services.jobs.list(index_job.OWNER, ["QUEUED"], [index_job.KIND], False) == [], \
            "a failed survey is not indexed again on every request"


async def _queued(jp_fetch, names):
    states = await listing(jp_fetch)
    return states if all(states[name]["job"] for name in names) else None


class TestServerRunner:
    """A server that starts no worker runs the index jobs on its own thread, which ends with it."""

    @pytest.fixture
    def jp_server_config(self, repositories, sky_dir):
        return server_config(repositories + [{"name": "sky", "url": str(sky_dir)}], surveys=sky_surveys())

    async def test_its_thread_ends_when_the_server_stops(self, jp_fetch, jp_serverapp, services):
        assert (await indexed(jp_fetch)), "the runner built the indexes"
        runner = services.index_runner
        thread = runner._thread
        assert thread is not None and thread.is_alive(), "it waits for more jobs a while"
        await jp_serverapp.cleanup_extensions()  # what the server does when it stops
        assert not thread.is_alive() and thread not in threading.enumerate() and runner._thread is None
        runner.kick()
        assert runner._thread is None, "a stopped runner starts no thread"
