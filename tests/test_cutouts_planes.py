"""Weight and mask planes of survey tiles (``planes=weight,mask``) over REST, on the generated
mosaic whose tile files hold ``SCI``, ``WGT`` and ``MSK`` as DES coadds do: native planes equal
astropy's ``Cutout2D`` of the plane HDU pixel for pixel (values, dtype, WCS), inside a tile, across
tile edges and in ``mode=partial`` (0 where no tile covers); resampled masks equal reproject's
nearest neighbour and stay integers, weights reproject's interpolation; pictures, unknown planes,
surveys without planes, misconfigured plane HDUs are 4xx with a reason and a hint; a batch job
writes the planes into its files; planes count in the real-time size rule."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _cutouts import (  # noqa: F401 - fixtures
    TILE, error_of, hdus_of, indexed, sky_dir, sky_surveys, sync, tile_file, wcs_equal)
from _cutouts_batch import batch_config, completed, fits_of, manifest_of, out_dir, server, submit  # noqa: F401
from _api import call, server_config
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS
from reproject import reproject_interp

from jupyter_remotem.cutouts import demo
from jupyter_remotem.cutouts.manifest import COLUMNS
from jupyter_remotem.cutouts.surveys import Survey, check_config

PLANES = demo.MOSAIC_PLANES  # weight: WGT, mask: MSK


@pytest.fixture(scope="module")
def bad_sky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A survey whose tile has a weight of another shape than its image, a table where its
    flags should be, and no mask HDU."""
    folder = tmp_path_factory.mktemp("badsky")
    header = demo.tan_header(10.0, 10.0, (64, 64), 0.5, (32.5, 32.5), "r")
    image = np.ones((64, 64), dtype=np.float32)
    demo.write(folder / "b00_r.fits", image, header, {"WGT": np.ones((32, 64), dtype=np.float32)})
    with fits.open(folder / "b00_r.fits", mode="append") as hdus:
        hdus.append(fits.BinTableHDU.from_columns([fits.Column("x", "64E", array=np.ones((64, 64)))], name="TBL"))
    return folder


def bad_survey() -> dict[str, Any]:
    return {"name": "bad_planes", "repository": "badsky", "path": "", "bands": ["r"], "pattern": "{tile}_{band}.fits",
            "pixscale": 0.5, "planes": {"weight": "WGT", "mask": "MSK", "flags": "TBL"}}


@pytest.fixture
def jp_server_config(request, repositories, sky_dir, bad_sky, out_dir):
    """The sky and a misconfigured survey; the batch test's server also has an output
    repository and its own worker (which the ``server`` fixture stops)."""
    extra = [{"name": "badsky", "url": str(bad_sky)}]
    if "batch" in request.function.__name__:
        config = batch_config(repositories + extra, sky_dir, out_dir)
        config["RemotemApp"]["surveys"] = sky_surveys() + [bad_survey()]
        return config
    return server_config(repositories + extra + [{"name": "sky", "url": str(sky_dir)}],
                         surveys=sky_surveys() + [bad_survey()], cutout_realtime_pixels=300_000)


def plane_reference(path: Path, hdu: str, ra: float, dec: float, size: Any, mode: str = "trim") -> Cutout2D:
    """Cutout2D of a plane HDU with the image's WCS (the plane's pixels are the image's)."""
    with fits.open(path) as hdus:
        wcs = WCS(hdus["SCI"].header)
        return Cutout2D(hdus[hdu].data, SkyCoord(ra * u.deg, dec * u.deg), size, wcs=wcs, mode=mode, fill_value=0)


def inside(path: Path, x: float, y: float) -> tuple[float, float]:
    with fits.open(path) as hdus:
        return tuple(float(v) for v in WCS(hdus["SCI"].header).all_pix2world([[x, y]], 0)[0])  # type: ignore


