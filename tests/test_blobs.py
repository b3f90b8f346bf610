"""``blobs`` on generated diffraction patterns: disks rendered at known sub-pixel centres over a
background and noise are found within 0.5 px (most within 0.1 px); the correlation equals
``scipy.ndimage.correlate`` with the template; empty, NaN, edge and ROI cases; over REST and in
the client."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import api_path, call, npy_in
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures

from jupyter_remotem.compute.reductions import reduce_array
from jupyter_remotem.kernels.blobs import correlate, reach, template_kernel, template_spectrum

SUPERSAMPLE = 8


def disks(shape: tuple[int, int], centres: list[tuple[float, float]], radius: float, height: float = 100.0):
    """A frame of disks of ``radius`` at ``(cx, cy)`` (pixel centres at integer indices), each
    pixel the disk's covered fraction of its area (supersampled)."""
    s = SUPERSAMPLE
    offsets = (np.arange(s) + 0.5) / s - 0.5
    y = (np.arange(shape[0])[:, None] + offsets[None, :]).reshape(-1)[:, None]
    x = (np.arange(shape[1])[:, None] + offsets[None, :]).reshape(-1)[None, :]
    frame = np.zeros((shape[0] * s, shape[1] * s))
    for cx, cy in centres:
        frame += np.hypot(x - cx, y - cy) <= radius
    return height * frame.reshape(shape[0], s, shape[1], s).mean(axis=(1, 3))


def scan(rng, nav: tuple[int, ...], sig: tuple[int, int], radius: float, n: int, margin: float):
    """Frames of ``n`` disks each at random centres at least 3 radii apart, and those centres."""
    frames, truth = [], []
    for _ in range(int(np.prod(nav))):
        centres: list[tuple[float, float]] = []
        while len(centres) < n:
            c = (rng.uniform(margin, sig[1] - 1 - margin), rng.uniform(margin, sig[0] - 1 - margin))
            if all(np.hypot(c[0] - a, c[1] - b) > 3 * radius for a, b in centres):
                centres.append(c)
        frames.append(disks(sig, centres, radius) + rng.normal(20, 2, sig))
        truth.append(centres)
    return np.stack(frames).reshape(nav + sig), truth


@pytest.mark.parametrize(("template", "ring_width"), [("disk", None), ("ring", None), ("ring", 2.0),
                                                      ("gaussian", None)])
