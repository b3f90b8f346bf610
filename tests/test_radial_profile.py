"""``radial_profile`` against a plain numpy reference: rings and sectors picked pixel by pixel
with ``np.hypot``/``np.arctan2``, means with ``np.mean``, on random and edge-case data (odd
shapes, a centre off the frame, NaN, uint16 at its maximum, empty rings, an ROI), in process and
through the REST API."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import api_path, call, npy_in
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures

from jupyter_remotem.compute.reductions import reduce_array


def reference(frames: np.ndarray, cx: float, cy: float, r_min: float, r_max: float, bins: int, sectors: int,
              offset: float) -> np.ndarray:
    """``frames.shape[:-2] + (sectors, bins)`` means, each bin by its own boolean mask."""
    height, width = frames.shape[-2:]
    y, x = np.indices((height, width), dtype=np.float64)
    distance = np.hypot(y - cy, x - cx)
    angle = np.mod(np.degrees(np.arctan2(y - cy, x - cx)) - offset, 360)
    edges = np.linspace(r_min, r_max, bins + 1)
    flat = frames.reshape(-1, height * width).astype(np.float64)
    out = np.full((len(flat), sectors, bins), np.nan)
    for s in range(sectors):
        in_sector = (angle >= s * 360 / sectors) & (angle < (s + 1) * 360 / sectors) if sectors > 1 else True
        for i in range(bins):
            upper = distance <= edges[i + 1] if i == bins - 1 else distance < edges[i + 1]
            mask = ((distance >= edges[i]) & upper & in_sector).ravel()
            if mask.any():
                out[:, s, i] = flat[:, mask].mean(axis=1)
    return out.reshape(frames.shape[:-2] + (sectors, bins))


@pytest.mark.parametrize(("shape", "params"), [
    ((7, 5, 13, 17), {"cx": 3.3, "cy": 10.1, "bins": 9, "sectors": 6, "angle_offset": 30.0}),
    ((4, 33, 31), {"bins": 16}),
    ((2, 3, 2, 20, 24), {"cx": -5.0, "cy": 30.5, "r_min": 8.0, "r_max": 40.0, "bins": 7, "sectors": 3}),
    ((3, 4, 1, 1), {"bins": 1, "r_max": 1.0}),
])
def test_the_profile_is_numpys(shape, params):
    frames = np.random.default_rng(sum(shape)).normal(100, 30, shape).astype(np.float32)
    result = reduce_array(frames, "radial_profile", params, nav_ndim=len(shape) - 2)
    height, width = shape[-2:]
    cx = params.get("cx", (width - 1) / 2)
    cy = params.get("cy", (height - 1) / 2)
    r_max = params.get("r_max") or max(np.hypot(px - cx, py - cy) for px in (0, width - 1) for py in (0, height - 1))
    expected = reference(frames, cx, cy, params.get("r_min", 0.0), r_max, params["bins"], params.get("sectors", 1),
                         params.get("angle_offset", 0.0))
    # float32 pixels are added in float32 over runs of at most 128 (kernels/labels.py): within 1e-5.
    np.testing.assert_allclose(result.arrays["profile"], expected, rtol=1e-5, atol=1e-9)
    edges = np.linspace(params.get("r_min", 0.0), r_max, params["bins"] + 1)
    np.testing.assert_allclose(result.arrays["radius"], (edges[1:] + edges[:-1]) / 2)
    if "r_min" not in params and "r_max" not in params:
        assert result.arrays["pixels"].sum() == height * width, "by default every pixel is in a ring"


def test_nan_reaches_only_its_bin_and_empty_rings_are_nan():
    frames = np.ones((2, 3, 15, 15), np.float64)
    frames[1, 2, 7, 12] = np.nan  # 5 px right of the centre: ring 5 of 1-px rings, sector 0 of 4
    params = {"bins": 10, "r_max": 10.0, "sectors": 4}
    profile = reduce_array(frames, "radial_profile", params, nav_ndim=2).arrays["profile"]
    clean = reduce_array(np.ones_like(frames), "radial_profile", params, nav_ndim=2).arrays["profile"]
    np.testing.assert_array_equal(profile, reference(frames, 7, 7, 0, 10, 10, 4, 0))
    assert np.isnan(profile[1, 2, 0, 5]) and np.isnan(profile).sum() == np.isnan(clean).sum() + 1
    # The empty bins: the 1-px ring 0 holds only the centre pixel, in sector 0.
    assert np.isnan(clean[..., 1:, 0]).all() and not np.isnan(clean[..., 0, 0]).any()
    # 1000 rings of 0.01 px: most hold no pixel centre; those are NaN, counted 0 pixels.
    fine = reduce_array(frames[:1, :1], "radial_profile", {"bins": 1000, "r_max": 10.0}, nav_ndim=2)
    empty = fine.arrays["pixels"][0] == 0
    assert empty.sum() > 900 and np.isnan(fine.arrays["profile"][0, 0, 0][empty]).all()
    np.testing.assert_array_equal(fine.arrays["profile"][0, 0, 0][~empty], 1.0)


def test_uint16_at_its_maximum_does_not_overflow():
    frames = np.full((2, 2, 64, 64), 65535, np.uint16)
    result = reduce_array(frames, "radial_profile", {"bins": 4}, nav_ndim=2)
    np.testing.assert_array_equal(result.arrays["profile"], 65535.0)


def test_positions_outside_the_roi_are_nan():
    frames = np.random.default_rng(2).random((4, 5, 8, 8))
    roi = {"shape": "rectangle", "x": 1, "y": 1, "width": 2, "height": 2}
    from jupyter_remotem.compute.roi import roi_indices

    result = reduce_array(frames, "radial_profile", {"bins": 3}, nav_ndim=2, roi=roi)
    visited = np.zeros(20, bool)
    visited[roi_indices(roi, (4, 5))] = True
    visited = visited.reshape(4, 5)
    assert 0 < visited.sum() < 20
    profile = result.arrays["profile"]
    assert np.isnan(profile[~visited]).all() and not np.isnan(profile[visited]).any()
    expected = reference(frames, 3.5, 3.5, 0, np.hypot(3.5, 3.5), 3, 1, 0)
    np.testing.assert_allclose(profile[visited], expected[visited])


@pytest.fixture
def scan_file(demo_dir):
    frames = np.random.default_rng(9).poisson(20, (6, 7, 24, 20)).astype(np.uint16)
    with npy_in(demo_dir, "radial", frames) as name:
        yield name, frames


async def test_through_the_rest_api_and_get_operations(jp_fetch, scan_file):
    name, frames = scan_file
    params = {"cx": 9.5, "cy": 12.0, "bins": 6, "sectors": 2, "r_max": 10.0}
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npy"},
                              body=json.dumps({"repository": "demo", "path": name, "operation": "radial_profile",
                                               "params": params}))
    profile = np.load(io.BytesIO(response.body))
    np.testing.assert_allclose(profile, reference(frames, 9.5, 12.0, 0.0, 10.0, 6, 2, 0.0), rtol=1e-12)
    code, answer = await call(jp_fetch, "POST", "reductions", body={
        "repository": "demo", "path": name, "operation": "radial_profile", "params": dict(params, bins=4097)})
    assert code == 400 and "≤ 4096" in answer["error"]["message"]
    listed = json.loads((await jp_fetch(*api_path("operations"), params={"repository": "demo", "path": name})).body)
    radial = next(op for op in listed["operations"] if op["name"] == "radial_profile")
    assert radial["available"] and [d["name"] for d in radial["outputs"][0]["dims"]] == ["sector", "radius"]


async def test_the_client_gives_the_same_profile_remotely_and_locally(client, scan_file):
    from jupyter_remotem.client.local import local

    name, frames = scan_file
    remote = await in_thread(client.open, "demo", name)
    profile = await in_thread(remote.radial_profile, 9.5, 12.0, bins=6, sectors=2, r_max=10.0)
    np.testing.assert_allclose(profile, reference(frames, 9.5, 12.0, 0.0, 10.0, 6, 2, 0.0), rtol=1e-12)
    here = local(frames, 2).radial_profile(9.5, 12.0, bins=6, sectors=2, r_max=10.0)
    np.testing.assert_array_equal(here, profile)
    radii = await in_thread(remote.radial_profile, bins=4, field="radius")
    np.testing.assert_allclose(radii, (np.linspace(0, np.hypot(9.5, 11.5), 5)[1:] + np.linspace(
        0, np.hypot(9.5, 11.5), 5)[:-1]) / 2)
    labelled = await in_thread(remote.radial_profile, bins=4, sectors=2, as_xarray=True)
    assert labelled.dims[-2:] == ("sector", "radius")
    everything = await in_thread(remote.radial_profile, bins=4, sectors=2, field=None, as_xarray=True)
    np.testing.assert_allclose(everything["profile"].coords["radius"].values, radii)
    assert everything["profile"].coords["radius"].attrs["units"] == "px"
