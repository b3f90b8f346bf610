"""``decomposition`` (PCA of the frames, two passes) against numpy's SVD of the centred frames:
components up to sign, scores, explained variance; over many partitions, with NaN frames, an ROI,
odd and tiny frames, integer data near overflow, a resumed run, and through the REST API."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import api_path, call

from jupyter_remotem.compute.executor import run_plan
from jupyter_remotem.compute.operations import OPERATIONS
from jupyter_remotem.compute.partitions import make_partitions
from jupyter_remotem.compute.reductions import reduce_array
from jupyter_remotem.compute.roi import roi_indices
from jupyter_remotem.errors import BadParameter
from jupyter_remotem.formats.memory import array_dataset
from jupyter_remotem.kernels.decomposition import rgb_composite


def numpy_pca(frames: np.ndarray, k: int, finite_only: bool = True):
    """Components (k, pixels), scores (n, k) and explained-variance ratios, by numpy's SVD."""
    flat = frames.reshape(len(frames), -1).astype(np.float64)
    used = flat[np.isfinite(flat).all(axis=1)] if finite_only else flat
    mean = used.mean(axis=0)
    _, singular, vectors = np.linalg.svd(used - mean, full_matrices=False)
    return vectors[:k], (flat - mean) @ vectors[:k].T, singular[:k] ** 2 / (singular**2).sum(), \
        singular[:k] ** 2 / (len(used) - 1), mean


def run(frames: np.ndarray, nav_ndim: int, k: int, frames_per_partition: int, roi=None):
    dataset = array_dataset(frames, nav_ndim)
    plan = OPERATIONS["decomposition"].plan_for(dataset, {"components": k})
    visited = roi_indices(roi, dataset.nav_shape)
    parts = make_partitions(dataset.n_frames, dataset.frame_nbytes, visited,
                            target_bytes=frames_per_partition * dataset.frame_nbytes)
    return run_plan(dataset, plan, parts, visited), len(parts)


def as_rows(components: np.ndarray) -> np.ndarray:
    """(sig..., k) as served -> (k, pixels)."""
    return np.moveaxis(components, -1, 0).reshape(components.shape[-1], -1)


def assert_same_up_to_sign(ours: np.ndarray, theirs: np.ndarray, atol: float) -> np.ndarray:
    signs = np.sign(np.sum(ours * theirs, axis=1))
    assert np.all(signs != 0)
    np.testing.assert_allclose(ours, theirs * signs[:, None], atol=atol)
    return signs


@pytest.mark.parametrize(("shape", "dtype", "k", "per_partition"), [
    ((7, 9, 5, 7), np.float64, 4, 5),  # 35 pixels: the sketch keeps every direction, so exact
    ((63, 3, 3), np.float32, 9, 4),  # as many components as pixels
    ((4, 5, 1, 11), np.uint16, 3, 3),  # a row detector
    ((2, 50, 6, 5), np.int32, 5, 7),
])
def test_small_frames_give_numpys_components_exactly_over_any_partitions(shape, dtype, k, per_partition):
    rng = np.random.default_rng(sum(shape))
    frames = (rng.random(shape) * 1000).astype(dtype)
    result, n_parts = run(frames, len(shape) - 2, k, per_partition)
    assert n_parts > 2
    stack = frames.reshape((-1,) + shape[-2:])
    vectors, scores, ratio, variance, mean = numpy_pca(stack, k)
    signs = assert_same_up_to_sign(as_rows(result.arrays["components"]), vectors, 1e-9)
    np.testing.assert_allclose(result.arrays["scores"].reshape(-1, k), scores * signs, atol=1e-7)
    np.testing.assert_allclose(result.arrays["variance_ratio"], ratio, rtol=1e-9)
    np.testing.assert_allclose(result.arrays["variance"], variance, rtol=1e-9)
    np.testing.assert_allclose(result.arrays["mean"], mean.reshape(shape[-2:]), rtol=1e-12)
    assert result.arrays["scores"].shape == shape[:-2] + (k,)
    assert result.arrays["components"].shape == shape[-2:] + (k,)


