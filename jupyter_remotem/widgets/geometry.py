"""Virtual-detector geometry as the widgets draw and drag it: detector dicts ↔ handles and outlines.

The widgets keep detectors in exactly the JSON form the server and the client take
(``{"shape": "ring", "cx": 32, "cy": 32, "ri": 10, "ro": 20}``), so what the user drew is what is
computed and what is stored with a result.  On screen each detector becomes a few *handles*
(draggable points) and an *outline* (closed paths).  This module turns one into the other and
applies a drag to the detector list; it is pure and has no widget in it, so every rule of the
interaction (which handle moves what, how radii are kept ordered, how far a shape may leave
the frame) is unit-tested without a browser.

Coordinates are detector pixels with pixel centres at integer indices, x = column, y = row, the
convention of :mod:`jupyter_remotem.kernels.masks`.  A rectangle ``{x, y, width, height}``
covers columns ``int(x) .. int(x + width)`` inclusive, so its outline runs half a pixel outside
those centres.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..detector_shapes import DRAWN, FIELDS

Detector = dict[str, Any]

#: Shapes the widgets can draw and drag (``weights`` masks have no geometry to drag).
SHAPES = DRAWN
#: Smallest radius and the smallest gap between a ring's radii, in pixels, so a drag can never
#: produce a detector the server refuses (``ri <= ro``) or one that covers nothing by accident.
MIN_RADIUS = 0.5
#: Points per outline path; all paths have the same length so they stack into one ``Lines`` mark.
OUTLINE_POINTS = 65
#: Coordinates are rounded to this many decimals: enough for sub-pixel placement, short in JSON.
DECIMALS = 2


@dataclass(frozen=True)
class Frame:
    """The detector frame a geometry lives on: ``height`` rows and ``width`` columns."""

    height: int
    width: int

    @classmethod
    def of(cls, sig_shape: Sequence[int]) -> Frame:
        if len(sig_shape) != 2:
            raise ValueError(f"Virtual detectors need 2-D frames, these have shape {tuple(sig_shape)}.")
        return cls(int(sig_shape[0]), int(sig_shape[1]))

    def clamp(self, x: float, y: float) -> tuple[float, float]:
        """A point kept on the frame (pixel centres 0 .. size-1), so no handle can be lost off-screen."""
        return (min(max(float(x), 0.0), self.width - 1.0), min(max(float(y), 0.0), self.height - 1.0))

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.width - 1) / 2.0, (self.height - 1) / 2.0)


@dataclass(frozen=True)
class Handle:
    """A draggable point of detector number ``detector``; ``role`` says what dragging it changes."""

    detector: int
    role: str
    x: float
    y: float


def default_detector(shape: str, frame: Frame, centre: tuple[float, float] | None = None) -> Detector:
    """A sensible first detector of ``shape`` on ``frame``: a bright-field disk, an annular ring,
    a central rectangle, a centre point or a central diamond, sized from the frame."""
    cx, cy = centre if centre is not None else frame.centre
    size = min(frame.width, frame.height)
    if shape == "disk":
        return _rounded({"shape": "disk", "cx": cx, "cy": cy, "r": max(MIN_RADIUS, size / 8)})
    if shape == "ring":
        return _rounded({"shape": "ring", "cx": cx, "cy": cy, "ri": max(MIN_RADIUS, size / 6),
                         "ro": max(2 * MIN_RADIUS, size / 2.5)})
    if shape == "rectangle":
        half = max(1.0, size / 8)
        return _rounded({"shape": "rectangle", "x": cx - half, "y": cy - half, "width": 2 * half, "height": 2 * half})
    if shape == "point":
        return _rounded({"shape": "point", "cx": cx, "cy": cy})
    if shape == "polygon":
        r = max(1.0, size / 6)
        return _rounded({"shape": "polygon", "vertices": [[cx, cy - r], [cx + r, cy], [cx, cy + r], [cx - r, cy]]})
    raise ValueError(f"Unknown detector shape '{shape}'; the widgets draw: {', '.join(SHAPES)}.")


def check_detectors(detectors: Sequence[Mapping[str, Any]]) -> list[Detector]:
    """Copies of ``detectors`` after checking each has a drawable shape and its keys.

    The server checks values thoroughly; this early check only makes sure the widget can draw
    and drag what it was given, with a message that names the missing piece.
    """
    keys = {shape: FIELDS[shape] for shape in SHAPES}
    checked = []
    if not detectors:
        raise ValueError("Give at least one detector, e.g. {'shape': 'disk', 'cx': 32, 'cy': 32, 'r': 8}.")
    for number, detector in enumerate(detectors):
        shape = detector.get("shape") if isinstance(detector, Mapping) else None
        if shape not in keys:
            raise ValueError(f"Detector {number} has shape {shape!r}; the widgets draw: {', '.join(SHAPES)}.")
        missing = [k for k in keys[shape] if k not in detector]
        if missing:
            raise ValueError(f"The {shape} detector {number} lacks {', '.join(missing)}; "
                             f"a {shape} needs {', '.join(keys[shape])}.")
        if shape == "polygon" and len(detector["vertices"]) < 3:
            raise ValueError(f"The polygon detector {number} needs at least three vertices.")
        copy = dict(detector)
        if shape == "polygon":
            copy["vertices"] = [[float(x), float(y)] for x, y in detector["vertices"]]
        checked.append(copy)
    return checked


def handles(detectors: Sequence[Detector]) -> list[Handle]:
    """Every handle of every detector, in a stable order (the index a drag event reports)."""
    out: list[Handle] = []
    for number, d in enumerate(detectors):
        shape = d["shape"]
        out.append(Handle(number, "centre", *_centre(d)))
        if shape == "disk":
            out.append(Handle(number, "radius", d["cx"] + d["r"], d["cy"]))
        elif shape == "ring":
            # Inner radius to the north, outer to the east: the two never overlap, even for ri == ro.
            out.append(Handle(number, "inner", d["cx"], d["cy"] - d["ri"]))
            out.append(Handle(number, "outer", d["cx"] + d["ro"], d["cy"]))
        elif shape == "rectangle":
            out.append(Handle(number, "start", d["x"], d["y"]))
            out.append(Handle(number, "end", d["x"] + d["width"], d["y"] + d["height"]))
        elif shape == "polygon":
            out.extend(Handle(number, f"vertex{i}", x, y) for i, (x, y) in enumerate(d["vertices"]))
    return out


def drag(detectors: Sequence[Detector], handle: Handle, x: float, y: float, frame: Frame) -> list[Detector]:
    """The detector list after ``handle`` was dragged to ``(x, y)``; the other detectors are unchanged.

    A centre handle moves the whole shape; radius handles set the distance from the centre (in any
    direction); rectangle corners move one corner and keep the opposite one; polygon vertices move
    alone.  Positions are kept on the frame and radii stay ordered, so every result is a detector
    the server accepts.
    """
    x, y = frame.clamp(x, y)
    result = [dict(d) for d in detectors]
    d = result[handle.detector]
    shape, role = d["shape"], handle.role
    if role == "centre":
        cx, cy = _centre(d)
        _translate(d, x - cx, y - cy)
    elif shape == "disk" and role == "radius":
        d["r"] = max(MIN_RADIUS, math.hypot(x - d["cx"], y - d["cy"]))
    elif shape == "ring" and role == "inner":
        d["ri"] = min(max(0.0, math.hypot(x - d["cx"], y - d["cy"])), d["ro"] - MIN_RADIUS)
    elif shape == "ring" and role == "outer":
        d["ro"] = max(math.hypot(x - d["cx"], y - d["cy"]), d["ri"] + MIN_RADIUS)
    elif shape == "rectangle" and role in ("start", "end"):
        fixed = (d["x"] + d["width"], d["y"] + d["height"]) if role == "start" else (d["x"], d["y"])
        (x0, x1), (y0, y1) = sorted((x, fixed[0])), sorted((y, fixed[1]))
        d.update(x=x0, y=y0, width=x1 - x0, height=y1 - y0)
    elif shape == "polygon" and role.startswith("vertex"):
        vertices = [list(v) for v in d["vertices"]]
        vertices[int(role[len("vertex"):])] = [x, y]
        d["vertices"] = vertices
    else:
        raise ValueError(f"A {shape} detector has no handle '{role}'.")
    result[handle.detector] = _rounded(d)
    return result


def _centre(d: Detector) -> tuple[float, float]:
    """Where the centre handle of ``d`` sits; a drag puts it where the pointer is (absolute, so
    repeated drag events during one gesture never add up)."""
    if "cx" in d:
        return d["cx"], d["cy"]
    if d["shape"] == "rectangle":
        return d["x"] + d["width"] / 2, d["y"] + d["height"] / 2
    mean = np.asarray(d["vertices"], dtype=float).mean(axis=0)
    return float(mean[0]), float(mean[1])


def _translate(d: Detector, dx: float, dy: float) -> None:
    if "cx" in d:
        d["cx"] += dx
        d["cy"] += dy
    elif d["shape"] == "rectangle":
        d["x"] += dx
        d["y"] += dy
    else:
        d["vertices"] = [[vx + dx, vy + dy] for vx, vy in d["vertices"]]


def outlines(detector: Detector, points: int = OUTLINE_POINTS) -> list[np.ndarray]:
    """Closed paths (each ``(points, 2)`` of x, y) drawn for ``detector``: one circle for a disk,
    two for a ring, the pixel-edge boundary of a rectangle, a small circle marking a point."""
    shape = detector["shape"]
    if shape == "disk":
        return [_circle(detector["cx"], detector["cy"], detector["r"], points)]
    if shape == "ring":
        return [_circle(detector["cx"], detector["cy"], r, points) for r in (detector["ri"], detector["ro"])]
    if shape == "point":
        return [_circle(detector["cx"], detector["cy"], MIN_RADIUS, points)]
    if shape == "rectangle":
        x0, x1 = sorted((int(detector["x"]), int(detector["x"] + detector["width"])))
        y0, y1 = sorted((int(detector["y"]), int(detector["y"] + detector["height"])))
        corners = [(x0 - 0.5, y0 - 0.5), (x1 + 0.5, y0 - 0.5), (x1 + 0.5, y1 + 0.5), (x0 - 0.5, y1 + 0.5)]
        return [_closed_path(corners, points)]
    if shape == "polygon":
        return [_closed_path([tuple(v) for v in detector["vertices"]], points)]
    raise ValueError(f"Cannot draw a '{shape}' detector.")


def _circle(cx: float, cy: float, r: float, points: int) -> np.ndarray:
    angle = np.linspace(0.0, 2 * np.pi, points)
    return np.column_stack([cx + r * np.cos(angle), cy + r * np.sin(angle)])


def _closed_path(corners: Sequence[tuple[float, float]], points: int) -> np.ndarray:
    """``points`` samples along the closed polyline through ``corners``, every corner included,
    so straight shapes stack with circles of the same length (see :func:`outline_points`)."""
    ring = np.asarray(list(corners) + [corners[0]], dtype=float)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(ring, axis=0).T))])
    if points < len(along):
        raise ValueError(f"An outline through {len(corners)} corners needs at least {len(along)} points.")
    filler = np.linspace(0.0, along[-1], points - len(along) + 2)[1:-1]
    samples = np.sort(np.concatenate([along, filler]))
    return np.column_stack([np.interp(samples, along, ring[:, 0]), np.interp(samples, along, ring[:, 1])])


def outline_points(detectors: Sequence[Detector]) -> int:
    """Points per outline path for ``detectors``: enough for the polygon with most vertices."""
    vertices = [len(d["vertices"]) + 1 for d in detectors if d["shape"] == "polygon"]
    return max([OUTLINE_POINTS, *vertices])


def scan_position(x: float, y: float, nav_shape: Sequence[int]) -> tuple[int, int]:
    """The scan position ``(row, column)`` under a click at ``(x, y)`` on the navigation image."""
    rows, columns = int(nav_shape[0]), int(nav_shape[1])
    return (min(max(round(y), 0), rows - 1), min(max(round(x), 0), columns - 1))


def describe(detector: Detector) -> str:
    """A short label, e.g. ``ring (32, 32) 10–20``, for buttons and status lines."""
    shape = detector["shape"]
    if shape in ("disk", "ring", "point"):
        where = f"({detector['cx']:g}, {detector['cy']:g})"
        size = {"disk": lambda: f" r {detector['r']:g}", "ring": lambda: f" {detector['ri']:g}–{detector['ro']:g}",
                "point": lambda: ""}[shape]()
        return f"{shape} {where}{size}"
    if shape == "rectangle":
        return f"rectangle ({detector['x']:g}, {detector['y']:g}) {detector['width']:g}×{detector['height']:g}"
    return f"polygon of {len(detector['vertices'])} vertices"


def _rounded(d: Detector) -> Detector:
    out = {}
    for key, value in d.items():
        if key == "vertices":
            out[key] = [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in value]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = round(float(value), DECIMALS)
        else:
            out[key] = value
    return out


def with_shape(detector: Detector, shape: str, frame: Frame) -> Detector:
    """A default detector of another ``shape`` at the same centre (the shape selector's action)."""
    if shape == detector["shape"]:
        return dict(detector)
    return default_detector(shape, frame, centre=_centre(detector))
