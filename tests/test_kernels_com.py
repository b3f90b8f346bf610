"""Centre of mass against numpy, against a disk whose centre is known, and the CoM field maps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jupyter_remotem.errors import BadParameter
from jupyter_remotem.kernels import center_of_mass, com_fields, com_sums, masks

DTYPES = [np.float32, np.float64, np.uint8, np.uint16, np.uint32, np.int16, np.int64]


def numpy_com(frames, weight=None):
    f = frames.astype(np.float64)
    if weight is not None:
        f = f * weight
    yy, xx = np.mgrid[: f.shape[1], : f.shape[2]]
    total = f.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([(f * yy).sum(axis=(1, 2)) / total, (f * xx).sum(axis=(1, 2)) / total], axis=1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sig", [(7, 13), (1, 1), (16, 16), (1, 9)])
def test_whole_frame_com_matches_numpy(dtype, sig):
    rng = np.random.default_rng(1)
    frames = rng.integers(1, 100, size=(9, *sig)).astype(dtype)
    np.testing.assert_allclose(center_of_mass(frames), numpy_com(frames), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.uint16, np.int64])
@pytest.mark.parametrize("cx, cy, r", [(6.3, 3.2, 3.0), (0.0, 0.0, 2.5), (12.0, 6.0, 100.0), (-20.0, 3.0, 2.0)])
def test_disk_limited_com_matches_numpy_with_the_disk_mask(dtype, cx, cy, r):
    rng = np.random.default_rng(2)
    frames = rng.integers(1, 100, size=(6, 7, 13)).astype(dtype)
    disk = masks.disk(cx, cy, r, (7, 13))
    np.testing.assert_allclose(center_of_mass(frames, cx, cy, r), numpy_com(frames, disk), rtol=1e-12)


def shifted_disk(cy, cx, r, sig, oversample=8):
    """A uniformly bright disk rendered by area coverage, so its centre of mass is (cy, cx)."""
    h, w = sig
    offsets = (np.arange(oversample) + 0.5) / oversample - 0.5
    yy = np.arange(h)[:, None, None, None] + offsets[None, None, :, None]
    xx = np.arange(w)[None, :, None, None] + offsets[None, None, None, :]
    return (((yy - cy) ** 2 + (xx - cx) ** 2) <= r * r).mean(axis=(2, 3))


@pytest.mark.parametrize("cy, cx", [(30.0, 31.0), (27.3, 35.8), (33.6, 24.1)])
def test_com_finds_the_centre_of_a_shifted_disk(cy, cx):
    sig = (64, 64)
    frame = shifted_disk(cy, cx, 9.0, sig)
    counts = np.round(frame * 60000).astype(np.uint16)
    for data, tolerance in ((frame.astype(np.float32), 5e-3), (counts, 5e-3)):
        com = center_of_mass(data[None])[0]
        assert abs(com[0] - cy) < tolerance and abs(com[1] - cx) < tolerance
        com = center_of_mass(data[None], cx=31.5, cy=31.5, r=20)[0]
        assert abs(com[0] - cy) < tolerance and abs(com[1] - cx) < tolerance


def test_empty_frames_give_nan_and_nan_data_propagates():
    frames = np.ones((4, 5, 6), np.float32)
    frames[1] = 0
    frames[2, 1, 1] = np.nan
    com = center_of_mass(frames)
    assert np.all(np.isnan(com[1])) and np.all(np.isnan(com[2]))
    np.testing.assert_allclose(com[[0, 3]], [[2.0, 2.5], [2.0, 2.5]])
    disk_outside = center_of_mass(np.ones((2, 5, 6), np.uint16), cx=-10, cy=-10, r=2)
    assert np.all(np.isnan(disk_outside))


def test_integer_sums_are_exact_beyond_2_to_the_53():
    frames = np.full((1, 1024, 1024), 2**32 - 1, np.uint32)
    total, sum_y, sum_x = com_sums(frames)[0]
    n = 1024 * 1024
    assert total == (2**32 - 1) * n
    assert sum_y == (2**32 - 1) * 1024 * (1023 * 1024 // 2)
    assert sum_x == sum_y and sum_y > 2**53


def test_sums_from_partitions_add_up():
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 1000, size=(10, 7, 13), dtype=np.uint16)
    np.testing.assert_array_equal(com_sums(frames[:4]) .sum(0) + com_sums(frames[4:]).sum(0), com_sums(frames).sum(0))


def libertem_fields(y, x, cy, cx, rotation, flip):
    """CoMUDF's field, magnitude, divergence and curl written out from its definitions."""
    dy, dx = y - cy, x - cx
    f = np.array([[-1, 0], [0, 1]]) if flip else np.eye(2)
    a = np.pi / 180 * rotation
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    ty, tx = (rot @ f) @ np.stack([dy.ravel(), dx.ravel()])
    ty, tx = ty.reshape(y.shape), tx.reshape(y.shape)
    return {
        "shift_y": ty, "shift_x": tx, "magnitude": np.sqrt(ty**2 + tx**2),
        "divergence": np.gradient(ty, axis=0) + np.gradient(tx, axis=1),
        "curl": np.gradient(ty, axis=1) - np.gradient(tx, axis=0),
    }


@pytest.mark.parametrize("rotation", [0.0, 33.0, -90.0, 180.0])
@pytest.mark.parametrize("flip", [False, True])
def test_com_fields_follow_the_comudf_definitions(rotation, flip):
    rng = np.random.default_rng(4)
    com = rng.normal(16, 2, size=(5, 7, 2))
    got = com_fields(com, cy=15.5, cx=16.5, scan_rotation_deg=rotation, flip_y=flip)
    want = libertem_fields(com[..., 0], com[..., 1], 15.5, 16.5, rotation, flip)
    for name in want:
        assert got[name].shape == (5, 7)
        np.testing.assert_allclose(got[name], want[name], atol=1e-12, err_msg=name)


def test_radial_field_has_divergence_and_no_curl():
    y, x = np.mgrid[:9, :9].astype(float)
    com = np.stack([8 + 0.1 * (y - 4), 8 + 0.1 * (x - 4)], axis=-1)
    fields = com_fields(com, cy=8, cx=8)
    np.testing.assert_allclose(fields["divergence"], 0.2, atol=1e-12)
    np.testing.assert_allclose(fields["curl"], 0.0, atol=1e-12)
    rotated = com_fields(com, cy=8, cx=8, scan_rotation_deg=90)
    np.testing.assert_allclose(rotated["curl"], 0.2, atol=1e-12)
    np.testing.assert_allclose(rotated["magnitude"], fields["magnitude"], atol=1e-12)


def test_line_scans_and_single_positions_have_fields():
    line = com_fields(np.stack([np.arange(6.0), np.arange(6.0) * 2], axis=-1), cy=0, cx=0)
    assert line["divergence"].shape == (6,)
    np.testing.assert_allclose(line["divergence"], 2.0)
    one = com_fields(np.array([[[1.0, 2.0]]]), cy=0, cx=0)
    assert one["magnitude"][0, 0] == pytest.approx(math.sqrt(5))
    assert one["curl"][0, 0] == 0


def test_bad_inputs_are_refused():
    with pytest.raises(BadParameter):
        center_of_mass(np.ones((4, 4)))
    with pytest.raises(BadParameter):
        center_of_mass(np.ones((1, 4, 4)), cx=1, cy=1, r=-1)
    with pytest.raises(BadParameter):
        com_fields(np.ones((3, 3, 3)), cy=0, cx=0)
    with pytest.raises(BadParameter):
        com_fields(np.ones((3, 3, 2)), cy=float("nan"), cx=0)
