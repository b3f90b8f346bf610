"""``radial_profile``: each frame's mean intensity over rings around a centre, optionally cut
into azimuthal sectors — the azimuthal integration of a diffraction pattern at every scan
position (LiberTEM's radial and ring analyses, pyFAI's ``integrate_radial`` per frame)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
from ..kernels.labels import Labels
from ..kernels.radial import bin_labels, default_max_radius, label_sums
from .operations import Plan, ReductionResult


class RadialProfilePlan(Plan):
    """The label image of the rings and sectors is made once per request; each partition is
    one pass over its frames (:func:`..kernels.radial.label_sums`).  Picklable (plans travel to
    cluster workers)."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        if len(self.sig_shape) != 2:
            raise BadParameter(f"A radial profile needs 2-D frames; these have shape {list(self.sig_shape)}.",
                               hint="Choose a dataset whose last two axes are the detector.")
        height, width = self.sig_shape
        self.cx = float(params["cx"]) if params.get("cx") is not None else (width - 1) / 2
        self.cy = float(params["cy"]) if params.get("cy") is not None else (height - 1) / 2
        if not (math.isfinite(self.cx) and math.isfinite(self.cy)):
            raise BadParameter("The centre cx, cy must be finite numbers.")
        r_min = float(params["r_min"])
        r_max = params.get("r_max")
        r_max = float(r_max) if r_max is not None else default_max_radius(self.cx, self.cy, self.sig_shape)
        if not r_max > r_min:
            raise BadParameter(f"radial_profile needs r_max > r_min; got r_min {r_min:g}, r_max {r_max:g} px.",
                               hint="Leave r_max out to reach the farthest pixel of the frame.")
        self.rings, self.sectors = int(params["bins"]), int(params["sectors"])
        self.angle_offset = float(params["angle_offset"])
        self.edges = np.linspace(r_min, r_max, self.rings + 1)
        labels = bin_labels(self.cx, self.cy, self.edges, self.sectors, self.angle_offset, self.sig_shape)
        self.pixels = np.bincount(labels[labels >= 0], minlength=self.rings * self.sectors)
        self.labels = Labels.of_image(labels, self.rings * self.sectors)

    def extra_shape(self, output: str) -> tuple[int, ...]:
        return (self.sectors, self.rings) if output in ("profile", "pixels") else (self.rings,)

    def process(self, frames: np.ndarray) -> np.ndarray:
        sums = label_sums(frames, self.labels, self.sig_shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.pixels > 0, sums / self.pixels, np.nan)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        profile = combined.reshape(self.nav_shape + (self.sectors, self.rings))
        if visited is not None:
            outside = np.ones(math.prod(self.nav_shape), bool)
            outside[visited] = False
            profile.reshape(-1, self.sectors, self.rings)[outside] = np.nan
        radius = (self.edges[:-1] + self.edges[1:]) / 2
        return ReductionResult(
            {"profile": profile, "radius": radius,
             "pixels": self.pixels.reshape(self.sectors, self.rings).astype(np.float64)},
            "profile",
            {"cx": self.cx, "cy": self.cy, "edges": self.edges.tolist(), "angle_offset": self.angle_offset})
