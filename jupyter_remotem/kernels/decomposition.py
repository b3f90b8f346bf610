"""A principal component analysis of frames that streams: partition by partition, in bounded
memory, mergeable in any grouping.

Each partition is summarised by a :class:`Sketch`: its frame count, mean frame, total squared
deviation, and a few rows ``B`` (at most ``rank``) with ``BᵀB`` equal to the partition's scatter
matrix ``(X - mean)ᵀ(X - mean)`` restricted to its strongest directions.  Two sketches merge
exactly as two scatter matrices add (with the term for the distance between their means), and
the merged rows are cut back to ``rank`` by an SVD of at most ``2 rank + 1`` rows — the
"merge and reduce" scheme of incremental PCA.  While the frames span at most ``rank``
dimensions (or a frame has at most ``rank`` pixels) nothing is cut and the components are
those of the full SVD; otherwise the first components carry an error bounded by the discarded
part of the spectrum, which is small wherever PCA is useful.

A partition larger than ``rank`` frames is cut to ``rank`` rows by a randomised range finder
with two power iterations (Halko, Martinsson & Tropp 2011) seeded by a constant, so a result is
the same however the work is scheduled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg

#: Power iterations of the randomised range finder: enough for spectra that decay slowly.
POWER_ITERATIONS = 2


@dataclass
class Sketch:
    """The summary of some frames (see module docstring); a checkpointable partial result."""

    count: int
    mean: np.ndarray  # (pixels,) float64
    rows: np.ndarray  # (<= rank, pixels) float64, rowsᵀ rows ≈ scatter matrix
    total: float  # sum of squared deviations from ``mean``: the total variance times (count - 1)

    @classmethod
    def empty(cls, pixels: int) -> Sketch:
        return cls(0, np.zeros(pixels), np.zeros((0, pixels)), 0.0)


def sketch_frames(frames: np.ndarray, rank: int) -> Sketch:
    """The sketch of ``frames`` (n, pixels...), frames holding a non-finite value left out."""
    flat = np.asarray(frames).reshape(len(frames), math.prod(np.shape(frames)[1:]))
    data = flat.astype(np.float64)
    finite = np.isfinite(data).all(axis=1)
    if not finite.all():
        data = data[finite]
    pixels = data.shape[1]
    if len(data) == 0:
        return Sketch.empty(pixels)
    mean = data.mean(axis=0)
    data -= mean  # in place: ``data`` is this function's own float64 copy
    total = float(np.einsum("ij,ij->", data, data))
    return Sketch(len(data), mean, _reduce_rows(data, rank), total)


def merge_sketches(a: Sketch, b: Sketch, rank: int) -> Sketch:
    """The sketch of the frames of ``a`` and ``b`` together."""
    if a.count == 0:
        return b
    if b.count == 0:
        return a
    count = a.count + b.count
    gap = b.mean - a.mean
    mean = a.mean + gap * (b.count / count)
    weight = math.sqrt(a.count * b.count / count)
    stacked = np.concatenate([a.rows, b.rows, (weight * gap)[None, :]])
    total = a.total + b.total + weight**2 * float(gap @ gap)
    return Sketch(count, mean, _reduce_rows(stacked, rank), total)


def _reduce_rows(rows: np.ndarray, rank: int) -> np.ndarray:
    """At most ``rank`` rows ``R`` with ``RᵀR`` the best rank-``rank`` part of ``rowsᵀrows``."""
    if len(rows) <= rank:
        return rows
    if len(rows) > 2 * rank + 1 and rows.shape[1] > 2 * rank + 1:
        rows = _range_rows(rows, rank)
    if 4 * len(rows) <= rows.shape[1]:
        # Few rows of many pixels: the scaled right singular vectors are ``Vᵀ rows`` for the
        # eigenvectors ``V`` of the small Gram matrix (a few times faster than an SVD of the
        # wide matrix; directions far below the strongest lose precision, and carry as little
        # of the scatter).
        _, vectors = np.linalg.eigh(rows @ rows.T)
        return (vectors[:, ::-1][:, :rank].T @ rows)
    _, singular, right = scipy.linalg.svd(rows, full_matrices=False, lapack_driver="gesdd")
    return singular[:rank, None] * right[:rank]


def _orthonormal_span(block: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of a tall ``block`` for a power iteration, by a
    Cholesky QR (matrix products, far faster than Householder's QR on tall blocks); Householder's
    when the columns are too near dependent for a Cholesky factor."""
    try:
        upper = np.linalg.cholesky(block.T @ block).T
    except np.linalg.LinAlgError:
        return np.linalg.qr(block)[0]
    basis = scipy.linalg.solve_triangular(upper, block.T, trans="T", lower=False).T
    return basis if np.all(np.isfinite(basis)) else np.linalg.qr(block)[0]


