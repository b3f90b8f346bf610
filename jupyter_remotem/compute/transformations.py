"""Transformations: operations that make a new dataset from their input (crop, bin, cast, and what
is done to each frame: flip, rotate by quarter turns, transpose, Fourier transform, Fourier filter,
affine resampling, polar resampling, masking with a crop to the region, dark and flat-field
correction).

Each is described by one :class:`TransformPlan`: a *window* per axis (the index range kept: the
crop, or the part of the axis that whole bins cover), *bin factors* per axis, an optional
*cast* and an optional *frame operation* (:class:`..kernels.frame_ops.FrameOp`), in that order;
last, an optional *scan mask* sets the frames of the positions outside it to a fill value
(``mask_crop`` over the scan).
The plan is validated against the dataset's shape when it is made, so a bad request is a
400 before any job exists.

A job walks the first scan axis in *slabs* (whole rows of a 2-D scan): each slab of the input
gives whole rows of the output, which land in their own chunks of the output file, so slabs can
be written and checkpointed independently and in any order.  When binning over that axis a slab
holds a multiple of the bin factor.
"""

from __future__ import annotations

import contextvars
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import limits as request_limits
from ..errors import BadParameter, RemotemError
from ..formats.axes import pixel_axes
from ..formats.dataset import Axis, Dataset
from ..kernels.frame_ops import AffineOp, FlatfieldOp, FrameOp, MaskOp, PolarOp
from ..kernels.masks import polygon as polygon_mask
from ..kernels.transform import bin_block, binned_dtype, cast_block, cast_overflows
from .params import integer, number
from .partitions import Partition
from .scan_turns import ScanTurn, scan_turn

if TYPE_CHECKING:
    from ..storage.repository import Repository


@dataclass(frozen=True)
class Cast:
    dtype: np.dtype
    scale: float = 1.0
    offset: float = 0.0
    clip: bool = False


@dataclass(frozen=True)
class Slab:
    """One unit of a transformation job: input rows ``rows_in`` give output rows ``rows_out``."""

    index: int
    partition: Partition
    rows_in: tuple[int, int]
    rows_out: tuple[int, int]


