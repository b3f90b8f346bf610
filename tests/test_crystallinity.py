"""``crystallinity`` against numpy: each frame's ``|fftshift(fft2(frame))|`` summed over a ring
around the centre of the shifted spectrum, with the direct beam zeroed first — on random and
edge-case data, on a synthetic lattice against noise, in process, over REST and in the client."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import api_path, call, npy_in
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures

from jupyter_remotem.compute.reductions import reduce_array


def reference(frames: np.ndarray, r_in: float, r_out: float, beam: tuple[float, float, float] | None = None):
    height, width = frames.shape[-2:]
    y, x = np.indices((height, width), dtype=np.float64)
    ring = (np.hypot(y - height // 2, x - width // 2) >= r_in) & (np.hypot(y - height // 2, x - width // 2) <= r_out)
    flat = frames.reshape(-1, height, width).astype(np.float64)
    out = []
    for frame in flat:
        frame = frame.copy()
        if beam is not None:
            cx, cy, r = beam
            frame[np.hypot(x - cx, y - cy) <= r] = 0
        out.append(np.abs(np.fft.fftshift(np.fft.fft2(frame)))[ring].sum())
    return np.array(out).reshape(frames.shape[:-2])


@pytest.mark.parametrize(("shape", "dtype", "params", "beam"), [
    ((5, 4, 13, 17), np.float32, {"r_in": 2, "r_out": 5.5, "beam_r": 3}, ((17 - 1) / 2, (13 - 1) / 2, 3)),
    ((6, 16, 16), np.uint16, {"r_in": 0, "r_out": 3}, None),
    ((2, 3, 20, 24), np.float64, {"r_in": 4, "r_out": 9, "beam_r": 2.5, "beam_cx": 7.0, "beam_cy": 12.0},
     (7.0, 12.0, 2.5)),
])
def test_the_map_is_numpys(shape, dtype, params, beam):
    rng = np.random.default_rng(sum(shape))
    frames = (rng.random(shape) * 1000).astype(dtype)
    result = reduce_array(frames, "crystallinity", params, nav_ndim=len(shape) - 2)
    expected = reference(frames, params["r_in"], params["r_out"], beam)
    # float32 and 16-bit frames are transformed in single precision.
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(result.arrays["crystallinity"], expected, rtol=rtol)


def test_a_lattice_stands_out_from_noise_and_nan_stays_in_its_frame():
    rng = np.random.default_rng(4)
    y, x = np.indices((32, 32))
    frames = rng.normal(100, 5, (3, 3, 32, 32))
    frames[1, 1] += 40 * np.cos(2 * np.pi * (6 * x + 3 * y) / 32)  # |k| = sqrt(45) = 6.7 px
    frames[2, 0, 5, 5] = np.nan
    result = reduce_array(frames, "crystallinity", {"r_in": 6, "r_out": 7.5}, nav_ndim=2).arrays["crystallinity"]
    assert np.isnan(result[2, 0]) and np.isnan(result).sum() == 1
    finite = np.delete(result.ravel(), [4, 6])  # not the lattice, not the NaN frame
    assert result[1, 1] > 3 * finite.max()


@pytest.fixture
def scan_file(demo_dir):
    frames = np.random.default_rng(8).poisson(30, (5, 6, 24, 20)).astype(np.uint16)
    with npy_in(demo_dir, "crystal", frames) as name:
        yield name, frames


async def test_over_rest_and_in_the_client(jp_fetch, client, scan_file):  # noqa: F811
    name, frames = scan_file
    expected = reference(frames, 2, 6, (9.5, 11.5, 3))
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npy"}, body=json.dumps({
        "repository": "demo", "path": name, "operation": "crystallinity",
        "params": {"r_in": 2, "r_out": 6, "beam_r": 3}}))
    np.testing.assert_allclose(np.load(io.BytesIO(response.body)), expected, rtol=2e-5)
    code, answer = await call(jp_fetch, "POST", "reductions", body={
        "repository": "demo", "path": name, "operation": "crystallinity", "params": {"r_in": 2}})
    assert code == 400 and "needs 'r_out'" in answer["error"]["message"]
    ds = await in_thread(client.open, "demo", name)
    mapped = await in_thread(ds.crystallinity, 2, 6, beam_r=3)
    np.testing.assert_allclose(mapped, expected, rtol=2e-5)
    labelled = await in_thread(ds.crystallinity, 2, 6, as_xarray=True)
    assert labelled.dims == ("scan_y", "scan_x")
