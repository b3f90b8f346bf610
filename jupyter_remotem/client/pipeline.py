"""Lazy chains of transformations: ``ds.crop(...).bin(2).cast("float32")``.

Nothing runs when a step is added: the chain is a list of ``{"operation", "params"}`` steps,
exactly the request's ``"pipeline"``, sent along with the reduction or job that finally needs
data.  Each step also gives the geometry it produces, so a chained dataset knows its shape,
dtype and calibrated axes (crops shift offsets; a binned pixel sits at the centre of the pixels
it gathers and its scale multiplies), and obvious mistakes are refused before any request.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .errors import BadRequest
from .geometry import Axis, Geometry

Step = dict[str, Any]

#: Integer dtypes a sum may widen to, narrowest first.
_SIGNED = ("int8", "int16", "int32", "int64")
_UNSIGNED = ("uint8", "uint16", "uint32", "uint64")


def crop_step(geometry: Geometry, nav: Any = None, sig: Any = None) -> Step:
    """``nav``/``sig``: one ``(start, stop)`` (or None) per axis, or a single pair for every axis."""
    return {"operation": "crop", "params": {"nav": _per_axis(nav, geometry.nav_ndim, "crop nav", pair=True),
                                            "sig": _per_axis(sig, len(geometry.sig_shape), "crop sig", pair=True)}}


def bin_step(geometry: Geometry, sig: Any = None, nav: Any = None, reduce: str = "mean") -> Step:
    """``sig``/``nav``: one factor per axis, or one int for every axis of that part."""
    if reduce not in ("mean", "sum"):
        raise BadRequest(f"bin reduce must be 'mean' or 'sum', not {reduce!r}.")
    return {"operation": "bin", "params": {"nav": _per_axis(nav, geometry.nav_ndim, "bin nav"),
                                           "sig": _per_axis(sig, len(geometry.sig_shape), "bin sig"),
                                           "reduce": reduce}}


def cast_step(dtype: Any, scale: float = 1.0, offset: float = 0.0, clip: bool = False) -> Step:
    return {"operation": "cast", "params": {"dtype": np.dtype(dtype).name, "scale": float(scale),
                                            "offset": float(offset), "clip": bool(clip)}}


def _on(params: dict[str, Any], on: str) -> dict[str, Any]:
    """``params`` of a turn of the frames (the default) or of the scan."""
    if on not in ("frame", "scan"):
        raise BadRequest(f"A turn is 'on' the 'frame' or the 'scan', not {on!r}.")
    return {**params, "on": "scan"} if on == "scan" else params


def flip_step(axis: str, on: str = "frame") -> Step:
    """Frames (or the scan) mirrored: ``"x"`` left and right, ``"y"`` top and bottom."""
    if axis not in ("x", "y"):
        raise BadRequest(f"flip axis must be 'x' or 'y', not {axis!r}.")
    return {"operation": "flip", "params": _on({"axis": axis}, on)}


def rotate_step(quarter_turns: int, on: str = "frame") -> Step:
    """Frames (or the scan) turned counter-clockwise by ``quarter_turns`` (1, 2 or 3; as ``np.rot90``)."""
    turns = int(quarter_turns) % 4
    if turns == 0 or turns != quarter_turns % 4:
        raise BadRequest(f"rotate takes 1, 2 or 3 quarter turns (-1 for clockwise), not {quarter_turns!r}.")
    return {"operation": "rotate", "params": _on({"quarter_turns": turns}, on)}


def transpose_step(on: str = "frame") -> Step:
    return {"operation": "transpose", "params": _on({}, on)}


def fft_step(output: str = "magnitude", precision: str = "single") -> Step:
    if output not in ("magnitude", "complex") or precision not in ("single", "double"):
        raise BadRequest(f"fft takes output 'magnitude' or 'complex' and precision 'single' or 'double', not "
                         f"{output!r}, {precision!r}.")
    return {"operation": "fft", "params": {"output": output, "precision": precision}}


def fourier_filter_step(r_out: float, r_in: float = 0.0, precision: str = "single") -> Step:
    if not float(r_out) > float(r_in) >= 0:
        raise BadRequest(f"fourier_filter needs 0 <= r_in < r_out, not r_in {r_in!r}, r_out {r_out!r}.")
    if precision not in ("single", "double"):
        raise BadRequest(f"fourier_filter precision is 'single' or 'double', not {precision!r}.")
    return {"operation": "fourier_filter", "params": {"r_in": float(r_in), "r_out": float(r_out),
                                                      "precision": precision}}


def affine_step(matrix: Any = ((1.0, 0.0), (0.0, 1.0)), offset: Any = (0.0, 0.0), order: int = 1,
                fill: float = 0.0) -> Step:
    return {"operation": "affine", "params": {"matrix": _floats(matrix, "affine matrix"),
                                              "offset": _floats(offset, "affine offset"),
                                              "order": int(order), "fill": float(fill)}}


def polar_step(cx: float | None = None, cy: float | None = None, r_max: float | None = None,
               n_radius: int | None = None, n_angle: int = 360, order: int = 1, fill: float = 0.0) -> Step:
    return {"operation": "polar", "params": {
        "cx": _optional_float(cx), "cy": _optional_float(cy), "r_max": _optional_float(r_max),
        "n_radius": None if n_radius is None else int(n_radius), "n_angle": int(n_angle), "order": int(order),
        "fill": float(fill)}}


def mask_crop_step(polygon: Any = None, mask: Any = None, fill: float = 0.0) -> Step:
    """A region of the frames: ``polygon`` ``[(x, y), ...]`` in pixels, or a boolean ``mask``."""
    if (polygon is None) == (mask is None):
        raise BadRequest("mask_crop needs either a polygon or a mask (not both).")
    return {"operation": "mask_crop", "params": {
        "polygon": None if polygon is None else _floats(polygon, "mask_crop polygon"),
        "mask": None if mask is None else np.asarray(mask).astype(bool).tolist(), "on": "frame",
        "fill": float(fill)}}


def flatfield_step(dark: Any = None, flat: Any = None, normalise: bool = True, precision: str = "single",
                   fill: float | None = None) -> Step:
    """``dark``/``flat``: ``"repository:path"`` of a reference frame (or stack), or the frame itself."""
    if dark is None and flat is None:
        raise BadRequest("flatfield needs a dark reference, a flat one, or both.")
    return {"operation": "flatfield", "params": {
        "dark": _reference(dark), "flat": _reference(flat), "normalise": bool(normalise), "precision": precision,
        "fill": _optional_float(fill)}}


def _floats(value: Any, what: str) -> Any:
    try:
        return np.asarray(value, dtype=np.float64).tolist()
    except (TypeError, ValueError):
        raise BadRequest(f"{what} must be numbers, not {value!r}.") from None


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _reference(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return np.where(np.isfinite(frame := np.asarray(value, np.float64)), frame, np.nan).tolist()


#: The steps whose geometry this module works out itself (on the frames).  A chain holding any
#: other step (a turn of the scan, the server's resampling, masking and correcting
#: transformations) takes its geometry from the
#: server, which knows its own rules: ``GET meta`` with the pipeline, or the same views locally.
LOCAL_GEOMETRY = frozenset({"crop", "bin", "cast", "flip", "rotate", "transpose", "fft", "fourier_filter"})


def knows_geometry(pipeline: list[Step] | tuple[Step, ...]) -> bool:
    return all(step["operation"] in LOCAL_GEOMETRY and step["params"].get("on", "frame") == "frame"
               for step in pipeline)


def _fourier(geometry: Geometry, step: Step) -> Geometry:
    """The server's rule (``compute.transformations.frame_axes``): float32/complex64 unless double
    precision; after ``fft`` the frame's axes in reciprocal units, zero frequency in the middle."""
    params = step["params"]
    double = params.get("precision") == "double"
    complex_ = step["operation"] == "fft" and params.get("output") == "complex"
    dtype = np.dtype((np.complex128 if double else np.complex64) if complex_ else (np.float64 if double else np.float32))
    axes = list(geometry.axes)
    if step["operation"] == "fft":
        for i in (-2, -1):
            a = axes[i]
            step_ = 1.0 / (a.size * a.scale) if a.scale else 1.0
            axes[i] = replace(a, name=f"freq_{a.name}", scale=step_, offset=-(a.size // 2) * step_,
                              units=f"1/{a.units}" if a.units else "1/px")
    return Geometry(geometry.shape, dtype, geometry.nav_ndim, tuple(axes))


#: The steps that swap a frame's two axes.
_SWAPPING = {("rotate", 1), ("rotate", 3), ("transpose", None)}


def _per_axis(value: Any, count: int, what: str, pair: bool = False) -> list[Any] | None:
    """A per-axis list; a single factor (or, for crops, a single ``(start, stop)``) means every axis."""
    if value is None:
        return None
    single = _is_range(value) if pair else isinstance(value, (int, np.integer))
    items = [value] * count if single else list(value)
    if len(items) != count:
        raise BadRequest(f"{what} needs one entry per axis ({count}), not {value!r}.")
    if pair:
        bad = [v for v in items if v is not None and not _is_range(v)]
        if bad:
            raise BadRequest(f"{what}: each entry is (start, stop) or None, not {bad[0]!r}.")
        return [None if v is None else [int(v[0]), int(v[1])] for v in items]
    return [None if v is None else int(v) for v in items]


def _is_range(value: Any) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value))