@pytest.fixture(scope="module")
def parent_planes() -> dict[str, Any]:
    """The images and planes the mosaic's tiles were cut from (not quantised: plain FITS)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        return demo.mosaic(Path(scratch), 150.0, 2.0, (2, 2), TILE, TILE // 8, ["g", "r", "i"], ".fits", 0.5, seed=1,
                           planes=PLANES)


def test_planes_are_validated_at_start_up():
    base = {"name": "s", "repository": "sky", "bands": ["g"], "pattern": "{tile}_{band}.fits"}
    assert Survey.from_dict(dict(base, planes={"weight": "WGT", "mask": 3})).planes == {"weight": "WGT", "mask": 3}
    assert Survey.from_dict(dict(base, planes={"weight": "WGT"})).to_json()["planes"] == ["weight"]
    assert Survey.from_dict(base).to_json()["planes"] == []
    for planes, words in [({"image": "SCI"}, "plane name"), ({"weight": -1}, "index >= 0"),
                          ({"weight": True}, "index >= 0"), ({"weight": ""}, "index >= 0"),
                          (["weight"], "'planes' is"), ({"g": "WGT"}, "name of a band"),
                          ({"we ight": "WGT"}, "plane name"), ({"Mask": 2, "mask": 3}, "twice")]:
        with pytest.raises(ValueError, match=words):
            check_config([dict(base, planes=planes)])


async def test_surveys_and_parameters_declare_the_planes(jp_fetch):
    surveys = {s["name"]: s for s in await indexed(jp_fetch)}
    assert surveys["demo_mosaic"]["planes"] == ["weight", "mask"]
    assert surveys["demo_pole"]["planes"] == []
    assert "WGT" not in str(surveys), "HDU names are the server's business"
    code, schema = await call(jp_fetch, "GET", "cutouts", "parameters")
    planes = {p["name"]: p for p in schema["parameters"]}["planes"]
    assert code == 200 and planes["type"] == "string" and planes["example"] == "weight,mask"


@pytest.mark.parametrize("mode", ["trim", "partial", "strict"])
async def test_native_planes_inside_a_tile_equal_cutout2d_of_the_plane_hdu(jp_fetch, sky_dir, mode):
    rng = np.random.default_rng(11)
    for tile, band in [("t00", "r"), ("t11", "g")]:
        path = tile_file(sky_dir, "demo_mosaic", tile, band)
        for _ in range(2):
            ra, dec = inside(path, *rng.uniform(40, 200, 2))
            width, height = int(rng.integers(5, 40)), int(rng.integers(5, 40))
            size = (height * u.pix, width * u.pix)
            response = await sync(jp_fetch, survey="demo_mosaic", ra=ra, dec=dec, width=f"{width}pix",
                                  height=f"{height}pix", bands=band, mode=mode, planes="weight,mask")
            with hdus_of(response) as hdus:
                names = [h.name for h in hdus[1:]]
                assert names == [band.upper(), f"{band.upper()}_WEIGHT", f"{band.upper()}_MASK"]
                assert hdus[0].header["PLANES"] == "weight,mask" and hdus[0].header["BANDS"] == band
                image_wcs = WCS(hdus[band.upper()].header)
                for plane, hdu in PLANES.items():
                    got = hdus[f"{band.upper()}_{plane.upper()}"]
                    expected = plane_reference(path, hdu, ra, dec, size, mode)
                    assert got.data.dtype.type == expected.data.dtype.type, plane
                    np.testing.assert_array_equal(got.data, expected.data)
                    wcs_equal(WCS(got.header), expected.wcs)
                    wcs_equal(WCS(got.header), image_wcs)
                    assert got.header["PLANE"] == plane and got.header["BAND"] == band
                    assert got.header["TILE1"] == tile and "BUNIT" not in got.header
                assert hdus[f"{band.upper()}_MASK"].data.dtype.kind == "i", "a mask stays integer"


async def test_native_planes_across_tile_edges_and_partial(jp_fetch, sky_dir, parent_planes):
    """Where four tiles meet: the mask (lossless) equals Cutout2D of the parent's mask; the
    weight equals Cutout2D of the first tile's WGT where that tile covers, the parent elsewhere
    (RICE quantisation only). At the survey's corner, mode=partial fills the planes with 0."""
    header, _ = parent_planes["parent"]["i"]
    parent_wcs = WCS(header)
    mask, weight = parent_planes["planes"]["i"]["mask"], parent_planes["planes"]["i"]["weight"]
    for ra, dec, side in [(150.0, 2.0, 80), (149.985, 2.0, 64)]:
        response = await sync(jp_fetch, survey="demo_mosaic", ra=ra, dec=dec, size=f"{side}pix", bands="i",
                              planes="mask,weight")
        centre = SkyCoord(ra * u.deg, dec * u.deg)
        with hdus_of(response) as hdus:
            assert [h.name for h in hdus[1:]] == ["I", "I_MASK", "I_WEIGHT"]
            assert hdus["I_MASK"].header["NTILES"] >= 2
            expected = Cutout2D(mask, centre, side, wcs=parent_wcs, mode="trim")
            np.testing.assert_array_equal(hdus["I_MASK"].data, expected.data)
            assert hdus["I_MASK"].data.dtype.type == np.int16
            wcs_equal(WCS(hdus["I_MASK"].header), expected.wcs)
            np.testing.assert_allclose(hdus["I_WEIGHT"].data, Cutout2D(weight, centre, side, wcs=parent_wcs).data,
                                       rtol=2e-3, atol=0.5)
            first = tile_file(sky_dir, "demo_mosaic", hdus["I_WEIGHT"].header["TILE1"], "i")
            own = plane_reference(first, "WGT", ra, dec, side * u.pix, mode="partial")
            covered = np.zeros(own.shape, dtype=bool)
            covered[own.slices_cutout] = True
            np.testing.assert_array_equal(hdus["I_WEIGHT"].data[covered], own.data[covered])
            assert hdus["I_WEIGHT"].data.dtype.type == np.float32

    corner_ra, corner_dec = parent_wcs.all_pix2world([[5.0, 5.0]], 0)[0]
    response = await sync(jp_fetch, survey="demo_mosaic", ra=corner_ra, dec=corner_dec, size="30pix", bands="i",
                          mode="partial", fill_value=-1, planes="weight,mask")
    path = tile_file(sky_dir, "demo_mosaic", "t00", "i")
    with hdus_of(response) as hdus:
        assert hdus["I"].data.shape == (30, 30) and (hdus["I"].data == -1).any()
        for plane, hdu in PLANES.items():
            expected = plane_reference(path, hdu, corner_ra, corner_dec, 30 * u.pix, mode="partial")
            got = hdus[f"I_{plane.upper()}"]
            np.testing.assert_array_equal(got.data, expected.data)
            assert ((got.data == 0) >= (hdus["I"].data == -1)).all(), "uncovered plane pixels are 0"
            wcs_equal(WCS(got.header), expected.wcs)
    response = await sync(jp_fetch, survey="demo_mosaic", ra=corner_ra, dec=corner_dec, size="30pix", bands="i",
                          mode="strict", planes="mask")
    assert error_of(response, 400)["code"] == "partial_overlap"


