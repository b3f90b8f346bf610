"""Lazy views of a dataset: a chain of transformation steps (crop, bin, cast, and what is done to
each frame), or a subsampled scan.

A notebook writes ``ds.crop(...).bin(2).virtual_detector(...)`` and expects the reduction to run
next to the data in one request, without an intermediate file.  A view is a :class:`Dataset`
whose reader maps each of its scan positions to the source positions it is made of (one for a
crop or a subsample, a box of them for a scan binning), reads those frames from the source and
applies the signal part of each step (crop, bin, cast) on the way.  Every operation,
partitioner and executor works on views unchanged.

A view of a view is not a nested object: the reader keeps the file's dataset and a flat list of
:class:`Stage`, one per step, and reads by walking that list twice — down, turning its scan
indices into the file's, then up, transforming the frames step by step.  Nothing recurses per
step, so a pipeline is limited by ``max_pipeline_steps`` only, never by Python's stack.

A subsampled view (every ``step``-th scan position) is what the viewer's coarse first answer
reads: the same reduction on a fraction of the frames, so a dragged detector updates at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import limits as request_limits
from ..errors import BadParameter
from ..formats.axes import pixel_axes
from ..formats.dataset import Axis, Dataset
from ..formats.readers import BaseReader
from ..formats.selection import Selection
from ..kernels.frame_ops import FrameOp
from ..kernels.transform import bin_block, binned_dtype, cast_block
from .scan_turns import ScanTurn
from .transformations import TransformPlan



def pipeline_operations() -> list[str]:
    """Steps a pipeline may hold: the transformations declared to chain (``Operation.chains``),
    which all describe themselves as a TransformPlan."""
    from .operations import OPERATIONS

    return [name for name, operation in OPERATIONS.items() if operation.chains]

#: Frames a coarse pass aims to read.
COARSE_FRAMES = 4096


@dataclass(frozen=True)
class Stage:
    """One step of a view: how its frames are made from those of the level below.

    ``nav_groups[i]`` is an ``(out_size_i, group_i)`` table of input indices along scan axis
    ``i``: output position ``j`` gathers input positions ``nav_groups[i][j]`` (binning) or just
    one (crop, subsample).  ``sig_keep``/``sig_factors`` crop and bin each frame; the scan and
    signal boxes are reduced together, as a transformation job would.
    """

    input_nav_shape: tuple[int, ...]
    nav_groups: tuple[np.ndarray, ...]
    sig_keep: tuple[slice, ...]
    sig_factors: tuple[int, ...]
    reduce: str
    cast: Any
    dtype: np.dtype
    nav_shape: tuple[int, ...]
    sig_shape: tuple[int, ...]
    #: What is done to each frame last (a turn, a Fourier transform or filter).
    frame_op: FrameOp | None = None
    #: The scan flipped or turned: output positions map to source positions through it (and
    #: ``nav_groups`` are the identity).
    nav_turn: ScanTurn | None = None

    @property
    def box(self) -> int:
        """Input frames gathered into one output frame."""
        return math.prod(g.shape[1] for g in self.nav_groups)

    @property
    def binned_sig_shape(self) -> tuple[int, ...]:
        """Each frame after the crop and the binning, before the frame operation."""
        return tuple((keep.stop - keep.start) // f for keep, f in zip(self.sig_keep, self.sig_factors))

    @property
    def binning(self) -> bool:
        return self.box > 1 or any(f > 1 for f in self.sig_factors)

    def input_indices(self, flat: np.ndarray) -> np.ndarray:
        """Flat input indices of the output frames ``flat``: ``box`` per frame, frame-major."""
        if self.nav_turn is not None:
            return self.nav_turn.source_indices(flat)
        out_position = np.unravel_index(flat, self.nav_shape)
        # Input positions of every output frame: the outer product of each axis' group.
        per_axis = [group[index] for group, index in zip(self.nav_groups, out_position)]
        grids = np.meshgrid(*[np.arange(g.shape[1]) for g in per_axis], indexing="ij")
        source_nav = tuple(p[:, g.ravel()] for p, g in zip(per_axis, grids))
        return np.ravel_multi_index(source_nav, self.input_nav_shape).ravel()

    def apply(self, frames: np.ndarray, cropped: bool = False) -> np.ndarray:
        """Output frames from ``box`` input frames each (whose signal crop is done when ``cropped``)."""
        if not cropped:
            frames = frames[(slice(None),) + self.sig_keep]
        n = len(frames) // self.box
        block = frames.reshape((n, self.box) + frames.shape[1:])
        if self.binning:
            dtype = binned_dtype(block.dtype, self.reduce, self.box * math.prod(self.sig_factors))
            block = bin_block(block, (1, self.box, *self.sig_factors), self.reduce, dtype)
        block = block.reshape((n,) + self.binned_sig_shape)
        if self.cast is not None:
            block = cast_block(block, self.cast.dtype, self.cast.scale, self.cast.offset, self.cast.clip)
        if self.frame_op is not None:
            block = self.frame_op.apply(block)
        return np.ascontiguousarray(block, dtype=self.dtype)


class ViewReader(BaseReader):
    """Frames of a file's dataset (``base``) seen through ``stages``, first step first."""

    def __init__(self, base: Dataset, stages: list[Stage]) -> None:
        self.base = base
        self.stages = tuple(stages)
        last = self.stages[-1]
        self._setup(last.nav_shape + last.sig_shape, last.dtype, len(last.nav_shape),
                    getattr(base.reader, "path", ""), "view")

    @property
    def frames_per_frame(self) -> int:
        """Frames of ``base`` read for one frame of the view."""
        return math.prod(stage.box for stage in self.stages)

    def _read_frames(self, flat: np.ndarray) -> np.ndarray:
        if len(flat) == 0:
            return np.zeros((0,) + self.sig_shape, self.dtype)
        indices = np.asarray(flat, np.int64)
        for stage in reversed(self.stages):
            indices = stage.input_indices(indices)
        first = self.stages[0]
        crop = (slice(None),) + first.sig_keep
        if len(indices) < 2 or bool(np.all(np.diff(indices) > 0)):
            # Ascending and distinct (crops, subsamples): one read, no regrouping copy.
            frames = self.base.read_frames(indices)[crop]
        else:
            unique, inverse = np.unique(indices, return_inverse=True)
            frames = self.base.read_frames(unique)[crop][inverse]
        for position, stage in enumerate(self.stages):
            frames = stage.apply(frames, cropped=position == 0)
        return frames

    def _read(self, selection: Selection) -> np.ndarray:
        nav_part, sig_part = selection[: self.nav_ndim], selection[self.nav_ndim:]
        ranges = [np.atleast_1d(np.arange(n)[s]) for s, n in zip(nav_part, self.nav_shape)]
        grid = np.meshgrid(*ranges, indexing="ij")
        flat = np.ravel_multi_index(tuple(g.ravel() for g in grid), self.nav_shape)
        block = self._read_frames(np.asarray(flat, np.int64)).reshape(tuple(map(len, ranges)) + self.sig_shape)
        # An integer index on a scan axis drops that axis, as in numpy.
        nav_index = tuple(0 if isinstance(s, (int, np.integer)) else slice(None) for s in nav_part)
        return block[nav_index + tuple(sig_part)]

    def close(self) -> None:
        self.base.close()


