"""Resampled cutouts (``algorithm=resample``) over REST on generated survey tiles with real TAN
WCS: the answer equals ``reproject`` run directly on the same tile files onto the same grid (a
TAN grid built here with astropy), inside one tile, across tile edges, at the pole, across
RA = 0 and rotated; ``interpolation=flux`` conserves flux; the output made in pieces equals the
output made at once and needs less memory; the work is quoted; bad values are 400s."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from _cutouts import (  # noqa: F401 - fixtures
    TILE, error_of, hdus_of, indexed_sky, jp_server_config, mosaic_parent, sky_dir, sky_index_in_place, sync,
    tile_file, wcs_equal)
from astropy.io import fits
from astropy.wcs import WCS
from reproject import reproject_exact, reproject_interp
from reproject.mosaicking import reproject_and_coadd

FOLDERS = {"demo_mosaic": "mosaic", "demo_pole": "pole", "demo_ra0": "ra0"}
ORDERS = {"nearest": "nearest-neighbor", "bilinear": "bilinear", "bicubic": "bicubic"}


def tan(ra: float, dec: float, shape: tuple[int, int], scale_arcsec: float, rotation: float) -> WCS:
    """The grid the server should use, built independently: TAN at the target, up axis
    ``rotation`` degrees east of north."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(shape[1] + 1) / 2, (shape[0] + 1) / 2]
    s = scale_arcsec / 3600
    theta = math.radians(rotation)
    wcs.wcs.cd = [[-s * math.cos(theta), s * math.sin(theta)], [s * math.sin(theta), s * math.cos(theta)]]
    return wcs


def tiles_of(sky_dir, survey: str, band: str) -> list[tuple[np.ndarray, WCS]]:
    inputs = []
    for path in sorted((sky_dir / FOLDERS[survey]).glob(f"*_{band}.fits*")):
        with fits.open(path) as hdus:
            hdu = hdus[1] if path.name.endswith(".fz") else hdus[0]
            inputs.append((hdu.data.astype(np.float64), WCS(hdu.header)))
    return inputs


def direct(sky_dir, survey: str, band: str, wcs: WCS, shape: tuple[int, int], interpolation: str) -> np.ndarray:
    """reproject itself: every tile file of the band, combined by reproject_and_coadd (mean)."""
    if interpolation == "flux":
        function = reproject_exact
    else:
        def function(*args, **kwargs):
            return reproject_interp(*args, order=ORDERS[interpolation], **kwargs)
    values, footprint = reproject_and_coadd(tiles_of(sky_dir, survey, band), wcs, shape_out=shape,
                                            reproject_function=function)
    values[footprint == 0] = np.nan
    return values


CASES = [
    # survey, ra, dec, side (pix), pixscale, rotation, interpolation, band
    ("demo_mosaic", 150.0, 2.0, 70, 0.6, 30.0, "bilinear", "r"),  # where four tiles meet
    ("demo_mosaic", 150.0, 1.985, 50, 0.5, 0.0, "bicubic", "i"),  # across one edge
    ("demo_mosaic", 149.99, 2.012, 40, 0.35, -50.0, "nearest", "g"),
    ("demo_pole", 0.0, 90.0, 60, 1.5, 30.0, "bilinear", "g"),  # on the pole
    ("demo_pole", 90.0, 89.962, 48, 1.0, 0.0, "bicubic", "r"),  # where the polar tile meets one around it
    ("demo_ra0", 0.0, -30.0, 64, 0.5, 30.0, "bilinear", "r"),  # across RA = 0
    ("demo_ra0", 359.998, -30.003, 40, 0.8, 10.0, "flux", "r"),
]


