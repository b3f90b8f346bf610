"""``fem`` against numpy: each frame's ``np.std`` and ``np.mean`` over a ring mask
(``ri < d <= ro``, as the virtual ring detector), and ``var(I) / mean(I)^2`` of the ring means
over the scan — on random and edge-case data (odd frames, large offsets, NaN, an ROI), in
process, over REST and in the client."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import api_path, call, npy_in
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures

from jupyter_remotem.compute.reductions import reduce_array


def ring_mask(shape: tuple[int, int], cx: float, cy: float, ri: float, ro: float) -> np.ndarray:
    y, x = np.indices(shape, dtype=np.float64)
    d = np.hypot(x - cx, y - cy)
    return (d > ri) & (d <= ro)


def reference(frames: np.ndarray, ri: float, ro: float, cx: float | None = None, cy: float | None = None):
    height, width = frames.shape[-2:]
    cx = (width - 1) / 2 if cx is None else cx
    cy = (height - 1) / 2 if cy is None else cy
    mask = ring_mask((height, width), cx, cy, ri, ro)
    picked = frames.reshape(-1, height, width)[:, mask].astype(np.float64)
    std = picked.std(axis=1).reshape(frames.shape[:-2])
    mean = picked.mean(axis=1).reshape(frames.shape[:-2])
    finite = mean[np.isfinite(mean)]
    return std, mean, finite.var() / finite.mean() ** 2


@pytest.mark.parametrize(("shape", "dtype", "params"), [
    ((5, 4, 13, 17), np.float32, {"ri": 2, "ro": 5.5}),
    ((7, 16, 16), np.uint16, {"ri": 0, "ro": 3, "cx": 4.0, "cy": 11.0}),
    ((2, 3, 21, 24), np.float64, {"ri": 4, "ro": 9}),
    ((1, 1, 9, 9), np.int32, {"ri": 0, "ro": 1}),  # one position: no spread over the scan
])
def test_the_moments_are_numpys(shape, dtype, params):
    rng = np.random.default_rng(sum(shape))
    frames = (rng.random(shape) * 1000).astype(dtype)
    result = reduce_array(frames, "fem", params, nav_ndim=len(shape) - 2)
    std, mean, variance = reference(frames, params["ri"], params["ro"], params.get("cx"), params.get("cy"))
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(result.arrays["std"], std, rtol=rtol)
    np.testing.assert_allclose(result.arrays["mean"], mean, rtol=rtol)
    np.testing.assert_allclose(result.arrays["variance"], variance, rtol=1e-9, atol=1e-15)
    assert result.primary == "std" and result.arrays["variance"].shape == ()


def test_a_large_offset_keeps_the_spread_and_nan_stays_in_its_frame():
    rng = np.random.default_rng(3)
    frames = (1e6 + rng.normal(0, 0.5, (3, 4, 20, 20))).astype(np.float32)
    frames[2, 1, 10, 14] = np.nan  # inside the ring below
    result = reduce_array(frames, "fem", {"ri": 2, "ro": 6}, nav_ndim=2).arrays
    std, mean, variance = reference(frames, 2, 6)
    assert np.isnan(result["std"][2, 1]) and np.isnan(result["std"]).sum() == 1
    assert np.isnan(result["mean"][2, 1]) and np.isnan(result["mean"]).sum() == 1
    finite = np.isfinite(std)
    # E[x^2] - E[x]^2 in float64 would leave no digit of a 0.5 spread on 1e6; the two-pass keeps them.
    np.testing.assert_allclose(result["std"][finite], std[finite], rtol=1e-5)
    np.testing.assert_allclose(result["variance"], variance, rtol=1e-6)


def test_positions_outside_the_roi_are_nan_and_left_out_of_the_variance():
    rng = np.random.default_rng(5)
    frames = rng.poisson(20, (4, 5, 16, 16)).astype(np.uint16)
    roi = {"shape": "rectangle", "x": 1, "y": 1, "width": 2, "height": 1}  # columns 1..3, rows 1..2
    result = reduce_array(frames, "fem", {"ri": 1, "ro": 5}, nav_ndim=2, roi=roi).arrays
    inside = np.zeros((4, 5), bool)
    inside[1:3, 1:4] = True
    std, mean, _ = reference(frames, 1, 5)
    np.testing.assert_allclose(result["std"][inside], std[inside], rtol=1e-9)
    assert np.isnan(result["std"][~inside]).all() and np.isnan(result["mean"][~inside]).all()
    kept = mean[inside]
    np.testing.assert_allclose(result["variance"], kept.var() / kept.mean() ** 2, rtol=1e-9)


@pytest.mark.parametrize(("params", "fragment"), [
    ({"ri": 5, "ro": 5}, "needs ro > ri"),
    ({"ri": 0, "ro": 2, "cx": 500, "cy": 500}, "holds no pixel"),
    ({"ri": -1, "ro": 2}, "ri"),
    ({"ro": 2}, "needs 'ri'"),
])
def test_bad_rings_are_refused(params, fragment):
    from jupyter_remotem.errors import BadParameter

    with pytest.raises(BadParameter, match=fragment):
        reduce_array(np.zeros((2, 2, 8, 8), np.float32), "fem", params, nav_ndim=2)


@pytest.fixture
def scan_file(demo_dir):
    frames = np.random.default_rng(9).poisson(40, (5, 6, 24, 20)).astype(np.uint16)
    with npy_in(demo_dir, "fem", frames) as name:
        yield name, frames


async def test_over_rest_and_in_the_client(jp_fetch, client, scan_file):  # noqa: F811
    name, frames = scan_file
    std, mean, variance = reference(frames, 2, 7)
    body = {"repository": "demo", "path": name, "operation": "fem", "params": {"ri": 2, "ro": 7}}
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npy"}, body=json.dumps(body))
    np.testing.assert_allclose(np.load(io.BytesIO(response.body)), std, rtol=1e-9)
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npz"}, body=json.dumps(body))
    arrays = np.load(io.BytesIO(response.body))
    np.testing.assert_allclose(arrays["variance"], variance, rtol=1e-9)
    assert response.headers["X-Remotem-Primary"] == "std"
    code, answer = await call(jp_fetch, "POST", "reductions", body=dict(body, params={"ro": 7}))
    assert code == 400 and "needs 'ri'" in answer["error"]["message"]

    ds = await in_thread(client.open, "demo", name)
    np.testing.assert_allclose(await in_thread(ds.fem, 2, 7), std, rtol=1e-9)
    everything = await in_thread(ds.fem, 2, 7, field=None, as_xarray=True)
    assert everything["std"].dims == ("scan_y", "scan_x") and everything["variance"].dims == ()
    np.testing.assert_allclose(everything["mean"].values, mean, rtol=1e-9)

