"""Affine and polar resampling, free-form crops and dark/flat-field correction of frames
(``affine``, ``polar``, ``mask_crop``, ``flatfield``): each against scipy or numpy on random and
edge-case frames, as lazy pipeline steps under a reduction, as jobs writing a dataset that h5py
reads back, in the client (remote and local alike), and refused clearly where they cannot apply."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import scipy.ndimage as ndi
from _api import call
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _results import jp_server_config, repositories, run_job, stop_worker  # noqa: F401 - fixtures

from jupyter_remotem.compute.reductions import reduce_array
from jupyter_remotem.compute.views import apply_pipeline
from jupyter_remotem.errors import BadParameter
from jupyter_remotem.formats.memory import array_dataset


def viewed(frames: np.ndarray, *steps: dict, nav_ndim: int = 2) -> np.ndarray:
    """``frames`` read back through the lazy pipeline ``steps``."""
    with apply_pipeline(array_dataset(frames, nav_ndim=nav_ndim), list(steps)) as view:
        return view.read((slice(None),) * len(view.shape))


def per_frame(frames: np.ndarray, function) -> np.ndarray:
    done = [function(frame) for frame in frames.reshape(-1, *frames.shape[-2:])]
    return np.stack(done).reshape(frames.shape[:-2] + done[0].shape)


def step(operation: str, **params) -> dict:
    return {"operation": operation, "params": params}


# -- affine --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 7), (16, 9), (1, 6)])
@pytest.mark.parametrize("order", [0, 1, 3])
def test_affine_frames_are_scipys(shape, order):
    rng = np.random.default_rng(order * 10 + shape[0])
    frames = rng.integers(0, 5000, (2, 3) + shape).astype(np.uint16)
    matrix = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]]) * 1.1
    offset = [0.7, -1.25]
    got = viewed(frames, step("affine", matrix=matrix.tolist(), offset=offset, order=order, fill=-3))
    expected = per_frame(frames.astype(np.float32), lambda f: ndi.affine_transform(
        f, matrix, offset, order=order, mode="constant", cval=-3))
    assert got.dtype == np.float32 and got.shape == frames.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


def test_affine_of_64_bit_data_stays_double_and_a_nan_spoils_only_its_neighbours():
    frames = np.ones((1, 2, 9, 9))
    frames[0, 0, 4, 4] = np.nan
    got = viewed(frames, step("affine", offset=[0.5, 0.0]))  # half a pixel down: linear mixing
    assert got.dtype == np.float64
    spoiled = np.argwhere(np.isnan(got[0, 0]))
    assert np.isnan(got[0, 0, 3:5, 4]).all() and len(spoiled) <= 4
    assert set(spoiled[:, 0]) <= {3, 4} and set(spoiled[:, 1]) <= {3, 4, 5}
    assert np.isfinite(got[0, 1]).all()


@pytest.mark.parametrize(("params", "fragment"), [
    ({"matrix": [[1, 2], [2, 4]]}, "singular"),
    ({"matrix": [[1, 0]]}, "Parameter 'matrix' of affine must be a list"),
    ({"matrix": [[1, 0], [0, "a"]]}, r"Parameter 'matrix'\[1\]\[1\] of affine must be a number"),
    ({"offset": [1]}, "Parameter 'offset' of affine must be a list"),
    ({"order": 2}, "Parameter 'order' of affine must be one of 0, 1, 3"),
    ({"shear": 1}, "Unknown parameter for affine: shear"),
])
def test_bad_affines_are_refused(params, fragment):
    with pytest.raises(BadParameter, match=fragment):
        viewed(np.zeros((2, 2, 4, 4), np.float32), step("affine", **params))


# -- polar ---------------------------------------------------------------------------------------
def test_polar_frames_are_map_coordinates_on_angle_and_radius():
    rng = np.random.default_rng(5)
    frames = rng.random((2, 2, 21, 17)).astype(np.float32)
    cx, cy, r_max, n_radius, n_angle = 7.5, 10.0, 8.0, 9, 12
    got = viewed(frames, step("polar", cx=cx, cy=cy, r_max=r_max, n_radius=n_radius, n_angle=n_angle))
    theta = np.deg2rad(np.arange(n_angle) * 360 / n_angle)[:, None]
    radius = np.linspace(0, r_max, n_radius)[None, :]
    where = np.stack([cy + radius * np.sin(theta), cx + radius * np.cos(theta)])
    expected = per_frame(frames, lambda f: ndi.map_coordinates(f, where, order=1, mode="constant"))
    assert got.shape == (2, 2, n_angle, n_radius)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # Radius 0 is the centre for every angle; angle 90° runs down the frame (y grows down).
    np.testing.assert_allclose(got[..., 0], np.broadcast_to(got[..., :1, 0], got.shape[:-1]), atol=1e-6)
    np.testing.assert_allclose(got[..., 3, 4], frames[..., 14, 7] * 0.5 + frames[..., 14, 8] * 0.5, atol=1e-6)


def test_polar_of_a_ring_is_a_column_and_its_axes_are_calibrated():
    y, x = np.indices((33, 33))
    ring = (np.abs(np.hypot(x - 16, y - 16) - 10) < 0.5).astype(np.float32)
    frames = np.broadcast_to(ring, (1, 2, 33, 33)).copy()
    with apply_pipeline(array_dataset(frames, nav_ndim=2), [step("polar", r_max=16, n_radius=17)]) as view:
        polar = view.read((slice(None),) * 4)
        angle, radius = view.axes[-2:]
    profile = polar[0, 0].mean(axis=0)
    assert int(np.argmax(profile)) == 10 and profile[10] > 0.6 and profile[5] == 0
    assert (angle.name, angle.size, angle.scale, angle.units) == ("angle", 360, 1.0, "deg")
    assert (radius.name, radius.size, radius.scale) == ("radius", 17, 1.0)


def test_polar_defaults_reach_the_farthest_pixel():
    frames = np.zeros((1, 1, 5, 9), np.float32)
    with apply_pipeline(array_dataset(frames, nav_ndim=2), [step("polar")]) as view:
        # From the centre (4, 2) the corners are hypot(4, 2) = 4.47 pixels away: 6 columns.
        assert view.shape == (1, 1, 360, 6)
        assert view.axes[-1].scale == pytest.approx(np.hypot(4, 2) / 5)


@pytest.mark.parametrize(("params", "fragment"), [
    ({"n_radius": 1}, r"Parameter 'n_radius' of polar must be an integer ≥ 2 ≤ 8192 \(or null\)"),
    ({"n_angle": 0}, "Parameter 'n_angle' of polar must be an integer ≥ 1"),
    ({"r_max": 0}, "Parameter 'r_max' of polar must be"),
    ({"n_angle": 10 ** 6}, "≤ 7200"),
])
def test_bad_polars_are_refused(params, fragment):
    with pytest.raises(BadParameter, match=fragment):
        viewed(np.zeros((2, 2, 4, 4), np.float32), step("polar", **params))


# -- mask_crop -----------------------------------------------------------------------------------
def test_a_polygon_crop_keeps_the_pixels_inside_and_its_bounding_box():
    rng = np.random.default_rng(7)
    frames = rng.integers(1, 100, (2, 3, 12, 15)).astype(np.int16)
    triangle = [[2.3, 3.2], [12.4, 3.1], [7.1, 10.6]]  # no pixel centre on an edge
    got = viewed(frames, step("mask_crop", polygon=triangle, fill=-1))
    # The reference: pixel centres inside the triangle (matplotlib's rule for points off the edges).
    from matplotlib.path import Path

    y, x = np.indices((12, 15))
    inside = Path(triangle).contains_points(np.column_stack([x.ravel(), y.ravel()])).reshape(12, 15)
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    expected = np.where(inside, frames, -1)[(Ellipsis,) + box]
    assert got.dtype == np.int16 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_a_mask_crop_reduces_like_the_masked_frames():
    rng = np.random.default_rng(8)
    frames = rng.random((3, 4, 9, 8))
    mask = rng.random((9, 8)) > 0.6
    mask[0, :] = mask[:, 0] = False  # the box starts at (1, 1) at most
    mask[5, 6] = True
    stats = reduce_array(frames, "frame_stats", {}, nav_ndim=2,
                         pipeline=[step("mask_crop", mask=mask.tolist(), fill=np.nan)]).arrays
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    expected = np.where(mask, frames, np.nan)[(Ellipsis,) + box].reshape(-1, *mask[box].shape)
    np.testing.assert_allclose(stats["max"], expected.max(axis=0))


def test_a_scan_region_is_a_job_and_not_a_view():
    with pytest.raises(BadParameter, match="cannot blank scan positions"):
        viewed(np.zeros((4, 4, 3, 3), np.float32), step("mask_crop", polygon=[[0, 0], [3, 0], [0, 3]], on="scan"))


@pytest.mark.parametrize(("params", "fragment"), [
    ({}, "either 'polygon' or 'mask'"),
    ({"polygon": [[0, 0], [1, 1]]}, "at least 3 vertices"),
    ({"polygon": [[100, 100], [101, 100], [100, 101]]}, "holds no pixel"),
    ({"mask": [[True, False]]}, r"shaped as the frame, \[4, 4\]"),
    ({"mask": [[2] * 4] * 4}, "booleans"),
    ({"polygon": [[0, 0], [3, 0], [0, 3]], "mask": [[True] * 4] * 4}, "not both"),
    ({"polygon": [[0, 0], [3, 0], [0, 3]], "fill": 0.5}, "does not fit in uint8"),
    ({"polygon": [[0, 0], [3, 0], [0, 3]], "fill": 300}, "does not fit in uint8"),
])
def test_bad_mask_crops_are_refused(params, fragment):
    with pytest.raises(BadParameter, match=fragment):
        viewed(np.zeros((2, 2, 4, 4), np.uint8), step("mask_crop", **params))


# -- flatfield -----------------------------------------------------------------------------------
def test_flatfield_with_inline_references_is_the_textbook_correction():
    rng = np.random.default_rng(9)
    gain = rng.uniform(0.5, 1.5, (6, 7))
    dark = rng.uniform(90, 110, (6, 7))
    truth = rng.poisson(200, (2, 3, 6, 7)).astype(np.float64)
    raw = np.round(truth * gain + dark).astype(np.uint16)
    flat = 1000 * gain + dark
    flat[2, 3] = dark[2, 3]  # a dead pixel: no usable gain
    got = viewed(raw, step("flatfield", dark=dark.tolist(), flat=flat.tolist(), precision="double"))
    spread = flat - dark
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (raw - dark) / spread * spread[spread > 0].mean()
    expected[..., 2, 3] = np.nan
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    single = viewed(raw, step("flatfield", dark=dark.tolist(), normalise=False))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, raw - dark, rtol=1e-5)
    only_flat = viewed(raw, step("flatfield", flat=flat.tolist(), normalise=False, fill=0))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(only_flat, np.where(flat > 0, raw / flat, 0), rtol=1e-5)


@pytest.mark.parametrize(("params", "fragment"), [
    ({}, "needs 'dark', 'flat' or both"),
    ({"dark": [[0.0] * 3] * 4}, r"shape \[4, 4\]; it has shape \[4, 3\]"),
    ({"flat": [[-1.0] * 4] * 4}, "no usable pixel"),
    ({"dark": "just-a-name"}, "'repository:path'"),
    ({"dark": "demo:scan.npy"}, "only a server reads repositories"),
    ({"dark": 3}, "Parameter 'dark' of flatfield must be"),
])
def test_bad_flatfields_are_refused(params, fragment):
    with pytest.raises(BadParameter, match=fragment):
        viewed(np.zeros((2, 2, 4, 4), np.uint16), step("flatfield", **params))


# -- through the server --------------------------------------------------------------------------
async def test_jobs_write_each_transformation_and_h5py_reads_it(jp_fetch, tmp_path, demo_dir):
    source = np.load(demo_dir / "scan.npy")
    results = tmp_path / "results"
    dark = np.full(source.shape[-2:], 3.0)
    np.save(results / "dark.npy", np.stack([dark - 1, dark + 1]))  # a stack: averaged
    flat = np.linspace(50, 150, source.shape[-1])[None, :].repeat(source.shape[-2], 0)
    np.save(results / "flat.npy", flat)
    matrix = [[0.0, 1.0], [1.0, 0.0]]  # the transpose, resampled
    jobs = {
        "affine.h5": ("affine", {"matrix": matrix, "order": 0},
                      np.swapaxes(source, -1, -2).astype(np.float32)),
        "polar.h5": ("polar", {"n_angle": 8, "r_max": 20, "n_radius": 5},
                     per_frame(source.astype(np.float32), lambda f: ndi.map_coordinates(
                         f, np.stack([31.5 + np.linspace(0, 20, 5)[None, :] * np.sin(np.deg2rad(np.arange(8) * 45))[:, None],
                                      31.5 + np.linspace(0, 20, 5)[None, :] * np.cos(np.deg2rad(np.arange(8) * 45))[:, None]]),
                         order=1, mode="constant"))),
        "flat.h5": ("flatfield", {"dark": "results:dark.npy", "flat": "results:flat.npy"},
                    ((source - 3.0) / (flat - 3.0) * (flat - 3.0).mean()).astype(np.float32)),
    }
    for name, (operation, params, expected) in jobs.items():
        await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": operation, "params": params,
                                 "output": {"repository": "results", "path": name}})
        with h5py.File(results / name, "r") as f:
            np.testing.assert_allclose(f["data"][()], expected, rtol=1e-5, atol=1e-3, err_msg=name)
    code, meta = await call(jp_fetch, "GET", "repositories", "results", "meta", "polar.h5")
    assert code == 200, meta
    angle, radius = meta["dataset"]["axes"][2:]
    assert (angle["name"], angle["units"], angle["scale"], angle["size"]) == ("angle", "deg", 45.0, 8)
    assert (radius["name"], radius["size"]) == ("radius", 5)


async def test_a_scan_mask_crop_job_blanks_the_positions_outside(jp_fetch, tmp_path, demo_dir):
    source = np.load(demo_dir / "scan.npy")
    ny, nx = source.shape[:2]
    keep = np.zeros((ny, nx), bool)
    keep[2:6, 1:5] = True
    keep[2, 1] = False
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "mask_crop",
                             "params": {"mask": keep.tolist(), "on": "scan", "fill": 7},
                             "output": {"repository": "results", "path": "region.h5"}})
    with h5py.File(tmp_path / "results" / "region.h5", "r") as f:
        got = f["data"][()]
    expected = source[2:6, 1:5].copy()
    expected[0, 0] = 7
    np.testing.assert_array_equal(got, expected)


async def test_references_come_only_from_repositories_the_user_reads(jp_fetch, tmp_path):
    base = {"repository": "demo", "path": "scan.h5", "operation": "flatfield",
            "output": {"repository": "results", "path": "never.h5"}}
    for reference, fragment in (("private:scan.npy", "cannot read its 'dark' reference"),
                                ("nowhere:dark.npy", "cannot read its 'dark' reference"),
                                ("demo:../etc/passwd", "cannot read its 'dark' reference"),
                                ("demo:scan.npy", "must be a 2-D frame or a 3-D stack")):
        code, answer = await call(jp_fetch, "POST", "jobs", body={**base, "params": {"dark": reference}})
        assert code == 400, answer
        assert fragment in answer["error"]["message"], answer
        assert set(answer["error"]) >= {"code", "message", "hint"}
    # The private repository's answer says no more than a repository that does not exist.
    private = (await call(jp_fetch, "POST", "jobs", body={**base, "params": {"dark": "private:x.npy"}}))[1]
    nowhere = (await call(jp_fetch, "POST", "jobs", body={**base, "params": {"dark": "nowhere:x.npy"}}))[1]
    assert private["error"]["message"].replace("private", "X") == nowhere["error"]["message"].replace("nowhere", "X")
    assert not (tmp_path / "results" / "never.h5").exists()


async def test_operations_declare_which_steps_chain(jp_fetch):
    code, operations = await call(jp_fetch, "GET", "operations")
    assert code == 200
    chains = {op["name"] for op in operations["operations"] if op["chains"]}
    assert {"affine", "polar", "mask_crop", "flatfield", "crop", "fft"} <= chains
    assert not chains & {"copy", "pick", "virtual_detector"}


async def test_in_the_client_remote_and_local_agree(jp_fetch, client, demo_dir, tmp_path):  # noqa: F811
    from jupyter_remotem.client.errors import BadRequest
    from jupyter_remotem.client.local import local

    source = np.load(demo_dir / "scan.npy")
    np.save(tmp_path / "results" / "dark.npy", np.full(source.shape[-2:], 2.0))
    np.save(tmp_path / "results" / "cropped_dark.npy", np.full((56, 64), 2.0))
    ds = await in_thread(client.open, "demo", "scan.npy")
    here = local(source, 2)
    chains = [
        (lambda d: d.affine([[1.0, 0.1], [0.0, 1.0]], (0.5, -1.0)),) * 2,
        (lambda d: d.polar(n_angle=30, r_max=25),) * 2,
        (lambda d: d.mask_crop(polygon=[(5, 5), (50, 10), (20, 40)]),) * 2,
        (lambda d: d.crop(sig=[(4, 60), None]).flatfield(dark="results:cropped_dark.npy"),
         lambda d: d.crop(sig=[(4, 60), None]).flatfield(dark=np.full((56, 64), 2.0))),
    ]
    for make, make_here in chains:
        remote, mine = await in_thread(make, ds), make_here(here)
        assert remote.shape == mine.shape and remote.dtype == mine.dtype
        assert [a.name for a in remote.axes] == [a.name for a in mine.axes]
        got = await in_thread(remote.frame_stats, field="mean")
        np.testing.assert_allclose(got, mine.frame_stats(field="mean"), rtol=1e-5, atol=1e-4)
    corrected_ds = await in_thread(ds.flatfield, dark="results:dark.npy")  # GET meta: off the server's loop
    corrected = await in_thread(corrected_ds.frame_stats, field="mean")
    np.testing.assert_allclose(corrected, source.reshape(-1, *source.shape[-2:]).mean(axis=0) - 2, rtol=1e-5)
    with pytest.raises(BadRequest, match="singular"):
        await in_thread(ds.affine, [[1, 1], [1, 1]])
    with pytest.raises(BadRequest, match="singular"):
        here.affine([[1, 1], [1, 1]])
    with pytest.raises(BadRequest, match="either a polygon or a mask"):
        ds.mask_crop()
    # A large inline frame cannot travel in a URL: a clear refusal before anything is sent.
    with pytest.raises(BadRequest, match="more than the 16 kB a URL safely holds") as refused:
        await in_thread(ds.flatfield, np.full(source.shape[-2:], 2.0))
    assert "'repository:path'" in refused.value.hint
