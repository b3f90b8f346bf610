"""Real-time cutouts over REST (``remotem/api/cutouts/...``) on generated survey tiles with real
TAN WCS: native cutouts equal astropy's ``Cutout2D`` on the same tile pixel for pixel (values and
WCS), across tile edges they equal ``Cutout2D`` on the image the tiles were cut from, and the pole,
RA = 0, missing overlap, bad input, forbidden surveys and over-size requests get their answers."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import call
from _cutouts import (  # noqa: F401 - fixtures
    error_of, hdus_of, image_hdu, indexed, indexed_sky, jp_server_config, mosaic_parent, sky_dir, sky_index_in_place,
    sync, tile_file, wait_for_indexes, wcs_equal)
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS

PNG = b"\x89PNG\r\n\x1a\n"


def reference(path, ra, dec, size, mode="trim", fill_value=np.nan):
    with fits.open(path) as hdus:
        hdu = image_hdu(path, hdus)
        wcs = WCS(hdu.header)
        return Cutout2D(hdu.data, SkyCoord(ra * u.deg, dec * u.deg), size, wcs=wcs, mode=mode, fill_value=fill_value)


async def test_surveys_list_what_the_caller_may_use(jp_fetch):
    body = {"surveys": await indexed(jp_fetch)}  # the index, current once the server has checked it
    by_name = {s["name"]: s for s in body["surveys"]}
    assert set(by_name) == {"demo_mosaic", "demo_pole", "demo_ra0"}, "the astro group's survey stays hidden"
    mosaic = by_name["demo_mosaic"]
    assert mosaic["bands"] == ["g", "r", "i"] and mosaic["footprint"]["tiles"] == 4
    assert mosaic["footprint"]["files"] == 12
    assert abs(mosaic["footprint"]["centre"]["ra"] - 150.0) < 1e-6
    assert by_name["demo_pole"]["footprint"]["dec_max"] == 90.0
    assert "url" not in json.dumps(body), "storage addresses are never shown"
    code, schema = await call(jp_fetch, "GET", "cutouts", "parameters")
    names = {p["name"]: p for p in schema["parameters"]}
    assert {"survey", "pos", "circle", "polygon", "ra", "dec", "size", "bands", "mode", "format"} <= set(names)
    assert "id" in names["survey"]["aliases"] and "responseformat" in names["format"]["aliases"]


@pytest.mark.parametrize("mode", ["trim", "partial", "strict"])
async def test_native_cutouts_equal_cutout2d_on_the_tile(jp_fetch, sky_dir, mode):
    """Random positions and sizes inside one tile of each kind of file (compressed, plain, gzip)."""
    rng = np.random.default_rng(7)
    cases = [("demo_mosaic", "t00", "r"), ("demo_pole", "p0", "g"), ("demo_ra0", "t00", "r")]
    for survey, tile, band in cases:
        path = tile_file(sky_dir, survey, tile, band)
        with fits.open(path) as hdus:
            wcs = WCS(image_hdu(path, hdus).header)
        for _ in range(3):
            # Inside the tile, away from its neighbours' overlap, so this tile is the first.
            x, y = rng.uniform(40, 200, 2)
            ra, dec = (float(v) for v in wcs.all_pix2world([[x, y]], 0)[0])
            width, height = int(rng.integers(5, 40)), int(rng.integers(5, 40))
            expected = reference(path, ra, dec, (height * u.pix, width * u.pix), mode, 0.0)
            response = await sync(jp_fetch, survey=survey, ra=ra, dec=dec, width=f"{width}pix",
                                  height=f"{height}pix", bands=band, mode=mode, fill_value=0)
            with hdus_of(response) as hdus:
                image = hdus[band.upper()]
                assert image.header["TILE1"] == tile and image.header["NTILES"] == 1
                np.testing.assert_array_equal(image.data, expected.data)
                wcs_equal(WCS(image.header), expected.wcs)
                assert hdus[0].header["SURVEY"] == survey and hdus[0].header["RA"] == pytest.approx(ra)


async def test_angular_sizes_and_soda_circle_give_cutout2d_shapes(jp_fetch, sky_dir):
    path = tile_file(sky_dir, "demo_mosaic", "t00", "g")
    with fits.open(path) as hdus:
        ra, dec = (float(v) for v in WCS(hdus[1].header).all_pix2world([[100.0, 110.0]], 0)[0])
    expected = reference(path, ra, dec, (12 * u.arcsec, 20 * u.arcsec))
    response = await sync(jp_fetch, survey="demo_mosaic", ra=ra, dec=dec, width="20arcsec", height="0.2arcmin",
                          bands="g")
    with hdus_of(response) as hdus:
        np.testing.assert_array_equal(hdus["G"].data, expected.data)
        wcs_equal(WCS(hdus["G"].header), expected.wcs)
    expected = reference(path, ra, dec, 2 * 0.003 * u.deg)
    response = await sync(jp_fetch, ID="demo_mosaic", POS=f"CIRCLE {ra} {dec} 0.003", BAND="g")
    with hdus_of(response) as hdus:
        np.testing.assert_array_equal(hdus["G"].data, expected.data)


async def test_a_cutout_across_tile_edges_is_the_parent_image_cut(jp_fetch, mosaic_parent):
    """The mosaic's tiles are pieces of one image: a cutout where four tiles meet equals
    Cutout2D on that image, with the WCS of the first tile's grid."""
    header, image = mosaic_parent["parent"]["i"]
    parent_wcs = WCS(header)
    for ra, dec, side in [(150.0, 2.0, 80), (150.0, 1.985, 50), (149.985, 2.0, 64)]:
        expected = Cutout2D(image, SkyCoord(ra * u.deg, dec * u.deg), side, wcs=parent_wcs, mode="trim")
        response = await sync(jp_fetch, survey="demo_mosaic", ra=ra, dec=dec, size=f"{side}pix", bands="i")
        with hdus_of(response) as hdus:
            got = hdus["I"]
            assert got.header["NTILES"] >= 2
            np.testing.assert_allclose(got.data, expected.data, rtol=0, atol=0.02)  # RICE quantisation only
            assert got.header["TILE1"] in mosaic_parent["tiles"]
            wcs = WCS(got.header)
            wcs_equal(wcs, expected.wcs)  # the tiles share the parent's projection: the same grid
            corners = [[0, 0], [side - 1, side - 1]]
            np.testing.assert_allclose(wcs.all_pix2world(corners, 0), expected.wcs.all_pix2world(corners, 0),
                                       rtol=0, atol=1e-10)