class TransformPlan:
    """A validated transformation of one dataset (see module docstring)."""

    def __init__(self, dataset: Dataset, window: list[tuple[int, int]] | None = None,
                 factors: list[int] | None = None, reduce: str = "mean", cast: Cast | None = None,
                 frame_op: FrameOp | None = None, nav_mask: np.ndarray | None = None,
                 nav_fill: float = 0.0, scan_turn: ScanTurn | None = None) -> None:
        if dataset.nav_ndim < 1:
            raise BadParameter(
                f"Transformations need at least one scan axis; this dataset of shape {dataset.shape} has none.",
                hint="Choose a 4D-STEM scan (or any stack of frames).",
            )
        ndim = len(dataset.shape)
        self.dataset_shape = dataset.shape
        self.nav_ndim = dataset.nav_ndim
        self.frame_nbytes = dataset.frame_nbytes
        self.window = window or [(0, n) for n in dataset.shape]
        self.factors = factors or [1] * ndim
        self.reduce = reduce
        self.cast = cast
        self.frame_op = frame_op
        #: Over the output's scan (None: every position kept): where False, frames are ``nav_fill``.
        self.nav_mask = nav_mask
        self.nav_fill = nav_fill
        #: The scan flipped or turned (then nothing else is done: no window, no bins, no frame op).
        self.scan_turn = scan_turn
        assert scan_turn is None or all(v is None for v in (window, factors, cast, frame_op, nav_mask))
        if frame_op is not None and len(dataset.sig_shape) != 2:
            raise BadParameter(f"{frame_op.kind} works on frames of two axes; these frames have shape "
                               f"{list(dataset.sig_shape)}.",
                               hint="Choose a dataset whose last two axes are the detector.")
        binned = tuple((hi - lo) // f for (lo, hi), f in zip(self.window, self.factors))
        sig = binned[self.nav_ndim:]
        self.out_shape = binned[:self.nav_ndim] + (frame_op.shape(sig) if frame_op else sig)
        dtype = dataset.dtype
        if any(f > 1 for f in self.factors):
            dtype = binned_dtype(dtype, reduce, math.prod(self.factors))
        self.out_dtype = np.dtype(cast.dtype if cast else dtype)
        if frame_op is not None:
            self.out_dtype = frame_op.dtype(self.out_dtype)
        #: Calibrated output axes: a crop shifts offsets, binning multiplies scales and puts a binned
        #: pixel at the centre of the pixels it gathers (as HyperSpy's ``rebin``).
        self.axes = [
            Axis(axis.name, size, axis.scale * f, axis.offset + axis.scale * (lo + (f - 1) / 2), axis.units,
                 axis.navigate)
            for axis, size, (lo, _), f in zip(self._input_axes(dataset), binned, self.window, self.factors)
        ]
        if frame_op is not None:
            self.axes[-2:] = frame_axes(self.axes[-2:], frame_op)
        if scan_turn is not None:
            self.out_shape = scan_turn.out_shape + self.out_shape[self.nav_ndim:]
            self.axes[:self.nav_ndim] = scan_turn.axes(self.axes[:self.nav_ndim])

    @staticmethod
    def _input_axes(dataset: Dataset) -> list[Axis]:
        if len(dataset.axes) == len(dataset.shape):
            return list(dataset.axes)
        return pixel_axes(dataset.shape, dataset.nav_ndim)

    # -- geometry ----------------------------------------------------------------------------
    @property
    def out_frame_nbytes(self) -> int:
        return math.prod(self.out_shape[self.nav_ndim:]) * self.out_dtype.itemsize

    @property
    def group(self) -> int:
        """Input rows that make one output row."""
        return self.factors[0]

    def _frames_per_row(self) -> int:
        """Frames read per input row of the window."""
        return math.prod(hi - lo for lo, hi in self.window[1:self.nav_ndim])

    def bytes_in(self) -> int:
        lo, hi = self.window[0]
        return (hi - lo) * self._frames_per_row() * self.frame_nbytes

    def bytes_out(self) -> int:
        return math.prod(self.out_shape) * self.out_dtype.itemsize

    def slabs(self, target_bytes: int) -> list[Slab]:
        """The job's units of work, in scan order, each about ``target_bytes`` of input."""
        if self.scan_turn is not None:
            return self._turned_slabs(target_bytes)
        nav = self.dataset_shape[:self.nav_ndim]
        row_frames = math.prod(nav[1:])
        row_bytes = max(1, self._frames_per_row() * self.frame_nbytes)
        per_slab = max(1, target_bytes // (row_bytes * self.group)) * self.group
        inner_full = all(self.window[i] == (0, nav[i]) for i in range(1, self.nav_ndim))
        first, last = self.window[0]
        last = first + self.out_shape[0] * self.group
        slabs = []
        for start in range(first, last, per_slab):
            stop = min(start + per_slab, last)
            selected = None
            if not inner_full:
                grid = np.meshgrid(np.arange(start, stop), *(np.arange(lo, hi) for lo, hi in
                                                             self.window[1:self.nav_ndim]), indexing="ij")
                selected = np.ravel_multi_index(tuple(g.ravel() for g in grid), nav).astype(np.int64)
            partition = Partition(len(slabs), start * row_frames, stop * row_frames, selected)
            out = ((start - first) // self.group, (stop - first) // self.group)
            slabs.append(Slab(len(slabs), partition, (start, stop), out))
        return slabs

    def _turned_slabs(self, target_bytes: int) -> list[Slab]:
        """Whole output rows of a turned scan, their source frames selected in file order."""
        assert self.scan_turn is not None
        out_nav = self.scan_turn.out_shape
        row_frames = math.prod(out_nav[1:])
        per_slab = max(1, target_bytes // max(1, row_frames * self.frame_nbytes))
        slabs = []
        for start in range(0, out_nav[0], per_slab):
            stop = min(start + per_slab, out_nav[0])
            source = np.sort(self._turned_sources((start, stop)))
            partition = Partition(len(slabs), int(source[0]), int(source[-1]) + 1, source)
            slabs.append(Slab(len(slabs), partition, (start, stop), (start, stop)))
        return slabs

    def _turned_sources(self, rows_out: tuple[int, int]) -> np.ndarray:
        """Flat source positions of output rows ``rows_out``, in output order."""
        assert self.scan_turn is not None
        row_frames = math.prod(self.scan_turn.out_shape[1:])
        return self.scan_turn.source_indices(np.arange(rows_out[0] * row_frames, rows_out[1] * row_frames))

    # -- arithmetic --------------------------------------------------------------------------
    def apply(self, frames: np.ndarray, slab: Slab) -> np.ndarray:
        """Output rows of ``slab`` from its frames (as :func:`executor.read_partition` gives them)."""
        if self.scan_turn is not None:  # frames in file order: put them in the turned order
            wanted = self._turned_sources(slab.rows_out)
            order = np.searchsorted(np.sort(wanted), wanted)
            shape = (slab.rows_out[1] - slab.rows_out[0],) + self.out_shape[1:]
            return np.ascontiguousarray(np.asarray(frames)[order].reshape(shape), dtype=self.out_dtype)
        rows = slab.rows_in[1] - slab.rows_in[0]
        nav = self.dataset_shape[:self.nav_ndim]
        sig = self.dataset_shape[self.nav_ndim:]
        if slab.partition.selected is None:
            inner = nav[1:]
            keep = tuple(slice(lo, hi) for lo, hi in self.window[1:])
        else:
            inner = tuple(hi - lo for lo, hi in self.window[1:self.nav_ndim])
            keep = (slice(None),) * len(inner) + tuple(slice(lo, hi) for lo, hi in self.window[self.nav_ndim:])
        block = np.asarray(frames).reshape((rows,) + tuple(inner) + tuple(sig))[(slice(None),) + keep]
        if any(f > 1 for f in self.factors):
            block = bin_block(block, tuple(self.factors), self.reduce, binned_dtype(block.dtype, self.reduce,
                                                                                   math.prod(self.factors)))
        if self.cast is not None:
            block = cast_block(block, self.cast.dtype, self.cast.scale, self.cast.offset, self.cast.clip)
        if self.frame_op is not None:
            block = self.frame_op.apply(block)
        if self.nav_mask is not None:
            block = np.array(block, dtype=self.out_dtype, order="C")  # a copy: filled in place
            block[~self.nav_mask[slab.rows_out[0]:slab.rows_out[1]]] = self.nav_fill
        return np.ascontiguousarray(block, dtype=self.out_dtype)


# -- parameters --------------------------------------------------------------------------------
def _per_axis(value: Any, names: list[str], what: str) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != len(names):
        raise BadParameter(f"{what} needs one entry per axis ({', '.join(names)}), not {value!r}.")
    return value


def _axis_names(dataset: Dataset, part: str) -> tuple[list[str], list[int], int]:
    axes = dataset.axes if len(dataset.axes) == len(dataset.shape) else None
    names = [axes[i].name if axes else f"axis{i}" for i in range(len(dataset.shape))]
    if part == "nav":
        return names[:dataset.nav_ndim], list(dataset.nav_shape), 0
    return names[dataset.nav_ndim:], list(dataset.sig_shape), dataset.nav_ndim


def crop_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"nav": [[y0, y1], [x0, x1]] | null, "sig": [[y0, y1], [x0, x1]] | null}``: half-open ranges."""
    window = [(0, n) for n in dataset.shape]
    for part in ("nav", "sig"):
        names, sizes, first = _axis_names(dataset, part)
        ranges = _per_axis(params.get(part), names, f"crop '{part}'")
        for i, entry in enumerate(ranges or []):
            if entry is None:
                continue
            if not isinstance(entry, list) or len(entry) != 2:
                raise BadParameter(f"crop '{part}' range for axis {names[i]} must be [start, stop], not {entry!r}.")
            lo, hi = (integer(v, f"crop '{part}' range of axis {names[i]}") for v in entry)
            if not 0 <= lo < hi <= sizes[i]:
                raise BadParameter(
                    f"crop '{part}' range [{lo}, {hi}] for axis {names[i]} (size {sizes[i]}) is outside the data "
                    "or empty.",
                    hint=f"Use half-open index ranges with 0 <= start < stop <= {sizes[i]}.",
                )
            window[first + i] = (lo, hi)
    return TransformPlan(dataset, window=window)


def bin_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"nav": [by, bx] | null, "sig": [by, bx] | null, "reduce": "mean" | "sum"}``.

    Pixels left over when an axis does not divide by its factor (the trailing remainder) are
    dropped.  A mean is float32 (float64 for 64-bit data); a sum of integers widens to the
    narrowest integer that cannot overflow (see :func:`kernels.transform.binned_dtype`).
    """
    reduce = params.get("reduce", "mean")
    factors = [1] * len(dataset.shape)
    for part in ("nav", "sig"):
        names, sizes, first = _axis_names(dataset, part)
        for i, entry in enumerate(_per_axis(params.get(part), names, f"bin '{part}'") or []):
            factor = integer(entry, f"bin '{part}' factor of axis {names[i]}")
            if not 1 <= factor <= sizes[i]:
                raise BadParameter(f"bin '{part}' factor {factor} for axis {names[i]} (size {sizes[i]}) must be "
                                   f"between 1 and {sizes[i]}.")
            factors[first + i] = factor
    window = [(0, n - n % f) for n, f in zip(dataset.shape, factors)]
    return TransformPlan(dataset, window=window, factors=factors, reduce=reduce)


def cast_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"dtype": "float32", "scale": 1, "offset": 0, "clip": false}``: ``value * scale + offset``
    (the parameters already checked against the declaration in :mod:`.operations`).

    A cast whose target cannot hold every value the input dtype may have (after scale and
    offset) is refused unless ``"clip": true``, which clamps to the target's range.
    """
    name = params["dtype"]
    if dataset.dtype.kind not in "biuf":
        raise BadParameter(f"cast works on integer and float data, not {dataset.dtype}.")
    clip = params.get("clip", False)
    cast = Cast(np.dtype(name), number(params, "scale", 1.0), number(params, "offset", 0.0), clip)
    if not clip and cast_overflows(dataset.dtype, cast.dtype, cast.scale, cast.offset):
        raise BadParameter(
            f"Casting {dataset.dtype} data to {name} (scale {cast.scale:g}, offset {cast.offset:g}) may overflow: "
            f"{name} cannot hold every {dataset.dtype} value.",
            hint='Set "clip": true to clamp values to the range of the new dtype, or choose a wider dtype.',
        )
    return TransformPlan(dataset, cast=cast)


def export_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """The dataset as it is: what the job's output format makes of it is the export."""
    return TransformPlan(dataset)


def _turned(dataset: Dataset, kind: str, params: dict[str, Any], operation: str) -> TransformPlan:
    """The frames (``"on": "frame"``) or the scan (``"on": "scan"``) turned by ``kind``."""
    if params.get("on") == "scan":
        return TransformPlan(dataset, scan_turn=scan_turn(kind, tuple(dataset.nav_shape), operation))
    return TransformPlan(dataset, frame_op=FrameOp(kind))


def flip_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"axis": "x" | "y", "on": "frame" | "scan"}``: frames (or the scan) mirrored left and
    right, or top and bottom."""
    return _turned(dataset, f"flip_{params['axis']}", params, "flip")


def rotate_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"quarter_turns": 1 | 2 | 3, "on": ...}``: turned counter-clockwise, as ``np.rot90``."""
    return _turned(dataset, f"rot{90 * int(params['quarter_turns'])}", params, "rotate")


def transpose_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"on": ...}``: x and y trade places (with their calibrations)."""
    return _turned(dataset, "transpose", params, "transpose")


def fft_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"output": "magnitude" | "complex", "precision": "single" | "double"}``: each frame's
    Fourier transform, the zero frequency in the middle."""
    if dataset.dtype.kind not in "biuf":
        raise BadParameter(f"fft transforms integer and float frames, not {dataset.dtype}.")
    return TransformPlan(dataset, frame_op=FrameOp("fft", output=params["output"], precision=params["precision"]))