@pytest.mark.parametrize(("survey", "ra", "dec", "side", "pixscale", "rotation", "interpolation", "band"), CASES)
async def test_resampled_cutouts_equal_reproject_on_the_same_tiles(jp_fetch, sky_dir, survey, ra, dec, side,
                                                                   pixscale, rotation, interpolation, band):
    response = await sync(jp_fetch, survey=survey, ra=ra, dec=dec, size=f"{side}pix", bands=band,
                          algorithm="resample", pixscale=pixscale, rotation=rotation, interpolation=interpolation,
                          mode="partial")
    expected_wcs = tan(ra % 360, dec, (side, side), pixscale, rotation)
    with hdus_of(response) as hdus:
        got = hdus[band.upper()]
        assert got.data.shape == (side, side)
        wcs_equal(WCS(got.header), expected_wcs)
        assert hdus[0].header["ALGORITH"] == "resample" and hdus[0].header["INTERP"] == interpolation
        assert hdus[0].header["ROTATION"] == pytest.approx(rotation)
        assert got.header["BUNIT"] == "nanomaggy", "the tile's descriptive cards travel with the pixels"
        expected = direct(sky_dir, survey, band, expected_wcs, (side, side), interpolation)
        if interpolation == "flux":
            expected = expected * (pixscale / 0.5) ** 2  # each pixel holds the flux of its sky
        assert np.isfinite(expected).sum() > 0.5 * side * side, "the case covers tiles"
        np.testing.assert_array_equal(np.isnan(got.data), np.isnan(expected), "covered where reproject covers")
        np.testing.assert_allclose(got.data, expected, rtol=1e-5, atol=2e-5 * np.nanmax(np.abs(expected)))
        tiles = [got.header[f"TILE{k}"] for k in range(1, got.header["NTILES"] + 1)]
        assert tiles, "the tiles used are named"


async def test_random_targets_and_rotations_equal_reproject(jp_fetch, sky_dir):
    rng = np.random.default_rng(16)
    path = tile_file(sky_dir, "demo_mosaic", "t01", "r")
    with fits.open(path) as hdus:
        wcs = WCS(hdus[1].header)
    for _ in range(4):
        x, y = rng.uniform(0, TILE, 2)
        ra, dec = (float(v) for v in wcs.all_pix2world([[x, y]], 0)[0])
        side, pixscale, rotation = int(rng.integers(8, 60)), float(rng.uniform(0.3, 1.2)), float(rng.uniform(-180, 180))
        response = await sync(jp_fetch, survey="demo_mosaic", ra=ra, dec=dec, size=f"{side}pix", bands="r",
                              algorithm="resample", pixscale=pixscale, rotation=rotation, mode="partial")
        with hdus_of(response) as hdus:
            grid = tan(ra, dec, (side, side), pixscale, rotation)
            expected = direct(sky_dir, "demo_mosaic", "r", grid, (side, side), "bilinear")
            np.testing.assert_allclose(hdus["R"].data, expected, rtol=1e-5, atol=1e-4)


async def test_angular_size_default_pixscale_and_trim(jp_fetch, sky_dir, mosaic_parent):
    """An angular size at the survey's own scale; with trim the uncovered border is cut off."""
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="20arcsec", bands="g",
                          algorithm="resample")
    with hdus_of(response) as hdus:
        assert hdus["G"].data.shape == (40, 40), "20 arcsec at the survey's 0.5 arcsec"
        assert hdus["G"].header["NTILES"] == 4
    header, _ = mosaic_parent["parent"]["r"]
    corner_ra, corner_dec = WCS(header).all_pix2world([[3.0, 3.0]], 0)[0]
    response = await sync(jp_fetch, survey="demo_mosaic", ra=corner_ra, dec=corner_dec, size="30pix", bands="r",
                          algorithm="resample")
    with hdus_of(response) as hdus:
        trimmed = hdus["R"]
        assert trimmed.data.shape[0] < 30 and trimmed.data.shape[1] < 30, "the uncovered rows and columns are cut"
        assert np.isfinite(trimmed.data).mean() > 0.9, "the box of what is covered (a tilted edge leaves a few)"
        full = tan(corner_ra, corner_dec, (30, 30), 0.5, 0)
        expected = direct(sky_dir, "demo_mosaic", "r", full, (30, 30), "bilinear")
        ra, dec = WCS(trimmed.header).all_pix2world([[0, 0]], 0)[0]
        x, y = (int(round(float(v))) for v in full.all_world2pix([[ra, dec]], 0)[0])
        ny, nx = trimmed.data.shape
        np.testing.assert_allclose(trimmed.data, expected[y:y + ny, x:x + nx], rtol=1e-5, atol=1e-4)
    response = await sync(jp_fetch, survey="demo_mosaic", ra=corner_ra, dec=corner_dec, size="30pix",
                          algorithm="resample", mode="strict")
    assert error_of(response, 400)["code"] == "partial_overlap"


