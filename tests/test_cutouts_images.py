"""Cutout pictures over REST: PNG and JPEG open in Pillow with the right size and mode; stretches,
percentile and z-scale limits, colormaps and colour (Lupton, linear, asinh) equal astropy's and
matplotlib's on the FITS answer's own pixels; large areas are block-averaged down and the answer
says so; the compass agrees with the WCS of a rotated grid; scale bar and caption; SODA's BAND as
a wavelength interval; bad values are 400s."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from _api import call
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _cutouts import (  # noqa: F401 - fixtures
    error_of, hdus_of, indexed_sky, jp_server_config, sky_dir, sky_index_in_place, sync)
from astropy import units as u
from astropy.visualization import (AsinhStretch, LinearStretch, LogStretch, ManualInterval, SqrtStretch,
                                   ZScaleInterval, make_lupton_rgb)
from astropy.wcs import WCS
from PIL import Image

STRETCHES = {"linear": LinearStretch(), "sqrt": SqrtStretch(), "log": LogStretch(), "asinh": AsinhStretch()}
AREA = {"survey": "demo_mosaic", "ra": 150.004, "dec": 2.003, "size": "60pix"}


def picture(response, kind: str = "png") -> Image.Image:
    assert response.code == 200, response.body[:500]
    assert response.headers["Content-Type"] == f"image/{'jpeg' if kind == 'jpg' else kind}"
    assert response.headers["Content-Disposition"].startswith("inline")
    image = Image.open(io.BytesIO(response.body))
    assert image.format == ("JPEG" if kind == "jpg" else "PNG")
    return image


async def fits_data(jp_fetch, bands: str = "g", **params) -> tuple[list[np.ndarray], WCS]:
    with hdus_of(await sync(jp_fetch, **{**AREA, **params}, bands=bands)) as hdus:
        return [hdu.data.astype(np.float64) for hdu in hdus[1:]], WCS(hdus[1].header)


def limits_header(response) -> dict[str, tuple[float, float]]:
    out = {}
    for item in response.headers["X-Cutout-Limits"].split(";"):
        name, values = item.split(":")
        low, high = values.split(",")
        out[name] = (float(low), float(high))
    return out


def to_bytes(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0, 1) * 255 + 0.5).astype(np.uint8)


async def test_png_and_jpeg_open_with_the_right_size_and_mode(jp_fetch):
    cases = [({"format": "png"}, "png", "L"), ({"format": "jpg"}, "jpg", "L"),
             ({"format": "png", "cmap": "viridis"}, "png", "RGB"), ({"format": "jpg", "bands": "gri"}, "jpg", "RGB"),
             ({"RESPONSEFORMAT": "image/jpeg", "bands": "gri", "rgb": "asinh"}, "jpg", "RGB"),
             ({"format": "png", "compass": "true"}, "png", "RGB")]
    for params, kind, mode in cases:
        area = {k: v for k, v in AREA.items() if k != "size"}
        response = await sync(jp_fetch, **area, width="50pix", height="30pix", **params)
        image = picture(response, kind)
        assert image.size == (50, 30) and image.mode == mode, (params, image.size, image.mode)
        assert response.headers["Content-Disposition"].endswith("." + kind)
        assert "X-Cutout-Downscaled" not in response.headers


async def test_stretches_and_percentile_limits_equal_astropy(jp_fetch):
    (data,), _ = await fits_data(jp_fetch)
    for name, stretch in STRETCHES.items():
        response = await sync(jp_fetch, **AREA, format="png", stretch=name, min_cut="2%", max_cut="98.5%")
        got = np.asarray(picture(response))
        low, high = np.percentile(data, 2), np.percentile(data, 98.5)
        expected = to_bytes(stretch(ManualInterval(low, high)(data, clip=True), clip=True))[::-1]
        assert np.abs(got.astype(int) - expected).max() <= 1, name
        assert limits_header(response)["g"] == pytest.approx((low, high), rel=1e-5)
    response = await sync(jp_fetch, **AREA, format="png", stretch="linear", min_cut="0.4", max_cut="5")
    expected = to_bytes(ManualInterval(0.4, 5.0)(data, clip=True))[::-1]
    assert np.abs(np.asarray(picture(response)).astype(int) - expected).max() <= 1, "limits as values"


async def test_zscale_limits_equal_zscale_interval(jp_fetch):
    (data,), _ = await fits_data(jp_fetch)
    response = await sync(jp_fetch, **AREA, format="png", zscale="true", stretch="linear")
    low, high = ZScaleInterval().get_limits(data)
    assert limits_header(response)["g"] == pytest.approx((low, high), rel=1e-5)
    expected = to_bytes(ManualInterval(low, high)(data, clip=True))[::-1]
    assert np.abs(np.asarray(picture(response)).astype(int) - expected).max() <= 1


async def test_colormaps_are_matplotlibs(jp_fetch):
    import matplotlib

    (data,), _ = await fits_data(jp_fetch)
    for name in ("viridis", "magma", "gray_r"):
        response = await sync(jp_fetch, **AREA, format="png", cmap=name, stretch="sqrt")
        got = np.asarray(picture(response))
        values = SqrtStretch()(ManualInterval(*np.percentile(data, [0.5, 99.5]))(data, clip=True), clip=True)
        if name == "gray_r":
            expected = to_bytes(1 - values)[::-1]
        else:
            expected = to_bytes(matplotlib.colormaps[name](values)[..., :3])[::-1]
        assert np.abs(got.astype(int) - expected).max() <= 1, name
    code, schema = await call(jp_fetch, "GET", "cutouts", "parameters")
    assert "viridis" in schema["cmaps"] and schema["picture_max_edge"] >= 1024


async def test_colour_pictures_equal_astropy(jp_fetch):
    (g, r, i), _ = await fits_data(jp_fetch, bands="gri")
    response = await sync(jp_fetch, **AREA, bands="gri", format="png", rgb="lupton", Q=5, minimum=0.3, stretch=4)
    expected = make_lupton_rgb(i, r, g, minimum=0.3, stretch=4, Q=5)[::-1]
    got = np.asarray(picture(response))
    assert got.shape == expected.shape and np.abs(got.astype(int) - expected).max() <= 1
    for rgb, stretch in (("linear", LinearStretch()), ("asinh", AsinhStretch())):
        response = await sync(jp_fetch, **AREA, bands="gri", format="png", rgb=rgb, min_cut="1%", max_cut="99%")
        got = np.asarray(picture(response)).astype(int)
        for channel, band in enumerate((i, r, g)):
            low, high = np.percentile(band, [1, 99])
            expected = to_bytes(stretch(ManualInterval(low, high)(band, clip=True), clip=True))[::-1]
            assert np.abs(got[..., channel] - expected).max() <= 1, (rgb, channel)


def test_more_than_three_bands_mix_by_the_declared_weights():
    """Four and five bands (blue to red) into three channels by the served weights, then Lupton."""
    from jupyter_remotem.cutouts import imaging, params

    rng = np.random.default_rng(3)
    for count in (4, 5):
        bands = [rng.gamma(2.0, 1.0, (20, 30)) for _ in range(count)]
        weights = params.schema()["rgb_weights"][str(count)]
        assert np.allclose(np.sum(weights, axis=0), 1.0) and weights[0][0] > 0 and weights[-1][2] > 0
        blue, green, red = (sum(w[c] * b for w, b in zip(weights, bands)) for c in range(3))
        request = params.parse({"survey": ["s"], "ra": ["1"], "dec": ["1"], "size": ["3pix"], "format": ["png"],
                                "minimum": ["0.5"], "stretch": ["6"], "q": ["3"]})
        made = imaging.colour(bands, request)
        np.testing.assert_array_equal(made.pixels, make_lupton_rgb(red, green, blue, minimum=0.5, stretch=6, Q=3)[::-1])


async def test_large_areas_are_downscaled_and_say_so(jp_fetch):
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="250pix", format="png",
                          max_edge=100, stretch="linear")
    image = picture(response)
    assert image.size == (84, 84), "250 px in blocks of 3: 84 blocks (the last one ragged)"
    assert response.headers["X-Cutout-Downscaled"].startswith("250x250 -> 84x84")
    assert response.headers["X-Cutout-Shape"] == "250x250", "the data's own size"
    with hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="250pix")) as hdus:
        data = hdus[1].data.astype(np.float64)
    padded = np.full((252, 252), np.nan)
    padded[:250, :250] = data
    blocks = np.nanmean(padded.reshape(84, 3, 84, 3), axis=(1, 3))
    low, high = np.percentile(blocks, [0.5, 99.5])
    expected = to_bytes(ManualInterval(low, high)(blocks, clip=True))[::-1]
    assert np.abs(np.asarray(image).astype(int) - expected).max() <= 1


def _point(text: str) -> tuple[float, float]:
    x, y = text.split(",")
    return float(x), float(y)


async def test_compass_agrees_with_a_rotated_wcs(jp_fetch):
    """On a grid rotated 30° the north arrow leans 30° off vertical; its tip is where the WCS
    says north is, and the arrow is drawn there."""
    params = dict(survey="demo_mosaic", ra=150.0, dec=2.0, size="120pix", algorithm="resample", rotation=30)
    with hdus_of(await sync(jp_fetch, **params)) as hdus:
        wcs = WCS(hdus[1].header)
    response = await sync(jp_fetch, **params, format="png", compass="true")
    image = np.asarray(picture(response))
    height = image.shape[0]
    drawn = dict(item.split("=") for item in response.headers["X-Cutout-Compass"].split(";"))
    anchor = _point(drawn["anchor"])
    sky = wcs.pixel_to_world(anchor[0], height - 1 - anchor[1])
    for which, angle, colour in (("N", 0, (255, 230, 0)), ("E", 90, (0, 220, 255))):
        tip = _point(drawn[which])
        ahead = sky.directional_offset_by(angle * u.deg, 2 * u.arcsec)
        x, y = wcs.world_to_pixel(ahead)
        want = np.array([x - anchor[0], (height - 1 - y) - anchor[1]])
        have = np.array(tip) - np.array(anchor)
        cos = want @ have / np.linalg.norm(want) / np.linalg.norm(have)
        assert math.degrees(math.acos(min(cos, 1.0))) < 0.5, which
        back = np.array(tip) - 2.0 * have / np.linalg.norm(have)
        assert tuple(image[int(round(back[1])), int(round(back[0]))]) == colour, f"the {which} arrow is drawn"
    north = _point(drawn["N"])
    lean = math.degrees(math.atan2(north[0] - anchor[0], anchor[1] - north[1]))
    assert lean == pytest.approx(30.0, abs=0.5), "north leans right (towards +x) by the rotation"


async def test_scalebar_and_caption(jp_fetch):
    response = await sync(jp_fetch, **AREA, format="png", scalebar="10arcsec", caption="true")
    image = np.asarray(picture(response))
    length, start, end = response.headers["X-Cutout-Scalebar"].split(";")
    (x0, y0), (x1, _) = _point(start), _point(end)
    assert length == "10arcsec" and x1 - x0 == pytest.approx(20.0, abs=0.05), "10 arcsec at 0.5 arcsec/pixel"
    row = image[int(round(y0))]
    white = np.nonzero((row == 255).all(axis=1))[0]
    assert abs(white.min() - x0) <= 1 and abs(white.max() - x1) <= 1
    plain = np.asarray(picture(await sync(jp_fetch, **AREA, format="png", cmap="gray_r"))).shape
    assert plain[:2] == image.shape[:2]
    assert (image[:8, :20] == 0).all(axis=-1).any(), "the caption's dark box at the top left"
    response = await sync(jp_fetch, **AREA, format="png", scalebar="true")
    assert response.headers["X-Cutout-Scalebar"].split(";")[0] in ("5arcsec", "2arcsec"), "a round fifth of 30\""


async def test_band_as_a_wavelength_interval(jp_fetch):
    code, body = await call(jp_fetch, "GET", "cutouts", "surveys")
    mosaic = next(s for s in body["surveys"] if s["name"] == "demo_mosaic")
    assert mosaic["wavelengths"] == {"g": 4.8e-7, "r": 6.4e-7, "i": 7.8e-7}
    for interval, bands in (("4.0e-7 5.5e-7", ["G"]), ("4e-7 7e-7", ["G", "R"]), ("6e-7 +Inf", ["R", "I"]),
                            ("-Inf +Inf", ["G", "R", "I"]), ("6.4e-7", ["R"])):
        with hdus_of(await sync(jp_fetch, ID="demo_mosaic", POS="CIRCLE 150.01 2.01 0.002", BAND=interval)) as hdus:
            assert [h.name for h in hdus[1:]] == bands, interval
    with hdus_of(await sync(jp_fetch, ID="demo_mosaic", POS="CIRCLE 150.01 2.01 0.002", BAND="r")) as hdus:
        assert [h.name for h in hdus[1:]] == ["R"], "a band's name is still its alias"
    error = error_of(await sync(jp_fetch, ID="demo_mosaic", POS="CIRCLE 150.01 2.01 0.002", BAND="8e-7 9e-7"), 400)
    assert "wavelength" in error["message"] and "i 7.8e-07 m" in error["message"]
    error = error_of(await sync(jp_fetch, ID="demo_mosaic", POS="CIRCLE 150.01 2.01 0.002", BAND="7e-7 5e-7"), 400)
    assert "low then high" in error["message"]


@pytest.mark.parametrize(("params", "words"), [
    ({"format": "png", "cmap": "no_such_map"}, "colormap"),
    ({"format": "png", "cmap": "Viridis"}, "did you mean 'viridis'"),
    ({"cmap": "viridis"}, "png"),
    ({"format": "png", "bands": "gr"}, "three"),
    ({"format": "png", "max_edge": "5"}, "max_edge"),
    ({"format": "png", "max_edge": "100000"}, "max_edge"),
    ({"format": "png", "zscale": "true", "min_cut": "1%"}, "one way"),
    ({"format": "png", "zscale": "maybe"}, "true or false"),
    ({"format": "png", "stretch": "-2"}, "stretch"),
    ({"format": "png", "rgb": "hsv", "bands": "gri"}, "rgb"),
    ({"format": "png", "scalebar": "2deg"}, "longer than the picture"),
    ({"format": "png", "scalebar": "10pix"}, "angle"),
    ({"format": "gif"}, "format"),
    ({"format": "png", "rgb": "linear"}, "colour"),
    ({"format": "png", "bands": "gri", "cmap": "viridis"}, "single band"),
])
async def test_bad_picture_values_are_400(jp_fetch, params, words):
    error = error_of(await sync(jp_fetch, **{**AREA, **params}), 400)
    assert error["code"] == "bad_parameter" and words in error["message"].lower(), error


async def test_the_client_asks_for_resampled_jpegs(client):
    picture_ = await in_thread(client.cutout, "demo_mosaic", 150.0, 2.0, "40pix", bands="gri", format="jpg",
                               algorithm="resample", rotation=30, pixscale=0.6, compass=True, caption=True)
    assert picture_._repr_jpeg_().startswith(b"\xff\xd8") and picture_._repr_png_() is None
    assert picture_.image.size == (40, 40) and picture_.image.mode == "RGB"
    with pytest.raises(TypeError, match="unknown parameter 'colormap'"):
        await in_thread(client.cutout, "demo_mosaic", 150.0, 2.0, "10pix", colormap="viridis")
