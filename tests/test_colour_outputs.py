"""Outputs declared ``colour`` (red, green and blue along their last axis, such as a
decomposition's ``rgb``) are pictures of their own colours: ``format=png`` of a reduction and a
saved PNG are RGB images of exactly those values, never a colormap of one channel; a float
colour output is clipped to 0..1 and NaN is black.  Other outputs with an index axis still draw
the plane asked for (the view's ``operation.index``)."""

from __future__ import annotations

import io
import json
import uuid

import numpy as np
import pytest
from _api import PNG_SIGNATURE, api_path, call, server_config
from _results import repositories  # noqa: F401 - fixture (results_dir comes from conftest)
from PIL import Image

from jupyter_remotem import render
from jupyter_remotem.compute.declarations import SCAN, Dim, Output, Parameter
from jupyter_remotem.compute.operations import Operation, Plan, ReductionResult, register, unregister
from jupyter_remotem.view_contract import DEFAULT_SCALING, check_view, display_of

DECOMPOSITION = {"repository": "demo", "path": "scan.h5", "operation": "decomposition",
                 "params": {"components": 3, "method": "pca"}}


@pytest.fixture
def jp_server_config(repositories):
    # Saves of the small demo scan are written at once (POST saves), not queued for a worker.
    return server_config(repositories, interactive_limit=120.0)


@pytest.fixture(scope="module")
def scan(demo_dir):
    return np.load(demo_dir / "scan.npy").astype(np.float64)


async def reduce(jp_fetch, body, **params):
    response = await jp_fetch(*api_path("reductions"), method="POST", body=json.dumps(body),
                              params={k: str(v) for k, v in params.items()}, raise_error=False)
    assert response.code == 200, response.body[:300]
    return response


async def npy(jp_fetch, body, field):
    return np.load(io.BytesIO((await reduce(jp_fetch, body, format="npy", field=field)).body))


def decoded(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(png))
    picture.load()
    return picture


async def test_only_the_decompositions_rgb_is_served_as_colour(jp_fetch):
    code, answer = await call(jp_fetch, "GET", "operations", repository="demo", path="scan.h5")
    assert code == 200, answer
    colour = {(op["name"], output["name"]) for op in answer["operations"] for output in op.get("outputs") or []
              if output["colour"]}
    assert colour == {("decomposition", "rgb")}
    rgb = next(o for op in answer["operations"] if op["name"] == "decomposition" for o in op["outputs"]
               if o["name"] == "rgb")
    assert [dim["name"] for dim in rgb["dims"]] == ["channel"]


async def test_png_of_the_rgb_is_an_rgb_picture_of_its_values(jp_fetch, scan):
    values = await npy(jp_fetch, DECOMPOSITION, "rgb")
    assert values.shape == scan.shape[:2] + (3,) and values.dtype == np.uint8
    picture = decoded((await reduce(jp_fetch, DECOMPOSITION, format="png", field="rgb", cmap="magma")).body)
    assert picture.mode == "RGB"
    assert picture.size == (scan.shape[1], scan.shape[0])
    pixels = np.asarray(picture)
    np.testing.assert_array_equal(pixels, values)
    # Three different components: a gray or colormapped channel would not tell them apart.
    assert not np.array_equal(pixels[..., 0], pixels[..., 1])
    assert not np.array_equal(pixels[..., 1], pixels[..., 2])


async def test_png_of_the_scores_stays_a_colormapped_plane(jp_fetch):
    scores = await npy(jp_fetch, DECOMPOSITION, "scores")
    picture = decoded((await reduce(jp_fetch, DECOMPOSITION, format="png", field="scores", index=1)).body)
    expected = render.apply_colormap(render.normalise(scores[..., 1], "linear", None, None), "gray")
    np.testing.assert_array_equal(np.asarray(picture.convert("RGB")), expected[..., :3])