async def test_strict_partial_and_trim_at_the_survey_edge(jp_fetch, mosaic_parent):
    header, image = mosaic_parent["parent"]["r"]
    parent_wcs = WCS(header)
    corner_ra, corner_dec = parent_wcs.all_pix2world([[5.0, 5.0]], 0)[0]
    response = await sync(jp_fetch, survey="demo_mosaic", ra=corner_ra, dec=corner_dec, size="30pix", mode="strict")
    assert error_of(response, 400)["code"] == "partial_overlap"
    for mode in ("partial", "trim"):
        expected = Cutout2D(image, SkyCoord(corner_ra * u.deg, corner_dec * u.deg), 30, wcs=parent_wcs, mode=mode,
                            fill_value=-1.0)
        response = await sync(jp_fetch, survey="demo_mosaic", ra=corner_ra, dec=corner_dec, size="30pix", mode=mode,
                              fill_value=-1, bands="r")
        with hdus_of(response) as hdus:
            assert hdus["R"].data.shape == expected.data.shape
            assert expected.data.shape == (30, 30) if mode == "partial" else expected.data.shape < (30, 30)
            np.testing.assert_allclose(hdus["R"].data, expected.data, atol=0.02)
            wcs_equal(WCS(hdus["R"].header), expected.wcs)


async def test_the_pole_is_covered_seamlessly(jp_fetch, sky_dir):
    """At the pole itself and just off it, where RA boxes fail: the tile on the pole answers."""
    for ra in (0.0, 123.0, 275.0):
        response = await sync(jp_fetch, survey="demo_pole", ra=ra, dec=90.0, size="20pix", bands="r")
        with hdus_of(response) as hdus:
            assert hdus["R"].header["TILE1"] == "p0" and hdus["R"].data.shape == (20, 20)
            assert np.all(np.isfinite(hdus["R"].data))
    # Beyond the pole tile's edge, in the tile at RA 180: the index finds it.
    path = tile_file(sky_dir, "demo_pole", "p3", "g")
    with fits.open(path) as hdus:
        wcs = WCS(hdus[0].header)
    ra, dec = wcs.all_pix2world([[128.0, 128.0]], 0)[0]
    response = await sync(jp_fetch, survey="demo_pole", ra=ra, dec=dec, size="16pix", bands="g")
    with hdus_of(response) as hdus:
        assert hdus["G"].header["TILE1"] == "p3"
        np.testing.assert_array_equal(hdus["G"].data, reference(path, ra, dec, 16).data)


