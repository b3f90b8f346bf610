"""The registry of operations: one definition serves the REST API, estimates and the client.

A reduction is described by a *plan* built from the request parameters and the dataset's
geometry.  The executor feeds it partitions of frames; the plan turns each into a small partial
result and finally assembles the answer.  Partial results are either per scan position (placed
into a buffer by index, so partitions may finish in any order) or per detector pixel (merged).
Transformations (crop, bin, cast) make a new dataset instead; their plans live in
:mod:`.transformations` and only jobs run them.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Dataset
from ..kernels import FrameMoments, com_fields, com_from_sums, com_sums
from ..kernels.blobs import TEMPLATES as BLOB_TEMPLATES
from ..kernels.transform import CAST_DTYPES
from .declarations import FRAME, REQUIRED, SCAN, SINGLE, Dim, Output, Parameter, ParamsValidator, result_bytes
from .mask_cache import MASK_SETS
from .params import check_detectors, empty_reason, require_data
from .params import number as _number
from .transformations import (
    POLAR_MAX_ANGLES,
    POLAR_MAX_RADII,
    TransformPlan,
    bin_plan,
    cast_plan,
    crop_plan,
    export_plan,
    fft_plan,
    flip_plan,
    affine_plan,
    flatfield_plan,
    fourier_filter_plan,
    mask_crop_plan,
    polar_plan,
    rotate_plan,
    transpose_plan,
)


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
    #: How many times the plan reads the data: a plan that needs something of all the frames
    #: before it can answer for each (a decomposition's components) hands over to a next pass.
    passes = 1
    #: Seconds of computing per frame when the plan has measured them itself (a user's function,
    #: timed on the first frame); quotes and the interactive limit take the larger of that and
    #: the time to read the frames.
    seconds_per_frame = 0.0
    #: Scan positions before and after each frame the plan looks at (a map comparing every frame
    #: with its neighbours); the executors then call :meth:`process_around` instead of
    #: :meth:`process`.
    frames_around = 0

    def __init__(self, dataset: Dataset) -> None:
        require_data(dataset.shape, dataset.nav_ndim, "reduce")
        self.nav_shape = dataset.nav_shape
        self.sig_shape = dataset.sig_shape
        self.dtype = dataset.dtype

    def process(self, frames: np.ndarray) -> Any:
        raise NotImplementedError

    def process_around(self, block: np.ndarray, first: int, indices: np.ndarray) -> Any:
        """The partial of the frames at flat scan ``indices``, given ``block``: the frames from
        flat index ``first`` on, reaching :attr:`frames_around` beyond the first and last."""
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

    def next_pass(self, combined: Any) -> Plan | None:
        """The plan of the following pass over the same frames, made from this pass's combined
        partials (then its ``finish`` answers), or None when this pass answers."""
        return None

    #: The operation's declared outputs (set by :meth:`Operation.plan_for`).
    outputs: tuple[Output, ...] = ()

    def extra_shape(self, output: str) -> tuple[int, ...]:
        """The sizes of ``output``'s declared extra axes (a detector index, bins), which only
        the parameters tell."""
        return ()

    def bytes_out(self, single_array: bool = False) -> int:
        """Bytes of the result from its declared outputs: every array (HDF5), or the largest
        one (formats holding one)."""
        return result_bytes(self.outputs, self, self.extra_shape, single_array)


def _frames_not_2d(dataset: Dataset) -> str | None:
    if len(dataset.sig_shape) != 2:
        return f"it needs 2-D detector frames; this dataset's frames have shape {list(dataset.sig_shape)}"
    return None


def _frames_or_scan_2d(dataset: Dataset) -> str | None:
    if len(dataset.sig_shape) != 2 and dataset.nav_ndim not in (1, 2):
        return (f"it turns 2-D frames or a scan of one or two axes; this dataset of shape {list(dataset.shape)} has "
                "neither")
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

    def extra_shape(self, output: str) -> tuple[int, ...]:
        return (self.masks.k,)


class CenterOfMassPlan(Plan):
    """Centre of mass per frame and the fields derived from it (as LiberTEM's CoM analysis)."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        _require_2d_frames(dataset)
        height, width = self.sig_shape
        self.cx = _number(params, "cx", (width - 1) / 2)
        self.cy = _number(params, "cy", (height - 1) / 2)
        self.r = _number(params, "r", None)
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

    def extra_shape(self, output: str) -> tuple[int, ...]:
        return (3,) if output == "beam" else ()


def _built_on_plan(module: str, name: str) -> Callable[[Dataset, dict[str, Any]], Plan]:
    """The plan class ``name`` of ``module`` (in this package), imported on first use: those
    modules build on this one's :class:`Plan`, so they cannot be imported before it."""

    def plan(dataset: Dataset, params: dict[str, Any]) -> Plan:
        return getattr(importlib.import_module(f"{__package__}.{module}"), name)(dataset, params)

    plan.__qualname__ = plan.__name__ = name
    return plan


#: What every user function sends besides itself (the client fills them in).
_USER_CODE = (
    Parameter("function", {"type": "string", "minLength": 1},
              "the function (map) or object (apply), pickled by value with cloudpickle, in base64", REQUIRED),
    Parameter("environment", {"type": "object"}, "the python, cloudpickle and numpy versions that pickled it; "
              "a different Python minor version or cloudpickle or numpy major version is refused", REQUIRED),
    Parameter("name", {"type": ["string", "null"], "maxLength": 200}, "what to call it in results and job lists"),
)


def _com_fields_need(geometry: Any) -> bool:
    return len(geometry.nav_shape) in (1, 2)


_PIXELS = "px"
_SECTOR = Dim("sector", description="the azimuthal sectors, from angle_offset", index=True)
_RADIUS = Dim("radius", _PIXELS, "the rings, from r_min out", coordinate="radius")
_COMPONENT = Dim("component", description="the principal components, strongest first", index=True)
_PEAK = Dim("peak", description="the disks of a frame, strongest first", index=True)
_PRECISION = Parameter("precision", {"enum": ["single", "double"]},
                       "float32 / complex64 (single) or float64 / complex128 (double) transforms", "single")
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_PER_AXIS = {"type": ["array", "null"]}
_PAIR = {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}}
_MATRIX = {"type": "array", "minItems": 2, "maxItems": 2, "items": _PAIR}
_ORDER = Parameter("order", {"enum": [0, 1, 3]}, "the interpolation: 0 nearest pixel, 1 linear, 3 cubic spline", 1)
_FILL = Parameter("fill", {"type": "number"}, "the value where the map falls outside the frame", 0.0)
_REFERENCE = {"type": ["string", "array", "null"]}
_TURNED = Parameter("on", {"enum": ["frame", "scan"]}, "what turns: each frame, or the scan (the positions of the "
                    "frames)", "frame")


