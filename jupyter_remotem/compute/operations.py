"""The registry of operations: one definition serves the REST API, estimates and the client.

A reduction is described by a *plan* built from the request parameters and the dataset's
geometry.  The executor feeds it partitions of frames; the plan turns each into a small partial
result and finally assembles the answer.  Partial results are either per scan position (placed
into a buffer by index, so partitions may finish in any order) or per detector pixel (merged).
Transformations (crop, bin, cast) make a new dataset instead; their plans live in
:mod:`.transformations` and only jobs run them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
from ..kernels import FrameMoments, com_fields, com_from_sums, com_sums
from .mask_cache import MASK_SETS
from .params import check_detectors, empty_reason, require_data
from .params import number as _number
from .transformations import TransformPlan, bin_plan, cast_plan, crop_plan


@dataclass
class ReductionResult:
    """Named arrays; ``primary`` is what ``format=npy`` and ``format=png`` answer with."""

    arrays: dict[str, np.ndarray]
    primary: str
    attributes: dict[str, Any] = field(default_factory=dict)


class Plan:
    """Base class of reduction plans (see module docstring)."""

    #: "position": partial results are (n, ...) arrays placed by scan index; "merge": merged.
    partial_kind = "position"

    def __init__(self, dataset: Dataset) -> None:
        require_data(dataset.shape, dataset.nav_ndim, "reduce")
        self.nav_shape = dataset.nav_shape
        self.sig_shape = dataset.sig_shape
        self.dtype = dataset.dtype

    def process(self, frames: np.ndarray) -> Any:
        raise NotImplementedError

    def empty_partial(self) -> Any:
        """What a partition contributes when it is empty (merge plans only)."""
        raise NotImplementedError

    def merge(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def position_buffer(self, n_frames: int, sample: np.ndarray) -> np.ndarray:
        """Buffer for per-position results, sized from a processed sample's shape and dtype."""
        return np.zeros((n_frames,) + sample.shape[1:], dtype=sample.dtype)

    def finish(self, combined: Any, visited: np.ndarray | None) -> ReductionResult:
        raise NotImplementedError

    def bytes_out(self, single_array: bool = False) -> int:
        """Bytes of the result: every array (HDF5), or the largest one (formats holding one)."""
        return 0


def _frames_not_2d(dataset: Dataset) -> str | None:
    if len(dataset.sig_shape) != 2:
        return f"it needs 2-D detector frames; this dataset's frames have shape {list(dataset.sig_shape)}"
    return None


def _no_scan(dataset: Dataset) -> str | None:
    if dataset.nav_ndim < 1:
        return f"it needs at least one scan axis; this dataset of shape {list(dataset.shape)} has none"
    return None


def _require_2d_frames(dataset: Dataset) -> None:
    reason = _frames_not_2d(dataset)
    if reason:
        raise BadParameter(f"This operation cannot run: {reason}.",
                           hint="Choose a dataset whose last two axes are the detector.")


class VirtualDetectorPlan(Plan):
    """Masked sums with any number of detectors in one pass over the data."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        _require_2d_frames(dataset)
        detectors = params.get("detectors")
        if not isinstance(detectors, list) or not detectors:
            raise BadParameter(
                "virtual_detector needs a non-empty list 'detectors'.",
                hint='For example {"detectors": [{"shape": "disk", "cx": 64, "cy": 64, "r": 10}]}.',
            )
        check_detectors(detectors, self.sig_shape)
        self.masks = MASK_SETS.get(detectors, self.sig_shape)  # built once per geometry

    def process(self, frames: np.ndarray) -> np.ndarray:
        return self.masks.apply(frames)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        return ReductionResult({"intensity": combined.reshape(self.nav_shape + (self.masks.k,))}, "intensity")

    def bytes_out(self, single_array: bool = False) -> int:
        return math.prod(self.nav_shape) * self.masks.k * 8


class CenterOfMassPlan(Plan):
    """Centre of mass per frame and the fields derived from it (as LiberTEM's CoM analysis)."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        _require_2d_frames(dataset)
        height, width = self.sig_shape
        self.cx = _number(params, "cx", (width - 1) / 2)
        self.cy = _number(params, "cy", (height - 1) / 2)
        self.r = _number(params, "r", None)
        if self.r is not None and self.r <= 0:
            raise BadParameter("Parameter 'r' must be positive.")
        self.scan_rotation = _number(params, "scan_rotation", 0.0)
        self.flip_y = bool(params.get("flip_y", False))

    def process(self, frames: np.ndarray) -> np.ndarray:
        return com_sums(frames, self.cx, self.cy, self.r)

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        centres = com_from_sums(combined).reshape(self.nav_shape + (2,))
        if visited is not None:
            outside = np.ones(math.prod(self.nav_shape), bool)
            outside[visited] = False
            centres.reshape(-1, 2)[outside] = np.nan
        arrays = {"com_y": centres[..., 0], "com_x": centres[..., 1]}
        if len(self.nav_shape) in (1, 2):
            arrays.update(com_fields(centres, self.cy, self.cx, self.scan_rotation, self.flip_y))
        primary = "magnitude" if "magnitude" in arrays else "com_y"
        return ReductionResult(arrays, primary, {"cx": self.cx, "cy": self.cy, "r": self.r})

    def bytes_out(self, single_array: bool = False) -> int:
        return math.prod(self.nav_shape) * 8 * (1 if single_array else 7)


class FrameStatsPlan(Plan):
    """Sum, mean, standard deviation, minimum and maximum frame over the scan (or an ROI)."""

    partial_kind = "merge"

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)

    def process(self, frames: np.ndarray) -> FrameMoments:
        return FrameMoments.from_frames(frames)

    def empty_partial(self) -> FrameMoments:
        return FrameMoments.empty(self.sig_shape, self.dtype)

    def merge(self, a: FrameMoments, b: FrameMoments) -> FrameMoments:
        return a.merge(b)

    def finish(self, combined: FrameMoments, visited: np.ndarray | None) -> ReductionResult:
        arrays = {
            "sum": np.asarray(combined.sum),
            "mean": np.asarray(combined.mean),
            "std": np.asarray(combined.std),
            "max": np.asarray(combined.max),
            "min": np.asarray(combined.min),
        }
        return ReductionResult(arrays, "mean", {"count": int(combined.count)})

    def bytes_out(self, single_array: bool = False) -> int:
        return math.prod(self.sig_shape) * 8 * (1 if single_array else 5)