async def test_a_polygon_is_resampled_on_the_grid_holding_it(jp_fetch, sky_dir):
    from astropy import units as u
    from astropy.coordinates import SkyCoord, UnitSphericalRepresentation

    vertices = [(149.995, 1.995), (150.005, 1.995), (150.0, 2.006)]
    text = " ".join(f"{ra} {dec}" for ra, dec in vertices)
    response = await sync(jp_fetch, ID="demo_mosaic", POS=f"POLYGON {text}", BAND="r", algorithm="resample",
                          rotation=15, mode="partial")
    with hdus_of(response) as hdus:
        data, wcs = hdus["R"].data.copy(), WCS(hdus["R"].header)
    points = SkyCoord([v[0] for v in vertices] * u.deg, [v[1] for v in vertices] * u.deg)
    mean = points.cartesian.mean()
    centre = SkyCoord(mean.represent_as(UnitSphericalRepresentation))
    assert tuple(wcs.wcs.crval) == pytest.approx((centre.ra.deg, centre.dec.deg), abs=1e-9)
    xs, ys = wcs.world_to_pixel(points)
    ny, nx = data.shape
    assert xs.min() >= -0.5 and xs.max() <= nx - 0.5 and ys.min() >= -0.5 and ys.max() <= ny - 0.5
    assert max(xs.max() - xs.min(), ys.max() - ys.min()) > min(nx, ny) - 3, "the smallest grid holding it"
    expected = direct(sky_dir, "demo_mosaic", "r", wcs, (ny, nx), "bilinear")
    np.testing.assert_allclose(data, expected, rtol=1e-5, atol=1e-4)


async def test_flux_interpolation_conserves_flux(jp_fetch, mosaic_parent):
    """A grid twice as coarse, sharing the parent image's tangent point and pixel corners: each
    output pixel is the sum of 2×2 parent pixels, and the total flux is the parent's."""
    header, image = mosaic_parent["parent"]["g"]
    parent = WCS(header)
    assert tuple(parent.wcs.crval) == (150.0, 2.0)
    side = 60
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size=f"{side}pix", bands="g",
                          algorithm="resample", pixscale=1.0, interpolation="flux")
    with hdus_of(response) as hdus:
        got = hdus["G"].data.astype(np.float64)
        assert hdus[0].header["FLUXCONS"] is True
    cy, cx = (int(round(parent.wcs.crpix[1] - 0.5)), int(round(parent.wcs.crpix[0] - 0.5)))  # pixel corner
    block = image[cy - side:cy + side, cx - side:cx + side].astype(np.float64)
    sums = block.reshape(side, 2, side, 2).sum(axis=(1, 3))
    np.testing.assert_allclose(got, sums, rtol=0, atol=0.1)  # RICE quantisation of the tiles only
    assert got.sum() == pytest.approx(block.sum(), rel=1e-4)
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size=f"{side}pix", bands="g",
                          algorithm="resample", pixscale=1.0, interpolation="bilinear")
    with hdus_of(response) as hdus:
        bilinear = hdus["G"].data.astype(np.float64)
    assert bilinear.sum() == pytest.approx(block.sum() / 4, rel=0.02), "interpolation keeps surface brightness"