def _view(source: Dataset, nav_groups: list[np.ndarray], sig_window: list[tuple[int, int]],
          sig_factors: list[int], reduce: str, cast: Any, dtype: np.dtype, axes: list[Axis],
          step: dict[str, Any], frame_op: FrameOp | None = None, nav_turn: ScanTurn | None = None) -> Dataset:
    """``source`` seen through one more step; a view's stages are extended, never nested."""
    binned = tuple((hi - lo) // f for (lo, hi), f in zip(sig_window, sig_factors))
    stage = Stage(
        input_nav_shape=source.nav_shape, nav_groups=tuple(nav_groups),
        sig_keep=tuple(slice(lo, hi) for lo, hi in sig_window), sig_factors=tuple(sig_factors), reduce=reduce,
        cast=cast, dtype=np.dtype(dtype),
        nav_shape=nav_turn.out_shape if nav_turn else tuple(len(g) for g in nav_groups),
        sig_shape=frame_op.shape(binned) if frame_op else binned, frame_op=frame_op, nav_turn=nav_turn,
    )
    if isinstance(source.reader, ViewReader):
        reader = ViewReader(source.reader.base, [*source.reader.stages, stage])
    else:
        reader = ViewReader(source, [stage])
    metadata = dict(source.metadata)
    metadata["pipeline"] = list(source.metadata.get("pipeline", [])) + [step]
    return Dataset(shape=reader.shape, dtype=reader.dtype, nav_ndim=reader.nav_ndim, format=source.format,
                   reader=reader, internal_path=source.internal_path, axes=axes, metadata=metadata)


def source_frame_nbytes(dataset: Dataset) -> int:
    """Bytes read from the file for one frame of ``dataset``: views read whole source frames, a
    box of them per frame when they bin the scan."""
    if isinstance(dataset.reader, ViewReader):
        return dataset.reader.frames_per_frame * dataset.reader.base.frame_nbytes
    return dataset.frame_nbytes


def transformed(source: Dataset, plan: TransformPlan, step: dict[str, Any]) -> Dataset:
    """The view of ``source`` that a crop, bin or cast ``plan`` describes."""
    if plan.nav_mask is not None:
        raise BadParameter(f"A pipeline's {step['operation']} cannot blank scan positions: a view keeps every "
                           "frame of its scan box.",
                           hint="Draw the region on the scan as the reduction's ROI instead, or run mask_crop "
                                "with \"on\": \"scan\" as a job.")
    nav = source.nav_ndim
    groups = [lo + np.arange(size)[:, None] * f + np.arange(f)[None, :]
              for (lo, _), size, f in zip(plan.window[:nav], plan.out_shape[:nav], plan.factors[:nav])]
    return _view(source, groups, plan.window[nav:], plan.factors[nav:], plan.reduce, plan.cast, plan.out_dtype,
                 plan.axes, step, plan.frame_op, plan.scan_turn)


def subsampled(source: Dataset, step: int) -> Dataset:
    """Every ``step``-th scan position along each scan axis (``step`` 1 is the source itself)."""
    if step == 1 or source.nav_ndim == 0:
        return source
    groups = [np.arange(0, n, step)[:, None] for n in source.nav_shape]
    axes = source.axes if len(source.axes) == len(source.shape) else pixel_axes(source.shape, source.nav_ndim)
    new_axes = [Axis(a.name, len(g), a.scale * step, a.offset, a.units, a.navigate)
                for a, g in zip(axes[: source.nav_ndim], groups)] + list(axes[source.nav_ndim:])
    sig = [(0, n) for n in source.sig_shape]
    return _view(source, groups, sig, [1] * len(sig), "mean", None, source.dtype, new_axes,
                 {"operation": "subsample", "params": {"step": step}})


def coarse_step(nav_shape: tuple[int, ...], frames: int = COARSE_FRAMES) -> int:
    """The smallest step that reads at most about ``frames`` frames."""
    total = math.prod(nav_shape)
    if total <= frames or not nav_shape:
        return 1
    return max(1, math.ceil((total / frames) ** (1 / len(nav_shape))))


def check_pipeline(value: Any) -> list[dict[str, Any]]:
    """The validated list of pipeline steps (shape only; parameters are checked against the data)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadParameter("'pipeline' must be a list of steps such as {\"operation\": \"crop\", \"params\": {...}}.")
    limits = request_limits.current()
    if limits is not None and len(value) > limits.max_pipeline_steps:
        raise request_limits.too_many(
            "pipeline steps", len(value), "max_pipeline_steps", limits.max_pipeline_steps,
            "Combine steps (one crop and one bin do what many do), or write an intermediate dataset with a job.")
    steps = []
    for position, step in enumerate(value):
        if not isinstance(step, dict) or set(step) - {"operation", "params"}:
            raise BadParameter(f"Pipeline step {position} must be an object with 'operation' and 'params'.")
        operation = step.get("operation")
        chained = pipeline_operations()
        if operation not in chained:
            raise BadParameter(f"Pipeline step {position}: {operation!r} cannot be chained.",
                               hint=f"Steps may be {', '.join(chained)}.")
        params = step.get("params") or {}
        if not isinstance(params, dict):
            raise BadParameter(f"Pipeline step {position}: 'params' must be an object.")
        steps.append({"operation": operation, "params": params})
    return steps


def apply_pipeline(dataset: Dataset, steps: list[dict[str, Any]]) -> Dataset:
    """``dataset`` seen through each step in turn; the result closes the source when closed, and
    a step refused for this dataset closes it at once."""
    from .operations import get_operation

    try:
        for step in steps:
            plan = get_operation(step["operation"]).plan_for(dataset, step["params"])
            assert isinstance(plan, TransformPlan)
            dataset = transformed(dataset, plan, step)
    except BaseException:
        dataset.close()
        raise
    return dataset
