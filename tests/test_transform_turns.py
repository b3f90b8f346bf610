"""Flips, quarter turns and transposes of frames (``flip``, ``rotate``, ``transpose``): as lazy
pipeline steps under any reduction, as jobs writing a new dataset (which h5py reads back as
numpy's ``rot90``/``flip``/``swapaxes`` of the source, with the frame's calibrated axes swapped
where the frame turns), in the client, and refused clearly where they cannot apply."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from _api import call
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _results import jp_server_config, repositories, run_job, stop_worker  # noqa: F401 - fixtures

from jupyter_remotem.compute.reductions import reduce_array
from jupyter_remotem.errors import BadParameter

TURNS = [
    ("flip", {"axis": "x"}, lambda a: a[..., ::-1]),
    ("flip", {"axis": "y"}, lambda a: a[..., ::-1, :]),
    ("rotate", {"quarter_turns": 1}, lambda a: np.rot90(a, 1, axes=(-2, -1))),
    ("rotate", {"quarter_turns": 2}, lambda a: np.rot90(a, 2, axes=(-2, -1))),
    ("rotate", {"quarter_turns": 3}, lambda a: np.rot90(a, 3, axes=(-2, -1))),
    ("transpose", {}, lambda a: np.swapaxes(a, -1, -2)),
]
IDS = ["flip_x", "flip_y", "rot90", "rot180", "rot270", "transpose"]


@pytest.mark.parametrize(("operation", "params", "numpy_way"), TURNS, ids=IDS)
def test_a_turned_view_reduces_like_numpys_turned_frames(operation, params, numpy_way):
    rng = np.random.default_rng(len(IDS))
    frames = rng.integers(0, 4000, (3, 4, 5, 7), dtype=np.uint16)  # odd, unequal frame sides
    turned = numpy_way(frames)
    pipeline = [{"operation": operation, "params": params}]
    stats = reduce_array(frames, "frame_stats", {}, nav_ndim=2, pipeline=pipeline).arrays
    np.testing.assert_allclose(stats["mean"], turned.reshape(-1, *turned.shape[-2:]).mean(axis=0))
    np.testing.assert_array_equal(stats["max"], turned.reshape(-1, *turned.shape[-2:]).max(axis=0))
    # An off-centre detector on the turned frames sums the turned pixels it covers.
    h, w = turned.shape[-2:]
    disk = {"shape": "rectangle", "x": 0, "y": 0, "width": w - 2, "height": 1}
    sums = reduce_array(frames, "virtual_detector", {"detectors": [disk]}, nav_ndim=2, pipeline=pipeline)
    np.testing.assert_array_equal(sums.arrays["intensity"][..., 0], turned[..., 0:2, 0:w - 1].sum(axis=(-2, -1)))


def test_turns_chain_with_crops_and_bins_in_order():
    frames = np.arange(2 * 3 * 8 * 6, dtype=np.float32).reshape(2, 3, 8, 6)
    pipeline = [{"operation": "crop", "params": {"nav": None, "sig": [[1, 7], [0, 5]]}},
                {"operation": "rotate", "params": {"quarter_turns": 1}},
                {"operation": "bin", "params": {"sig": [1, 2], "reduce": "sum"}},
                {"operation": "flip", "params": {"axis": "y"}}]
    expected = np.rot90(frames[..., 1:7, 0:5], 1, axes=(-2, -1))  # (5, 6)
    expected = expected.reshape(2, 3, 5, 3, 2).sum(axis=-1)[..., ::-1, :]
    got = reduce_array(frames, "frame_stats", {}, nav_ndim=2, pipeline=pipeline).arrays["sum"]
    np.testing.assert_allclose(got, expected.sum(axis=(0, 1)))


@pytest.mark.parametrize(("operation", "params", "fragment"), [
    ("flip", {"axis": "z"}, "Parameter 'axis' of flip must be one of 'x', 'y'"),
    ("rotate", {"quarter_turns": 4}, "Parameter 'quarter_turns' of rotate must be one of 1, 2, 3"),
    ("rotate", {}, "rotate needs 'quarter_turns'"),
    ("transpose", {"axes": [1, 0]}, "transpose"),
])
def test_bad_turns_are_refused(operation, params, fragment):
    with pytest.raises(BadParameter, match=fragment):
        reduce_array(np.zeros((2, 2, 4, 4), np.float32), "frame_stats", {}, nav_ndim=2,
                     pipeline=[{"operation": operation, "params": params}])


def test_frames_that_are_not_images_cannot_turn():
    with pytest.raises(BadParameter, match="two axes|2-D detector frames"):
        reduce_array(np.zeros((3, 4, 5), np.float32), "frame_stats", {}, nav_ndim=2,
                     pipeline=[{"operation": "transpose", "params": {}}])


@pytest.mark.parametrize(("operation", "params", "numpy_way"), [TURNS[2], TURNS[1], TURNS[5]],
                         ids=["rot90", "flip_y", "transpose"])
async def test_a_job_writes_the_turned_dataset_with_its_axes(jp_fetch, tmp_path, demo_dir, operation, params,
                                                             numpy_way):
    name = f"{operation}_{'_'.join(map(str, params.values())) or 'frames'}.h5"
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": operation, "params": params,
                             "output": {"repository": "results", "path": name}})
    with h5py.File(tmp_path / "results" / name, "r") as f:
        np.testing.assert_array_equal(f["data"][()], numpy_way(np.load(demo_dir / "scan.npy")))
    code, source = await call(jp_fetch, "GET", "repositories", "demo", "meta", "scan.h5")
    code, meta = await call(jp_fetch, "GET", "repositories", "results", "meta", name)
    assert code == 200, meta
    before = [(a["name"], a["size"], a["scale"]) for a in source["dataset"]["axes"]]
    after = [(a["name"], a["size"], a["scale"]) for a in meta["dataset"]["axes"]]
    swapped = operation in ("rotate", "transpose") and params.get("quarter_turns", 1) % 2 == 1
    assert after == (before[:2] + [before[3], before[2]] if swapped else before)


async def test_in_the_client(jp_fetch, client, demo_dir):  # noqa: F811
    from jupyter_remotem.client.errors import BadRequest
    from jupyter_remotem.client.local import local

    ds = await in_thread(client.open, "demo", "scan.npy")
    turned = ds.crop(sig=[(0, 60), None]).rotate(1)
    assert turned.sig_shape == (64, 60) and turned.geometry.axes[-1].size == 60
    assert ds.rotate(-1).pipeline[-1]["params"] == {"quarter_turns": 3}
    frames = np.rot90(np.load(demo_dir / "scan.npy")[..., 0:60, :], 1, axes=(-2, -1))
    mean = await in_thread(turned.frame_stats, field="mean")
    np.testing.assert_allclose(mean, frames.reshape(-1, 64, 60).mean(axis=0), rtol=1e-6)
    # The same chain on a local array gives the same frames.
    here = local(np.load(demo_dir / "scan.npy"), 2).crop(sig=[(0, 60), None]).rotate(1).frame_stats(field="mean")
    np.testing.assert_allclose(here, mean, rtol=1e-6)
    with pytest.raises(BadRequest, match="1, 2 or 3"):
        ds.rotate(4)
    with pytest.raises(BadRequest, match="'x' or 'y'"):
        ds.flip("z")


# -- Fourier transforms of frames ---------------------------------------------------------------
def _band(shape: tuple[int, int], r_in: float, r_out: float) -> np.ndarray:
    ky = np.fft.fftfreq(shape[0]) * shape[0]
    kx = np.fft.fftfreq(shape[1]) * shape[1]
    k = np.hypot(np.round(ky)[:, None], np.round(kx)[None, :])
    return (k >= r_in) & (k <= r_out)


@pytest.mark.parametrize("shape", [(5, 7), (8, 6), (2, 9)])
@pytest.mark.parametrize("precision", ["single", "double"])
def test_fft_frames_are_numpys_shifted_spectra(shape, precision):
    rng = np.random.default_rng(sum(shape))
    frames = (rng.random((2, 3) + shape) * 1000).astype(np.uint16)
    spectra = np.fft.fftshift(np.fft.fft2(frames.astype(np.float64)), axes=(-2, -1))
    rtol = 1e-12 if precision == "double" else 2e-5
    for output, expected, dtype in (("magnitude", np.abs(spectra), "float"), ("complex", spectra, "complex")):
        step = [{"operation": "fft", "params": {"output": output, "precision": precision}}]
        if output == "complex":
            # Complex frames are data to keep, not to reduce: the lazy view reads them back as they are.
            from jupyter_remotem.compute.views import apply_pipeline
            from jupyter_remotem.formats.memory import array_dataset

            with apply_pipeline(array_dataset(frames, nav_ndim=2), step) as view:
                got = view.read((slice(None),) * 4)
                assert got.dtype.kind == "c" and got.dtype.itemsize == (16 if precision == "double" else 8)
        else:
            got = reduce_array(frames, "frame_stats", {}, nav_ndim=2, pipeline=step).arrays["max"]
            expected = expected.reshape(-1, *shape).max(axis=0)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def test_a_fourier_filter_keeps_the_band_and_nothing_else():
    rng = np.random.default_rng(2)
    y, x = np.indices((24, 30))
    low = np.cos(2 * np.pi * (2 * x / 30 + 1 * y / 24))  # |k| = sqrt(5) = 2.2
    high = np.cos(2 * np.pi * (9 * x / 30))  # |k| = 9
    frames = np.stack([low + high + rng.normal(0, 0.01, (24, 30)) for _ in range(4)]).reshape(2, 2, 24, 30)
    expected = np.real(np.fft.ifft2(np.fft.fft2(frames) * _band((24, 30), 0, 4)))
    step = [{"operation": "fourier_filter", "params": {"r_out": 4, "precision": "double"}}]
    got = reduce_array(frames, "frame_stats", {}, nav_ndim=2, pipeline=step).arrays["mean"]
    np.testing.assert_allclose(got, expected.reshape(-1, 24, 30).mean(axis=0), atol=1e-10)
    # The low wave passes, the high one is gone.
    np.testing.assert_allclose(got, low + got.mean() - low.mean(), atol=0.02)
    band = [{"operation": "fourier_filter", "params": {"r_in": 8, "r_out": 10}}]
    only_high = reduce_array(frames, "frame_stats", {}, nav_ndim=2, pipeline=band).arrays["mean"]
    np.testing.assert_allclose(only_high, high, atol=0.02)


def test_nan_stays_in_its_frames_transform():
    frames = np.ones((1, 3, 8, 8), np.float32)
    frames[0, 1, 2, 2] = np.nan
    step = [{"operation": "fft", "params": {}}]
    from jupyter_remotem.compute.views import apply_pipeline
    from jupyter_remotem.formats.memory import array_dataset

    with apply_pipeline(array_dataset(frames, nav_ndim=2), step) as view:
        got = view.read((slice(None),) * 4)
    assert np.isnan(got[0, 1]).all() and np.isfinite(got[0, [0, 2]]).all()


async def test_a_job_writes_the_spectra_with_reciprocal_axes(jp_fetch, tmp_path, demo_dir):
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "fft", "params": {},
                             "output": {"repository": "results", "path": "spectra.h5"}})
    source = np.load(demo_dir / "scan.npy").astype(np.float32)
    with h5py.File(tmp_path / "results" / "spectra.h5", "r") as f:
        np.testing.assert_allclose(f["data"][:2], np.abs(np.fft.fftshift(np.fft.fft2(source[:2]), axes=(-2, -1))),
                                   rtol=2e-4, atol=1e-2)
        assert f["data"].dtype == np.float32
    code, source_meta = await call(jp_fetch, "GET", "repositories", "demo", "meta", "scan.h5")
    code, meta = await call(jp_fetch, "GET", "repositories", "results", "meta", "spectra.h5")
    assert code == 200, meta
    for before, after in zip(source_meta["dataset"]["axes"][2:], meta["dataset"]["axes"][2:]):
        assert after["name"] == f"freq_{before['name']}" and after["units"] == f"1/{before['units']}"
        assert after["scale"] == pytest.approx(1 / (before["size"] * before["scale"]))
        assert after["offset"] == pytest.approx(-(before["size"] // 2) * after["scale"])


async def test_fourier_steps_in_the_client(jp_fetch, client, demo_dir):  # noqa: F811
    from jupyter_remotem.client.errors import BadRequest

    ds = await in_thread(client.open, "demo", "scan.npy")
    spectra = ds.fft()
    assert spectra.dtype == np.float32 and spectra.geometry.axes[-1].name.startswith("freq_")
    assert ds.fft("complex", "double").dtype == np.complex128
    smooth = await in_thread(ds.fourier_filter(6).frame_stats, field="mean")
    frames = np.load(demo_dir / "scan.npy").astype(np.float64)
    expected = np.real(np.fft.ifft2(np.fft.fft2(frames) * _band(frames.shape[-2:], 0, 6))).reshape(-1, 64, 64)
    np.testing.assert_allclose(smooth, expected.mean(axis=0), rtol=1e-4, atol=1e-3)
    with pytest.raises(BadRequest, match="r_in < r_out"):
        ds.fourier_filter(2, r_in=3)


# -- turns of the scan ----------------------------------------------------------------------------
SCAN_TURNS = [
    ("flip", {"axis": "x"}, lambda a: a[:, ::-1]),
    ("flip", {"axis": "y"}, lambda a: a[::-1]),
    ("rotate", {"quarter_turns": 1}, lambda a: np.rot90(a, 1, axes=(0, 1))),
    ("rotate", {"quarter_turns": 2}, lambda a: np.rot90(a, 2, axes=(0, 1))),
    ("rotate", {"quarter_turns": 3}, lambda a: np.rot90(a, 3, axes=(0, 1))),
    ("transpose", {}, lambda a: np.swapaxes(a, 0, 1)),
]


@pytest.mark.parametrize(("operation", "params", "numpy_way"), SCAN_TURNS, ids=IDS)
def test_a_turned_scan_is_numpys_turned_positions(operation, params, numpy_way):
    from jupyter_remotem.compute.operations import get_operation
    from jupyter_remotem.compute.views import apply_pipeline
    from jupyter_remotem.formats.memory import array_dataset

    rng = np.random.default_rng(3)
    frames = rng.integers(0, 60000, (5, 7, 3, 2), dtype=np.uint16)  # odd, unequal scan sides; 1 × 2 frames
    step = {"operation": operation, "params": {**params, "on": "scan"}}
    expected = numpy_way(frames)
    with apply_pipeline(array_dataset(frames, nav_ndim=2), [step]) as view:
        np.testing.assert_array_equal(view.read((slice(None),) * 4), expected)
        np.testing.assert_array_equal(view.read((slice(1, 3), 2, slice(None), 1)), expected[1:3, 2, :, 1])
    # A reduction over the turned scan answers per turned position.
    sums = reduce_array(frames, "virtual_detector", {"detectors": [{"shape": "rectangle", "x": 0, "y": 0,
                                                                    "width": 2, "height": 3}]},
                        nav_ndim=2, pipeline=[step]).arrays["intensity"][..., 0]
    np.testing.assert_array_equal(sums, expected.sum(axis=(-2, -1), dtype=np.int64))
    # A job writes whole output rows from slabs whose frames it reads in file order.
    dataset = array_dataset(frames, nav_ndim=2)
    plan = get_operation(operation).plan_for(dataset, step["params"])
    slabs = plan.slabs(target_bytes=3 * frames[0, 0].nbytes)
    assert all(np.all(np.diff(slab.partition.selected) > 0) for slab in slabs)
    written = np.concatenate([plan.apply(dataset.read_frames(slab.partition.selected), slab) for slab in slabs])
    np.testing.assert_array_equal(written, expected)


def test_scan_turns_where_they_cannot_apply_are_refused():
    one_axis = np.arange(6 * 4, dtype=np.float32).reshape(6, 2, 2)
    flipped = reduce_array(one_axis, "frame_stats", {}, nav_ndim=1,
                           pipeline=[{"operation": "flip", "params": {"axis": "x", "on": "scan"}}])
    np.testing.assert_array_equal(flipped.arrays["max"], one_axis.max(axis=0))
    with pytest.raises(BadParameter, match="can only be flipped along it"):
        reduce_array(one_axis, "frame_stats", {}, nav_ndim=1,
                     pipeline=[{"operation": "rotate", "params": {"quarter_turns": 1, "on": "scan"}}])
    with pytest.raises(BadParameter, match=r"turns two scan axes; this scan has shape \[2, 3, 4\]"):
        reduce_array(np.zeros((2, 3, 4, 2, 2), np.float32), "frame_stats", {}, nav_ndim=3,
                     pipeline=[{"operation": "transpose", "params": {"on": "scan"}}])
    with pytest.raises(BadParameter, match="Parameter 'on' of flip must be one of 'frame', 'scan'"):
        reduce_array(one_axis, "frame_stats", {}, nav_ndim=1,
                     pipeline=[{"operation": "flip", "params": {"axis": "x", "on": "both"}}])


async def test_a_job_turns_the_scan_with_its_axes(jp_fetch, tmp_path, demo_dir):
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "rotate",
                             "params": {"quarter_turns": 1, "on": "scan"},
                             "output": {"repository": "results", "path": "turned_scan.h5"}})
    with h5py.File(tmp_path / "results" / "turned_scan.h5", "r") as f:
        np.testing.assert_array_equal(f["data"][()], np.rot90(np.load(demo_dir / "scan.npy"), 1, axes=(0, 1)))
    code, source = await call(jp_fetch, "GET", "repositories", "demo", "meta", "scan.h5")
    code, meta = await call(jp_fetch, "GET", "repositories", "results", "meta", "turned_scan.h5")
    assert code == 200, meta
    before = [(a["name"], a["size"], a["scale"]) for a in source["dataset"]["axes"]]
    after = [(a["name"], a["size"], a["scale"]) for a in meta["dataset"]["axes"]]
    assert after == [before[1], before[0]] + before[2:]


async def test_scan_turns_in_the_client(jp_fetch, client, demo_dir):  # noqa: F811
    from jupyter_remotem.client.errors import BadRequest
    from jupyter_remotem.client.local import local

    source = np.load(demo_dir / "scan.npy")
    ds = await in_thread(client.open, "demo", "scan.npy")
    turned = await in_thread(lambda: ds.crop(nav=[(0, 5), None]).transpose(on="scan"))
    assert turned.nav_shape == (source.shape[1], 5) and turned.pipeline[-1]["params"] == {"on": "scan"}
    remote = await in_thread(turned.virtual_detector, [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}])
    here = local(source, 2).crop(nav=[(0, 5), None]).transpose(on="scan")
    assert here.nav_shape == turned.nav_shape
    np.testing.assert_allclose(remote, here.virtual_detector([{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]))
    assert ds.flip("x").pipeline[-1]["params"] == {"axis": "x"}
    with pytest.raises(BadRequest, match="'frame' or the 'scan'"):
        ds.flip("x", on="both")