def geometry_after(geometry: Geometry, step: Step) -> Geometry:
    """The geometry one step produces, with the checks the server would make on its shape."""
    params = step["params"]
    if step["operation"] == "cast":
        return replace(geometry, dtype=np.dtype(params["dtype"]))
    if step["operation"] in ("flip", "rotate", "transpose", "fft", "fourier_filter"):
        if len(geometry.sig_shape) != 2:
            raise BadRequest(f"{step['operation']} works on frames of two axes; these frames have shape "
                             f"{list(geometry.sig_shape)}.")
        if step["operation"] in ("fft", "fourier_filter"):
            return _fourier(geometry, step)
        if (step["operation"], params.get("quarter_turns")) not in _SWAPPING:
            return geometry
        axes = list(geometry.axes)
        axes[-2], axes[-1] = axes[-1], axes[-2]
        return Geometry(tuple(a.size for a in axes), geometry.dtype, geometry.nav_ndim, tuple(axes))
    nav, sig = params.get("nav") or [None] * geometry.nav_ndim, params.get("sig") or [None] * len(geometry.sig_shape)
    axes = []
    for axis, entry in zip(geometry.axes, list(nav) + list(sig)):
        if step["operation"] == "crop":
            axes.append(_cropped(axis, entry))
        else:
            axes.append(_binned(axis, 1 if entry is None else entry))
    dtype = geometry.dtype
    if step["operation"] == "bin":
        count = int(np.prod([f or 1 for f in list(nav) + list(sig)]))
        dtype = binned_dtype(geometry.dtype, params.get("reduce", "mean"), count)
    return Geometry(tuple(a.size for a in axes), dtype, geometry.nav_ndim, tuple(axes))


