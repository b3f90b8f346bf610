"""The Python client: ``c.surveys()`` and ``c.cutout(...)`` answer astropy objects equal to what
the REST endpoint serves, pictures show inline, and refusals arrive as the client's errors."""

from __future__ import annotations

import numpy as np
import pytest
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _cutouts import hdus_of, indexed_sky, jp_server_config, sky_dir, sky_index_in_place, sync  # noqa: F401 - fixtures
from astropy import units as u
from astropy.io import fits

from jupyter_remotem.client import NotFound
from jupyter_remotem.client.errors import TooLarge


async def test_surveys_and_a_fits_cutout(client, jp_fetch):
    surveys = await in_thread(client.surveys)
    assert {s["name"] for s in surveys} == {"demo_mosaic", "demo_pole", "demo_ra0"}
    hdus = await in_thread(client.cutout, "demo_mosaic", 150.0, 2.0, 20 * u.arcsec, bands=["g", "i"], mode="partial")
    assert isinstance(hdus, fits.HDUList) and [h.name for h in hdus[1:]] == ["G", "I"]
    expected = hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="20arcsec", bands="g,i",
                                  mode="partial"))
    for band in ("G", "I"):
        np.testing.assert_array_equal(hdus[band].data, expected[band].data)
        assert hdus[band].data.shape == (40, 40)
    pixels = await in_thread(client.cutout, "demo_mosaic", 150.0, 2.0, width=64 * u.pix, height="32pix")
    assert pixels["G"].data.shape == (32, 64)


async def test_a_picture_shows_inline(client):
    picture = await in_thread(client.cutout, "demo_mosaic", 150.0, 2.0, "32pix", bands="gri", format="png")
    assert picture._repr_png_().startswith(b"\x89PNG")
    assert picture.image.size == (32, 32) and picture.image.mode == "RGB"


async def test_refusals_are_client_errors(client):
    with pytest.raises(TypeError, match="unknown parameter 'colour'"):
        await in_thread(client.cutout, "demo_mosaic", 150.0, 2.0, "10pix", colour="red")
    with pytest.raises(NotFound):
        await in_thread(client.cutout, "secret_mosaic", 150.0, 2.0, "10pix")
    with pytest.raises(TooLarge) as refused:
        await in_thread(client.cutout, "demo_mosaic", 150.0, 2.0, "600pix")
    assert refused.value.code == "too_large"
