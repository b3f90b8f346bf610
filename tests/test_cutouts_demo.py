"""The lab's demo: with no repositories configured, the demo repository's generated sky tiles
are served as three surveys, and answer cutouts (what ``make lab`` shows)."""

from __future__ import annotations

import io

import pytest
from _api import server_config
from _cutouts import indexed
from astropy.io import fits


@pytest.fixture
def jp_server_config(demo_dir):
    config = server_config([], demo_data_dir=str(demo_dir))
    config["RemotemApp"].pop("repositories")
    return config


async def test_the_demo_surveys_are_served_from_the_demo_repository(jp_fetch, demo_dir):
    assert (demo_dir / "sky" / "mosaic" / "t00_g.fits.fz").exists(), "the demo generator writes the sky tiles"
    surveys = {s["name"]: s for s in await indexed(jp_fetch)}  # the index jobs queued at start have run
    assert set(surveys) == {"demo_mosaic", "demo_pole", "demo_ra0"}
    assert all(s["repository"] == "demo" and s["footprint"]["files"] > 0 for s in surveys.values())
    response = await jp_fetch("remotem", "api", "cutouts", "sync", params={
        "survey": "demo_pole", "ra": "0", "dec": "90", "size": "32pix", "bands": "g"})
    with fits.open(io.BytesIO(response.body)) as hdus:
        assert hdus["G"].data.shape == (32, 32)