def _cropped(axis: Axis, entry: Any) -> Axis:
    if entry is None:
        return axis
    lo, hi = entry
    if not 0 <= lo < hi <= axis.size:
        raise BadRequest(f"crop range [{lo}, {hi}] for axis {axis.name} (size {axis.size}) is outside the data or "
                         "empty.", f"Use half-open ranges with 0 <= start < stop <= {axis.size}.")
    return replace(axis, size=hi - lo, offset=axis.offset + axis.scale * lo)


def _binned(axis: Axis, factor: int) -> Axis:
    if not 1 <= factor <= axis.size:
        raise BadRequest(f"bin factor {factor} for axis {axis.name} (size {axis.size}) must be between 1 and "
                         f"{axis.size}.")
    return replace(axis, size=axis.size // factor, scale=axis.scale * factor,
                   offset=axis.offset + axis.scale * (factor - 1) / 2)


def binned_dtype(dtype: np.dtype, reduce: str, count: int) -> np.dtype:
    """The server's rule: a mean is float32 (float64 from 64-bit data); an integer sum widens
    until ``count`` extreme values fit; float sums keep their dtype."""
    if dtype.kind == "c" or (reduce == "sum" and dtype.kind == "f"):
        return dtype
    if reduce == "mean":
        return np.dtype(np.float64 if dtype.itemsize >= 8 else np.float32)
    info = np.iinfo(dtype)
    for name in (_SIGNED if info.min < 0 else _UNSIGNED):
        wide = np.iinfo(name)
        if wide.min <= info.min * count and info.max * count <= wide.max:
            return np.dtype(name)
    return np.dtype(_SIGNED[-1] if info.min < 0 else _UNSIGNED[-1])


def geometry_of(source: Geometry, pipeline: list[Step] | tuple[Step, ...]) -> Geometry:
    for step in pipeline:
        source = geometry_after(source, step)
    return source
