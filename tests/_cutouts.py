"""Shared pieces of the cutouts tests: generated survey tiles (real TAN WCS, compressed, gzip,
polar, across RA = 0), a server serving them, and reading the answers."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _api import api_path, call, server_config, wait_until
from astropy.io import fits

from jupyter_remotem.cutouts import demo

#: Tiles of the generated surveys (pixels per side); small, so a session makes them in a second.
TILE = 256


@pytest.fixture(scope="session")
def sky_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sky")
    demo.generate(directory, tile=TILE)
    return directory


@pytest.fixture(scope="session")
def mosaic_parent() -> dict[str, Any]:
    """The image the mosaic's tiles were cut from, per band (header, pixels), and tile origins."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        return demo.mosaic(Path(scratch), 150.0, 2.0, (2, 2), TILE, TILE // 8, ["g", "r", "i"], ".fits", 0.5, seed=1)


def sky_surveys() -> list[dict[str, Any]]:
    surveys = demo.surveys("sky", "")
    secret = dict(surveys[0], name="secret_mosaic", groups=["astro"], description="astro group only")
    return surveys + [secret]


@pytest.fixture(scope="session")
def indexed_sky(sky_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A job database holding the footprint index of every generated survey, built once per
    session by the code the index jobs run.  The sky is the session's own, so the sizes and times
    the index holds are its files': a server on a copy (:func:`sky_index_in_place`) finds every
    index current and runs no index job, for tests of what comes after the index, not of its
    building (test_cutouts_index_job and test_cutouts_footprints build it)."""
    from jupyter_remotem.cutouts.footprints import FootprintIndex
    from jupyter_remotem.cutouts.surveys import SurveyCatalog
    from jupyter_remotem.jobs.store import JobStore
    from jupyter_remotem.storage.access import AccessPolicy
    from jupyter_remotem.storage.registry import RepositoryRegistry

    path = tmp_path_factory.mktemp("indexed-sky") / "jobs.sqlite"
    store = JobStore(f"sqlite:///{path}")
    try:
        registry = RepositoryRegistry.from_dicts([{"name": "sky", "url": str(sky_dir)}])
        catalog = SurveyCatalog.from_dicts(sky_surveys(), registry, AccessPolicy())
        index = FootprintIndex(store)
        for survey in catalog.surveys.values():
            report = index.refresh(survey, catalog.repository(survey))
            assert report["files"] and not report["failed"], report
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as connection:  # all in the one file that is copied
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sky_index_in_place(indexed_sky: Path, jp_data_dir: Path) -> Path:
    """A copy of :func:`indexed_sky` where this test's server keeps its job database (the
    default one, in its Jupyter data folder); what the test then writes stays its own."""
    target = jp_data_dir / "remotem" / "jobs.sqlite"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(indexed_sky, target)
    return target


@pytest.fixture
def jp_server_config(repositories, sky_dir, sky_index_in_place):
    return server_config(repositories + [{"name": "sky", "url": str(sky_dir)}], surveys=sky_surveys(),
                         cutout_realtime_pixels=300_000)


def wait_for_indexes(serverapp: Any, timeout: float = 120.0) -> None:
    """Block until every configured survey's footprint index is built (by the jobs the server
    queued when it started; a worker process or the server's own runner runs them)."""
    import threading
    import time

    services = serverapp.web_app.settings["remotem"]
    cutouts = services.cutouts
    names = list(cutouts.catalog.surveys)
    deadline = time.monotonic() + timeout
    while True:
        states = cutouts.indexing.states(cutouts.index, names)
        assert not [s for s in states.values() if s.get("error")], states
        if all(s["state"] == "current" for s in states.values()):
            return
        assert time.monotonic() < deadline, f"the surveys' indexes were not built in {timeout} s: {states}"
        threading.Event().wait(0.05)  # poll interval


async def indexed(jp_fetch: Any, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Wait for the footprint index of every survey the caller sees (the jobs the server queued
    when it started); the survey listing then."""
    async def ready() -> list[dict[str, Any]] | None:
        code, body = await call(jp_fetch, "GET", "cutouts", "surveys")
        assert code == 200, body
        states = {s["name"]: s["index"] for s in body["surveys"]}
        assert not [s for s in states.values() if s.get("error")], states
        return body["surveys"] if all(s["state"] == "current" for s in states.values()) else None

    return await wait_until(ready, "the surveys' footprint indexes", timeout)


async def sync(jp_fetch: Any, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None,
               **params: Any):
    """``cutouts/sync`` with ``params`` in the query (or a body for POST); the raw response.
    A first request may find the index still being built (503 ``index_pending``): it waits for
    it, then asks again."""
    def ask():
        return jp_fetch(*api_path("cutouts", "sync"), method=method, params={k: str(v) for k, v in params.items()},
                        body=body, headers=headers or {}, raise_error=False)

    response = await ask()
    if response.code == 503 and b"index_pending" in response.body:
        await indexed(jp_fetch)
        response = await ask()
    return response


def hdus_of(response: Any) -> fits.HDUList:
    assert response.code == 200, response.body[:500]
    assert response.headers["Content-Type"] == "application/fits"
    assert response.headers["Content-Disposition"].startswith("inline")
    return fits.open(io.BytesIO(response.body))


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.code == status, (response.code, response.body[:500])
    error = json.loads(response.body)["error"]
    assert error["message"] and error["hint"] and "Traceback" not in response.body.decode()
    return error


def tile_file(sky_dir: Path, survey: str, tile: str, band: str) -> Path:
    folder = {"demo_mosaic": "mosaic", "demo_pole": "pole", "demo_ra0": "ra0"}[survey]
    return next((sky_dir / folder).glob(f"{tile}_{band}.*"))


def image_hdu(path: Path, hdus: fits.HDUList) -> fits.ImageHDU:
    return hdus[1] if path.name.endswith(".fz") else hdus[0]


def wcs_equal(a: Any, b: Any) -> None:
    """Two celestial WCS the same: reference pixel, values, matrix, projection and shape."""
    np.testing.assert_allclose(a.wcs.crpix, b.wcs.crpix, rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.wcs.crval, b.wcs.crval, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.pixel_scale_matrix, b.pixel_scale_matrix, rtol=1e-12, atol=0)
    assert list(a.wcs.ctype) == list(b.wcs.ctype)