def fourier_filter_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"r_in": 0, "r_out": 12, "precision": "single"}``: each frame with only the spatial
    frequencies ``r_in <= |k| <= r_out`` kept (pixels of the transform), back in real space."""
    if dataset.dtype.kind not in "biuf":
        raise BadParameter(f"fourier_filter works on integer and float frames, not {dataset.dtype}.")
    r_in, r_out = float(params["r_in"]), float(params["r_out"])
    if not r_out > r_in:
        raise BadParameter(f"fourier_filter needs r_out > r_in; got r_in {r_in:g}, r_out {r_out:g}.",
                           hint="Both are radii in pixels of the frame's Fourier transform; r_in 0 is a low-pass.")
    return TransformPlan(dataset, frame_op=FrameOp("fourier_filter", precision=params["precision"], r_in=r_in,
                                                   r_out=r_out))


def frame_axes(axes: list[Axis], frame_op: FrameOp) -> list[Axis]:
    """The frame's two axes after ``frame_op``: swapped by a quarter turn or a transpose (with their
    calibrations); in reciprocal units after a Fourier transform (a step of ``1 / (n * scale)``,
    the zero frequency at the middle pixel), as the viewer's FFT shows them; angle and radius
    after a polar resampling (:func:`polar_axes`); as they were otherwise."""
    if frame_op.swaps_axes:
        return [axes[1], axes[0]]
    if isinstance(frame_op, PolarOp):
        return polar_axes(axes, frame_op)
    if frame_op.kind != "fft":
        return list(axes)
    out = []
    for axis in axes:
        step = 1.0 / (axis.size * axis.scale) if axis.scale else 1.0
        units = f"1/{axis.units}" if axis.units else "1/px"
        out.append(Axis(f"freq_{axis.name}", axis.size, step, -(axis.size // 2) * step, units, axis.navigate))
    return out


def polar_axes(axes: list[Axis], op: PolarOp) -> list[Axis]:
    """Angle (degrees, from 0) and radius (from 0 at the centre): in the frame's calibrated unit
    when both its axes share one scale and unit, else in pixels."""
    y, x = axes
    calibrated = bool(x.units) and x.units == y.units and x.scale == y.scale and x.scale > 0
    scale, units = (x.scale, x.units) if calibrated else (1.0, "px")
    return [Axis("angle", op.n_angle, op.angle_step, 0.0, "deg", x.navigate),
            Axis("radius", op.n_radius, op.radius_step * scale, 0.0, units, x.navigate)]


# -- coordinate transforms ---------------------------------------------------------------------
def _numbers(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``value`` as a finite float64 array of ``shape`` (the schema checked the JSON types)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != shape or not np.isfinite(array).all():
        raise BadParameter(f"{what} must be {' × '.join(map(str, shape))} finite numbers, not {value!r}.")
    return array


def affine_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"matrix": [[a, b], [c, d]], "offset": [oy, ox], "order": 0 | 1 | 3, "fill": 0}``: each
    frame resampled as ``scipy.ndimage.affine_transform`` does it (output pixel ``(row, column)``
    takes the input at ``matrix @ (row, column) + offset``); the frame keeps its shape and axes."""
    matrix = _numbers(params["matrix"], (2, 2), "affine 'matrix' ([[a, b], [c, d]], in (row, column))")
    offset = _numbers(params["offset"], (2,), "affine 'offset' ([row, column])")
    scale = float(np.abs(matrix).max())
    if scale == 0 or abs(float(np.linalg.det(matrix))) <= 1e-12 * scale * scale:
        raise BadParameter(f"affine 'matrix' {matrix.tolist()} is singular: it maps the whole frame onto a line "
                           "or a point, which no resampling can undo.",
                           hint="Give an invertible 2 × 2 matrix (determinant not 0); [[1, 0], [0, 1]] with an "
                                "offset shifts the frames.")
    _check_resampled(dataset, "affine")
    op = AffineOp(matrix=tuple(map(tuple, matrix.tolist())), offset=tuple(offset.tolist()),  # type: ignore[arg-type]
                  order=int(params["order"]), fill=float(params["fill"]))
    return TransformPlan(dataset, frame_op=op)


