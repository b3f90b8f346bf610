"""``fem``: fluctuation electron microscopy — how much each frame's intensity varies within a
ring of scattering angles (LiberTEM's ``FEMUDF``: the standard deviation within a ring), and how
much the ring's mean intensity varies over the scan, normalised: ``V = <I^2> / <I>^2 - 1``, the
variance that FEM reads medium-range order from."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
from ..kernels.fem import ring_mean_std
from ..kernels.masks import ring
from .operations import Plan, ReductionResult


def normalised_variance(intensity: np.ndarray) -> float:
    """``<I^2> / <I>^2 - 1`` over the finite values of ``intensity``; NaN when none is finite or
    their mean is zero."""
    finite = intensity[np.isfinite(intensity)].astype(np.float64)
    if finite.size == 0:
        return math.nan
    mean = finite.mean()
    if mean == 0:
        return math.nan
    return float(np.mean((finite - mean) ** 2) / mean**2)


class FemPlan(Plan):
    """The ring is made once per request; each partition gives every frame's mean and deviation
    over it.  Picklable (plans travel to cluster workers)."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        height, width = self.sig_shape
        self.cx = float(params["cx"]) if params.get("cx") is not None else (width - 1) / 2
        self.cy = float(params["cy"]) if params.get("cy") is not None else (height - 1) / 2
        self.ri, self.ro = float(params["ri"]), float(params["ro"])
        if not self.ro > self.ri:
            raise BadParameter(f"fem needs ro > ri; got ri {self.ri:g}, ro {self.ro:g} px.",
                               hint="ri and ro are the inner and outer radius of the ring, in detector pixels.")
        self.mask = ring(self.cx, self.cy, self.ri, self.ro, self.sig_shape)
        self.pixels = int(self.mask.sum())
        if self.pixels == 0:
            raise BadParameter(f"The ring ri {self.ri:g} < d <= ro {self.ro:g} around ({self.cx:g}, {self.cy:g}) "
                               f"holds no pixel of a {height} × {width} frame.",
                               hint="Widen the ring, or move its centre onto the frame.")

    def process(self, frames: np.ndarray) -> np.ndarray:
        return ring_mean_std(frames, self.mask)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        moments = combined.reshape(self.nav_shape + (2,)).astype(np.float64)
        if visited is not None:
            outside = np.ones(math.prod(self.nav_shape), bool)
            outside[visited] = False
            moments.reshape(-1, 2)[outside] = np.nan
        mean, std = moments[..., 0], moments[..., 1]
        return ReductionResult(
            {"std": std, "mean": mean, "variance": np.float64(normalised_variance(mean))}, "std",
            {"cx": self.cx, "cy": self.cy, "ri": self.ri, "ro": self.ro, "pixels": self.pixels})
