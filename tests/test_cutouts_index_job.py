"""The footprint index is refreshed by a durable job (kind ``cutouts-index``): a survey never
indexed answers 503 ``index_pending`` with its job, a stale one keeps answering from its last
index while the job runs, a job stopped between batches leaves what it committed right and the
next run reads only what is left, and ``POST cutouts/surveys/{name}/index`` is for
administrators (one job per survey at a time).

No worker runs these jobs by itself here (the server's worker cannot start: its arguments are
wrong), so the test decides when a job runs: in this process, by the worker's own code."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from _api import api_path, call, server_config, stop_started_worker, wait_until
from _cutouts import error_of, hdus_of, sky_dir, sky_surveys, sync, tile_file  # noqa: F401 - fixtures
from astropy.io import fits

from jupyter_remotem.compute.executor import Cancelled
from jupyter_remotem.cutouts import index_job
from jupyter_remotem.cutouts.footprints import footprint
from jupyter_remotem.cutouts.models import CutoutTile
from jupyter_remotem.jobs.runner import JobContext
from jupyter_remotem.jobs.worker import Worker, WorkerOptions

#: Tiles of the mosaic survey: 2 × 2 tiles × 3 bands.
MOSAIC_FILES = 12


def held_config(repositories, sky_dir, **extra):
    """A server whose own worker never starts (``--poll`` takes a number)."""
    return server_config(repositories + [{"name": "sky", "url": str(sky_dir)}], surveys=sky_surveys(),
                         cutout_realtime_pixels=300_000, start_worker=True, worker_arguments=["--poll", "never"],
                         **extra)


@pytest.fixture
def jp_server_config(repositories, sky_dir):
    return held_config(repositories, sky_dir, owner="root", user_groups=["staff"], admin_groups=["staff"])


@pytest.fixture
def services(jp_serverapp):
    yield jp_serverapp.web_app.settings["remotem"]
    stop_started_worker(jp_serverapp)


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
    monkeypatch.setattr(index_job, "BATCH_FILES", 5)
    record = services.jobs.get(mosaic["job"], None)
    cancel, reports = threading.Event(), []

    def progress(report):
        reports.append((report.frames_done, report.frames_total))
        if report.frames_done:
            cancel.set()

    context = JobContext(job=record, worker_id="test-worker", store=services.jobs, repositories=services.registry,
                         cancel=cancel, progress=progress)
    with pytest.raises(Cancelled):
        await asyncio.get_running_loop().run_in_executor(None, index_job.run_cutouts_index_job, context)
    assert reports == [(0, MOSAIC_FILES), (5, MOSAIC_FILES)]
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