async def test_ra_zero_is_crossed(jp_fetch, mosaic_parent, sky_dir):
    """Targets on both sides of RA = 0 and on it (given as 0 and as 360)."""
    answers = []
    for ra in (359.999, 0.0, 360.0, 0.001):
        response = await sync(jp_fetch, survey="demo_ra0", ra=ra, dec=-30.0, size="40pix")
        with hdus_of(response) as hdus:
            assert hdus["R"].data.shape == (40, 40) and np.all(np.isfinite(hdus["R"].data))
            answers.append(hdus["R"].data.copy())
    np.testing.assert_array_equal(answers[1], answers[2])
    response = await sync(jp_fetch, ID="demo_ra0", POS="RANGE 359.995 0.005 -30.004 -29.996")
    with hdus_of(response) as hdus:
        assert hdus["R"].header["NTILES"] == 2, "the range spans both tiles"
        height, width = hdus["R"].data.shape
        assert abs(height - 0.008 * 3600 / 0.5) <= 2 and abs(width - 0.01 * np.cos(np.radians(30)) * 7200) <= 3


async def test_png_single_band_and_colour(jp_fetch):
    from PIL import Image

    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="48pix", format="png",
                          stretch="sqrt", min_cut="1%", max_cut="99%")
    assert response.code == 200 and response.body.startswith(PNG)
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline")
    grey = Image.open(io.BytesIO(response.body))
    assert grey.mode == "L" and grey.size == (48, 48)
    assert np.ptp(np.asarray(grey)) > 100, "the stretch spans the grey range"
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="48pix", bands="gri",
                          RESPONSEFORMAT="image/png")
    colour = Image.open(io.BytesIO(response.body))
    assert colour.mode == "RGB" and colour.size == (48, 48)
    pixels = np.asarray(colour).astype(int)
    assert np.abs(pixels[..., 0] - pixels[..., 2]).max() > 10, "the bands differ: a colour picture"


async def test_post_form_and_json_bodies(jp_fetch):
    expected = hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.01, dec=2.01, size="16pix"))["G"].data
    form = "ID=demo_mosaic&POS=CIRCLE+150.01+2.01+0.002&RESPONSEFORMAT=application%2Ffits&BAND=g"
    response = await sync(jp_fetch, method="POST", body=form,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    circle = hdus_of(await sync(jp_fetch, ID="demo_mosaic", POS="CIRCLE 150.01 2.01 0.002", BAND="g"))["G"].data
    np.testing.assert_array_equal(hdus_of(response)["G"].data, circle)
    assert circle.shape == (29, 29), "a 0.002 deg radius is a 0.004 deg square: 28.8 px of 0.5 arcsec"
    body = json.dumps({"survey": "demo_mosaic", "ra": 150.01, "dec": 2.01, "size": "16pix"})
    response = await sync(jp_fetch, method="POST", body=body, headers={"Content-Type": "application/json"})
    np.testing.assert_array_equal(hdus_of(response)["G"].data, expected)


@pytest.mark.parametrize(("params", "code", "words"), [
    ({"survey": "demo_mosaic", "ra": 150, "dec": 95, "size": "10pix"}, "bad_parameter", "outside -90..90"),
    ({"survey": "demo_mosaic", "ra": "abc", "dec": 2, "size": "10pix"}, "bad_parameter", "must be a number"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10parsec"}, "bad_parameter", "unit"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "-3pix"}, "bad_parameter", "size"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "bands": "z"}, "bad_parameter", "z"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "BAND": "5e-7 6e-7"}, "bad_parameter",
     "wavelength"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "mode": "loose"}, "bad_parameter", "mode"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2}, "bad_parameter", "size"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "colour": "red"}, "bad_parameter", "unknown"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "POS": "CIRCLE 150 2 0.01"}, "bad_parameter",
     "one way"),
    ({"survey": "demo_mosaic", "POS": "BOX 150 2 1 1"}, "bad_parameter", "circle, range or polygon"),
    ({"survey": "demo_mosaic", "POS": "CIRCLE 150 2"}, "bad_parameter", "3 numbers"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "stretch": "log"}, "bad_parameter", "png"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "format": "png", "bands": "gr"},
     "bad_parameter", "three"),
    ({"survey": "demo_mosaic", "ra": 150, "dec": 2, "size": "10pix", "pixscale": "0.3"}, "bad_parameter",
     "resample"),
])
async def test_bad_input_is_a_400_with_reason_and_hint(jp_fetch, params, code, words):
    error = error_of(await sync(jp_fetch, **params), 400)
    assert error["code"] == code and words in error["message"].lower(), error


