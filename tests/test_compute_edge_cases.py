"""Reductions through the whole compute path on awkward data: dtypes, odd shapes, NaN, overflow."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.compute.executor import run_plan
from jupyter_remotem.compute.operations import CenterOfMassPlan, FrameStatsPlan, VirtualDetectorPlan
from jupyter_remotem.compute.partitions import make_partitions
from jupyter_remotem.compute.roi import roi_indices
from jupyter_remotem.formats import open_dataset
from jupyter_remotem.kernels import from_spec
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

DTYPES = ["float32", "float64", "uint8", "uint16", "uint32", "int16", "int32", "int64"]
SHAPES = [(1, 9, 7, 13), (5, 1, 1, 1), (3, 4, 7, 13), (2, 3, 16, 16)]


def run(tmp_path, data, plan_factory, roi=None, per_partition=2):
    np.save(tmp_path / "data.npy", data)
    repo = Repository(RepositoryConfig.from_dict({"name": "t", "url": str(tmp_path)}))
    with open_dataset(repo, "data.npy") as ds:
        visited = roi_indices(roi, ds.nav_shape)
        parts = make_partitions(ds.n_frames, ds.frame_nbytes, visited, target_bytes=ds.frame_nbytes * per_partition)
        return run_plan(ds, plan_factory(ds), parts, visited)


def random_data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(10, 5, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    high = min(info.max, 1000)
    low = max(info.min, -1000)
    return rng.integers(low, high, size=shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_virtual_detectors_on_any_dtype_and_shape(tmp_path, dtype, shape):
    data = random_data(shape, dtype)
    sig = shape[2:]
    detectors = [
        {"shape": "disk", "cx": sig[1] / 2, "cy": sig[0] / 2, "r": max(sig) / 3},
        {"shape": "rectangle", "x": sig[1] - 2, "y": -3, "width": 10, "height": 5},  # past the frame
        {"shape": "point", "cx": 500, "cy": 500},  # wholly outside: empty
    ]
    result = run(tmp_path, data, lambda ds: VirtualDetectorPlan(ds, {"detectors": detectors}))
    masks = np.stack([from_spec(d, sig) for d in detectors]).astype(np.float64)
    expected = np.einsum("yxij,kij->yxk", data.astype(np.float64), masks)
    got = result.arrays["intensity"]
    assert got.shape == shape[:2] + (3,)
    np.testing.assert_allclose(got.astype(np.float64), expected, rtol=1e-6 if dtype == "float32" else 1e-12)
    assert not got[..., 2].any()


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "int64"])
def test_integer_sums_do_not_overflow(tmp_path, dtype):
    top = {"uint16": 65535, "uint32": 2**32 - 1, "int64": 2**40}[dtype]
    data = np.full((2, 2, 64, 64), top, dtype=dtype)
    whole = [{"shape": "rectangle", "x": 0, "y": 0, "width": 63, "height": 63}]
    vd = run(tmp_path, data, lambda ds: VirtualDetectorPlan(ds, {"detectors": whole}))
    assert int(vd.arrays["intensity"][0, 0, 0]) == top * 64 * 64
    stats = run(tmp_path, data, lambda ds: FrameStatsPlan(ds, {}))
    assert int(stats.arrays["sum"][0, 0]) == top * 4
    assert stats.arrays["max"][5, 5] == top


def test_nan_reaches_only_what_covers_it(tmp_path):
    data = np.ones((2, 3, 8, 8), np.float32)
    data[1, 2, 0, 0] = np.nan
    detectors = [{"shape": "rectangle", "x": 0, "y": 0, "width": 1, "height": 1},
                 {"shape": "disk", "cx": 5, "cy": 5, "r": 1}]
    got = run(tmp_path, data, lambda ds: VirtualDetectorPlan(ds, {"detectors": detectors})).arrays["intensity"]
    assert np.isnan(got[1, 2, 0])
    assert np.isfinite(got[1, 2, 1]) and np.isfinite(got[0, 0, 0])
    stats = run(tmp_path, data, lambda ds: FrameStatsPlan(ds, {}))
    assert np.isnan(stats.arrays["sum"][0, 0]) and stats.arrays["sum"][3, 3] == 6


@pytest.mark.parametrize(
    "roi",
    [
        {"shape": "rectangle", "x": 0, "y": 0, "width": 0, "height": 0},
        {"shape": "rectangle", "x": -5, "y": -5, "width": 100, "height": 100},
        {"shape": "disk", "cx": 1, "cy": 1, "r": 1},
        {"shape": "polygon", "vertices": [[0, 0], [4, 0], [0, 3]]},
        {"shape": "weights", "values": [[1, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]},
    ],
)
def test_roi_edge_cases_match_numpy(tmp_path, roi):
    data = random_data((4, 5, 6, 7), "uint16")
    inside = from_spec(roi, (4, 5)) != 0
    stats = run(tmp_path, data, lambda ds: FrameStatsPlan(ds, {}), roi=roi)
    frames = data[inside].astype(np.float64)
    assert stats.attributes["count"] == inside.sum()
    np.testing.assert_allclose(stats.arrays["sum"], frames.sum(axis=0))
    if inside.sum():
        np.testing.assert_allclose(stats.arrays["mean"], frames.mean(axis=0))
        np.testing.assert_allclose(stats.arrays["std"], frames.std(axis=0), atol=1e-9)
    com = run(tmp_path, data, lambda ds: CenterOfMassPlan(ds, {}), roi=roi)
    assert np.isnan(com.arrays["com_y"][~inside]).all()
    assert np.isfinite(com.arrays["com_y"][inside]).all()
