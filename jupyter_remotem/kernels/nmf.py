"""Non-negative matrix factorisation of frames that streams: ``X ≈ W H`` with the frames ``X``
(n × pixels), non-negative component frames ``H`` (k × pixels, unit rows) and non-negative
scores ``W`` (n × k), in passes over the data that each hold one partition at a time.

Each pass fixes ``H``: every frame's scores are solved for on its own (non-negative least
squares by hierarchical alternating least squares, HALS, which needs only ``X Hᵀ`` and ``H Hᵀ``),
and a partition contributes ``Wᵀ X`` and ``Wᵀ W``, which simply add over partitions.  Between
passes ``H`` takes one HALS step from those sums (Cichocki & Phan 2009), so the scores of
millions of frames never need to be kept: they are solved again in the next pass, and a last
pass answers them.  The start is the NNDSVD idea (Boutsidis & Gallopoulos 2008) on the streamed
principal components: the mean frame, then the larger of the positive and negative parts of each
component.  Negative values (a dark-subtracted frame's noise) count as zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: HALS sweeps over the scores of one block of frames given ``H``: from the clipped least
#: squares start a few sweeps reach the non-negative optimum to well within the noise.
SCORE_SWEEPS = 12
#: What a component's entries never fall below, so that no component can die.
FLOOR = 1e-12


def flat_frames(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``frames`` as float64 rows with negatives at zero, and which rows are finite."""
    flat = np.asarray(frames).reshape(len(frames), math.prod(np.shape(frames)[1:])).astype(np.float64)
    finite = np.isfinite(flat).all(axis=1)
    np.maximum(flat, 0.0, out=flat)
    return flat, finite


def initial_components(mean: np.ndarray, vectors: np.ndarray, k: int) -> np.ndarray:
    """k unit, non-negative start components: the mean frame, then the larger of the positive
    and negative parts of each principal component (NNDSVD), small noise where those run out."""
    pixels = len(mean)
    start = np.full((k, pixels), 1.0 / math.sqrt(pixels))
    start[0] = np.maximum(mean, 0.0)
    for row, vector in enumerate(vectors[: k - 1], start=1):
        positive, negative = np.maximum(vector, 0.0), np.maximum(-vector, 0.0)
        start[row] = positive if positive @ positive >= negative @ negative else negative
    start += FLOOR
    return start / np.linalg.norm(start, axis=1, keepdims=True)


def solve_scores(flat: np.ndarray, components: np.ndarray, sweeps: int = SCORE_SWEEPS) -> np.ndarray:
    """Non-negative ``W`` minimising ``|X - W H|`` for fixed ``H``, row by row (n × k)."""
    cross = flat @ components.T  # X Hᵀ, n × k
    gram = components @ components.T  # H Hᵀ, k × k
    try:
        scores = np.linalg.solve(gram, cross.T).T
    except np.linalg.LinAlgError:
        scores = np.linalg.lstsq(gram, cross.T, rcond=None)[0].T
    np.maximum(scores, 0.0, out=scores)
    diagonal = np.maximum(np.diag(gram), FLOOR)
    for _ in range(sweeps):
        for j in range(len(components)):
            scores[:, j] = np.maximum(scores[:, j] + (cross[:, j] - scores @ gram[:, j]) / diagonal[j], 0.0)
    return scores


@dataclass
class Totals:
    """What one pass learns from some frames: ``Wᵀ X``, ``Wᵀ W``, ``|X|²`` and the count; adds."""

    cross: np.ndarray  # k × pixels
    gram: np.ndarray  # k × k
    squares: float
    count: int

    @classmethod
    def empty(cls, k: int, pixels: int) -> Totals:
        return cls(np.zeros((k, pixels)), np.zeros((k, k)), 0.0, 0)

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.cross + other.cross, self.gram + other.gram, self.squares + other.squares,
                      self.count + other.count)


def pass_totals(frames: np.ndarray, components: np.ndarray) -> Totals:
    """The totals of ``frames`` (frames holding a non-finite value left out) for fixed ``H``."""
    flat, finite = flat_frames(frames)
    if not finite.all():
        flat = flat[finite]
    if len(flat) == 0:
        return Totals.empty(*components.shape)
    scores = solve_scores(flat, components)
    return Totals(scores.T @ flat, scores.T @ scores, float(np.einsum("ij,ij->", flat, flat)), len(flat))


def relative_error(totals: Totals, components: np.ndarray) -> float:
    """``|X - W H| / |X|`` over the frames of ``totals``, from the sums alone."""
    if totals.squares <= 0:
        return 0.0
    residual = totals.squares - 2 * float(np.sum(totals.cross * components)) + \
        float(np.sum(totals.gram * (components @ components.T)))
    return math.sqrt(max(residual, 0.0) / totals.squares)


def update_components(components: np.ndarray, totals: Totals) -> np.ndarray:
    """One HALS step of ``H`` from a pass's totals, rows made unit again (the scale goes to the
    scores, which the next pass solves anew)."""
    updated = components.copy()
    for j in range(len(updated)):
        if totals.gram[j, j] <= 0:
            continue  # no frame used this component: keep it
        step = (totals.cross[j] - totals.gram[j] @ updated) / totals.gram[j, j]
        updated[j] = np.maximum(updated[j] + step, FLOOR)
    return updated / np.linalg.norm(updated, axis=1, keepdims=True)


def frame_scores(frames: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Every frame's non-negative scores (n × k); NaN for a frame holding a non-finite value."""
    flat, finite = flat_frames(frames)
    scores = np.full((len(flat), len(components)), np.nan)
    if finite.any():
        scores[finite] = solve_scores(flat[finite], components)
    return scores