async def test_no_overlap_and_unknown_or_forbidden_surveys_are_404(jp_fetch, jp_serverapp, http_server_client,
                                                                    jp_base_url):
    error = error_of(await sync(jp_fetch, survey="demo_mosaic", ra=10.0, dec=-60.0, size="10pix"), 404)
    assert error["code"] == "no_overlap"
    missing = error_of(await sync(jp_fetch, survey="nonesuch", ra=150, dec=2, size="10pix"), 404)
    forbidden = error_of(await sync(jp_fetch, survey="secret_mosaic", ra=150, dec=2, size="10pix"), 404)
    assert forbidden["message"].replace("secret_mosaic", "X") == missing["message"].replace("nonesuch", "X")
    tokens = jp_serverapp.web_app.settings["remotem"].tokens
    owner = jp_serverapp.web_app.settings["remotem"].server_owner
    wait_for_indexes(jp_serverapp)  # the astro group's survey too, which this caller does not see

    async def with_token(groups):
        _, secret = tokens.create(owner, f"astro {groups}", groups)
        return await http_server_client.fetch(
            f"{jp_base_url}remotem/api/cutouts/sync?survey=secret_mosaic&ra=150&dec=2&size=10pix",
            headers={"Authorization": f"token {secret}"}, raise_error=False)

    assert (await with_token(["astro"])).code == 200, "a member of the survey's group may use it"
    assert error_of(await with_token(["other"]), 404)["message"] == forbidden["message"]


async def test_over_the_realtime_budget_is_413_with_the_quote_and_the_batch_call(jp_fetch):
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150, dec=2, size="400pix", bands="gri")
    error = error_of(response, 413)
    assert error["code"] == "too_large" and "300,000" in error["message"]
    details = error["details"]
    assert details["quote"]["pixels"] >= 400 * 400 * 3 and details["allowed"] == 300_000
    assert details["batch"]["url"] == "remotem/api/cutouts/jobs"
    assert "size=316pix" in error["hint"], "the largest square that fits, never a silent clamp"
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150, dec=2, size="2deg")
    assert error_of(response, 413)["details"]["quote"]["pixels"] > 300_000
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150, dec=2, size="300pix", bands="r")
    assert response.code == 200, "within the budget"


async def test_pyvo_soda_client_drives_sync(jp_fetch, jp_base_url, jp_http_port, jp_serverapp):
    """pyvo's SodaQuery sends ID, CIRCLE or POLYGON and BAND to the endpoint as any SODA service."""
    import asyncio

    import requests
    from pyvo.dal.adhoc import SodaQuery

    token = jp_serverapp.identity_provider.token
    url = f"http://localhost:{jp_http_port}{jp_base_url}remotem/api/cutouts/sync"
    await indexed(jp_fetch)  # a new server's first answer may be 503 index_pending (pyvo does not retry)

    def run() -> tuple[bytes, bytes]:
        session = requests.Session()
        session.headers["Authorization"] = f"token {token}"
        query = SodaQuery(url, session=session, circle=(150.01, 2.01, 0.002))
        query["ID"] = "demo_mosaic"
        query["BAND"] = "g"
        circle = query.execute_stream().read()
        polygon = SodaQuery(url, session=session, polygon=(150.0, 2.0, 150.004, 2.0, 150.002, 2.004))
        polygon["ID"] = "demo_mosaic"
        return circle, polygon.execute_stream().read()

    circle, polygon = await asyncio.get_running_loop().run_in_executor(None, run)
    expected = hdus_of(await sync(jp_fetch, ID="demo_mosaic", CIRCLE="150.01 2.01 0.002", BAND="g"))["G"].data
    np.testing.assert_array_equal(fits.open(io.BytesIO(circle))["G"].data, expected)
    shape = fits.open(io.BytesIO(polygon))["G"].data.shape
    assert abs(shape[0] - 0.004 * 7200) <= 2 and abs(shape[1] - 0.004 * 7200) <= 2