@dataclass(frozen=True)
class Operation:
    """One operation, declared once: what it is, what it takes (:attr:`parameters`, served as
    a JSON Schema), what it gives (:attr:`outputs`), how it runs (:attr:`plan`) and on what."""

    name: str
    kind: str  # "reduction" or "transformation"
    description: str
    plan: Callable[[Dataset, dict[str, Any]], Plan | TransformPlan] | None
    #: Why it cannot run remotely (yet), shown to users instead of failing.
    unavailable: str | None = None
    #: Why it cannot run on a given dataset (None when it can).
    requires: Callable[[Dataset], str | None] | None = None
    parameters: tuple[Parameter, ...] = ()
    #: The arrays of a reduction's result; a transformation's result is a dataset.
    outputs: tuple[Output, ...] = ()
    #: The output a format holding one array writes, unless the view names another.
    primary: str | None = None
    #: It runs a function sent by the client (only a logged-in session may send one; no form
    #: in the viewer can make one).
    takes_code: bool = False
    #: Where an operation without a plan runs instead (a copy: its own job request).
    runs_as: str | None = None
    #: A transformation that may be a lazy step of a ``pipeline``: it makes each output frame
    #: from input frames alone, so a view computes it on the way to any reduction.
    chains: bool = False

    @cached_property
    def validate(self) -> ParamsValidator:
        """``validate(params)``: the parameters checked against :attr:`parameters` (a precise
        400 otherwise), with their defaults filled in.  Made once: compiling the schema's
        validator took milliseconds, more than a small reduction itself."""
        return ParamsValidator(self.name, self.parameters)

    def plan_for(self, dataset: Dataset, params: dict[str, Any]) -> Plan | TransformPlan:
        """The validated plan; an empty dataset is refused first, with its reason, before any
        parameter is checked against axes of size zero."""
        if self.plan is None:  # pick answers without one; a copy moves files, not arrays
            raise BadParameter(f"'{self.name}' does not run on a dataset's frames here.",
                               hint=self.runs_as or "Ask for it where the API documents it.")
        require_data(dataset.shape, dataset.nav_ndim, "transform" if self.kind == "transformation" else "reduce")
        plan = self.plan(dataset, self.validate(params))
        if isinstance(plan, Plan):
            plan.outputs = self.outputs
        return plan

    def availability(self, dataset: Dataset | None) -> dict[str, Any]:
        """Whether this operation can run (on ``dataset``, when given), and if not, why; with
        its declaration (parameters as a JSON Schema, outputs, primary output)."""
        reason = self.unavailable
        if reason is None and dataset is not None:
            reason = empty_reason(dataset.shape, dataset.nav_ndim)
            if reason is None and self.requires is not None:
                reason = self.requires(dataset)
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "available": reason is None, "reason": reason, **self.declaration()}

    def declaration(self) -> dict[str, Any]:
        return {"parameters": self.validate.schema(), "outputs": [output.to_json() for output in self.outputs],
                "primary": self.primary, "takes_code": self.takes_code, "chains": self.chains}