def _tile_plane(path: Path, hdu: str) -> tuple[np.ndarray, WCS]:
    with fits.open(path) as hdus:
        return hdus[hdu].data.copy(), WCS(hdus["SCI"].header)


@pytest.mark.parametrize("interpolation", ["bicubic", "flux"])
async def test_resampled_mask_is_nearest_and_weight_interpolated(jp_fetch, sky_dir, interpolation):
    path = tile_file(sky_dir, "demo_mosaic", "t00", "r")
    ra, dec = inside(path, 100.0, 110.0)
    response = await sync(jp_fetch, survey="demo_mosaic", ra=ra, dec=dec, size="40pix", bands="r",
                          algorithm="resample", rotation=30, pixscale=0.6, interpolation=interpolation,
                          planes="weight,mask")
    with hdus_of(response) as hdus:
        assert [h.name for h in hdus[1:]] == ["R", "R_WEIGHT", "R_MASK"]
        out_wcs, shape = WCS(hdus["R"].header), hdus["R"].data.shape
        assert shape == (40, 40)
        wcs_equal(WCS(hdus["R_MASK"].header), out_wcs)
        wcs_equal(WCS(hdus["R_WEIGHT"].header), out_wcs)

        mask, wcs = _tile_plane(path, "MSK")
        expected, footprint = reproject_interp((mask.astype(np.float64), wcs), out_wcs, shape_out=shape,
                                               order="nearest-neighbor")
        got = hdus["R_MASK"].data
        assert got.dtype.type == np.int16 and footprint.all()
        np.testing.assert_array_equal(got, expected.astype(np.int16))
        assert got.any(), "flagged pixels are in the cutout"

        weight, wcs = _tile_plane(path, "WGT")
        expected, footprint = reproject_interp((weight.astype(np.float64), wcs), out_wcs, shape_out=shape,
                                               order="bicubic" if interpolation == "bicubic" else "bilinear")
        got = hdus["R_WEIGHT"].data
        assert got.dtype.type == np.float32 and footprint.all()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
        assert "FLUXCONS" not in hdus["R_WEIGHT"].header