def test_the_correlation_is_scipys(template, ring_width):
    from scipy.ndimage import correlate as scipy_correlate

    rng = np.random.default_rng(1)
    frames = rng.random((3, 17, 23)).astype(np.float32)
    spectrum, padded = template_spectrum(2.5, (17, 23), template, ring_width)
    ours = correlate(frames, spectrum, padded)
    kernel = template_kernel(2.5, template, ring_width)
    assert kernel.shape == (2 * reach(2.5, template, ring_width) + 1,) * 2 and abs(kernel.sum()) < 1e-9
    assert kernel[kernel.shape[0] // 2, kernel.shape[1] // 2] != 0 or template == "ring"
    for frame, mine in zip(frames, ours):
        expected = scipy_correlate(frame.astype(np.float64), kernel, mode="constant", cval=0.0)
        np.testing.assert_allclose(mine, expected, atol=2e-4 * np.abs(expected).max())


@pytest.mark.parametrize(("sig", "radius", "n"), [((48, 52), 3.5, 4), ((33, 31), 2.0, 3), ((64, 64), 6.0, 2)])
def test_disks_are_found_within_half_a_pixel_of_their_centres(sig, radius, n):
    rng = np.random.default_rng(int(radius * 10) + n)
    frames, truth = scan(rng, (2, 3), sig, radius, n, margin=2 * radius)
    result = reduce_array(frames, "blobs", {"radius": radius, "n_peaks": 8}, nav_ndim=2).arrays
    assert result["positions"].shape == (2, 3, 8, 2) and result["strength"].shape == (2, 3, 8)
    errors = []
    for index, centres in enumerate(truth):
        count = int(result["count"].reshape(-1)[index])
        assert count == n, (index, count)
        found = result["positions"].reshape(-1, 8, 2)[index][:count]
        assert np.isnan(result["positions"].reshape(-1, 8, 2)[index][count:]).all()
        for cx, cy in centres:
            errors.append(np.hypot(found[:, 0] - cx, found[:, 1] - cy).min())
    errors = np.array(errors)
    assert errors.max() < 0.5, errors.max()
    assert np.median(errors) < 0.15, np.median(errors)


def rings(shape, centres, radius, width, height=100.0):
    """Hollow disks: the rim of ``width`` at ``radius``, the inside dark (a rim-only pattern)."""
    return disks(shape, centres, radius + width / 2, height) - disks(shape, centres, radius - width / 2, height)


@pytest.mark.parametrize(("template", "render"), [
    ("ring", lambda shape, centres: rings(shape, centres, 5.0, 2.0)),
    ("gaussian", lambda shape, centres: sum(
        100 * np.exp(-((np.arange(shape[0])[:, None] - cy) ** 2 + (np.arange(shape[1])[None, :] - cx) ** 2) / 12.5)
        for cx, cy in centres)),
])
def test_hollow_rings_and_blurred_spots_are_found_by_their_templates(template, render):
    rng = np.random.default_rng(5)
    sig, truth = (56, 60), []
    frames = []
    for _ in range(4):
        centres = [(rng.uniform(10, 20), rng.uniform(10, 20)), (rng.uniform(38, 48), rng.uniform(32, 44))]
        frames.append(render(sig, centres) + rng.normal(20, 1, sig))
        truth.append(centres)
    result = reduce_array(np.stack(frames), "blobs", {"radius": 5, "n_peaks": 4, "template": template,
                                                      "threshold": 0.5}, nav_ndim=1)
    assert result.attributes["template"] == template
    for index, centres in enumerate(truth):
        assert result.arrays["count"][index] == 2, (template, index)
        found = result.arrays["positions"][index][:2]
        for cx, cy in centres:
            assert np.hypot(found[:, 0] - cx, found[:, 1] - cy).min() < 0.5, (template, index, found, centres)


def test_strength_is_ordered_and_the_threshold_and_n_peaks_cut():
    frame = disks((40, 40), [(10, 10), (28, 12), (20, 30)], 3.0) * np.array([1.0])
    frame[:, 24:] *= 0.5  # the disk at x = 28 half as bright
    frames = (frame + 10)[None]
    everything = reduce_array(frames, "blobs", {"radius": 3, "threshold": 0.2}, nav_ndim=1).arrays
    assert everything["count"][0] == 3
    strength = everything["strength"][0][:3]
    assert np.all(np.diff(strength) <= 0)
    assert everything["positions"][0][2] == pytest.approx([28, 12], abs=0.3)  # the faint one last
    strong = reduce_array(frames, "blobs", {"radius": 3, "threshold": 0.8}, nav_ndim=1).arrays
    assert strong["count"][0] == 2
    one = reduce_array(frames, "blobs", {"radius": 3, "n_peaks": 1}, nav_ndim=1).arrays
    assert one["count"][0] == 1 and one["positions"].shape == (1, 1, 2)


def test_empty_nan_and_roi_frames():
    frames = np.zeros((2, 3, 24, 24), np.float32)
    frames[0, 1] = disks((24, 24), [(11.5, 12.2)], 3.0)
    frames[1, 2, 4, 4] = np.nan
    result = reduce_array(frames, "blobs", {"radius": 3}, nav_ndim=2).arrays
    assert result["count"][0, 0] == 0 and result["count"][0, 1] == 1
    assert np.isnan(result["count"][1, 2]) and np.isnan(result["positions"][1, 2]).all()
    assert result["positions"][0, 1, 0] == pytest.approx([11.5, 12.2], abs=0.2)
    roi = {"shape": "point", "cx": 1, "cy": 0}  # the one position (0, 1)
    only = reduce_array(frames, "blobs", {"radius": 3}, nav_ndim=2, roi=roi).arrays
    assert only["count"][0, 1] == 1 and np.isnan(only["count"]).sum() == 5


@pytest.mark.parametrize(("params", "fragment"), [
    ({"radius": 20}, "does not fit"),
    ({}, "needs 'radius'"),
    ({"radius": 2, "n_peaks": 0}, "n_peaks"),
    ({"radius": 2, "threshold": 1.5}, "threshold"),
    ({"radius": 2, "template": "square"}, "template"),
    ({"radius": 2, "ring_width": 1}, "ring_width shapes the 'ring' template"),
    ({"radius": 2, "template": "ring", "ring_width": 4}, "no inside"),
    ({"radius": 12, "template": "ring", "ring_width": 22}, "does not fit"),  # a disk of 12 px would
])
def test_bad_parameters_are_refused(params, fragment):
    from jupyter_remotem.errors import BadParameter

    with pytest.raises(BadParameter, match=fragment):
        reduce_array(np.zeros((2, 2, 24, 24), np.float32), "blobs", params, nav_ndim=2)


@pytest.fixture
def scan_file(demo_dir):
    frames, truth = scan(np.random.default_rng(12), (3, 4), (32, 36), 3.0, 3, margin=6)
    with npy_in(demo_dir, "blobs", frames.astype(np.float32)) as name:
        yield name, frames, truth


async def test_over_rest_and_in_the_client(jp_fetch, client, scan_file):  # noqa: F811
    name, frames, truth = scan_file
    body = {"repository": "demo", "path": name, "operation": "blobs", "params": {"radius": 3, "n_peaks": 4}}
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npz"}, body=json.dumps(body))
    arrays = np.load(io.BytesIO(response.body))
    assert response.headers["X-Remotem-Primary"] == "count"
    np.testing.assert_array_equal(arrays["count"], np.full((3, 4), 3.0))
    first = arrays["positions"][0, 0][:3]
    for cx, cy in truth[0]:
        assert np.hypot(first[:, 0] - cx, first[:, 1] - cy).min() < 0.5
    code, answer = await call(jp_fetch, "POST", "reductions", body=dict(body, params={"n_peaks": 4}))
    assert code == 400 and "needs 'radius'" in answer["error"]["message"]

    ds = await in_thread(client.open, "demo", name)
    counts = await in_thread(ds.blobs, 3, n_peaks=4)
    np.testing.assert_array_equal(counts, arrays["count"])
    labelled = await in_thread(ds.blobs, 3, n_peaks=4, field="positions", as_xarray=True)
    assert labelled.dims == ("scan_y", "scan_x", "peak", "coordinate")
    np.testing.assert_allclose(labelled.values, arrays["positions"], equal_nan=True)
