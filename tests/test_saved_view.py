"""Saved = shown: a result saved from a view holds the array on screen and, as a picture, is
drawn as the screen draws it; the view is one contract (``GET views``), checked on submit."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import call
from _results import jp_server_config, repositories, run_job, stop_worker  # noqa: F401 - fixtures
from PIL import Image

from jupyter_remotem import render
from jupyter_remotem.view_contract import InvalidView, check_view, shown_image

RING = {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}
DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}
DETECTORS = [{"id": "d1", "shape": {"kind": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}},
             {"id": "d2", "shape": {"kind": "disk", "cx": 32, "cy": 32, "r": 9}}]


async def interactive(jp_fetch, operation, params):
    code, answer = await call(jp_fetch, "POST", "reductions", body={
        "repository": "demo", "path": "scan.h5", "operation": operation, "params": params})
    assert code == 200, answer
    return {name: np.array(a["data"], dtype=float) for name, a in answer["arrays"].items()}


async def test_views_serve_the_schema_and_the_one_colormap_list(jp_fetch):
    code, contract = await call(jp_fetch, "GET", "views")
    assert code == 200
    assert [c["name"] for c in contract["colormaps"]] == list(render.COLORMAPS)
    for entry in contract["colormaps"]:
        table = np.frombuffer(bytes.fromhex(entry["lut"]), np.uint8).reshape(256, 3)
        np.testing.assert_array_equal(table, render.lut(entry["name"]))
    assert contract["scales"] == list(render.SCALES)
    schema = contract["schema"]
    assert schema["properties"]["nav"]["properties"]["cmap"]["enum"] == list(render.COLORMAPS)
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(("view", "message", "hint"), [
    ({"cmap": "viridis", "scale": "log"}, "'view' has no key 'cmap', 'scale'", '"nav"'),
    ({"nav": {"cmap": "jet"}}, "'view.nav.cmap' is 'jet'", "viridis"),
    ({"nav": {"scaling": {"mode": "cubic"}}}, "'view.nav.scaling.mode' is 'cubic'", "power"),
    ({"detectors": [{"id": "d1", "shape": {"kind": "disk", "cx": 1}}]}, "'view.detectors[0].shape'", "views"),
    ({"cursor": [1, "two"]}, "'view.cursor[1]'", "views"),
    ({"nav": {"cmap": "gray", "colour": "red"}}, "'view.nav' has no key 'colour'", "views"),
    ("magma", "'view' must be an object", "views"),
])
async def test_unknown_or_malformed_views_are_refused_on_submit(jp_fetch, view, message, hint):
    body = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
            "params": {"detectors": [DISK]}, "view": view,
            "output": {"repository": "results", "path": "refused.png"}}
    code, error = await call(jp_fetch, "POST", "jobs", body=body)
    assert code == 400, error
    assert error["error"]["code"] == "invalid_view"
    assert message in error["error"]["message"], error
    assert hint in error["error"]["hint"], error


async def test_png_is_drawn_with_the_shown_images_colormap_scaling_limits_and_index(jp_fetch, tmp_path):
    # The disk's tab (d2) shown with viridis on a log scale from fixed limits: what the
    # viewer sends (its whole state) is what the picture is drawn with.
    view = {"mode": "detector", "detectors": DETECTORS, "selected": "d2",
            "nav": {"cmap": "viridis", "scaling": {"mode": "log", "vmin": 50.0, "vmax": 4000.0}, "auto": False}}
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
                             "params": {"detectors": [RING, DISK]}, "view": view,
                             "output": {"repository": "results", "path": "disk.png"}})
    disk = (await interactive(jp_fetch, "virtual_detector", {"detectors": [RING, DISK]}))["intensity"][..., 1]
    with Image.open(tmp_path / "results" / "disk.png") as picture:
        rgba = np.asarray(picture.convert("RGBA"))
    assert rgba.shape[:2] == disk.shape
    # Each pixel is the viridis entry of its value on that log scale, as the viewer colours it.
    t = np.clip((np.log(np.maximum(disk, 1e-300)) - np.log(50.0)) / (np.log(4000.0) - np.log(50.0)), 0, 1)
    t[disk <= 0] = 0
    expected = render.lut("viridis")[np.floor(t * 255 + 0.5).astype(int)]
    np.testing.assert_array_equal(rgba[..., :3], expected)
    assert (rgba[..., 3] == 255).all()
    # Not the first detector's plane, not gray, not linear.
    assert not (rgba[..., 0] == rgba[..., 1]).all()


async def test_png_of_the_centre_of_mass_field_is_the_viewers_colour_wheel(jp_fetch, tmp_path):
    view = {"mode": "com", "comField": "field", "com": {"cx": 32, "cy": 32, "r": None, "scan_rotation": 0,
                                                        "flip_y": False}}
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "com",
                             "params": {"cx": 32, "cy": 32}, "view": view,
                             "output": {"repository": "results", "path": "field.png", "array": "magnitude"}})
    com = await interactive(jp_fetch, "com", {"cx": 32, "cy": 32})
    with Image.open(tmp_path / "results" / "field.png") as picture:
        rgba = np.asarray(picture.convert("RGBA"))
    np.testing.assert_array_equal(rgba, render.field_wheel(com["shift_y"], com["shift_x"]))
    assert len({tuple(p) for p in rgba.reshape(-1, 4)[:, :3]}) > 50, "hues, not a gray picture"


@pytest.mark.parametrize("fmt", ["hspy", "npy", "tiff"])
async def test_single_array_formats_write_the_array_on_screen(jp_fetch, tmp_path, fmt):
    # The curl is shown; the request names no array (as a script might): the view decides.
    view = {"mode": "com", "comField": "curl", "nav": {"cmap": "RdBu", "scaling": {"symmetric": True}}}
    path = f"curl.{ {'tiff': 'tif'}.get(fmt, fmt) }"
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "com",
                             "params": {"cx": 32, "cy": 32}, "view": view,
                             "output": {"repository": "results", "path": path}})
    curl = (await interactive(jp_fetch, "com", {"cx": 32, "cy": 32}))["curl"]
    file = tmp_path / "results" / path
    if fmt == "hspy":
        import h5py

        with h5py.File(file) as f:
            (signal,) = f["Experiments"].values()
            data = signal["data"][()]
    elif fmt == "npy":
        data = np.load(file)
        assert json.loads(file.with_name(path + ".json").read_text())["array"] == "curl"
    else:
        import tifffile

        data = tifffile.imread(file)
    np.testing.assert_allclose(data, curl, rtol=1e-6, equal_nan=True)


def test_the_shown_image_follows_the_view():
    assert shown_image({"mode": "detector", "detectors": DETECTORS, "selected": "d2"}, "virtual_detector",
                       {"detectors": [RING, DISK]}).index == 1
    assert shown_image({"mode": "sum", "detectors": DETECTORS, "selected": "d2"}, "virtual_detector",
                       {"detectors": [{"shape": "rectangle"}]}).index == 0
    assert shown_image({"roiStat": "std"}, "frame_stats").array == "std"
    assert shown_image({}, "frame_stats").display == "frame"
    assert shown_image({"comField": "field"}, "com").wheel
    assert check_view({"note": "kept", "nav": {"cmap": "twilight"}}) is not None
    # A declared reduction chosen in the viewer's "More…" list: its chosen array is the one shown.
    chosen = {"mode": "operation", "operation": {"name": "fem", "params": {"ri": 2, "ro": 9}, "field": "mean",
                                                 "required": ["ri", "ro"]}}
    assert check_view(chosen) == chosen
    assert shown_image(chosen, "fem").array == "mean"
    assert shown_image(chosen, "crystallinity").array is None  # another operation's view says nothing of it
    with pytest.raises(InvalidView):
        check_view({"mode": "operation", "operation": {"name": "fem", "params": {}}})  # no array named


def test_drawing_matches_the_viewers_scaling_rules():
    data = np.array([[np.nan, -1.0, 0.0], [1.0, 10.0, 100.0]])
    # Auto log limits start at the smallest positive value; NaN is transparent.
    rgba = render.draw(data, "gray", render.Scaling(mode="log"), auto=True)
    assert tuple(rgba[0, 0]) == (0, 0, 0, 0)
    assert [int(v) for v in rgba[..., 0].ravel()[1:]] == [0, 0, 0, 128, 255]
    # Symmetric linear limits centre zero; power bends the ramp.
    rgba = render.draw(data, "gray", render.Scaling(symmetric=True), auto=True)
    assert int(rgba[0, 2, 0]) == 128
    rgba = render.draw(np.array([[0.0, 0.25, 1.0]]), "gray", render.Scaling(mode="power", gamma=0.5), auto=True)
    assert [int(v) for v in rgba[0, :, 0]] == [0, 128, 255]
    # Percentile limits: numpy's linear percentiles.
    values = np.arange(101.0)[None]
    assert render.auto_limits(values, render.Scaling(mode="percentile", percentiles=(1, 99))) == (1.0, 99.0)
    buffer = io.BytesIO(render.encode_png(rgba))
    assert Image.open(buffer).mode == "RGBA"