async def test_resampled_planes_across_tile_edges_keep_the_image_grid(jp_fetch, sky_dir, parent_planes):
    header, _ = parent_planes["parent"]["g"]
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="48pix", bands="g",
                          algorithm="resample", rotation=10, planes="mask")
    with hdus_of(response) as hdus:
        out_wcs, shape = WCS(hdus["G"].header), hdus["G"].data.shape
        assert hdus["G_MASK"].data.shape == shape and hdus["G_MASK"].header["NTILES"] >= 2
        expected, _ = reproject_interp((parent_planes["planes"]["g"]["mask"].astype(float), WCS(header)), out_wcs,
                                       shape_out=shape, order="nearest-neighbor")
        np.testing.assert_array_equal(hdus["G_MASK"].data, expected.astype(np.int16))


@pytest.mark.parametrize("params, status, code, words", [
    ({"planes": "weight", "format": "png"}, 400, "bad_parameter", "picture"),
    ({"planes": "depth"}, 400, "bad_parameter", "weight, mask"),
    ({"planes": "weight,weight"}, 400, "bad_parameter", "twice"),
    ({"planes": "weight", "survey": "demo_pole", "ra": 0, "dec": 90}, 400, "bad_parameter", "no planes"),
    ({"planes": "weight", "survey": "bad_planes", "ra": 10, "dec": 10}, 422, "unreadable_file", "32"),
    ({"planes": "mask", "survey": "bad_planes", "ra": 10, "dec": 10}, 422, "unreadable_file", "MSK"),
    ({"planes": "mask", "survey": "bad_planes", "ra": 10, "dec": 10, "algorithm": "resample"}, 422,
     "unreadable_file", "MSK"),
    ({"planes": "flags", "survey": "bad_planes", "ra": 10, "dec": 10}, 422, "unreadable_file", "not an image"),
])
async def test_bad_planes_are_refused_with_reason_and_hint(jp_fetch, params, status, code, words):
    arguments = dict({"survey": "demo_mosaic", "ra": 150.0, "dec": 2.0, "size": "16pix"}, **params)
    error = error_of(await sync(jp_fetch, **arguments), status)
    assert error["code"] == code and words in error["message"], error
    assert "Traceback" not in error["message"]


async def test_planes_count_in_the_realtime_size_rule(jp_fetch):
    """300,000 pixels: 400×400 px of one band pass alone, not with two planes (three times the work)."""
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="400pix", bands="g",
                          mode="partial")
    assert response.code == 200
    error = error_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="400pix", bands="g",
                                mode="partial", planes="weight,mask"), 413)
    assert error["code"] == "too_large" and "weight, mask" in error["message"]