def _range_rows(rows: np.ndarray, rank: int) -> np.ndarray:
    """``Qᵀ rows`` for an orthonormal ``Q`` spanning the strongest ``2 rank`` left directions:
    the same scatter matrix up to the part a randomised range finder misses.  The last basis
    comes from Householder's QR, so that ``Q`` is orthonormal to working precision and the
    scatter is kept exactly within its span."""
    width = min(2 * rank, len(rows))
    probe = np.random.default_rng(0).standard_normal((rows.shape[1], width))
    basis = _orthonormal_span(rows @ probe)
    for iteration in range(POWER_ITERATIONS):
        basis = _orthonormal_span(rows.T @ basis)
        if iteration == POWER_ITERATIONS - 1:
            basis, _ = np.linalg.qr(rows @ basis)
        else:
            basis = _orthonormal_span(rows @ basis)
    return basis.T @ rows


@dataclass(frozen=True)
class Components:
    """The first principal components of a sketch."""

    mean: np.ndarray  # (pixels,)
    vectors: np.ndarray  # (k, pixels), unit rows, each one's largest entry positive
    variance: np.ndarray  # (k,) variance along each, over count - 1 frames
    ratio: np.ndarray  # (k,) fraction of the total variance
    count: int


def principal_components(sketch: Sketch, k: int) -> Components:
    """The ``k`` strongest directions of ``sketch`` (fewer when it spans fewer); signs made
    definite the way scikit-learn does, so that the same data give the same components."""
    pixels = sketch.mean.shape[0]
    if sketch.count == 0 or len(sketch.rows) == 0:
        vectors = np.zeros((0, pixels))
        singular = np.zeros(0)
    else:
        _, singular, vectors = scipy.linalg.svd(sketch.rows, full_matrices=False, lapack_driver="gesdd")
        keep = min(k, int(np.count_nonzero(singular > singular[0] * 1e-12)) if singular[0] > 0 else 0)
        singular, vectors = singular[:keep], vectors[:keep]
        biggest = np.argmax(np.abs(vectors), axis=1)
        vectors = vectors * np.sign(vectors[np.arange(len(vectors)), biggest])[:, None]
    dof = max(sketch.count - 1, 1)
    variance = singular**2 / dof
    ratio = singular**2 / sketch.total if sketch.total > 0 else np.zeros_like(singular)
    return Components(sketch.mean, vectors, variance, ratio, sketch.count)


def scores(frames: np.ndarray, components: Components) -> np.ndarray:
    """Each frame's coordinates along the components, (n, k); NaN for a frame holding a
    non-finite value (left out of the fit too)."""
    flat = np.asarray(frames).reshape(len(frames), math.prod(np.shape(frames)[1:])).astype(np.float64)
    # (x - mean) V = x V - mean V: no second frame-sized temporary
    projected = flat @ components.vectors.T - components.mean @ components.vectors.T
    projected[~np.isfinite(projected).all(axis=1)] = np.nan
    return projected


def rgb_composite(first_three: np.ndarray) -> np.ndarray:
    """The first three scores (..., <= 3) as an 8-bit RGB image (..., 3): each channel stretched
    from its 0.5th to its 99.5th percentile over the finite values; a missing component and a
    non-finite score are black."""
    shape = first_three.shape[:-1]
    rgb = np.zeros(shape + (3,), np.uint8)
    for channel in range(min(3, first_three.shape[-1])):
        values = first_three[..., channel]
        finite = np.isfinite(values)
        if not finite.any():
            continue
        low, high = np.percentile(values[finite], [0.5, 99.5])
        span = high - low
        scaled = np.zeros(shape) if span <= 0 else np.clip((values - low) / span, 0.0, 1.0)
        rgb[..., channel] = np.where(finite, np.rint(np.nan_to_num(scaled) * 255), 0).astype(np.uint8)
    return rgb