class TintPlan(Plan):
    """Each frame's mean over a scale as red, its negative as green, the red less one half as
    blue; the first position has no value and the second no red (NaN)."""

    def __init__(self, dataset, params):
        super().__init__(dataset)
        self.scale = params["scale"]

    def process(self, frames: np.ndarray) -> np.ndarray:
        red = frames.reshape(len(frames), -1).astype(np.float64).mean(axis=1) / self.scale
        return np.stack([red, -red, red - 0.5], axis=1)

    def finish(self, combined, visited):
        values = np.array(combined, dtype=np.float64)
        values[0] = np.nan
        values[1, 0] = np.nan
        return ReductionResult({"tint": values.reshape(self.nav_shape + (3,))}, "tint")


@pytest.fixture
def tint_operation():
    name = f"tint_{uuid.uuid4().hex[:6]}"
    operation = register(Operation(
        name, "reduction", "A toy colour output.", TintPlan,
        parameters=(Parameter("scale", {"type": "number", "exclusiveMinimum": 0}, "what the mean is divided by",
                              1.0),),
        outputs=(Output("tint", SCAN, "red, green, blue", (Dim("channel", index=True),), colour=True),),
        primary="tint"))
    yield operation
    unregister(name)


def expected_tint(scan: np.ndarray, scale: float) -> np.ndarray:
    red = scan.mean(axis=(2, 3)) / scale
    values = np.stack([red, -red, red - 0.5], axis=-1)
    values.reshape(-1, 3)[0] = np.nan
    values.reshape(-1, 3)[1, 0] = np.nan
    return np.floor(np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


async def test_a_float_colour_output_is_clipped_to_0_1_and_nan_is_black(jp_fetch, scan, tint_operation):
    # The median mean as the scale: half the positions are beyond 1 (full red), half below.
    scale = float(np.median(scan.mean(axis=(2, 3))))
    body = {"repository": "demo", "path": "scan.h5", "operation": tint_operation.name, "params": {"scale": scale}}
    picture = decoded((await reduce(jp_fetch, body, format="png")).body)
    assert picture.mode == "RGB"
    pixels = np.asarray(picture)
    expected = expected_tint(scan, scale)
    np.testing.assert_array_equal(pixels, expected)
    assert tuple(pixels[0, 0]) == (0, 0, 0), "a position without a value is black"
    assert pixels[0, 1, 0] == 0 and pixels[0, 1, 2] > 0, "a NaN channel is dark, the others kept"
    assert (pixels[..., 0] == 255).sum() > pixels[..., 0].size // 3, "values beyond 1 are clipped to full"
    assert (pixels[..., 1] == 0).all(), "negative values are clipped to none"


def operation_view(field: str, index: int | None = None, **extra) -> dict:
    chosen = {"name": "decomposition", "params": DECOMPOSITION["params"], "field": field}
    if index is not None:
        chosen["index"] = index
    view = {"mode": "operation", "operation": chosen, **extra}
    assert check_view(view) == view, "the view follows the served contract"
    return view


async def save_png(jp_fetch, path: str, view: dict) -> dict:
    body = dict(DECOMPOSITION, view=view, output={"repository": "results", "path": path, "format": "png"})
    code, job = await call(jp_fetch, "POST", "saves", body=body)
    assert code == 201, job
    assert job["phase"] == "COMPLETED", job
    return job


async def test_a_saved_png_of_the_rgb_shown_is_rgb(jp_fetch, results_dir, scan):
    values = await npy(jp_fetch, DECOMPOSITION, "rgb")
    await save_png(jp_fetch, "pca-rgb.png", operation_view("rgb"))
    with Image.open(results_dir / "pca-rgb.png") as picture:
        assert picture.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(picture), values)
    # At a chosen size, with a colour bar asked for: still the colours, and no colormap strip beside them.
    view = operation_view("rgb", picture={"size": 96, "colourBar": True})
    await save_png(jp_fetch, "pca-rgb-96.png", view)
    with Image.open(results_dir / "pca-rgb-96.png") as picture:
        assert picture.mode == "RGB"
        assert picture.size == (96, 64)
        np.testing.assert_array_equal(np.asarray(picture)[::2, ::2], values)


