"""Shared by the batch-cutout tests: a server with the generated surveys, a writable output
repository and its own detached worker; positions on and off the surveys; submitting and waiting."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _api import call, job_finished, server_config, stop_started_worker
from _cutouts import sky_surveys, wait_for_indexes
from astropy.io import fits
from astropy.wcs import WCS

#: Positions that no tile covers: far from every survey, and just outside the mosaic's corner.
NOWHERE = [("nowhere-1", 10.0, 45.0), ("nowhere-2", 250.0, -60.0), ("outside-corner", 150.05, 2.05)]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def batch_config(repositories: list[dict[str, Any]], sky_dir: Path, out_dir: Path, **extra: Any) -> dict[str, Any]:
    return server_config(repositories + [{"name": "sky", "url": str(sky_dir)},
                                         {"name": "out", "url": str(out_dir), "writable": True}],
                         surveys=sky_surveys(), cutout_realtime_pixels=300_000, start_worker=True,
                         worker_arguments=["--poll", "0.1", "--report", "0.2", "--scheduler", "none"], **extra)


@pytest.fixture
def server(jp_serverapp: Any):
    wait_for_indexes(jp_serverapp)  # the start-up index jobs, which the server's worker runs
    yield jp_serverapp
    stop_started_worker(jp_serverapp)


def mosaic_positions(sky_dir: Path, count: int, seed: int = 3) -> list[dict[str, Any]]:
    """Random positions inside the mosaic (the image its four tiles were cut from)."""
    path = next((sky_dir / "mosaic").glob("t00_g.*"))
    with fits.open(path) as hdus:
        wcs = WCS(hdus[1].header)
    rng = np.random.default_rng(seed)
    # The mosaic spans about 1.87 × 256 px from t00's origin; stay 20 px inside its edges.
    xy = rng.uniform(20, 256 * 1.875 - 20, (count, 2))
    world = wcs.all_pix2world(xy, 0)
    return [{"id": f"m{k:04d}", "ra": float(ra), "dec": float(dec)} for k, (ra, dec) in enumerate(world)]


async def submit(jp_fetch: Any, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    code, answer = await call(jp_fetch, "POST", "cutouts", "jobs", body=body)
    assert code == status, answer
    return answer


async def completed(jp_fetch: Any, job_id: str, timeout: float = 240) -> dict[str, Any]:
    job = await job_finished(jp_fetch, job_id, timeout=timeout)
    assert job["phase"] == "COMPLETED", job
    return job


async def manifest_of(jp_fetch: Any, job_id: str) -> dict[str, Any]:
    code, document = await call(jp_fetch, "GET", "cutouts", "jobs", job_id, "manifest")
    assert code == 200, document
    return document if isinstance(document, dict) else json.loads(document)


def fits_of(path: Path) -> fits.HDUList:
    return fits.open(io.BytesIO(path.read_bytes()))
