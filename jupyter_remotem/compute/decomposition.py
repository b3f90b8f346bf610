"""``decomposition``: principal components of the frames (or a non-negative factorisation),
each frame's scores along them, and an RGB picture of the scan made of the first three scores
(PCA / NMF colouring).

PCA reads the data twice: the first pass streams the frames into a mergeable sketch
(:mod:`..kernels.decomposition`) and takes the components from it; the second projects every
frame onto them.  NMF (:mod:`..kernels.nmf`) starts from that same first pass, then takes
``iterations`` passes that each improve the components, and a last one for the scores.  Each
pass is an ordinary plan, so all run inline or on a cluster, and a job checkpoints and resumes
any pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
from ..kernels import nmf
from ..kernels.decomposition import (
    Components,
    Sketch,
    merge_sketches,
    principal_components,
    rgb_composite,
    scores,
    sketch_frames,
)
from .operations import Plan, ReductionResult


#: What one sketch may hold: small frames keep every direction (and so the exact SVD), large
#: ones a margin beyond the components asked for.
SKETCH_BYTES = 2 << 20


def sketch_rank(components: int, pixels: int) -> int:
    """The rows a sketch keeps: as many as :data:`SKETCH_BYTES` allow, and at least a margin of
    weaker directions beyond those answered, so cutting the sketch barely touches them."""
    return min(pixels, max(3 * components, components + 24, SKETCH_BYTES // (8 * pixels)))


class DecompositionPlan(Plan):
    """The first pass: frames into one sketch, merged in partition order."""

    partial_kind = "merge"
    passes = 2

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        self.pixels = math.prod(self.sig_shape)
        self.method = str(params.get("method") or "pca")
        self.iterations = int(params.get("iterations") or 0) if self.method == "nmf" else 0
        self.passes = 2 + self.iterations
        self.components = int(params["components"])
        if self.components > self.pixels:
            raise BadParameter(f"decomposition asks for {self.components} components of frames of "
                               f"{self.pixels} pixels; there are at most as many components as pixels.",
                               hint=f"Ask for at most {self.pixels} components.")
        self.rank = sketch_rank(self.components, self.pixels)

    def extra_shape(self, output: str) -> tuple[int, ...]:
        return {"scores": (self.components,), "components": (self.components,), "variance": (self.components,),
                "variance_ratio": (self.components,), "rgb": (3,)}.get(output, ())

    def process(self, frames: np.ndarray) -> Sketch:
        if self.method == "nmf":  # NMF sees negative values as zero, from its start on
            frames = np.maximum(frames, 0)
        return sketch_frames(frames, self.rank)

    def empty_partial(self) -> Sketch:
        return Sketch.empty(self.pixels)

    def merge(self, a: Sketch, b: Sketch) -> Sketch:
        return merge_sketches(a, b, self.rank)

    def next_pass(self, combined: Sketch) -> Plan:
        found = principal_components(combined, self.components)
        if self.method == "nmf":
            start = nmf.initial_components(found.mean, found.vectors, self.components)
            return NmfPassPlan(self, combined, start, 1)
        return ScoresPlan(self, found)


def _visited_only(combined: np.ndarray, visited: np.ndarray | None) -> np.ndarray:
    """Each frame's scores as float64, NaN for the frames outside the ROI."""
    per_frame = np.array(combined, dtype=np.float64)
    if visited is not None:
        outside = np.ones(len(per_frame), bool)
        outside[visited] = False
        per_frame[outside] = np.nan
    return per_frame


def _follow(plan: Plan, first: DecompositionPlan) -> None:
    """A later pass sees the data and answers as the first one declared."""
    plan.nav_shape, plan.sig_shape, plan.dtype = first.nav_shape, first.sig_shape, first.dtype
    plan.outputs = first.outputs
    plan.extra_shape = first.extra_shape  # type: ignore[method-assign]


class NmfPassPlan(Plan):
    """One NMF pass: every frame's scores for the current components, summed into the totals
    from which the components take their next step."""

    partial_kind = "merge"

    def __init__(self, first: DecompositionPlan, sketch: Sketch, components: np.ndarray, number: int) -> None:
        _follow(self, first)
        self.first, self.sketch, self.components, self.number = first, sketch, components, number

    def process(self, frames: np.ndarray) -> nmf.Totals:
        return nmf.pass_totals(frames, self.components)

    def empty_partial(self) -> nmf.Totals:
        return nmf.Totals.empty(*self.components.shape)

    def merge(self, a: nmf.Totals, b: nmf.Totals) -> nmf.Totals:
        return a + b

    def next_pass(self, combined: nmf.Totals) -> Plan:
        updated = nmf.update_components(self.components, combined)
        if self.number < self.first.iterations:
            return NmfPassPlan(self.first, self.sketch, updated, self.number + 1)
        return NmfScoresPlan(self.first, self.sketch, updated, nmf.relative_error(combined, self.components))


class NmfScoresPlan(Plan):
    """The last NMF pass: every frame's non-negative scores for the final components."""

    def __init__(self, first: DecompositionPlan, sketch: Sketch, components: np.ndarray, error: float) -> None:
        _follow(self, first)
        self.sketch, self.components, self.error = sketch, components, error
        self.iterations = first.iterations

    def process(self, frames: np.ndarray) -> np.ndarray:
        return nmf.frame_scores(frames, self.components)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        k = len(self.components)
        per_frame = _visited_only(combined, visited)
        score_map = per_frame.reshape(self.nav_shape + (k,))
        finite = per_frame[np.isfinite(per_frame).all(axis=1)]
        variance = finite.var(axis=0, ddof=1) if len(finite) > 1 else np.zeros(k)
        dof = max(self.sketch.count - 1, 1)
        total = self.sketch.total / dof
        return ReductionResult(
            {"scores": score_map,
             "components": np.moveaxis(self.components.reshape((k,) + tuple(self.sig_shape)), 0, -1),
             "mean": self.sketch.mean.reshape(self.sig_shape),
             "variance": variance, "variance_ratio": variance / total if total > 0 else np.zeros(k),
             "rgb": rgb_composite(score_map[..., :3])},
            "scores", {"components": k, "method": "nmf", "iterations": self.iterations,
                       "relative_error": self.error, "frames": self.sketch.count})


class ScoresPlan(Plan):
    """The second pass: every frame's scores along the components the first pass found."""

    def __init__(self, first: DecompositionPlan, components: Components) -> None:
        _follow(self, first)
        k, found = first.components, len(components.vectors)
        # Components beyond the data's rank are zero: their scores are 0, NaN for a frame with NaN.
        vectors = np.zeros((k, first.pixels))
        vectors[:found] = components.vectors
        self.found = found
        self.components = Components(components.mean, vectors, np.pad(components.variance, (0, k - found)),
                                     np.pad(components.ratio, (0, k - found)), components.count)

    def process(self, frames: np.ndarray) -> np.ndarray:
        return scores(frames, self.components)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        fitted = self.components
        k = len(fitted.vectors)
        per_frame = _visited_only(combined, visited)
        score_map = per_frame.reshape(self.nav_shape + (k,))
        return ReductionResult(
            {"scores": score_map,
             "components": np.moveaxis(fitted.vectors.reshape((k,) + tuple(self.sig_shape)), 0, -1),
             "mean": fitted.mean.reshape(self.sig_shape),
             "variance": fitted.variance, "variance_ratio": fitted.ratio,
             "rgb": rgb_composite(score_map[..., :3])},
            "scores", {"components": k, "method": "pca", "found": self.found, "frames": fitted.count})
