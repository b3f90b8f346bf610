"""Binary masks through one label image (disjoint regions, summed back per mask) against plain numpy."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.kernels import MaskSet, masks
from jupyter_remotem.kernels.labels import MAX_ATOMS, MAX_RUN, Labels


def numpy_sums(frames: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """Exact masked sums: Python integers for integer data, float64 (no partial sums) for floats."""
    flat = frames.reshape(len(frames), -1)
    if frames.dtype.kind in "iu":
        return np.array([[int(f[m.ravel()].astype(object).sum()) for m in stack] for f in flat], dtype=object)
    return flat.astype(np.float64) @ stack.reshape(len(stack), -1).T.astype(np.float64)


def labels_of(stack: np.ndarray) -> MaskSet:
    ms = MaskSet(stack, representation="labels")
    assert ms.representation == "labels"
    return ms


def rings(sig, count, width, step, cx=None, cy=None):
    h, w = sig
    cx = (w - 1) / 2 if cx is None else cx
    cy = (h - 1) / 2 if cy is None else cy
    return np.stack([masks.ring(cx, cy, i * step, i * step + width, sig) for i in range(count)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sig", [(128, 128), (37, 53), (1, 9), (5, 1)])
def test_disjoint_and_overlapping_rings_match_numpy_on_floats(dtype, sig):
    rng = np.random.default_rng(sum(sig))
    frames = (rng.standard_normal((19, *sig)) * 100 + 30).astype(dtype)
    for stack in (rings(sig, 16, 4, 4), rings(sig, 16, 16, 3)):
        out = labels_of(stack).apply(frames)
        ref = numpy_sums(frames, stack)
        scale = np.abs(frames.reshape(19, -1).astype(np.float64)) @ stack.reshape(16, -1).T.astype(np.float64)
        tolerance = 1e-5 if dtype == np.float32 else 1e-12
        assert out.dtype == np.float64
        assert np.all(np.abs(out - ref) <= tolerance * scale + 1e-9)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.uint32, np.int64])
def test_integer_sums_are_exact_for_random_overlapping_masks(dtype):
    rng = np.random.default_rng(np.dtype(dtype).itemsize)
    sig = (23, 31)
    info = np.iinfo(dtype)
    frames = rng.integers(max(info.min, -(2**40)), min(info.max, 2**40), size=(13, *sig), endpoint=True, dtype=dtype)
    stack = rng.random((9, *sig)) > 0.5  # 9 masks overlapping in every way: up to 2**9 regions
    out = labels_of(stack).apply(frames)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.astype(object), numpy_sums(frames, stack))


def test_uint16_sums_past_2_to_the_32_are_exact():
    frames = np.full((3, 256, 512), 65535, np.uint16)
    stack = np.stack([np.ones((256, 512), bool), masks.disk(10, 10, 600, (256, 512)), masks.point(0, 0, (256, 512))])
    out = labels_of(stack).apply(frames)
    assert out[0, 0] == out[0, 1] == 65535 * 256 * 512 > 2**32 and out[0, 2] == 65535


def test_masks_touching_every_frame_edge_and_corners():
    sig = (17, 29)
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 4000, size=(10, *sig), dtype=np.uint16)
    stack = np.stack([
        masks.rectangle(0, 0, 0.5, 16, sig),           # the first column
        masks.rectangle(28, 0, 3, 16, sig),            # the last column
        masks.rectangle(0, 16, 28, 3, sig),            # the last row
        masks.disk(0, 0, 3, sig), masks.disk(28, 16, 3, sig),  # corners, overlapping the others
        np.ones(sig, bool),
    ])
    np.testing.assert_array_equal(labels_of(stack).apply(frames).astype(object), numpy_sums(frames, stack))


def test_empty_and_duplicate_masks():
    sig = (12, 12)
    rng = np.random.default_rng(4)
    frames = rng.random((7, *sig)).astype(np.float32)
    disk = masks.disk(5, 5, 3, sig)
    stack = np.stack([np.zeros(sig, bool), disk, disk, masks.disk(-40, -40, 3, sig), ~disk])
    out = labels_of(stack).apply(frames)
    np.testing.assert_array_equal(out[:, 0], 0)
    np.testing.assert_array_equal(out[:, 3], 0)
    np.testing.assert_array_equal(out[:, 1], out[:, 2])
    np.testing.assert_allclose(out, numpy_sums(frames, stack), rtol=1e-6)


def test_nan_and_inf_reach_exactly_the_masks_that_cover_them():
    sig = (9, 9)
    frames = np.ones((4, *sig), np.float32)
    frames[1, 4, 4] = np.nan
    frames[2, 0, 8] = np.inf
    centre = masks.disk(4, 4, 1, sig)
    stack = np.stack([centre, masks.disk(4, 4, 3, sig) & ~centre, masks.ring(4, 4, 0.5, 5, sig),
                      masks.rectangle(8, 0, 0, 0, sig), masks.rectangle(6, 0, 3, 1, sig)])
    out = labels_of(stack).apply(frames)
    # The NaN pixel is the centre: in the centre disk only (the ring's inner edge is open).
    assert np.isnan(out[1, 0]) and np.all(np.isfinite(out[1, [1, 2, 3, 4]]))
    assert out[1, 3] == 0
    assert out[2, 4] == np.inf and np.all(np.isfinite(out[2, :4]))
    np.testing.assert_array_equal(out[[0, 3]], numpy_sums(frames[[0, 3]], stack))


def test_more_than_64_masks_and_long_runs():
    sig = (40, 300)  # rows longer than MAX_RUN: runs are split
    assert sig[1] > MAX_RUN
    rng = np.random.default_rng(6)
    frames = rng.integers(0, 2**16, size=(9, *sig), dtype=np.uint16)
    stack = np.stack([masks.rectangle(0, i // 2, 299, 0.5, sig) for i in range(80)])  # pairs of equal masks
    ms = labels_of(stack)
    assert ms.labels.n_atoms == 40 and not ms.labels.disjoint
    np.testing.assert_array_equal(ms.apply(frames).astype(object), numpy_sums(frames, stack))


def test_too_many_regions_fall_back_to_dense():
    rng = np.random.default_rng(8)
    stack = rng.random((16, 100, 100)) > 0.5
    assert Labels.of(stack.reshape(16, -1)) is None or MAX_ATOMS >= 2**16
    ms = MaskSet(stack, representation="labels")
    assert ms.representation == "dense"
    frames = rng.integers(0, 100, size=(3, 100, 100), dtype=np.uint16)
    np.testing.assert_array_equal(ms.apply(frames).astype(object), numpy_sums(frames, stack))


def test_frames_in_any_batch_size_give_the_same_sums():
    sig = (32, 32)
    rng = np.random.default_rng(9)
    frames = rng.random((29, *sig)).astype(np.float32)
    ms = labels_of(rings(sig, 8, 3, 2))
    whole = ms.apply(frames)
    for cut in (1, 7, 8, 9, 17):
        parts = np.concatenate([ms.apply(frames[i:i + cut]) for i in range(0, 29, cut)])
        np.testing.assert_array_equal(parts, whole)


def test_weighted_masks_have_no_label_image():
    with pytest.raises(Exception, match="binary"):
        MaskSet(np.full((1, 4, 4), 0.5, np.float32), representation="labels")


def test_a_mask_set_travels_to_cluster_workers_and_is_shared_between_threads():
    import pickle
    import threading

    sig = (16, 16)
    rng = np.random.default_rng(10)
    frames = rng.random((40, *sig)).astype(np.float32)
    ms = labels_of(rings(sig, 6, 3, 2))
    copy = pickle.loads(pickle.dumps(ms))
    np.testing.assert_array_equal(copy.apply(frames), ms.apply(frames))
    dense = MaskSet(rings(sig, 2, 5, 5) * np.float32(0.5))  # weighted: per-dtype copies made on first use
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(dense.apply(frames))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.array_equal(r, results[0]) for r in results) and len(results) == 8
