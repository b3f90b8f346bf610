"""``decomposition``: principal components of the frames, each frame's scores along them, and
an RGB picture of the scan made of the first three scores (PCA colouring).

Two passes over the data: the first streams the frames into a mergeable sketch
(:mod:`..kernels.decomposition`) and takes the components from it; the second projects every
frame onto them.  Each pass is an ordinary plan, so both run inline or on a cluster, and a job
checkpoints and resumes either pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
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
        return sketch_frames(frames, self.rank)

    def empty_partial(self) -> Sketch:
        return Sketch.empty(self.pixels)

    def merge(self, a: Sketch, b: Sketch) -> Sketch:
        return merge_sketches(a, b, self.rank)

    def next_pass(self, combined: Sketch) -> Plan:
        return ScoresPlan(self, principal_components(combined, self.components))


class ScoresPlan(Plan):
    """The second pass: every frame's scores along the components the first pass found."""

    def __init__(self, first: DecompositionPlan, components: Components) -> None:
        self.nav_shape, self.sig_shape, self.dtype = first.nav_shape, first.sig_shape, first.dtype
        self.outputs = first.outputs
        self.extra_shape = first.extra_shape
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
        per_frame = np.array(combined, dtype=np.float64)
        if visited is not None:
            outside = np.ones(len(per_frame), bool)
            outside[visited] = False
            per_frame[outside] = np.nan
        score_map = per_frame.reshape(self.nav_shape + (k,))
        return ReductionResult(
            {"scores": score_map,
             "components": np.moveaxis(fitted.vectors.reshape((k,) + tuple(self.sig_shape)), 0, -1),
             "mean": fitted.mean.reshape(self.sig_shape),
             "variance": fitted.variance, "variance_ratio": fitted.ratio,
             "rgb": rgb_composite(score_map[..., :3])},
            "scores", {"components": k, "found": self.found, "frames": fitted.count})
