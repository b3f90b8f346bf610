"""The gather of precomputed taps (nearest and linear resampling at fixed coordinates) against
``scipy.ndimage.map_coordinates`` (``mode="constant"``, no prefilter) on random coordinates,
on the frame's edges and just beyond them, on exact pixel centres and half-way ties, with NaN
and with integer frames of extreme values."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from jupyter_remotem.kernels.resample import gather, taps


def scipys(frames: np.ndarray, rows: np.ndarray, cols: np.ndarray, order: int, fill: float) -> np.ndarray:
    where = np.stack([rows, cols])
    return np.stack([ndi.map_coordinates(f.astype(np.float64), where, order=order, mode="constant", cval=fill,
                                         prefilter=False) for f in frames])


def ours(frames: np.ndarray, rows: np.ndarray, cols: np.ndarray, order: int, fill: float) -> np.ndarray:
    out = np.empty((len(frames), rows.size), np.float64)
    flat = frames.reshape(len(frames), frames.shape[1] * frames.shape[2])
    return gather(flat, taps(rows, cols, frames.shape[1:], order), fill, out)


def edge_coordinates(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    h, w = shape
    special = np.array([-1.0, -0.5, -1e-12, 0.0, 0.5, 1.0, 1.5, h - 1.5, h - 1.0, h - 1 + 1e-12, h - 0.5, h])
    specials = np.array([-1.0, -0.5, -1e-12, 0.0, 0.5, 1.0, 1.5, w - 1.5, w - 1.0, w - 1 + 1e-12, w - 0.5, w])
    rows, cols = np.meshgrid(special, specials, indexing="ij")
    return rows.ravel(), cols.ravel()


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("shape", [(7, 5), (1, 9), (2, 2), (16, 16)])
def test_random_and_edge_coordinates_sample_as_scipy_does(order, shape):
    rng = np.random.default_rng(order * 100 + shape[0])
    frames = rng.normal(0, 100, (3,) + shape)
    rows = np.concatenate([rng.uniform(-2, shape[0] + 1, 500), edge_coordinates(shape)[0]])
    cols = np.concatenate([rng.uniform(-2, shape[1] + 1, 500), edge_coordinates(shape)[1]])
    np.testing.assert_allclose(ours(frames, rows, cols, order, -7.5), scipys(frames, rows, cols, order, -7.5),
                               rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("order", [0, 1])
def test_nan_spreads_exactly_as_in_scipy(order):
    frames = np.ones((2, 6, 6))
    frames[0, 2, 3] = np.nan
    rows, cols = (v.ravel() for v in np.meshgrid(np.linspace(-0.5, 5.5, 25), np.linspace(-0.5, 5.5, 25),
                                                  indexing="ij"))
    got, expected = ours(frames, rows, cols, order, 0.0), scipys(frames, rows, cols, order, 0.0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got[np.isfinite(got)], expected[np.isfinite(expected)])


def test_integer_frames_of_extreme_values_do_not_overflow():
    frames = np.array([[[np.iinfo(np.uint16).max, 0], [np.iinfo(np.uint16).max, np.iinfo(np.uint16).max]]],
                      np.uint16)
    rows, cols = np.array([0.5, 1.0]), np.array([0.5, 0.25])
    np.testing.assert_allclose(ours(frames, rows, cols, 1, 0.0), scipys(frames, rows, cols, 1, 0.0))
    big = np.full((1, 3, 3), np.iinfo(np.int64).max // 2, np.int64)
    np.testing.assert_allclose(ours(big, np.array([1.5]), np.array([0.5]), 1, 0.0), [[float(big[0, 0, 0])]])


def test_no_frames_and_no_pixels():
    frames = np.zeros((0, 4, 4), np.float32)
    assert ours(frames, np.array([1.0]), np.array([1.0]), 1, 0.0).shape == (0, 1)
    assert ours(np.ones((2, 4, 4)), np.array([]), np.array([]), 0, 0.0).shape == (2, 0)