class DirectBeamPlan(FrameStatsPlan):
    """The direct beam of the mean frame over the scan (or an ROI): the centre and radius of its
    brightest disk, found the way previews place their detectors
    (:func:`.preview.estimate_direct_beam`), so that the viewer's automatic CoM centre and a
    preview's bright field agree.  ``beam`` is ``[cx, cy, r]`` in frame pixels; ``mean`` is the
    frame it was found on."""

    def finish(self, combined: FrameMoments, visited: np.ndarray | None) -> ReductionResult:
        # Previews build on reductions, which build on this registry: imported when used.
        from .preview import estimate_direct_beam

        mean = np.asarray(combined.mean)
        beam = estimate_direct_beam(mean)
        return ReductionResult({"beam": np.array([beam.cx, beam.cy, beam.r]), "mean": mean}, "beam",
                               {"count": int(combined.count)})

    def bytes_out(self, single_array: bool = False) -> int:
        return 3 * 8 if single_array else 3 * 8 + math.prod(self.sig_shape) * 8


@dataclass(frozen=True)
class Operation:
    name: str
    kind: str  # "reduction" or "transformation"
    description: str
    plan: Callable[[Dataset, dict[str, Any]], Plan | TransformPlan] | None
    #: Why it cannot run remotely (yet), shown to users instead of failing.
    unavailable: str | None = None
    #: Why it cannot run on a given dataset (None when it can).
    requires: Callable[[Dataset], str | None] | None = None

    def plan_for(self, dataset: Dataset, params: dict[str, Any]) -> Plan | TransformPlan:
        """The validated plan; an empty dataset is refused first, with its reason, before any
        parameter is checked against axes of size zero."""
        assert self.plan is not None, f"{self.name} has no plan"
        require_data(dataset.shape, dataset.nav_ndim, "transform" if self.kind == "transformation" else "reduce")
        return self.plan(dataset, params)

    def availability(self, dataset: Dataset | None) -> dict[str, Any]:
        """Whether this operation can run (on ``dataset``, when given), and if not, why."""
        reason = self.unavailable
        if reason is None and dataset is not None:
            reason = empty_reason(dataset.shape, dataset.nav_ndim)
            if reason is None and self.requires is not None:
                reason = self.requires(dataset)
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "available": reason is None, "reason": reason}


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("virtual_detector", "reduction", "Masked sums: bright field, ADF, any drawn detector.",
                  VirtualDetectorPlan, requires=_frames_not_2d),
        Operation("com", "reduction", "Centre of mass, shifts, magnitude, divergence and curl.", CenterOfMassPlan,
                  requires=_frames_not_2d),
        Operation("frame_stats", "reduction", "Sum, mean, std, min and max frame over the scan or an ROI.",
                  FrameStatsPlan),
        Operation("direct_beam", "reduction",
                  "Centre and radius of the direct beam (the brightest disk) in the mean frame, [cx, cy, r].",
                  DirectBeamPlan, requires=_frames_not_2d),
        Operation("pick", "reduction", "One frame at a scan position.", None),
        Operation("crop", "transformation", "A new dataset of part of the scan and/or of the frames.", crop_plan,
                  requires=_no_scan),
        Operation("bin", "transformation", "A new dataset binned over scan and/or detector pixels (sum or mean).",
                  bin_plan, requires=_no_scan),
        Operation("cast", "transformation", "A new dataset in another dtype, optionally scaled, offset, clipped.",
                  cast_plan, requires=_no_scan),
    )
}


def get_operation(name: Any) -> Operation:
    if not isinstance(name, str) or name not in OPERATIONS:
        raise BadParameter(
            f"Unknown operation {name!r}.",
            hint=f"Available: {', '.join(sorted(OPERATIONS))}.",
        )
    operation = OPERATIONS[name]
    if operation.unavailable:
        raise BadParameter(f"'{name}' cannot run remotely yet: {operation.unavailable}")
    return operation
