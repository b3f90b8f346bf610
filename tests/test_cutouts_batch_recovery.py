"""A batch of cutouts survives ``kill -9`` of its worker: the supervisor's recovery gives the job
back, a new worker resumes from the checkpoints without redoing the cutouts they hold, and every
file is whole (the worker writes under a temporary name and renames).  The worker is slowed with
its read-rate limit (applied to the bytes the batch writes) so there is time to kill it mid-run."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
from _api import wait_until
from _cutouts import hdus_of, indexed_sky, sky_dir, sky_index_in_place, sync  # noqa: F401 - fixtures
from _cutouts_batch import (  # noqa: F401 - fixtures
    NOWHERE, batch_config, completed, fits_of, manifest_of, mosaic_positions, out_dir, server, submit)
from _api import call

STALE_AFTER = 4.0
#: About 8 s for 1,000 cutouts of 32×32 px (12.7 kB each).
RATE = 1_600_000


@pytest.fixture
def jp_server_config(repositories, sky_dir, out_dir, sky_index_in_place):
    config = batch_config(repositories, sky_dir, out_dir, job_stale_after=STALE_AFTER, job_recovery_interval=0.5,
                          housekeeping_interval=600)
    config["RemotemApp"]["worker_arguments"] += ["--max-read-rate", str(RATE)]
    return config


async def test_kill_9_mid_batch_resumes_without_redoing_finished_cutouts(jp_fetch, server, sky_dir, out_dir):
    positions = mosaic_positions(sky_dir, 997, seed=11) + [{"id": i, "ra": ra, "dec": dec} for i, ra, dec in NOWHERE]
    job = await submit(jp_fetch, {"defaults": {"survey": "demo_mosaic", "size": "32pix", "bands": "g"},
                                  "positions": positions, "output": {"repository": "out", "path": "killed"}})

    async def midway():
        code, seen = await call(jp_fetch, "GET", "jobs", job["id"])
        progress = seen.get("progress") or {}
        return seen if seen["phase"] == "EXECUTING" and 300 <= (progress.get("done") or 0) < 800 else None

    seen = await wait_until(midway, "the batch to be a third done", timeout=120, interval=0.05)
    done_at_kill = seen["progress"]["done"]
    supervisor = server.web_app.settings["remotem"].supervisor
    pid = supervisor.last_worker()
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    folder = out_dir / "killed"
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.fits")}
    assert len(stamps) >= done_at_kill - len(NOWHERE)

    async def resumed():
        code, now = await call(jp_fetch, "GET", "jobs", job["id"])
        return now if now["attempts"] >= 2 and now["phase"] in ("EXECUTING", "COMPLETED") else None

    await wait_until(resumed, "the job to run again", timeout=STALE_AFTER + 30)
    assert time.monotonic() - killed_at < STALE_AFTER + 15
    finished = await completed(jp_fetch, job["id"], timeout=180)
    assert finished["attempts"] >= 2
    document = await manifest_of(jp_fetch, job["id"])
    assert document["ok"] == 997 and document["failed"] == 3
    assert document["resumed"] >= done_at_kill, "what the checkpoints held was not made again"
    assert document["made"] <= 1000 - done_at_kill
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if n.startswith(".")], f"temporary files left: {names[:5]}"
    assert len([n for n in names if n.endswith(".fits")]) == 997
    unchanged = [name for name, stamp in stamps.items() if (folder / name).stat().st_mtime_ns == stamp]
    assert len(unchanged) >= done_at_kill - len(NOWHERE), "finished cutouts were kept, not rewritten"
    rows = {row["id"]: row for row in document["rows"]}
    rng = np.random.default_rng(1)
    for k in rng.choice(997, 8, replace=False):
        row = rows[f"m{k:04d}"]
        with fits_of(folder / row["file"]) as got:
            expected = hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=row["ra"], dec=row["dec"], size="32pix",
                                          bands="g"))
            np.testing.assert_array_equal(got["G"].data, expected["G"].data)
    for name in names:
        if name.endswith(".fits"):
            with fits_of(folder / name) as hdus:  # every file is whole
                assert hdus["G"].data.shape == (32, 32)


async def test_cancel_mid_batch_stops_it_and_removes_what_it_wrote(jp_fetch, server, sky_dir, out_dir):
    job = await submit(jp_fetch, {"defaults": {"survey": "demo_mosaic", "size": "32pix", "bands": "g"},
                                  "positions": mosaic_positions(sky_dir, 1000, seed=13),
                                  "output": {"repository": "out", "path": "cancelled"}})

    async def started():
        code, seen = await call(jp_fetch, "GET", "jobs", job["id"])
        return seen if seen["phase"] == "EXECUTING" and (seen.get("progress") or {}).get("done", 0) >= 100 else None

    await wait_until(started, "the batch to make its first cutouts", timeout=120, interval=0.05)
    assert list((out_dir / "cancelled").glob("*.fits"))
    code, answer = await call(jp_fetch, "POST", "jobs", job["id"], "cancel")
    assert code == 200, answer

    async def aborted():
        code, seen = await call(jp_fetch, "GET", "jobs", job["id"])
        return seen if seen["phase"] == "ABORTED" else None

    seen = await wait_until(aborted, "the batch to stop", timeout=30)
    assert seen["progress"]["done"] < 1000, "it stopped before the end"
    assert not list((out_dir / "cancelled").glob("*")), "what it wrote went with it"