OPERATIONS: dict[str, Operation] = {}
#: What an operation makes: arrays (a reduction), a new dataset (a transformation), or files moved
#: as they are from one repository to another (a copy).
KINDS = ("reduction", "transformation", "copy")


def register(operation: Operation) -> Operation:
    """Make ``operation`` known to every front door (the REST API, ``GET operations``, jobs,
    the client and the viewer read this registry); answers it."""
    if operation.kind not in KINDS:
        raise ValueError(f"an operation is one of {', '.join(KINDS)}, not {operation.kind!r}")
    if operation.kind == "reduction" and operation.outputs and operation.primary not in {
            output.name for output in operation.outputs}:
        raise ValueError(f"{operation.name}: primary {operation.primary!r} is not one of its outputs")
    OPERATIONS[operation.name] = operation
    return operation


def unregister(name: str) -> None:
    OPERATIONS.pop(name, None)


for _operation in (
    Operation(
        "virtual_detector", "reduction", "Masked sums: bright field, ADF, any drawn detector.",
        VirtualDetectorPlan, requires=_frames_not_2d,
        parameters=(Parameter("detectors", {"type": "array", "minItems": 1, "items": {"type": "object"}},
                              "the detectors: shapes in frame pixels (disk, ring, rectangle, polygon, point) "
                              "or weights masks", REQUIRED),),
        outputs=(Output("intensity", SCAN, "the sum within each detector at each scan position",
                        (Dim("detector", description="the detectors, in the order given", index=True),)),),
        primary="intensity"),
    Operation(
        "com", "reduction", "Centre of mass, shifts, magnitude, divergence and curl.", CenterOfMassPlan,
        requires=_frames_not_2d,
        parameters=(
            Parameter("cx", _NUMBER_OR_NULL, "x of the reference centre (default: the frame's centre)", None, _PIXELS),
            Parameter("cy", _NUMBER_OR_NULL, "y of the reference centre (default: the frame's centre)", None, _PIXELS),
            Parameter("r", {"type": ["number", "null"], "exclusiveMinimum": 0},
                      "radius of the disk the centre of mass is taken in (default: the whole frame)", None, _PIXELS),
            Parameter("scan_rotation", {"type": "number"}, "rotation of the scan against the detector", 0.0, "deg"),
            Parameter("flip_y", {"type": "boolean"}, "whether the detector's y axis is flipped", False),
        ),
        outputs=(
            Output("com_y", SCAN, "y of each frame's centre of mass", unit=_PIXELS),
            Output("com_x", SCAN, "x of each frame's centre of mass", unit=_PIXELS),
            *(Output(name, SCAN, text, unit=unit, when=_com_fields_need, when_text="a 1-D or 2-D scan")
              for name, text, unit in (
                  ("shift_y", "y of the shift from the reference centre, in scan coordinates", _PIXELS),
                  ("shift_x", "x of the shift from the reference centre, in scan coordinates", _PIXELS),
                  ("magnitude", "length of the shift", _PIXELS),
                  ("divergence", "divergence of the shift field", None),
                  ("curl", "curl of the shift field", None))),
        ),
        primary="magnitude"),
    Operation(
        "frame_stats", "reduction", "Sum, mean, std, min and max frame over the scan or an ROI.", FrameStatsPlan,
        outputs=tuple(Output(name, FRAME, f"the {text} over the scan positions visited")
                      for name, text in (("sum", "sum of the frames"), ("mean", "mean frame"),
                                         ("std", "standard deviation of each pixel"), ("max", "maximum of each pixel"),
                                         ("min", "minimum of each pixel"))),
        primary="mean"),
    Operation(
        "direct_beam", "reduction",
        "Centre and radius of the direct beam (the brightest disk) in the mean frame, [cx, cy, r].",
        DirectBeamPlan, requires=_frames_not_2d,
        outputs=(Output("beam", SINGLE, "[cx, cy, r] of the direct beam",
                        (Dim("quantity", description="cx, cy and r, in that order", index=True),), unit=_PIXELS),
                 Output("mean", FRAME, "the mean frame it was found on")),
        primary="beam"),
    Operation(
        "radial_profile", "reduction",
        "Mean intensity over rings around a centre, optionally in azimuthal sectors, at every scan position.",
        _built_on_plan("radial", "RadialProfilePlan"), requires=_frames_not_2d,
        parameters=(
            Parameter("cx", _NUMBER_OR_NULL, "x of the centre (default: the frame's centre)", None, _PIXELS),
            Parameter("cy", _NUMBER_OR_NULL, "y of the centre (default: the frame's centre)", None, _PIXELS),
            Parameter("r_min", {"type": "number", "minimum": 0}, "inner edge of the first ring", 0.0, _PIXELS),
            Parameter("r_max", {"type": ["number", "null"], "exclusiveMinimum": 0},
                      "outer edge of the last ring (default: the farthest pixel)", None, _PIXELS),
            Parameter("bins", {"type": "integer", "minimum": 1, "maximum": 4096}, "rings of equal width", 32),
            Parameter("sectors", {"type": "integer", "minimum": 1, "maximum": 360},
                      "azimuthal sectors of equal angle", 1),
            Parameter("angle_offset", {"type": "number"}, "where the first sector starts, from +x towards +y",
                      0.0, "deg"),
        ),
        outputs=(
            Output("profile", SCAN, "the mean intensity in each sector of each ring (NaN: no pixel)",
                   (_SECTOR, _RADIUS)),
            Output("radius", SINGLE, "the middle radius of each ring", (_RADIUS,), unit=_PIXELS),
            Output("pixels", SINGLE, "the pixels in each sector of each ring", (_SECTOR, _RADIUS)),
        ),
        primary="profile"),
    Operation(
        "crystallinity", "reduction",
        "The Fourier magnitude of each frame summed over a ring of spatial frequencies: where the scan is "
        "crystalline.",
        _built_on_plan("fourier", "CrystallinityPlan"), requires=_frames_not_2d,
        parameters=(
            Parameter("r_in", {"type": "number", "minimum": 0},
                      "inner radius of the ring, in pixels of the frame's Fourier transform", REQUIRED, _PIXELS),
            Parameter("r_out", {"type": "number", "exclusiveMinimum": 0},
                      "outer radius of the ring, in pixels of the frame's Fourier transform", REQUIRED, _PIXELS),
            Parameter("beam_r", {"type": ["number", "null"], "exclusiveMinimum": 0},
                      "radius of the direct beam, set to zero before the transform (default: nothing masked)", None,
                      _PIXELS),
            Parameter("beam_cx", _NUMBER_OR_NULL, "x of the direct beam (default: the frame's centre)", None, _PIXELS),
            Parameter("beam_cy", _NUMBER_OR_NULL, "y of the direct beam (default: the frame's centre)", None, _PIXELS),
        ),
        outputs=(Output("crystallinity", SCAN, "the sum of |FFT| over the ring at each scan position"),),
        primary="crystallinity"),
    Operation(
        "fem", "reduction",
        "Fluctuation electron microscopy: the spread of each frame's intensity within a ring, and the normalised "
        "variance of the ring's mean intensity over the scan.",
        _built_on_plan("fem", "FemPlan"), requires=_frames_not_2d,
        parameters=(
            Parameter("cx", _NUMBER_OR_NULL, "x of the ring's centre (default: the frame's centre)", None, _PIXELS),
            Parameter("cy", _NUMBER_OR_NULL, "y of the ring's centre (default: the frame's centre)", None, _PIXELS),
            Parameter("ri", {"type": "number", "minimum": 0}, "inner radius of the ring (open: ri < d)", REQUIRED,
                      _PIXELS),
            Parameter("ro", {"type": "number", "exclusiveMinimum": 0}, "outer radius of the ring (d <= ro)", REQUIRED,
                      _PIXELS),
        ),
        outputs=(
            Output("std", SCAN, "the standard deviation of the ring's pixels at each scan position"),
            Output("mean", SCAN, "the mean of the ring's pixels at each scan position"),
            Output("variance", SINGLE, "<I^2> / <I>^2 - 1 of the ring's mean intensity I over the scan "
                   "(NaN positions left out)"),
        ),
        primary="std"),
    Operation(
        "blobs", "reduction",
        "The diffraction disks in every frame: positions refined to a fraction of a pixel by template correlation, "
        "their strength, and how many there are.",
        _built_on_plan("blobs", "BlobsPlan"), requires=_frames_not_2d,
        parameters=(
            Parameter("radius", {"type": "number", "exclusiveMinimum": 0, "maximum": 1024},
                      "radius of the disks to find", REQUIRED, _PIXELS),
            Parameter("n_peaks", {"type": "integer", "minimum": 1, "maximum": 256}, "most disks kept per frame", 16),
            Parameter("min_distance", {"type": ["number", "null"], "minimum": 1},
                      "least distance between two disks (default: the radius)", None, _PIXELS),
            Parameter("threshold", {"type": "number", "minimum": 0, "maximum": 1},
                      "weakest disk kept, as a fraction of the frame's strongest", 0.2),
            Parameter("template", {"enum": list(BLOB_TEMPLATES)},
                      "what a disk looks like: a disk against a dark ring around it, its rim only (an uneven "
                      "inside), or a Gaussian (a blurred spot)", "disk"),
            Parameter("ring_width", {"type": ["number", "null"], "exclusiveMinimum": 0},
                      "width of the rim the ring template weighs (default: a quarter of the radius, at least 1)",
                      None, _PIXELS),
        ),
        outputs=(
            Output("count", SCAN, "the disks found at each scan position (NaN: a frame holding NaN)"),
            Output("positions", SCAN, "x and y of each disk, strongest first (NaN beyond the count)",
                   (_PEAK, Dim("coordinate", _PIXELS, "x, then y, in detector pixels", index=True)), unit=_PIXELS),
            Output("strength", SCAN, "the template correlation of each disk (NaN beyond the count)", (_PEAK,)),
        ),
        primary="count"),
    Operation(
        "neighbour_correlation", "reduction",
        "How alike each frame is to its neighbours on the scan (left, right, above, below): high inside a grain "
        "or a phase, low at its boundaries, defects and jumps.",
        _built_on_plan("neighbours", "NeighbourPlan"), requires=_no_scan,
        outputs=(
            Output("correlation", SCAN, "the mean Pearson correlation of the frame with each neighbour (NaN: a "
                   "frame holding NaN or without variation)"),
            Output("difference", SCAN, "the mean root-mean-square difference between the frame and each "
                   "neighbour, in the data's units"),
        ),
        primary="correlation"),
    Operation(
        "decomposition", "reduction",
        "Principal components of the frames (PCA, in two passes) or a non-negative factorisation (NMF, in "
        "passes that refine it): the strongest patterns, each frame's scores along them, the variance each "
        "explains, and the first three scores as colours.",
        _built_on_plan("decomposition", "DecompositionPlan"),
        parameters=(Parameter("components", {"type": "integer", "minimum": 1, "maximum": 64},
                              "how many components", 8),
                    Parameter("method", {"enum": ["pca", "nmf"]}, "principal components (signed, orthogonal) or "
                              "a non-negative factorisation (parts that add up: phases, grains)", "pca"),
                    Parameter("iterations", {"type": "integer", "minimum": 1, "maximum": 200},
                              "NMF only: passes over the data refining the components (each reads every frame)",
                              10)),
        outputs=(
            Output("scores", SCAN, "each frame's coordinate along each component (NaN: a frame holding NaN, or "
                   "outside the ROI)", (_COMPONENT,)),
            Output("rgb", SCAN, "the first three scores as red, green and blue, each stretched over its 0.5 to "
                   "99.5 percentiles", (Dim("channel", description="red, green, blue", index=True),), dtype="uint8",
                   colour=True),
            Output("components", FRAME, "the components: unit frames, strongest first", (_COMPONENT,)),
            Output("mean", FRAME, "the mean frame the components are taken about"),
            Output("variance", SINGLE, "the variance of the scores along each component", (_COMPONENT,)),
            Output("variance_ratio", SINGLE, "the fraction of all the frames' variance each component explains",
                   (_COMPONENT,)),
        ),
        primary="scores"),
    Operation(
        "map", "reduction",
        "Your own function of one frame, run next to the data on every frame: its answer (a number or an array "
        "of the same shape for every frame) at each scan position.",
        _built_on_plan("user_functions", "MapPlan"), parameters=_USER_CODE, takes_code=True,
        outputs=(Output("result", SCAN, "what the function answers for each frame (further axes: the shape it "
                        "answers; NaN outside the ROI)"),),
        primary="result"),
    Operation(
        "apply", "reduction",
        "Your own object with process(frames) and merge(a, b) (and optionally finish(partial)), run next to the "
        "data on blocks of frames and merged over the scan, as a LiberTEM UDF's merge does.",
        _built_on_plan("user_functions", "ApplyPlan"), parameters=_USER_CODE, takes_code=True,
        outputs=(Output("result", SINGLE, "the merged (and finished) answer"),), primary="result"),
    Operation(
        "pick", "reduction", "One frame at a scan position.", None,
        parameters=(
            Parameter("position", {"type": "array", "items": {"type": "integer", "minimum": 0}},
                      "the scan indices of the frame, one per scan axis"),
            Parameter("y", {"type": "integer", "minimum": 0}, "the scan row (with x, instead of position)"),
            Parameter("x", {"type": "integer", "minimum": 0}, "the scan column (with y, instead of position)"),
        ),
        outputs=(Output("frame", FRAME, "the frame as stored"),), primary="frame"),
    Operation(
        "copy", "copy",
        "A file or folder copied to another repository (or another place in the same one), as a job: each file "
        "checked as it lands, what is already there and the same skipped, a data file's companions taken along.",
        None, runs_as='POST remotem/api/jobs with {"operation": "copy", "source": {"repository", "path"}, '
                      '"target": {"repository", "path"}}.',
        parameters=(
            Parameter("source", {"type": "object", "required": ["repository"],
                                 "properties": {"repository": {"type": "string"}, "path": {"type": "string"}}},
                      "what to copy: a repository and a path in it (a file or a folder; empty: all of it)", REQUIRED),
            Parameter("target", {"type": "object", "required": ["repository", "path"],
                                 "properties": {"repository": {"type": "string"}, "path": {"type": "string"}}},
                      "where it goes: a writable repository and a path in it", REQUIRED),
            Parameter("overwrite", {"type": "boolean"}, "replace files that exist at the target and differ", False),
            Parameter("priority", {"type": "integer"}, "higher runs first", 0),
        )),
    Operation(
        "export", "transformation",
        "A copy of the dataset in the output's format — NeXus (.nxs), HDF5, a TIFF stack, HyperSpy (.hspy) or CSV — "
        "with its calibrated axes and provenance, as a job (the format follows the output path).",
        export_plan, requires=_no_scan),
    Operation(
        "crop", "transformation", "A new dataset of part of the scan and/or of the frames.", crop_plan,
        requires=_no_scan, chains=True,
        parameters=(Parameter("nav", _PER_AXIS, "a half-open [start, stop] per scan axis (null: all of it)"),
                    Parameter("sig", _PER_AXIS, "a half-open [start, stop] per frame axis (null: all of it)"))),
    Operation(
        "bin", "transformation", "A new dataset binned over scan and/or detector pixels (sum or mean).",
        bin_plan, requires=_no_scan, chains=True,
        parameters=(Parameter("nav", _PER_AXIS, "the bin factor per scan axis (null: 1)"),
                    Parameter("sig", _PER_AXIS, "the bin factor per frame axis (null: 1)"),
                    Parameter("reduce", {"enum": ["mean", "sum"]}, "how the pixels of a bin combine", "mean"))),
    Operation(
        "cast", "transformation", "A new dataset in another dtype, optionally scaled, offset, clipped.",
        cast_plan, requires=_no_scan, chains=True,
        parameters=(Parameter("dtype", {"enum": list(CAST_DTYPES)}, "the new dtype", REQUIRED),
                    Parameter("scale", {"type": "number"}, "multiplies each value first", 1.0),
                    Parameter("offset", {"type": "number"}, "then added to each value", 0.0),
                    Parameter("clip", {"type": "boolean"}, "clamp to the new dtype's range (without it, a cast "
                              "that may overflow is refused)", False))),
    Operation(
        "flip", "transformation", "A new dataset of the frames (or the scan) mirrored: left and right (x) or top and bottom (y).",
        flip_plan, requires=_frames_or_scan_2d, chains=True,
        parameters=(Parameter("axis", {"enum": ["x", "y"]}, "the axis reversed", REQUIRED), _TURNED)),
    Operation(
        "rotate", "transformation",
        "A new dataset of the frames (or the scan) turned counter-clockwise by quarter turns (as numpy.rot90, row 0 "
        "at the top).",
        rotate_plan, requires=_frames_or_scan_2d, chains=True,
        parameters=(Parameter("quarter_turns", {"type": "integer", "enum": [1, 2, 3]}, "how many quarter turns",
                              REQUIRED), _TURNED)),
    Operation(
        "transpose", "transformation", "A new dataset of the frames (or the scan) transposed: x and y trade places.",
        transpose_plan, requires=_frames_or_scan_2d, chains=True, parameters=(_TURNED,)),
    Operation(
        "fft", "transformation",
        "A new dataset of each frame's Fourier transform, the zero frequency in the middle: its magnitude, or complex.",
        fft_plan, requires=_frames_not_2d, chains=True,
        parameters=(Parameter("output", {"enum": ["magnitude", "complex"]}, "the magnitude (real) or the complex "
                              "spectrum", "magnitude"),
                    _PRECISION)),
    Operation(
        "fourier_filter", "transformation",
        "A new dataset of the frames band-passed in Fourier space: only the spatial frequencies in a ring kept, "
        "transformed back.",
        fourier_filter_plan, requires=_frames_not_2d, chains=True,
        parameters=(Parameter("r_in", {"type": "number", "minimum": 0}, "the lowest frequency kept (0: a low-pass)",
                              0.0, _PIXELS),
                    Parameter("r_out", {"type": "number", "exclusiveMinimum": 0}, "the highest frequency kept",
                              REQUIRED, _PIXELS),
                    _PRECISION)),
    Operation(
        "affine", "transformation",
        "A new dataset of the frames resampled through an affine map (scipy.ndimage.affine_transform): output pixel "
        "(row, column) takes the input at matrix @ (row, column) + offset.",
        affine_plan, requires=_frames_not_2d, chains=True,
        parameters=(Parameter("matrix", _MATRIX, "the 2 × 2 matrix, in (row, column) order", [[1.0, 0.0], [0.0, 1.0]]),
                    Parameter("offset", _PAIR, "added after the matrix: [row, column]", [0.0, 0.0], _PIXELS),
                    _ORDER, _FILL)),
    Operation(
        "polar", "transformation",
        "A new dataset of the frames on angle (rows, from +x towards +y) and radius (columns) about a centre, "
        "interpolated (scipy.ndimage.map_coordinates).",
        polar_plan, requires=_frames_not_2d, chains=True,
        parameters=(
            Parameter("cx", _NUMBER_OR_NULL, "x of the centre (default: the frame's centre)", None, _PIXELS),
            Parameter("cy", _NUMBER_OR_NULL, "y of the centre (default: the frame's centre)", None, _PIXELS),
            Parameter("r_max", {"type": ["number", "null"], "exclusiveMinimum": 0},
                      "the largest radius, the last column (default: the farthest pixel)", None, _PIXELS),
            Parameter("n_radius", {"type": ["integer", "null"], "minimum": 2, "maximum": POLAR_MAX_RADII},
                      "columns from radius 0 to r_max (default: one per pixel of radius)", None),
            Parameter("n_angle", {"type": "integer", "minimum": 1, "maximum": POLAR_MAX_ANGLES},
                      "rows over the full turn", 360),
            _ORDER, _FILL)),
    Operation(
        "mask_crop", "transformation",
        "A new dataset cropped to a free-form region of the frames or of the scan (a polygon or a mask): outside it "
        "set to a fill value, its bounding box kept.",
        mask_crop_plan, requires=_no_scan, chains=True,
        parameters=(
            Parameter("polygon", {"type": ["array", "null"], "items": _PAIR},
                      "the region's outline, [[x, y], ...] in pixels (pixel centres inside are kept)", None, _PIXELS),
            Parameter("mask", {"type": ["array", "null"], "items": {"type": "array"}},
                      "the region as booleans shaped as the frame (or the scan), instead of a polygon", None),
            Parameter("on", {"enum": ["frame", "scan"]}, "whether the region is drawn on the frames or on the scan "
                      "(a scan region is for jobs: a pipeline takes frame regions)", "frame"),
            Parameter("fill", {"type": "number"}, "the value outside the region (it must fit the dtype)", 0.0))),
    Operation(
        "flatfield", "transformation",
        "A new dataset of the frames corrected with reference frames: (frame - dark) / (flat - dark), scaled back "
        "to counts; pixels without a usable reference become the fill value.",
        flatfield_plan, requires=_frames_not_2d, chains=True,
        parameters=(
            Parameter("dark", _REFERENCE, "the dark reference: 'repository:path' of a frame or a stack (averaged), "
                      "or the frame itself", None),
            Parameter("flat", _REFERENCE, "the flat (gain) reference, as the dark one; without it only the dark is "
                      "subtracted", None),
            Parameter("normalise", {"type": "boolean"}, "multiply by the mean of flat - dark, so counts keep their "
                      "scale", True),
            _PRECISION,
            Parameter("fill", _NUMBER_OR_NULL, "the value of pixels without a usable reference (default: NaN)",
                      None))),
):
    register(_operation)


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
