"""``blobs``: the diffraction disks in every frame — positions to a fraction of a pixel and their
correlation strength, and a map of how many were found (LiberTEM's blobfinder, template
correlation through the FFT; :mod:`..kernels.blobs`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
from ..kernels.blobs import correlate, find_peaks, reach, template_spectrum
from .operations import Plan, ReductionResult


class BlobsPlan(Plan):
    """The template's spectrum is made once per request; each partition correlates its frames in
    batches and finds their peaks.  Picklable (plans travel to cluster workers)."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        self.radius = float(params["radius"])
        self.n_peaks = int(params["n_peaks"])
        distance = params.get("min_distance")
        self.min_distance = max(1, int(round(float(distance) if distance is not None else self.radius)))
        self.threshold = float(params["threshold"])
        self.template = str(params.get("template") or "disk")
        width_given = params.get("ring_width")
        self.ring_width = float(width_given) if width_given is not None else None
        if self.ring_width is not None and self.template != "ring":
            raise BadParameter(f"ring_width shapes the 'ring' template; this search uses '{self.template}'.",
                               hint='Leave ring_width out, or set "template": "ring".')
        if self.ring_width is not None and self.ring_width >= 2 * self.radius:
            raise BadParameter(f"A ring {self.ring_width:g} px wide around a radius of {self.radius:g} px leaves no "
                               "inside to weigh it against.", hint="Make ring_width less than twice the radius.")
        height, width = self.sig_shape
        extent = reach(self.radius, self.template, self.ring_width)
        if extent >= min(height, width):
            raise BadParameter(f"A {self.template} template of radius {self.radius:g} px (reaching {extent} px) "
                               f"does not fit frames of {height} × {width}.",
                               hint="Give the radius of the disks in the frames, in detector pixels.")
        self.spectrum, self.padded = template_spectrum(self.radius, (height, width), self.template, self.ring_width)

    def extra_shape(self, output: str) -> tuple[int, ...]:
        return {"positions": (self.n_peaks, 2), "strength": (self.n_peaks,)}.get(output, ())

    def process(self, frames: np.ndarray) -> np.ndarray:
        stack = np.asarray(frames).reshape((-1,) + tuple(self.sig_shape))
        return find_peaks(correlate(stack, self.spectrum, self.padded), self.n_peaks, self.min_distance,
                          self.threshold)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        rows = combined.reshape(-1, 1 + 3 * self.n_peaks).astype(np.float64)
        if visited is not None:
            outside = np.ones(math.prod(self.nav_shape), bool)
            outside[visited] = False
            rows[outside] = np.nan
        k = self.n_peaks
        positions = np.stack([rows[:, 1:1 + k], rows[:, 1 + k:1 + 2 * k]], axis=-1)
        return ReductionResult(
            {"count": rows[:, 0].reshape(self.nav_shape),
             "positions": positions.reshape(self.nav_shape + (k, 2)),
             "strength": rows[:, 1 + 2 * k:].reshape(self.nav_shape + (k,))},
            "count",
            {"radius": self.radius, "min_distance": self.min_distance, "threshold": self.threshold,
             "template": self.template})
