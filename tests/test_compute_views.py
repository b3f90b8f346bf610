"""Lazy views (pipelines and subsampled scans) read the same values numpy computes."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.compute.executor import run_plan
from jupyter_remotem.compute.operations import get_operation
from jupyter_remotem.compute.partitions import dataset_partitions
from jupyter_remotem.compute.reductions import bytes_per_frame, reduce_array
from jupyter_remotem.compute.views import apply_pipeline, check_pipeline, coarse_step, subsampled
from jupyter_remotem.errors import BadParameter
from jupyter_remotem.formats.memory import array_dataset
from jupyter_remotem.kernels import from_spec

ALL = (slice(None),) * 4


def crop(nav=None, sig=None):
    return {"operation": "crop", "params": {"nav": nav, "sig": sig}}


def binning(nav=None, sig=None, reduce="mean"):
    return {"operation": "bin", "params": {"nav": nav, "sig": sig, "reduce": reduce}}


def boxes(array, factors, reduce):
    """Plain numpy binning of a 4-D array (trailing remainders dropped)."""
    shape, kept = [], []
    for n, f in zip(array.shape, factors):
        shape += [n // f, f]
        kept.append(slice(0, n - n % f))
    blocks = array[tuple(kept)].reshape(shape)
    return blocks.sum(axis=(1, 3, 5, 7)) if reduce == "sum" else blocks.mean(axis=(1, 3, 5, 7))


@pytest.fixture
def odd():
    """An odd-shaped uint16 scan whose bin sums overflow uint16."""
    rng = np.random.default_rng(7)
    return rng.integers(60000, 65535, (7, 9, 5, 6), dtype=np.uint16)


def test_crop_then_bin_sum_equals_numpy_without_overflow(odd):
    view = apply_pipeline(array_dataset(odd), [crop(nav=[[1, 7], [0, 8]], sig=[[1, 5], None]),
                                                binning(nav=[2, 2], sig=[2, 1], reduce="sum")])
    expected = boxes(odd[1:7, 0:8, 1:5, :].astype(np.int64), (2, 2, 2, 1), "sum")
    got = view.read(ALL)
    assert got.shape == view.shape == expected.shape
    assert got.dtype.kind == "u" and got.dtype.itemsize >= 4
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(view.read_frames(np.array([5, 0, 5])), expected.reshape(-1, 2, 6)[[5, 0, 5]])


def test_bin_mean_over_scan_with_remainders_and_nan():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(5, 7, 4, 3)).astype(np.float32)
    data[2, 3, 1, 1] = np.nan
    view = apply_pipeline(array_dataset(data), [binning(nav=[2, 3])])
    expected = boxes(data.astype(np.float64), (2, 3, 1, 1), "mean")
    np.testing.assert_allclose(view.read(ALL), expected, rtol=1e-6)
    assert np.isnan(view.read(ALL)[1, 1, 1, 1])


def test_integer_indices_drop_axes_like_numpy(odd):
    view = apply_pipeline(array_dataset(odd), [crop(nav=[[2, 6], None])])
    reference = odd[2:6]
    for selection in [(1, slice(None), 0, slice(1, 4)), (slice(None, None, 2), 3), (0, 0, 0, 0),
                      (slice(-2, None), slice(1, 8, 3), slice(None), 5)]:
        np.testing.assert_array_equal(view.read(selection), reference[selection])


def test_cast_step_and_axes_follow_the_plan(odd):
    view = apply_pipeline(array_dataset(odd), [{"operation": "cast", "params": {"dtype": "float32", "scale": 0.5}}])
    assert view.dtype == np.float32
    np.testing.assert_allclose(view.read(ALL), odd * 0.5)
    binned = apply_pipeline(array_dataset(odd), [binning(sig=[2, 3])])
    assert [a.scale for a in binned.axes[2:]] == [2.0, 3.0]
    assert binned.metadata["pipeline"][-1]["operation"] == "bin"


def test_views_nest_and_reduce_like_the_numpy_reference(odd):
    data = odd.astype(np.float64)
    view = apply_pipeline(array_dataset(odd), [crop(sig=[[0, 4], [0, 6]]), binning(sig=[2, 2], reduce="sum")])
    ring = {"shape": "ring", "cx": 1, "cy": 0.5, "ri": 0.5, "ro": 1.2}
    result = reduce_array(view.read(ALL), "virtual_detector", {"detectors": [ring]}).arrays["intensity"][..., 0]
    mask = from_spec(ring, (2, 3)).astype(np.float64)
    expected = np.einsum("yxij,ij->yx", boxes(data[:, :, 0:4, 0:6], (1, 1, 2, 2), "sum"), mask)
    assert 0 < mask.sum() < mask.size
    # The plan also runs on the view itself, partition by partition, as a request does.
    plan = get_operation("virtual_detector").plan(view, {"detectors": [ring]})
    direct = run_plan(view, plan, dataset_partitions(view, None, target_bytes=3 * view.frame_nbytes))
    np.testing.assert_array_equal(direct.arrays["intensity"][..., 0], expected)
    np.testing.assert_array_equal(result, expected)


def test_subsampled_scan_and_coarse_step(odd):
    view = subsampled(array_dataset(odd), 3)
    np.testing.assert_array_equal(view.read(ALL), odd[::3, ::3])
    assert view.axes[0].scale == 3.0 and view.nav_shape == (3, 3)
    assert subsampled(array_dataset(odd), 1).shape == odd.shape
    assert coarse_step((64, 24)) == 1
    assert coarse_step((256, 256)) == 4
    assert 256 * 256 / coarse_step((256, 256)) ** 2 <= 4096
    assert coarse_step((100000,)) == 25


def test_bytes_read_count_whole_source_frames(odd):
    dataset = array_dataset(odd)
    view = apply_pipeline(dataset, [crop(sig=[[0, 2], [0, 2]]), binning(nav=[2, 2])])
    assert bytes_per_frame(view) == 4 * dataset.frame_nbytes


@pytest.mark.parametrize("pipeline, fragment", [
    ("crop", "must be a list"),
    ([{"operation": "virtual_detector", "params": {}}], "cannot be chained"),
    ([{"operation": "crop", "params": [1]}], "'params' must be an object"),
    ([{"operation": "crop", "extra": 1}], "must be an object with"),
])
def test_bad_pipelines_are_refused(pipeline, fragment):
    with pytest.raises(BadParameter, match=fragment):
        check_pipeline(pipeline)


def test_pipeline_parameters_are_checked_against_the_data(odd):
    with pytest.raises(BadParameter, match="outside the data"):
        apply_pipeline(array_dataset(odd), [crop(nav=[[0, 99], None])])


def test_a_cancelled_request_stops_before_answering(demo_dir):
    """What a dropped connection does to an interactive reduction (the handler sets the event)."""
    import threading

    from jupyter_remotem.compute.executor import Cancelled
    from jupyter_remotem.compute.reductions import ReductionRequest, run_reduction
    from jupyter_remotem.storage.repository import Repository, RepositoryConfig

    repository = Repository(RepositoryConfig.from_dict({"name": "demo", "url": str(demo_dir)}))
    request = ReductionRequest.from_json({"repository": "demo", "path": "scan.h5", "operation": "frame_stats"})
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        run_reduction(repository, request, None, 60.0, cancel)
    result, stats = run_reduction(repository, request, None, 60.0, threading.Event())
    assert stats.frames == result.attributes["count"] > 0


def test_a_range_roi_selects_indices_of_a_one_axis_scan():
    from jupyter_remotem.compute.roi import roi_indices

    np.testing.assert_array_equal(roi_indices({"shape": "range", "start": 3, "stop": 7}, (10,)), [3, 4, 5, 6])
    np.testing.assert_array_equal(roi_indices({"shape": "range", "start": 9, "stop": 10}, (10,)), [9])
    for bad, fragment in [({"start": 5, "stop": 5}, "0 <= start < stop"), ({"start": 0, "stop": 11}, "<= 10"),
                          ({"start": 0.5, "stop": 2}, "integers"), ({"start": 0, "stop": 2, "step": 1}, "only")]:
        with pytest.raises(BadParameter, match=fragment):
            roi_indices({"shape": "range", **bad}, (10,))
    with pytest.raises(BadParameter, match="one axis"):
        roi_indices({"shape": "range", "start": 0, "stop": 2}, (4, 4))
    stack = np.arange(6 * 2 * 2, dtype=np.float64).reshape(6, 2, 2)
    mean = reduce_array(stack, "frame_stats", {}, nav_ndim=1, roi={"shape": "range", "start": 1, "stop": 4})
    np.testing.assert_allclose(mean.arrays["mean"], stack[1:4].mean(axis=0))


def test_a_pipeline_of_a_thousand_steps_reads_without_recursing(odd):
    """Views keep a flat list of stages: a step adds no Python stack depth, so even a pipeline far
    beyond the request limit (which only requests have) reads the values numpy computes."""
    import sys

    steps = [crop(nav=[[0, 7], [0, 9]])] * 997 + [binning(sig=[1, 2], reduce="sum"), crop(nav=[[1, 6], None]),
                                                   {"operation": "cast", "params": {"dtype": "float64"}}]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # far below the 1,000 steps; nested views needed several frames per step
    try:
        view = apply_pipeline(array_dataset(odd), steps)
        got = view.read(ALL)
        frames = view.read_frames(np.array([3, 0]))
    finally:
        sys.setrecursionlimit(limit)
    expected = boxes(odd.astype(np.int64), (1, 1, 1, 2), "sum")[1:6].astype(np.float64)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(frames, expected.reshape(-1, 5, 3)[[3, 0]])
    assert len(view.metadata["pipeline"]) == 1000 and bytes_per_frame(view) == odd[0, 0].nbytes