async def test_a_saved_png_of_the_scores_is_the_component_the_view_selects(jp_fetch, results_dir):
    scores = await npy(jp_fetch, DECOMPOSITION, "scores")
    await save_png(jp_fetch, "pca-scores-2.png", operation_view("scores", index=2))
    await save_png(jp_fetch, "pca-scores-0.png", operation_view("scores"))
    scaling = render.Scaling.from_json(DEFAULT_SCALING)
    with Image.open(results_dir / "pca-scores-2.png") as picture:
        shown = np.asarray(picture.convert("RGBA"))
    np.testing.assert_array_equal(shown, render.draw(scores[..., 2], "gray", scaling, True))
    with Image.open(results_dir / "pca-scores-0.png") as picture:
        first = np.asarray(picture.convert("RGBA"))
    np.testing.assert_array_equal(first, render.draw(scores[..., 0], "gray", scaling, True))
    assert not np.array_equal(shown, first)


async def test_a_saved_png_of_the_components_is_the_frame_panels_plane_in_its_display(jp_fetch, results_dir):
    """The frame panel shows a decomposition's component k (``frameField``) beside its scores:
    saving the frame writes that plane in the frame's colormap, not the navigation's."""
    components = await npy(jp_fetch, DECOMPOSITION, "components")
    assert components.ndim == 3 and components.shape[-1] == 3
    view = operation_view("rgb", index=1, frame={"cmap": "magma"})
    view["operation"]["frameField"] = "components"
    assert check_view(view) == view
    body = dict(DECOMPOSITION, view=view,
                output={"repository": "results", "path": "pca-component-1.png", "format": "png",
                        "array": "components"})
    code, job = await call(jp_fetch, "POST", "saves", body=body)
    assert code == 201 and job["phase"] == "COMPLETED", job
    cmap, scaling, auto = display_of(view, "frame")
    assert cmap == "magma" and display_of(view, "nav")[1] != scaling, "the frame's display differs from the nav's"
    with Image.open(results_dir / "pca-component-1.png") as picture:
        shown = np.asarray(picture.convert("RGBA"))
    np.testing.assert_array_equal(shown, render.draw(components[..., 1], cmap, scaling, auto))
    assert not np.array_equal(shown, render.draw(components[..., 0], cmap, scaling, auto))


async def test_a_saved_png_of_a_radial_profile_is_the_ring_the_view_shows(jp_fetch, results_dir):
    """A profile per position (scan × sector × radius) is shown as one ring over the scan, the
    mean of its sectors with NaN left out: its saved PNG is that ring, and a ring it does not
    have is a 400."""
    params = {"bins": 6, "sectors": 3}
    body = {"repository": "demo", "path": "scan.h5", "operation": "radial_profile", "params": params}
    profile = await npy(jp_fetch, body, "profile")
    assert profile.ndim == 4 and profile.shape[2:] == (3, 6)
    view = {"mode": "operation", "operation": {"name": "radial_profile", "params": params, "field": "profile",
                                               "index": 4}}
    assert check_view(view) == view
    code, job = await call(jp_fetch, "POST", "saves", body=dict(
        body, view=view, output={"repository": "results", "path": "ring-4.png", "format": "png"}))
    assert code == 201 and job["phase"] == "COMPLETED", job
    with np.errstate(invalid="ignore"):
        ring = np.nanmean(profile[..., 4], axis=-1)
    cmap, scaling, auto = display_of(view, "nav")
    with Image.open(results_dir / "ring-4.png") as picture:
        shown = np.asarray(picture.convert("RGBA"))
    np.testing.assert_array_equal(shown, render.draw(ring, cmap, scaling, auto))
    view["operation"]["index"] = 6
    code, error = await call(jp_fetch, "POST", "saves", body=dict(
        body, view=view, output={"repository": "results", "path": "ring-6.png", "format": "png"}))
    assert code == 400 and "bin 6 of 6" in error["error"]["message"], error
    assert not (results_dir / "ring-6.png").exists()