async def test_pieces_equal_one_piece_with_less_memory(jp_fetch, jp_serverapp):
    """The output made in 64-pixel pieces equals it made at once; reading per piece holds less."""
    from jupyter_remotem.cutouts import resample

    service = jp_serverapp.web_app.settings["remotem"].cutouts
    assert (await sync(jp_fetch, survey="demo_mosaic", ra=150, dec=2, size="8pix", algorithm="resample")).code == 200
    survey = service.catalog.surveys["demo_mosaic"]
    shape = (420, 440)
    wcs = resample.grid(150.0, 2.0, shape, 0.5 / 3600, 20.0)
    rows = service.index.touching("demo_mosaic", "r", 150.0, 2.0, 0.5 * math.hypot(*shape) * 0.5 / 3600)
    assert len(rows) == 4
    opener = service.opener(survey)
    results, peaks = {}, {}
    for side in (64, 4096):
        chosen = resample.plan(rows, opener, wcs, shape, "bicubic", side=side)
        assert len(chosen.pieces) == (1 if side == 4096 else 7 * 7)
        for piece in chosen.pieces:  # every piece reads sections of at most its size plus the margin
            for section in piece.sections:
                assert section.pixels <= (min(side, 512) * 1.5 + 2 * resample.MARGIN["bicubic"] + 2) ** 2
        tracemalloc.start()
        results[side] = resample.read(chosen, "partial").data
        peaks[side] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    np.testing.assert_allclose(results[64], results[4096], rtol=1e-6, atol=1e-5)
    output = results[64].nbytes
    assert peaks[64] - output < 0.5 * (peaks[4096] - output), peaks


async def test_work_is_quoted_and_over_the_limit_is_413(jp_fetch):
    """Real-time limit 300,000: 500×500 px of one band is within the pixel count, but it lies on
    four tiles, so its work (pixels × tiles under them) is over it."""
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="500pix", bands="r",
                          algorithm="resample")
    error = error_of(response, 413)
    quote = error["details"]["quote"]
    assert quote["pixels"] == 250_000 and quote["work"] > 300_000 and quote["shape"] == [500, 500]
    assert sorted(quote["tiles"]) == ["t00", "t01", "t10", "t11"] and "work" in error["message"]
    assert error["details"]["batch"]["url"] == "remotem/api/cutouts/jobs"
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="600pix", bands="r",
                          algorithm="resample", pixscale=2.0)
    assert response.code == 413, "600×600 output pixels are over the limit at any scale"
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="200pix", bands="r",
                          algorithm="resample", pixscale=2.0, interpolation="flux")
    assert error_of(response, 413)["details"]["quote"]["cost"] > 1, "flux costs more than interpolation"
    for size, pixscale in (("100000pix", 0.5), ("30arcsec", 0.0006)):  # refused before anything is allocated
        response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size=size, bands="r",
                              algorithm="resample", pixscale=pixscale)
        assert error_of(response, 413)["details"]["quote"]["pixels"] >= 2.5e9


async def test_no_overlap_is_404(jp_fetch):
    response = await sync(jp_fetch, survey="demo_mosaic", ra=10.0, dec=-60.0, size="10pix", algorithm="resample")
    assert error_of(response, 404)["code"] == "no_overlap"


@pytest.mark.parametrize(("params", "words"), [
    ({"algorithm": "resample", "interpolation": "lanczos"}, "interpolation"),
    ({"algorithm": "resample", "pixscale": "-0.5"}, "pixscale"),
    ({"algorithm": "resample", "pixscale": "0"}, "pixscale"),
    ({"algorithm": "resample", "pixscale": "abc"}, "pixscale"),
    ({"algorithm": "resample", "pixscale": "1e6"}, "times"),
    ({"algorithm": "resample", "rotation": "nan"}, "rotation"),
    ({"algorithm": "native", "rotation": "30"}, "resample"),
    ({"interpolation": "bilinear"}, "resample"),
    ({"algorithm": "drizzle"}, "algorithm"),
])
async def test_bad_resampling_values_are_400(jp_fetch, params, words):
    error = error_of(await sync(jp_fetch, survey="demo_mosaic", ra=150, dec=2, size="10pix", **params), 400)
    assert error["code"] == "bad_parameter" and words in error["message"].lower(), error