def polar_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"cx", "cy", "r_max", "n_radius", "n_angle", "order", "fill"}``: each frame on angle
    (rows, ``360 / n_angle`` degrees apart from +x towards +y) and radius (columns, from 0 to
    ``r_max``) about ``(cx, cy)`` (default: the frame's centre); ``r_max`` defaults to the farthest
    pixel, ``n_radius`` to one column per pixel of radius."""
    _check_resampled(dataset, "polar")
    if len(dataset.sig_shape) != 2:
        raise BadParameter(f"polar works on frames of two axes; these frames have shape {list(dataset.sig_shape)}.",
                           hint="Choose a dataset whose last two axes are the detector.")
    height, width = dataset.sig_shape
    cx = number(params, "cx", (width - 1) / 2)
    cy = number(params, "cy", (height - 1) / 2)
    assert cx is not None and cy is not None
    corners = [math.hypot(x - cx, y - cy) for x in (0, width - 1) for y in (0, height - 1)]
    r_max = number(params, "r_max", None)
    if r_max is None:
        r_max = max(corners)
        if r_max == 0:
            raise BadParameter("polar has no radius to sample: these frames are a single pixel.",
                               hint="Give 'r_max' in pixels.")
    n_radius = params.get("n_radius")
    if n_radius is None:
        n_radius = min(POLAR_MAX_RADII, max(2, math.ceil(r_max) + 1))
    n_radius = integer(n_radius, "polar 'n_radius'")
    op = PolarOp(cx=cx, cy=cy, r_max=float(r_max), n_radius=n_radius, n_angle=int(params["n_angle"]),
                 order=int(params["order"]), fill=float(params["fill"]))
    return TransformPlan(dataset, frame_op=op)


#: The most radii a polar frame has, and the most angles (the schema says so too).
POLAR_MAX_RADII, POLAR_MAX_ANGLES = 8192, 7200


def _check_resampled(dataset: Dataset, name: str) -> None:
    if dataset.dtype.kind not in "biuf":
        raise BadParameter(f"{name} resamples integer and float frames, not {dataset.dtype}.",
                           hint="Take the magnitude first (fft with output 'magnitude'), or cast to a real dtype.")


# -- free-form crops ---------------------------------------------------------------------------
def _region(params: dict[str, Any], shape: tuple[int, ...], where: str) -> np.ndarray:
    """The boolean region a ``mask_crop`` keeps, over ``shape`` (the frame's or the scan's)."""
    polygon, mask = params.get("polygon"), params.get("mask")
    if (polygon is None) == (mask is None):
        raise BadParameter(f"mask_crop needs either 'polygon' or 'mask'{', not both' if polygon is not None else ''}.",
                           hint='For example {"polygon": [[x0, y0], [x1, y1], [x2, y2]]} in pixels of the '
                                f"{where}, or {{\"mask\": ...}} of booleans shaped as the {where}.")
    if polygon is not None:
        if len(shape) != 2:
            raise BadParameter(f"A mask_crop polygon needs a {where} of two axes; this one has shape {list(shape)}.",
                               hint=f"Give a 'mask' of booleans shaped as the {where} instead.")
        limits = request_limits.current()
        if limits is not None and len(polygon) > limits.max_polygon_vertices:
            raise request_limits.too_many(
                "polygon vertices", len(polygon), "max_polygon_vertices", limits.max_polygon_vertices,
                "Simplify the outline, or send the region as a boolean 'mask'.")
        if len(polygon) < 3:
            raise BadParameter(f"A mask_crop polygon needs at least 3 vertices, not {len(polygon)}.",
                               hint="Give [[x, y], ...] in pixels (x across, y down).")
        vertices = _numbers(polygon, (len(polygon), 2), "mask_crop 'polygon' ([[x, y], ...])")
        keep = polygon_mask(vertices, shape)
    else:
        try:
            keep = np.asarray(mask)
        except (TypeError, ValueError):
            keep = np.asarray(None)
        if keep.shape != tuple(shape) or keep.dtype.kind not in "biuf" or (keep.dtype.kind == "f" and not np.isin(
                keep, (0, 1)).all()) or (keep.dtype.kind in "iu" and not np.isin(keep, (0, 1)).all()):
            got = list(keep.shape) if keep.dtype != object else "ragged"
            raise BadParameter(f"The mask_crop 'mask' must be booleans (or 0 and 1) shaped as the {where}, "
                               f"{list(shape)}; it has shape {got}.",
                               hint="Send one true (kept) or false value per pixel, rows first.")
        keep = keep.astype(bool)
    if not keep.any():
        raise BadParameter(f"The mask_crop region holds no pixel of the {where} (shape {list(shape)}): nothing is "
                           "left to keep.",
                           hint="A pixel is kept when its centre is inside the polygon; x runs across, y down, "
                                "pixel (0, 0) centred at 0.")
    return keep


def _fitting_fill(fill: float, dtype: np.dtype, what: str) -> float:
    """``fill`` when ``dtype`` holds it exactly (integer data takes whole numbers in its range)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" or dtype.kind == "c":
        if math.isfinite(fill) and abs(fill) > np.finfo(dtype).max:
            raise BadParameter(f"{what} {fill:g} does not fit in {dtype} data (at most {np.finfo(dtype).max:g}).")
        return fill
    if dtype.kind == "b":
        if fill not in (0, 1):
            raise BadParameter(f"{what} {fill:g} does not fit in boolean data; use 0 or 1.")
        return fill
    info = np.iinfo(dtype)
    if not math.isfinite(fill) or fill != int(fill) or not info.min <= fill <= info.max:
        raise BadParameter(f"{what} {fill:g} does not fit in {dtype} data, which holds whole numbers from "
                           f"{info.min} to {info.max}.",
                           hint="Choose a fill in that range, or cast to float32 first (a pipeline step) to fill "
                                "with a fraction or NaN.")
    return fill


def mask_crop_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"polygon": [[x, y], ...] | null, "mask": [[...]] | null, "on": "frame" | "scan",
    "fill": 0}``: outside the region (pixel centres inside the polygon, or the mask's true
    pixels) set to ``fill``, and the frames (or the scan) cropped to the region's bounding box,
    with their axes cropped as ``crop`` does.  On the scan, the frames of positions outside the
    region become ``fill``."""
    on = params["on"]
    if on == "frame" and len(dataset.sig_shape) != 2:
        raise BadParameter(f"mask_crop on the frame needs frames of two axes; these have shape "
                           f"{list(dataset.sig_shape)}.", hint='Use "on": "scan", or another dataset.')
    shape = tuple(dataset.sig_shape if on == "frame" else dataset.nav_shape)
    keep = _region(params, shape, on)
    fill = float(params["fill"]) if params.get("fill") is not None else 0.0
    fill = _fitting_fill(fill, dataset.dtype, "The mask_crop fill")
    box = [(int(idx.min()), int(idx.max()) + 1) for idx in
           (np.flatnonzero(keep.any(axis=tuple(j for j in range(keep.ndim) if j != i))) for i in range(keep.ndim))]
    cropped = keep[tuple(slice(lo, hi) for lo, hi in box)]
    window = [(0, n) for n in dataset.shape]
    if on == "frame":
        window[dataset.nav_ndim:] = box
        return TransformPlan(dataset, window=window, frame_op=None if cropped.all() else MaskOp(keep=cropped, fill=fill))
    window[:dataset.nav_ndim] = box
    return TransformPlan(dataset, window=window, nav_mask=None if cropped.all() else cropped, nav_fill=fill)


# -- dark and flat-field correction -------------------------------------------------------------
#: The repositories the running request's user may read, by name (raising NotFound otherwise):
#: set by the handlers for each request, and by workers for each job from its owner's groups.
_READABLE: contextvars.ContextVar[Callable[[str], Repository] | None] = contextvars.ContextVar(
    "remotem_readable_repositories", default=None)
#: Averaged reference frames by (repository, path, size, mtime): pipelines make their plan at
#: every request, and a reference is read once.
_REFERENCES: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
_REFERENCES_LOCK = threading.Lock()
_REFERENCES_KEPT = 8


#: The parameters of each operation that may name a reference frame as ``repository:path``.
REFERENCE_PARAMETERS = {"flatfield": ("dark", "flat")}


def referenced_repositories(steps: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> set[str]:
    """The repositories a pipeline's steps read reference frames from (a worker process that
    re-opens the pipeline needs them, besides the dataset's own)."""
    names = set()
    for step in steps:
        for key in REFERENCE_PARAMETERS.get(step.get("operation"), ()):
            value = (step.get("params") or {}).get(key)
            if isinstance(value, str) and ":" in value:
                names.add(value.partition(":")[0])
    return names


