"""Frame moments against numpy over the whole stack, merged from random partitions; radial profile."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.errors import BadParameter
from jupyter_remotem.kernels import FrameMoments, merge, radial_profile

DTYPES = [np.float32, np.float64, np.uint8, np.uint16, np.uint32, np.int16, np.int64]


def random_frames(rng, shape, dtype):
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(shape) * 10 + 1000).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -(2**31)), min(info.max, 2**31), size=shape, endpoint=True, dtype=dtype)


def check_against_numpy(moments, frames):
    f = frames.astype(np.float64)
    assert moments.count == len(frames)
    np.testing.assert_allclose(moments.mean, f.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(moments.std, f.std(axis=0), rtol=1e-9, atol=1e-9 * np.abs(f).max())
    np.testing.assert_array_equal(moments.max, frames.max(axis=0))
    np.testing.assert_array_equal(moments.min, frames.min(axis=0))
    if frames.dtype.kind in "iu":
        assert moments.sum.dtype == np.int64
        np.testing.assert_array_equal(moments.sum, frames.astype(object).sum(axis=0).astype(np.int64))
    else:
        np.testing.assert_allclose(moments.sum, f.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sig", [(7, 13), (1, 1), (40, 60)])
def test_moments_of_a_stack_match_numpy(dtype, sig):
    frames = random_frames(np.random.default_rng(1), (23, *sig), dtype)
    check_against_numpy(FrameMoments.from_frames(frames), frames)


@pytest.mark.parametrize("dtype", [np.float32, np.uint16, np.int64])
def test_moments_merged_over_random_partitions_match_the_whole(dtype):
    rng = np.random.default_rng(2)
    frames = random_frames(rng, (97, 7, 13), dtype)
    for _ in range(5):
        cuts = np.sort(rng.choice(np.arange(1, 97), size=rng.integers(1, 8), replace=False))
        parts = [FrameMoments.from_frames(p) for p in np.split(frames, cuts)]
        rng.shuffle(parts)
        total = parts[0]
        for part in parts[1:]:
            total = merge(total, part)
        check_against_numpy(total, frames)


def test_merge_with_empty_moments_is_identity():
    frames = random_frames(np.random.default_rng(3), (5, 4, 4), np.uint16)
    m = FrameMoments.from_frames(frames)
    empty = FrameMoments.empty((4, 4), np.uint16)
    for merged in (merge(empty, m), m.merge(empty)):
        check_against_numpy(merged, frames)
    assert np.all(np.isnan(empty.mean)) and np.all(np.isnan(empty.var))


def test_variance_survives_a_large_offset():
    rng = np.random.default_rng(4)
    frames = 1e9 + rng.standard_normal((1000, 3, 3))
    parts = [FrameMoments.from_frames(p) for p in np.split(frames, [100, 550])]
    total = merge(merge(parts[0], parts[1]), parts[2])
    np.testing.assert_allclose(total.std, frames.std(axis=0), rtol=1e-6)


def test_uint16_sums_beyond_2_to_the_32_are_exact():
    frames = np.full((70000, 1, 2), 65535, np.uint16)
    m = FrameMoments.from_frames(frames)
    assert m.sum.dtype == np.int64 and m.sum[0, 0] == 65535 * 70000 > 2**32
    assert np.all(m.var == 0)


def test_roi_selects_frames():
    rng = np.random.default_rng(5)
    frames = random_frames(rng, (30, 6, 5), np.float32)
    roi = rng.random(30) > 0.5
    check_against_numpy(FrameMoments.from_frames(frames, roi_mask=roi), frames[roi])
    assert FrameMoments.from_frames(frames, roi_mask=np.zeros(30, bool)).count == 0
    with pytest.raises(BadParameter):
        FrameMoments.from_frames(frames, roi_mask=np.ones(29, bool))


def test_nan_makes_every_statistic_of_its_pixel_nan():
    frames = np.ones((4, 3, 3), np.float32)
    frames[2, 1, 1] = np.nan
    m = FrameMoments.from_frames(frames)
    for value in (m.sum, m.mean, m.std, m.max, m.min):
        assert np.isnan(value[1, 1]) and np.isfinite(value[0, 0])


def test_radial_profile_of_a_radial_function():
    h, w, cy, cx = 61, 81, 30.0, 37.5
    y, x = np.mgrid[:h, :w]
    r = np.hypot(y - cy, x - cx)
    radii, means = radial_profile((3 * r + 2).astype(np.float32), cx, cy, n_bins=20, max_radius=20.0)
    assert radii.shape == means.shape == (20,)
    np.testing.assert_allclose(radii, np.arange(20) + 0.5)
    np.testing.assert_allclose(means[1:], 3 * radii[1:] + 2, atol=0.3)
    const_radii, const = radial_profile(np.full((h, w), 7.0), cx, cy)
    assert const_radii[-1] + 0.5 >= np.hypot(30, 43.5) - 1
    assert np.all((const == 7) | np.isnan(const))


def test_radial_profile_bins_by_definition():
    frame = np.arange(35, dtype=np.float64).reshape(5, 7)
    cy, cx = 2.2, 3.1
    radii, means = radial_profile(frame, cx, cy, n_bins=3, max_radius=3.0)
    d = np.hypot(*np.mgrid[:5, :7] - np.array([cy, cx])[:, None, None])
    for i in range(3):
        sel = (d >= i) & ((d < i + 1) if i < 2 else (d <= 3))
        assert means[i] == pytest.approx(frame[sel].mean())


def test_radial_profile_empty_bins_are_nan_and_bad_parameters_refused():
    _, means = radial_profile(np.ones((1, 1)), 0, 0, n_bins=4, max_radius=2)
    assert means[0] == 1 and np.all(np.isnan(means[1:]))
    with pytest.raises(BadParameter):
        radial_profile(np.ones((3, 3)), 1, 1, n_bins=0)
    with pytest.raises(BadParameter):
        radial_profile(np.ones((3, 3)), 1, 1, max_radius=-1)
    with pytest.raises(BadParameter):
        radial_profile(np.ones((3, 3, 3)), 1, 1)