def low_rank_scan(nav: tuple[int, ...], sig: tuple[int, int], strengths: list[float], noise: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    patterns = rng.standard_normal((len(strengths),) + sig)
    weights = rng.standard_normal(nav + (len(strengths),)) * strengths
    return np.einsum("...k,kij->...ij", weights, patterns) + 100 + rng.standard_normal(nav + sig) * noise


def test_large_frames_streamed_through_a_cut_sketch_keep_the_leading_components():
    """4096-pixel frames, far more directions than the sketch keeps: the leading components,
    their scores and variances stay numpy's while the noise below them is cut."""
    frames = low_rank_scan((24, 30), (64, 64), [40, 20, 10, 5, 2], noise=0.05)
    result, n_parts = run(frames, 2, 5, 37)
    assert n_parts >= 19
    vectors, scores, ratio, variance, _ = numpy_pca(frames.reshape(-1, 64, 64), 5)
    signs = assert_same_up_to_sign(as_rows(result.arrays["components"]), vectors, 1e-4)
    np.testing.assert_allclose(result.arrays["scores"].reshape(-1, 5), scores * signs, rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(result.arrays["variance_ratio"], ratio, rtol=1e-4)
    np.testing.assert_allclose(result.arrays["variance"], variance, rtol=1e-4)


def test_integers_near_their_limit_do_not_overflow():
    rng = np.random.default_rng(4)
    frames = (np.iinfo(np.uint16).max - rng.integers(0, 50, (6, 8, 4, 4))).astype(np.uint16)
    result, _ = run(frames, 2, 3, 5)
    vectors, scores, ratio, _, _ = numpy_pca(frames.reshape(-1, 4, 4), 3)
    signs = assert_same_up_to_sign(as_rows(result.arrays["components"]), vectors, 1e-9)
    np.testing.assert_allclose(result.arrays["scores"].reshape(-1, 3), scores * signs, atol=1e-8)


def test_frames_holding_nan_are_left_out_of_the_fit_and_score_nan():
    rng = np.random.default_rng(5)
    frames = rng.random((5, 6, 4, 5))
    frames[1, 2, 3, 0] = np.nan
    frames[4, 5, 0, 0] = np.inf
    result, _ = run(frames, 2, 3, 4)
    vectors, scores, *_ = numpy_pca(frames.reshape(-1, 4, 5), 3)
    signs = assert_same_up_to_sign(as_rows(result.arrays["components"]), vectors, 1e-9)
    got = result.arrays["scores"]
    assert np.isnan(got[1, 2]).all() and np.isnan(got[4, 5]).all()
    finite = np.isfinite(frames.reshape(30, -1)).all(axis=1)
    np.testing.assert_allclose(got.reshape(30, 3)[finite], (scores * signs)[finite], atol=1e-9)
    assert result.attributes["frames"] == 28


def test_an_roi_fits_only_its_frames_and_leaves_the_rest_nan():
    rng = np.random.default_rng(6)
    frames = rng.random((8, 9, 3, 4))
    roi = {"shape": "rectangle", "x": 2, "y": 1, "width": 4, "height": 5}
    result, _ = run(frames, 2, 2, 3, roi)
    inside = np.zeros(8 * 9, bool)
    inside[roi_indices(roi, (8, 9))] = True
    inside = inside.reshape(8, 9)
    assert 0 < inside.sum() < 72
    vectors, scores, *_ = numpy_pca(frames[inside], 2)
    signs = assert_same_up_to_sign(as_rows(result.arrays["components"]), vectors, 1e-9)
    got = result.arrays["scores"]
    assert np.isnan(got[~inside]).all()
    np.testing.assert_allclose(got[inside], scores * signs, atol=1e-9)


def test_an_empty_roi_and_constant_frames_answer_zero_components_not_an_error():
    empty, _ = run(np.ones((3, 4, 5, 5)), 2, 2, 3, {"shape": "rectangle", "x": 10, "y": 10, "width": 1, "height": 1})
    assert np.isnan(empty.arrays["scores"]).all() and not empty.arrays["components"].any()
    assert empty.attributes["frames"] == 0 and empty.arrays["rgb"].max() == 0
    flat, _ = run(np.full((3, 4, 5, 5), 7.0), 2, 2, 3)
    assert not flat.arrays["scores"].any() and not flat.arrays["components"].any()
    assert (flat.arrays["variance_ratio"] == 0).all() and flat.attributes["found"] == 0


def test_more_components_than_the_data_spans_are_zero():
    frames = low_rank_scan((6, 7), (5, 6), [3.0, 1.0], noise=0.0)
    result = reduce_array(frames, "decomposition", {"components": 5}, nav_ndim=2)
    vectors = as_rows(result.arrays["components"])
    assert result.attributes["found"] == 2
    assert not vectors[2:].any() and not result.arrays["scores"][..., 2:].any()
    np.testing.assert_allclose(result.arrays["variance_ratio"][:2].sum(), 1.0, rtol=1e-9)


def test_the_rgb_picture_stretches_each_of_the_first_three_scores():
    rng = np.random.default_rng(7)
    frames = rng.random((10, 12, 4, 4))
    result = reduce_array(frames, "decomposition", {"components": 4}, nav_ndim=2)
    scores, rgb = result.arrays["scores"], result.arrays["rgb"]
    assert rgb.shape == (10, 12, 3) and rgb.dtype == np.uint8
    for channel in range(3):
        low, high = np.percentile(scores[..., channel], [0.5, 99.5])
        expected = np.rint(np.clip((scores[..., channel] - low) / (high - low), 0, 1) * 255)
        np.testing.assert_array_equal(rgb[..., channel], expected)
    two = rgb_composite(np.array([[1.0, np.nan], [3.0, 2.0]])[None])
    assert two.shape == (1, 2, 3) and (two[..., 2] == 0).all() and two[0, 0, 0] == 0 and two[0, 1, 1] == 0


def test_asking_for_more_components_than_pixels_is_a_clear_400():
    with pytest.raises(BadParameter, match="7 components of frames of 6 pixels"):
        reduce_array(np.zeros((3, 2, 3)), "decomposition", {"components": 7}, nav_ndim=1)
    with pytest.raises(BadParameter, match="components"):
        reduce_array(np.zeros((3, 8, 8)), "decomposition", {"components": 0}, nav_ndim=1)


def test_a_run_resumed_in_its_second_pass_reads_only_what_is_missing_and_answers_the_same():
    frames = low_rank_scan((10, 12), (8, 8), [5, 2, 1], noise=0.1, seed=8)
    dataset = array_dataset(frames, 2)
    plan = OPERATIONS["decomposition"].plan_for(dataset, {"components": 3})
    parts = make_partitions(dataset.n_frames, dataset.frame_nbytes, target_bytes=11 * dataset.frame_nbytes)
    recorded: dict[int, object] = {}
    whole = run_plan(dataset, plan, parts, on_partial=lambda p, partial: recorded.setdefault(p.index, partial))
    assert sorted(recorded) == list(range(2 * len(parts)))  # each pass's partitions have their own numbers
    kept = {i: partial for i, partial in recorded.items() if i < len(parts) + len(parts) // 2}
    computed, progress = [], []
    again = run_plan(dataset, plan, parts, progress=progress.append,
                     resumed=lambda numbered, _plan: {p.index: kept[p.index] for p in numbered if p.index in kept},
                     on_partial=lambda p, _partial: computed.append(p.index))
    assert computed == list(range(len(parts) + len(parts) // 2, 2 * len(parts)))
    assert progress[-1].frames_done == progress[-1].frames_total == 2 * dataset.n_frames
    for name, array in whole.arrays.items():
        np.testing.assert_array_equal(again.arrays[name], array, err_msg=name)


async def test_over_rest_the_components_and_scores_are_numpys(jp_fetch, demo_dir):
    scan = np.load(demo_dir / "scan.npy")
    body = {"repository": "demo", "path": "scan.npy", "operation": "decomposition", "params": {"components": 3}}
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npz"}, body=json.dumps(body))
    arrays = np.load(io.BytesIO(response.body))
    assert response.headers["X-Remotem-Primary"] == "scores"
    vectors, scores, ratio, *_ = numpy_pca(scan.reshape((-1,) + scan.shape[-2:]), 3)
    assert arrays["components"].shape == scan.shape[-2:] + (3,)
    signs = assert_same_up_to_sign(as_rows(arrays["components"]), vectors, 1e-6)
    np.testing.assert_allclose(arrays["scores"].reshape(-1, 3), scores * signs, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(arrays["variance_ratio"], ratio, rtol=1e-6)
    assert arrays["rgb"].dtype == np.uint8 and arrays["rgb"].shape == scan.shape[:2] + (3,)

    code, answer = await call(jp_fetch, "POST", "reductions", body=dict(body, params={"components": "many"}))
    assert code == 400 and "components" in answer["error"]["message"]



# -- NMF ---------------------------------------------------------------------------------------
def parts_scan(nav: tuple[int, ...], side: int, seed: int, noise: float = 1e-3):
    """Frames that are non-negative mixtures of three blobs (phases): truth to recover."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:side, :side]
    centres = [(0.25, 0.25, 8), (0.7, 0.35, 8), (0.5, 0.75, 10)]
    parts = np.stack([np.exp(-((yy - cy * side) ** 2 + (xx - cx * side) ** 2) / width)
                      for cy, cx, width in centres]).reshape(3, -1)
    weights = rng.gamma(1.0, 1.0, (int(np.prod(nav)), 3))
    frames = weights @ parts + rng.normal(0, noise, (len(weights), side * side))
    return frames.reshape(nav + (side, side)), parts / np.linalg.norm(parts, axis=1, keepdims=True)


def run_nmf(frames, nav_ndim, k, iterations, per_partition, roi=None):
    dataset = array_dataset(frames, nav_ndim)
    plan = OPERATIONS["decomposition"].plan_for(dataset, {"components": k, "method": "nmf",
                                                          "iterations": iterations})
    visited = roi_indices(roi, dataset.nav_shape)
    parts = make_partitions(dataset.n_frames, dataset.frame_nbytes, visited,
                            target_bytes=per_partition * dataset.frame_nbytes)
    progress = []
    return run_plan(dataset, plan, parts, visited, progress=progress.append), plan, progress


def test_nmf_finds_the_parts_the_frames_are_mixed_from_and_scores_are_scipys_nnls():
    from scipy.optimize import nnls

    frames, truth = parts_scan((15, 17), 21, seed=2)  # odd shapes, partitions cut mid-row
    result, plan, progress = run_nmf(frames, 2, 3, 40, 19)
    assert plan.passes == 42 and progress[-1].frames_done == progress[-1].frames_total == 42 * 15 * 17
    found = as_rows(result.arrays["components"])
    assert (found >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(found, axis=1), 1.0, rtol=1e-12)
    match = np.abs(found @ truth.T).max(axis=0)
    assert (match > 0.998).all(), match  # overlapping parts: NMF converges on them slowly
    scores = result.arrays["scores"].reshape(-1, 3)
    assert (scores >= 0).all() and result.attributes["method"] == "nmf"
    flat = np.maximum(frames.reshape(len(scores), -1), 0)
    for i in range(0, len(scores), 37):
        reference, _ = nnls(found.T, flat[i])
        np.testing.assert_allclose(scores[i], reference, rtol=1e-6, atol=1e-8 * reference.max())
    error = np.linalg.norm(flat - scores @ found) / np.linalg.norm(flat)
    assert error < 5e-3 and result.attributes["relative_error"] == pytest.approx(error, rel=0.05)
    assert result.arrays["rgb"].shape == (15, 17, 3) and result.arrays["rgb"].dtype == np.uint8


def test_nmf_is_the_same_over_any_partitions_and_counts_negatives_as_zero():
    frames, _ = parts_scan((6, 7), 9, seed=4, noise=0.05)  # noise makes some pixels negative
    assert (frames < 0).any()
    one, _, _ = run_nmf(frames, 2, 3, 6, 10_000)
    many, _, _ = run_nmf(frames, 2, 3, 6, 4)
    clipped, _, _ = run_nmf(np.maximum(frames, 0), 2, 3, 6, 5)
    for name in ("scores", "components", "variance"):
        np.testing.assert_allclose(many.arrays[name], one.arrays[name], rtol=1e-9, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(clipped.arrays[name], one.arrays[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_nmf_leaves_frames_holding_nan_and_outside_the_roi_out_and_scores_them_nan():
    frames, _ = parts_scan((8, 9), 10, seed=6)
    frames[2, 3, 4, 4] = np.nan
    roi = {"shape": "rectangle", "x": 1, "y": 1, "width": 6, "height": 5}
    result, _, _ = run_nmf(frames, 2, 2, 5, 7, roi)
    scores = result.arrays["scores"]
    inside = np.zeros((8, 9), bool)
    inside[roi_indices(roi, (8, 9)) // 9, roi_indices(roi, (8, 9)) % 9] = True
    assert np.isnan(scores[2, 3]).all() and np.isnan(scores[~inside]).all()
    usable = inside.copy()
    usable[2, 3] = False
    assert np.isfinite(scores[usable]).all() and (scores[usable] >= 0).all()
    assert result.attributes["frames"] == usable.sum()


def test_nmf_parameters_are_checked():
    dataset = array_dataset(np.ones((3, 4, 5, 5)), 2)
    with pytest.raises(BadParameter, match="method"):
        OPERATIONS["decomposition"].plan_for(dataset, {"method": "ica"})
    with pytest.raises(BadParameter, match="iterations"):
        OPERATIONS["decomposition"].plan_for(dataset, {"method": "nmf", "iterations": 0})
    assert OPERATIONS["decomposition"].plan_for(dataset, {"components": 2}).passes == 2
