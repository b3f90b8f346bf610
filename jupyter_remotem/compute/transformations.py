"""Transformations: operations that make a new dataset from their input (crop, bin, cast, and what
is done to each frame: flip, rotate by quarter turns, transpose, Fourier transform, Fourier filter).

Each is described by one :class:`TransformPlan`: a *window* per axis (the index range kept: the
crop, or the part of the axis that whole bins cover), *bin factors* per axis, an optional
*cast* and an optional *frame operation* (:class:`..kernels.frame_ops.FrameOp`), in that order.
The plan is validated against the dataset's shape when it is made, so a bad request is a
400 before any job exists.

A job walks the first scan axis in *slabs* (whole rows of a 2-D scan): each slab of the input
gives whole rows of the output, which land in their own chunks of the output file, so slabs can
be written and checkpointed independently and in any order.  When binning over that axis a slab
holds a multiple of the bin factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.axes import pixel_axes
from ..formats.dataset import Axis, Dataset
from ..kernels.frame_ops import FrameOp
from ..kernels.transform import bin_block, binned_dtype, cast_block, cast_overflows
from .params import integer, number
from .partitions import Partition


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
                 frame_op: FrameOp | None = None) -> None:
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

    # -- arithmetic --------------------------------------------------------------------------
    def apply(self, frames: np.ndarray, slab: Slab) -> np.ndarray:
        """Output rows of ``slab`` from its frames (as :func:`executor.read_partition` gives them)."""
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


def flip_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"axis": "x" | "y"}``: frames mirrored left and right, or top and bottom."""
    return TransformPlan(dataset, frame_op=FrameOp(f"flip_{params['axis']}"))


def rotate_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """``{"quarter_turns": 1 | 2 | 3}``: frames turned counter-clockwise, as ``np.rot90``."""
    return TransformPlan(dataset, frame_op=FrameOp(f"rot{90 * int(params['quarter_turns'])}"))


def transpose_plan(dataset: Dataset, params: dict[str, Any]) -> TransformPlan:
    """Frames transposed: x and y trade places (with their calibrations)."""
    return TransformPlan(dataset, frame_op=FrameOp("transpose"))


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
    the zero frequency at the middle pixel), as the viewer's FFT shows them."""
    if frame_op.swaps_axes:
        return [axes[1], axes[0]]
    if frame_op.kind != "fft":
        return list(axes)
    out = []
    for axis in axes:
        step = 1.0 / (axis.size * axis.scale) if axis.scale else 1.0
        units = f"1/{axis.units}" if axis.units else "1/px"
        out.append(Axis(f"freq_{axis.name}", axis.size, step, -(axis.size // 2) * step, units, axis.navigate))
    return out
