"""Masked sums against plain numpy, for every data type, every representation and the edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.errors import BadParameter
from jupyter_remotem.kernels import MaskSet, apply_masks, masks
from jupyter_remotem.kernels.apply import FLOAT32_PARTIALS_FROM, SERIAL_BELOW

DTYPES = [np.float32, np.float64, np.uint8, np.uint16, np.uint32, np.int16, np.int64]
REPRESENTATIONS = ["dense", "runs", "labels"]
#: Weighted masks have no label image.
WEIGHTED_REPRESENTATIONS = ["dense", "runs"]


def random_frames(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 100 + 50).astype(dtype)
    info = np.iinfo(dtype)
    low, high = max(info.min, -(2**40)), min(info.max, 2**40)
    return rng.integers(low, high, size=shape, endpoint=True, dtype=dtype)


def reference(frames, mask_stack):
    n, k = frames.shape[0], mask_stack.shape[0]
    f = frames.reshape(n, -1)
    m = mask_stack.reshape(k, -1)
    if frames.dtype.kind in "iu" and m.dtype == bool:
        return np.stack([f[:, mm].astype(object).sum(axis=1) for mm in m], axis=1).astype(np.float64)
    return f.astype(np.float64) @ m.astype(np.float64).T


def assert_float_sums_close(out, frames, stack, representation):
    """float64 accuracy, except float32 partial sums (dense with 4+ masks, labels): 1e-5 of sum |x * w|."""
    k = stack.shape[0]
    ref = reference(frames, stack)
    scale = np.abs(frames.reshape(len(frames), -1).astype(np.float64)) @ np.abs(stack.reshape(k, -1).astype(np.float64)).T
    partials = frames.dtype == np.float32 and (
        (k >= FLOAT32_PARTIALS_FROM and representation == "dense") or representation == "labels")
    tolerance = 1e-5 if partials else 1e-12
    assert np.all(np.abs(out - ref) <= tolerance * scale + 1e-9)


def detector_stack(sig, k, rng, binary):
    h, w = sig
    shapes = [
        masks.disk(w / 2, h / 2, min(h, w) / 3, sig),
        masks.ring(w / 2, h / 2, 1, max(h, w), sig),
        masks.rectangle(-2, 1, w, 2, sig),
        masks.point(w - 1, h - 1, sig),
        rng.random(sig) > 0.6,
    ]
    stack = np.stack([shapes[i % len(shapes)] for i in range(k)])
    return stack if binary else (stack * rng.uniform(-1, 2, size=stack.shape)).astype(np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("representation", REPRESENTATIONS)
@pytest.mark.parametrize("k", [1, 2, 3, 5, 16])
def test_binary_masks_match_numpy(dtype, representation, k):
    rng = np.random.default_rng(k)
    sig = (7, 13)
    frames = random_frames(rng, (11, *sig), dtype)
    stack = detector_stack(sig, k, rng, binary=True)
    out = MaskSet(stack, representation=representation).apply(frames)
    assert out.shape == (11, k)
    ref = reference(frames, stack)
    if np.dtype(dtype).kind in "iu":
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, ref.astype(np.int64))
    else:
        assert out.dtype == np.float64
        assert_float_sums_close(out, frames, stack, representation)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("representation", WEIGHTED_REPRESENTATIONS)
@pytest.mark.parametrize("k", [1, 3, 4, 16])
def test_weighted_masks_match_numpy(dtype, representation, k):
    rng = np.random.default_rng(100 + k)
    sig = (9, 6)
    frames = random_frames(rng, (9, *sig), dtype)
    stack = detector_stack(sig, k, rng, binary=False)
    out = MaskSet(stack, representation=representation).apply(frames)
    assert out.dtype == np.float64
    assert_float_sums_close(out, frames, stack, representation)


def test_float32_partial_sums_stay_within_1e_5_relative_on_detector_sized_frames():
    rng = np.random.default_rng(7)
    sig = (128, 128)
    frames = rng.gamma(2.0, 300.0, size=(8, *sig)).astype(np.float32)
    stack = rng.random((16, *sig)).astype(np.float32)
    out = MaskSet(stack, representation="dense").apply(frames)
    ref = reference(frames, stack)
    assert np.max(np.abs(out - ref) / np.abs(ref)) < 1e-5


def test_dense_and_runs_agree_on_detector_masks():
    rng = np.random.default_rng(3)
    sig = (64, 48)
    stack = np.stack([
        masks.disk(24, 32, 6, sig), masks.ring(24, 32, 8, 20, sig), masks.ring(24, 32, 20, 40, sig),
        masks.polygon([(3.3, 2.2), (40.1, 9.9), (12.7, 60.2)], sig),
    ])
    for dtype in (np.float32, np.uint16):
        frames = random_frames(rng, (10, *sig), dtype)
        dense = MaskSet(stack, representation="dense").apply(frames)
        runs = MaskSet(stack, representation="runs").apply(frames)
        np.testing.assert_allclose(dense, runs, rtol=1e-5 if dtype == np.float32 else 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16])
def test_small_products_on_one_thread_equal_the_parallel_answer(dtype):
    """Below SERIAL_BELOW multiply-adds the masks run on the calling thread: each frame is
    summed the same way either side of the threshold, so answers are identical."""
    rng = np.random.default_rng(11)
    sig = (32, 40)
    weights = rng.random((3, *sig)).astype(np.float32)
    mask_set = MaskSet(weights, representation="dense")
    frames = random_frames(rng, (400, *sig), dtype)
    width = mask_set.window[1] - mask_set.window[0]
    assert len(frames) * width * 3 >= SERIAL_BELOW > 4 * width * 3
    whole = mask_set.apply(frames)
    pieces = np.concatenate([mask_set.apply(frames[i:i + 4]) for i in range(0, len(frames), 4)])
    np.testing.assert_array_equal(pieces, whole)
    reference = np.einsum("nq,kq->nk", frames.reshape(len(frames), -1).astype(np.float64),
                          weights.reshape(3, -1).astype(np.float64))
    np.testing.assert_allclose(whole, reference, rtol=1e-5)


def test_small_masks_choose_runs_or_labels_and_large_ones_dense():
    sig = (128, 128)
    points = masks.point(3, 100, sig)[None] | masks.point(120, 2, sig)[None]
    assert MaskSet(points).representation == "labels"
    assert MaskSet(points * np.float32(0.5)).representation == "runs"
    assert MaskSet(np.full((16, *sig), 0.5, np.float32)).representation == "dense"
    assert MaskSet(np.ones((16, *sig), np.float32)).representation == "labels"  # one region, 16 times
    rings = np.stack([masks.ring(64, 64, 4 * i, 4 * i + 4, sig) for i in range(16)])
    assert MaskSet(rings).representation == "labels"
    bf = MaskSet(masks.disk(63.5, 63.5, 10, sig)[None])
    assert bf.window[1] - bf.window[0] <= 21 * 128


def test_uint16_sums_beyond_2_to_the_32_are_exact():
    frames = np.full((2, 256, 512), 65535, np.uint16)
    full = np.ones((1, 256, 512), bool)
    for representation in REPRESENTATIONS:
        out = MaskSet(full, representation=representation).apply(frames)
        assert out.dtype == np.int64
        assert out[0, 0] == 65535 * 256 * 512 > 2**32


def test_uint32_large_values_are_exact():
    frames = np.full((3, 64, 64), 2**32 - 1, np.uint32)
    frames[1, 0, 0] = 5
    full = np.ones((1, 64, 64), bool)
    expected = np.array([(2**32 - 1) * 4096, (2**32 - 1) * 4095 + 5, (2**32 - 1) * 4096], dtype=np.int64)
    for representation in REPRESENTATIONS:
        np.testing.assert_array_equal(MaskSet(full, representation=representation).apply(frames)[:, 0], expected)


def test_uint64_frames_give_uint64_sums():
    frames = np.full((2, 4, 4), 2**62, np.uint64)
    out = apply_masks(frames, np.ones((1, 4, 4), bool))
    assert out.dtype == np.uint64 and out[0, 0] == 0  # 16 * 2**62 wraps modulo 2**64
    frames[:] = 2**63 + 1
    out = apply_masks(frames[:, :1, :1], np.ones((1, 1, 1), bool))
    assert out[0, 0] == 2**63 + 1


@pytest.mark.parametrize("representation", REPRESENTATIONS)
def test_nan_reaches_only_the_masks_that_cover_it(representation):
    sig = (7, 13)
    frames = np.ones((6, *sig), np.float32)
    frames[2, 3, 6] = np.nan
    frames[4, 0, 0] = np.inf
    stack = np.stack([masks.disk(6, 3, 1, sig), masks.point(12, 6, sig), masks.rectangle(0, 0, 1, 1, sig)])
    out = MaskSet(stack, representation=representation).apply(frames)
    assert np.isnan(out[2, 0]) and out[2, 1] == 1 and out[2, 2] == 4
    assert out[4, 2] == np.inf and out[4, 0] == 5 and out[4, 1] == 1
    assert np.all(out[[0, 1, 3, 5]] == [5, 1, 4])


def test_empty_masks_and_masks_outside_the_frame_give_zero():
    sig = (7, 13)
    rng = np.random.default_rng(5)
    frames = random_frames(rng, (5, *sig), np.float32)
    stack = np.stack([np.zeros(sig, bool), masks.disk(-50, -50, 5, sig), masks.rectangle(30, 30, 4, 4, sig), masks.point(13, 7, sig)])
    for representation in REPRESENTATIONS:
        out = MaskSet(stack, representation=representation).apply(frames)
        np.testing.assert_array_equal(out, 0)
    ms = MaskSet(np.stack([np.zeros(sig, bool), masks.disk(6, 3, 2, sig)]))
    out = ms.apply(frames)
    assert np.all(out[:, 0] == 0) and np.all(out[:, 1] != 0)


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 17, 7, 13), (3, 1, 1, 1), (1, 1, 5, 5)])
def test_odd_scan_and_frame_shapes(shape):
    rng = np.random.default_rng(11)
    data = random_frames(rng, shape, np.uint16)
    sig = shape[2:]
    frames = data.reshape(-1, *sig)
    stack = np.stack([np.ones(sig, bool), rng.random(sig) > 0.5])
    out = MaskSet(stack).apply(frames)
    np.testing.assert_array_equal(out, reference(frames, stack).astype(np.int64))


def test_memmap_slices_and_non_contiguous_input(tmp_path):
    rng = np.random.default_rng(2)
    data = random_frames(rng, (20, 7, 13), np.uint16)
    path = tmp_path / "frames.npy"
    np.save(path, data)
    mm = np.load(path, mmap_mode="r")
    stack = detector_stack((7, 13), 3, rng, binary=True)
    ms = MaskSet(stack)
    np.testing.assert_array_equal(ms.apply(mm[5:15]), reference(data[5:15], stack).astype(np.int64))
    np.testing.assert_array_equal(ms.apply(data[::2]), reference(data[::2], stack).astype(np.int64))
    big_endian = data.astype(">u2")
    np.testing.assert_array_equal(ms.apply(big_endian), reference(data, stack).astype(np.int64))


def test_zero_frames_give_an_empty_result():
    ms = MaskSet(np.ones((2, 4, 4), bool))
    assert ms.apply(np.zeros((0, 4, 4), np.uint16)).shape == (0, 2)


def test_bad_masks_and_mismatched_frames_are_refused():
    with pytest.raises(BadParameter):
        MaskSet(np.full((1, 4, 4), np.nan))
    with pytest.raises(BadParameter):
        MaskSet(np.ones((0, 4, 4)))
    with pytest.raises(BadParameter):
        MaskSet(np.ones((1, 4, 4)), representation="sparse-ish")
    with pytest.raises(BadParameter):
        MaskSet(np.ones((1, 4, 4), bool)).apply(np.ones((3, 4, 5)))