def readable_repositories() -> Callable[[str], Repository] | None:
    """What :func:`use_repositories` set for this request or job (None outside both)."""
    return _READABLE.get()


def use_repositories(readable: Callable[[str], Repository] | None) -> contextvars.Token[Any]:
    """Make ``readable(name)`` (the repository ``name`` if the current user may read it) the way
    this request or job opens the reference frames its parameters name."""
    return _READABLE.set(readable)


def reset_repositories(token: contextvars.Token[Any]) -> None:
    """Undo :func:`use_repositories` (a worker process re-opening one job's pipeline)."""
    _READABLE.reset(token)


def _reference(value: Any, sig_shape: tuple[int, ...], name: str) -> np.ndarray | None:
    """The reference ``name`` (``dark`` or ``flat``) as one float64 frame: a ``repository:path``
    of a frame or a stack of frames (averaged), or the frame itself (nested lists)."""
    if value is None:
        return None
    if isinstance(value, list):
        return _numbers_nan(value, sig_shape, f"flatfield '{name}'")
    repository_name, sep, path = value.partition(":")
    if not sep or not repository_name or not path:
        raise BadParameter(f"flatfield '{name}' must be 'repository:path' of a reference frame, not {value!r}.",
                           hint='For example "references:dark.npy"; a stack of frames is averaged.')
    readable = _READABLE.get()
    if readable is None:
        raise BadParameter(f"flatfield '{name}' names {value!r}, but only a server reads repositories.",
                           hint="Here, give the reference frame itself (an array of the frame's shape).")
    from ..formats import open_dataset

    def unreadable(error: RemotemError) -> BadParameter:
        return BadParameter(f"flatfield cannot read its '{name}' reference {value!r}: {error.message}",
                            hint=error.hint or "Name a frame in a repository you can read, as 'repository:path'.")

    try:
        repository = readable(repository_name)
        entry = repository.info(path)
    except RemotemError as error:  # not there, not readable by this user, or outside the repository
        raise unreadable(error) from None
    key = (repository.name, repository.config.url, entry.path, entry.size, entry.mtime)
    with _REFERENCES_LOCK:
        frame = _REFERENCES.get(key)
        if frame is not None:
            _REFERENCES.move_to_end(key)
    if frame is None:
        try:
            opened = open_dataset(repository, entry.path)
        except RemotemError as error:
            raise unreadable(error) from None
        with opened:
            frame = _averaged(opened, sig_shape, name, value)
        with _REFERENCES_LOCK:
            _REFERENCES[key] = frame
            while len(_REFERENCES) > _REFERENCES_KEPT:
                _REFERENCES.popitem(last=False)
    if frame.shape != tuple(sig_shape):
        raise BadParameter(f"flatfield '{name}' {value!r} holds frames of shape {list(frame.shape)}; these frames have "
                           f"shape {list(sig_shape)}.", hint="Use references taken with the same detector settings "
                                                             "(and the same crop or binning).")
    return frame


