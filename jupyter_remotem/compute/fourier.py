"""``crystallinity``: how much of each frame's Fourier magnitude lies in a ring of spatial
frequencies — a map of where a scan is crystalline, as LiberTEM's crystallinity map
(``libertem.udf.crystallinity``) computes it: the direct beam masked out in real space, the
magnitude of the 2-D FFT summed over ``r_in <= |k| <= r_out``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
from ..kernels.fft import frequency_radius, half_spectrum_weights, ring_magnitude_sums
from ..kernels.masks import disk
from .operations import Plan, ReductionResult


class CrystallinityPlan(Plan):
    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        height, width = self.sig_shape
        self.r_in, self.r_out = float(params["r_in"]), float(params["r_out"])
        if not self.r_out > self.r_in:
            raise BadParameter(f"crystallinity needs r_out > r_in; got r_in {self.r_in:g}, r_out {self.r_out:g}.",
                               hint="Both are radii in pixels of the frame's Fourier transform.")
        frequencies = frequency_radius((height, width))
        self.ring = (frequencies >= self.r_in) & (frequencies <= self.r_out)
        if not self.ring.any():
            raise BadParameter(f"No frequency of a {height} × {width} transform lies between r_in {self.r_in:g} "
                               f"and r_out {self.r_out:g}.",
                               hint=f"The largest radius is {frequencies.max():.1f} pixels.")
        self.weights = half_spectrum_weights(self.ring)
        self.zeroed = None
        if params.get("beam_r") is not None:
            cx = params["beam_cx"] if params.get("beam_cx") is not None else (width - 1) / 2
            cy = params["beam_cy"] if params.get("beam_cy") is not None else (height - 1) / 2
            self.zeroed = disk(cx, cy, float(params["beam_r"]), (height, width))

    def process(self, frames: np.ndarray) -> np.ndarray:
        return ring_magnitude_sums(frames, self.weights, self.zeroed)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        result = combined.reshape(self.nav_shape).astype(np.float64)
        if visited is not None:
            outside = np.ones(result.size, bool)
            outside[visited] = False
            result.reshape(-1)[outside] = np.nan
        return ReductionResult({"crystallinity": result}, "crystallinity",
                               {"r_in": self.r_in, "r_out": self.r_out, "frequencies": int(self.ring.sum())})
