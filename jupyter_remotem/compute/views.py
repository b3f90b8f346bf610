"""Lazy views of a dataset: a chain of crop/bin/cast steps, or a subsampled scan.

A notebook writes ``ds.crop(...).bin(2).virtual_detector(...)`` and expects the reduction to run
next to the data in one request, without an intermediate file.  A view is a :class:`Dataset`
whose reader maps each of its scan positions to the source positions it is made of (one for a
crop or a subsample, a box of them for a scan binning), reads those frames from the source and
applies the signal part of the step (crop, bin, cast) on the way.  Views nest, so a pipeline is
a view of a view; every operation, partitioner and executor works on them unchanged.

A subsampled view (every ``step``-th scan position) is what the viewer's coarse first answer
reads: the same reduction on a fraction of the frames, so a dragged detector updates at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BadParameter
from ..formats.axes import pixel_axes
from ..formats.dataset import Axis, Dataset
from ..formats.readers import BaseReader
from ..formats.selection import Selection
from ..kernels.transform import bin_block, binned_dtype, cast_block
from .transformations import TransformPlan

#: Steps a pipeline may hold: the transformations, which all describe themselves as a TransformPlan.
PIPELINE_OPERATIONS = ("crop", "bin", "cast")
#: Frames a coarse pass aims to read.
COARSE_FRAMES = 4096


class ViewReader(BaseReader):
    """Frames of a source dataset, regrouped over the scan and transformed per frame.

    ``nav_groups[i]`` is an ``(out_size_i, group_i)`` table of source indices along scan axis
    ``i``: output position ``j`` gathers source positions ``nav_groups[i][j]`` (binning) or
    just one (crop, subsample).  ``sig_window``/``sig_factors`` crop and bin each frame; the scan
    and signal boxes are reduced together, as a transformation job would.
    """

    def __init__(self, source: Dataset, nav_groups: list[np.ndarray], sig_window: list[tuple[int, int]],
                 sig_factors: list[int], reduce: str, cast: Any, dtype: np.dtype) -> None:
        self.source = source
        self.nav_groups = nav_groups
        self.sig_keep = tuple(slice(lo, hi) for lo, hi in sig_window)
        self.sig_factors = sig_factors
        self.reduce = reduce
        self.cast = cast
        self.box = math.prod(g.shape[1] for g in nav_groups)
        self.binning = self.box > 1 or any(f > 1 for f in sig_factors)
        shape = tuple(len(g) for g in nav_groups) + tuple((hi - lo) // f for (lo, hi), f in
                                                           zip(sig_window, sig_factors))
        self._setup(shape, dtype, len(nav_groups), getattr(source.reader, "path", ""), "view")

    def _read_frames(self, flat: np.ndarray) -> np.ndarray:
        if len(flat) == 0:
            return np.zeros((0,) + self.sig_shape, self.dtype)
        out_position = np.unravel_index(flat, self.nav_shape)
        # Source positions of every output frame: the outer product of each axis' group.
        per_axis = [group[index] for group, index in zip(self.nav_groups, out_position)]
        grids = np.meshgrid(*[np.arange(g.shape[1]) for g in per_axis], indexing="ij")
        source_nav = tuple(p[:, g.ravel()] for p, g in zip(per_axis, grids))
        source_flat = np.ravel_multi_index(source_nav, self.source.nav_shape).ravel()
        if len(source_flat) < 2 or bool(np.all(np.diff(source_flat) > 0)):
            # Ascending and distinct (crops, subsamples): one read, no regrouping copy.
            frames = self.source.read_frames(source_flat)[(slice(None),) + self.sig_keep]
        else:
            unique, inverse = np.unique(source_flat, return_inverse=True)
            frames = self.source.read_frames(unique)[(slice(None),) + self.sig_keep][inverse]
        block = frames.reshape((len(flat), self.box) + frames.shape[1:])
        if self.binning:
            dtype = binned_dtype(block.dtype, self.reduce, self.box * math.prod(self.sig_factors))
            block = bin_block(block, (1, self.box, *self.sig_factors), self.reduce, dtype)
        block = block.reshape((len(flat),) + self.sig_shape)
        if self.cast is not None:
            block = cast_block(block, self.cast.dtype, self.cast.scale, self.cast.offset, self.cast.clip)
        return block

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
        self.source.close()


def _view(source: Dataset, nav_groups: list[np.ndarray], sig_window: list[tuple[int, int]],
          sig_factors: list[int], reduce: str, cast: Any, dtype: np.dtype, axes: list[Axis],
          step: dict[str, Any]) -> Dataset:
    reader = ViewReader(source, nav_groups, sig_window, sig_factors, reduce, cast, dtype)
    metadata = dict(source.metadata)
    metadata["pipeline"] = list(source.metadata.get("pipeline", [])) + [step]
    return Dataset(shape=reader.shape, dtype=reader.dtype, nav_ndim=reader.nav_ndim, format=source.format,
                   reader=reader, internal_path=source.internal_path, axes=axes, metadata=metadata)


def transformed(source: Dataset, plan: TransformPlan, step: dict[str, Any]) -> Dataset:
    """The view of ``source`` that a crop, bin or cast ``plan`` describes."""
    nav = source.nav_ndim
    groups = [lo + np.arange(size)[:, None] * f + np.arange(f)[None, :]
              for (lo, _), size, f in zip(plan.window[:nav], plan.out_shape[:nav], plan.factors[:nav])]
    return _view(source, groups, plan.window[nav:], plan.factors[nav:], plan.reduce, plan.cast, plan.out_dtype,
                 plan.axes, step)


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
    steps = []
    for position, step in enumerate(value):
        if not isinstance(step, dict) or set(step) - {"operation", "params"}:
            raise BadParameter(f"Pipeline step {position} must be an object with 'operation' and 'params'.")
        operation = step.get("operation")
        if operation not in PIPELINE_OPERATIONS:
            raise BadParameter(f"Pipeline step {position}: {operation!r} cannot be chained.",
                               hint=f"Steps may be {', '.join(PIPELINE_OPERATIONS)}.")
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
            plan = get_operation(step["operation"]).plan(dataset, step["params"])
            assert isinstance(plan, TransformPlan)
            dataset = transformed(dataset, plan, step)
    except BaseException:
        dataset.close()
        raise
    return dataset