#: Bytes of a reference stack read at once while averaging it.
_AVERAGE_BYTES = 64 * 1024**2


def _averaged(opened: Dataset, sig_shape: tuple[int, ...], name: str, value: str) -> np.ndarray:
    shape = tuple(opened.shape)
    if len(shape) not in (2, 3) or opened.dtype.kind not in "biuf" or 0 in shape:
        raise BadParameter(f"flatfield '{name}' {value!r} must be a 2-D frame or a 3-D stack of frames of real "
                           f"numbers; it is {list(shape)} {opened.dtype}.",
                           hint=f"These frames have shape {list(sig_shape)}.")
    if shape[-2:] != tuple(sig_shape):
        return np.zeros(shape[-2:])  # refused by the caller with both shapes
    if len(shape) == 2:
        return np.asarray(opened.read((slice(None), slice(None))), dtype=np.float64)
    total = np.zeros(shape[1:], np.float64)
    per = max(1, _AVERAGE_BYTES // max(1, math.prod(shape[1:]) * 8))
    for lo in range(0, shape[0], per):
        total += np.asarray(opened.read((slice(lo, min(lo + per, shape[0])), slice(None), slice(None))),
                            dtype=np.float64).sum(axis=0)
    return total / shape[0]


def _numbers_nan(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """An inline reference frame: numbers (null: NaN) shaped as the frame."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != tuple(shape):
        got = "ragged" if array is None else list(array.shape)
        raise BadParameter(f"{what} must be a frame of numbers of shape {list(shape)}; it has shape {got}.",
                           hint="Or name it as 'repository:path'.")
    return array


def flatfield_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"dark", "flat", "normalise", "precision", "fill"}``: ``(frame - dark) / (flat - dark)``,
    times the mean of ``flat - dark`` when normalised (so counts keep their scale); pixels where
    ``flat - dark`` is not above 0 (or not finite) become ``fill`` (default NaN).  Either
    reference may be left out: only the dark subtracted, or only the flat divided by."""
    if dataset.dtype.kind not in "biuf":
        raise BadParameter(f"flatfield corrects integer and float frames, not {dataset.dtype}.")
    if len(dataset.sig_shape) != 2:
        raise BadParameter(f"flatfield works on frames of two axes; these frames have shape "
                           f"{list(dataset.sig_shape)}.", hint="Choose a dataset whose last two axes are the detector.")
    if params.get("dark") is None and params.get("flat") is None:
        raise BadParameter("flatfield needs 'dark', 'flat' or both.",
                           hint='Each is "repository:path" of a reference frame (a stack is averaged).')
    sig = tuple(dataset.sig_shape)
    dark = _reference(params.get("dark"), sig, "dark")
    flat = _reference(params.get("flat"), sig, "flat")
    real = np.dtype(np.float64 if params["precision"] == "double" else np.float32)
    fill = math.nan if params.get("fill") is None else float(params["fill"])
    fill = _fitting_fill(fill, real, "The flatfield fill")
    gain = bad = None
    if flat is not None:
        spread = flat - dark if dark is not None else flat
        bad = ~(np.isfinite(spread) & (spread > 0))
        if bad.all():
            raise BadParameter("flatfield has no usable pixel: flat - dark is not above 0 anywhere.",
                               hint="Check that 'flat' and 'dark' are not swapped, and that the flat is exposed.")
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(bad, 0.0, 1.0 / np.where(bad, 1.0, spread))
        if params["normalise"]:
            gain *= float(spread[~bad].mean())
        gain = gain.astype(real)
    if dark is not None:
        bad = ~np.isfinite(dark) if bad is None else bad | ~np.isfinite(dark)
        dark = np.where(np.isfinite(dark), dark, 0.0).astype(real)
    op = FlatfieldOp(precision=params["precision"], dark=dark, gain=gain, bad=bad, fill=fill)
    return TransformPlan(dataset, frame_op=op)