async def test_batch_job_writes_the_plane_hdus(jp_fetch, server, sky_dir, out_dir):
    path = tile_file(sky_dir, "demo_mosaic", "t00", "r")
    # t00 ends at pixel 255 and its neighbours start at 224: 48 px around 240 need all four tiles.
    corner = inside(path, 240.0, 240.0)
    rows = [{"id": "a", "ra": inside(path, 100.0, 100.0)[0], "dec": inside(path, 100.0, 100.0)[1]},
            {"id": "b", "ra": corner[0], "dec": corner[1], "planes": "mask", "size": "48pix"},
            {"id": "c", "ra": corner[0], "dec": corner[1], "planes": "weight", "size": "48pix"}]
    body = {"defaults": {"survey": "demo_mosaic", "size": "24pix", "bands": "gr", "planes": "weight,mask"},
            "positions": rows, "output": {"repository": "out", "path": "planes"}}
    job = await completed(jp_fetch, (await submit(jp_fetch, body))["id"])
    document = await manifest_of(jp_fetch, job["id"])
    assert document["ok"] == 3 and document["failed"] == 0, document
    folder = out_dir / "planes"
    expected = {"a": ["G", "G_WEIGHT", "G_MASK", "R", "R_WEIGHT", "R_MASK"], "b": ["G", "G_MASK", "R", "R_MASK"],
                "c": ["G", "G_WEIGHT", "R", "R_WEIGHT"]}
    # The manifest names each row's planes, in both files and in the declared column order.
    assert {row["id"]: row["planes"] for row in document["rows"]} == {"a": "weight,mask", "b": "mask", "c": "weight"}
    code, text = await call(jp_fetch, "GET", "cutouts", "jobs", job["id"], "manifest", format="csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert code == 200 and text.splitlines()[0] == ",".join(COLUMNS) and COLUMNS.index("planes") == \
        COLUMNS.index("band") + 1
    assert {row["id"]: row["planes"] for row in table} == {"a": "weight,mask", "b": "mask", "c": "weight"}

    # b and c cross where the four tiles meet: every tile HDU they need (2 bands × 4 tiles × the
    # image and each plane) fits the open tiles, so each was opened once for the whole batch.
    hdus = {(band, tile, layer) for row in document["rows"]
            for band, tiles in (part.split(":") for part in row["tiles"].split(";"))
            for tile in tiles.split(",") for layer in ["image"] + row["planes"].split(",")}
    used = {row["id"]: row["tiles"] for row in document["rows"]}["b"]
    assert all(len(part.split(":")[1].split(",")) == 4 for part in used.split(";")), used
    assert document["tile_hdus"] == len(hdus) and document["tile_opens"] == document["tile_hdus"], document
    for row in document["rows"]:
        side = 24 if row["id"] == "a" else 48
        assert row["status"] == "ok" and row["width"] == row["height"] == side and row["band"] == "g,r"
        with fits_of(folder / row["file"]) as got:
            assert [h.name for h in got[1:]] == expected[row["id"]]
            assert row["size"] == (folder / row["file"]).stat().st_size
            if row["id"] == "a":
                reference = plane_reference(path, "MSK", row["ra"], row["dec"], 24 * u.pix)
                np.testing.assert_array_equal(got["R_MASK"].data, reference.data)
                realtime = hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=row["ra"], dec=row["dec"],
                                              size="24pix", bands="gr", planes="weight,mask"))
                for name in expected["a"]:
                    np.testing.assert_array_equal(got[name].data, realtime[name].data)
    bad = dict(body, positions=[{"id": "x", "ra": 150.0, "dec": 2.0, "planes": "depth"}])
    refused = await submit(jp_fetch, bad, status=400)
    assert "Row 1" in refused["error"]["message"] and "weight, mask" in refused["error"]["message"]
