"""Virtual-detector masks as pure functions of geometry and frame shape.

The geometry is LiberTEM's (``libertem.masks``), so a virtual image made here matches one made
with LiberTEM pixel for pixel: pixel centres sit at integer indices ``[y, x]``, a disk holds the
pixels with distance ``d <= r`` from its centre, a ring those with ``ri < d <= ro``, and a
rectangle spans ``int(x) .. int(x + width)`` *inclusive* (LiberTEM's ``rectangular``: a rectangle
of width 3 covers 4 columns).  Shapes may lie partly or wholly outside the frame; they are clipped,
and a shape outside the frame gives an empty mask (whose sum is 0), never an error.

Binary shapes come back as ``bool`` arrays, weight maps as ``float32``: the apply kernels treat
binary masks on integer data as exact integer sums, so keeping the type tells them which they got.

:func:`from_spec` is the only place that turns untrusted JSON into a mask; every check of a
detector specification lives there, and every failure is a :class:`BadParameter` whose hint names
the keys that shape expects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import BadParameter

#: Keys each detector shape expects, in the order used in hints.
SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "disk": ("cx", "cy", "r"),
    "ring": ("cx", "cy", "ri", "ro"),
    "rectangle": ("x", "y", "width", "height"),
    "point": ("cx", "cy"),
    "polygon": ("vertices",),
    "weights": ("values",),
}

#: Parameters that are lengths and so must not be negative.
_LENGTHS = frozenset({"r", "ri", "ro", "width", "height"})

#: Largest detector frame we build masks for (pixels); guards memory against absurd JSON.
MAX_SIG_PIXELS = 1 << 26


def _sig2d(sig_shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(int(s) for s in sig_shape)
    if len(shape) != 2 or min(shape) < 1:
        raise BadParameter(
            f"Masks need a 2-D frame shape (height, width) of positive sizes, got {shape}.",
            hint="Pass sig_shape as (height, width).",
        )
    if shape[0] * shape[1] > MAX_SIG_PIXELS:
        raise BadParameter(f"Frame shape {shape} is too large for a mask.")
    return shape  # type: ignore[return-value]


def _squared_distance(cx: float, cy: float, sig_shape: Sequence[int]) -> np.ndarray:
    h, w = _sig2d(sig_shape)
    y = np.arange(h, dtype=np.float64)[:, None] - cy
    x = np.arange(w, dtype=np.float64)[None, :] - cx
    return y * y + x * x


def disk(cx: float, cy: float, r: float, sig_shape: Sequence[int]) -> np.ndarray:
    """Pixels whose centre lies within distance ``r`` of ``(cx, cy)`` (``d <= r``)."""
    return _squared_distance(cx, cy, sig_shape) <= r * r


def ring(cx: float, cy: float, ri: float, ro: float, sig_shape: Sequence[int]) -> np.ndarray:
    """Pixels with ``ri < d <= ro``: the inner edge is open so disk(ri) and ring(ri, ro) tile."""
    d2 = _squared_distance(cx, cy, sig_shape)
    return (d2 <= ro * ro) & ~(d2 <= ri * ri)


def rectangle(x: float, y: float, width: float, height: float, sig_shape: Sequence[int]) -> np.ndarray:
    """Columns ``int(x) .. int(x + width)`` and rows ``int(y) .. int(y + height)``, both inclusive.

    This reproduces ``libertem.masks.rectangular`` exactly, including its truncation towards zero
    and its handling of negative extents (the corner moves); a zero width or height is empty.
    """
    h, w = _sig2d(sig_shape)
    mask = np.zeros((h, w), dtype=bool)
    if width == 0 or height == 0:
        return mask
    x0, x1 = sorted((x, x + width))
    y0, y1 = sorted((y, y + height))
    x0, x1, y0, y1 = int(x0), int(x1), int(y0), int(y1)
    mask[max(0, y0) : max(0, min(y1 + 1, h)), max(0, x0) : max(0, min(x1 + 1, w))] = True
    return mask


def point(cx: float, cy: float, sig_shape: Sequence[int]) -> np.ndarray:
    """The single pixel ``[floor(cy), floor(cx)]``; empty when that pixel is outside the frame.

    For coordinates >= 0 this is LiberTEM's ``int(cy), int(cx)``; flooring (not truncating) keeps a
    point just left of or above the frame outside it instead of folding it onto row/column 0.
    """
    h, w = _sig2d(sig_shape)
    mask = np.zeros((h, w), dtype=bool)
    iy, ix = math.floor(cy), math.floor(cx)
    if 0 <= iy < h and 0 <= ix < w:
        mask[iy, ix] = True
    return mask


def polygon(vertices: Sequence[Sequence[float]], sig_shape: Sequence[int]) -> np.ndarray:
    """Pixels whose centre is inside the polygon by the even-odd (crossing number) rule.

    An edge counts as crossed by the ray to +x when it straddles the pixel row half-open
    (``y0 <= py < y1`` or ``y1 <= py < y0``), so a centre on a shared vertex is counted once and
    self-intersecting outlines give the usual even-odd holes.  Fewer than three vertices is empty.
    """
    h, w = _sig2d(sig_shape)
    verts = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
    inside = np.zeros((h, w), dtype=bool)
    if len(verts) < 3:
        return inside
    py = np.arange(h, dtype=np.float64)[:, None]
    px = np.arange(w, dtype=np.float64)[None, :]
    for (x0, y0), (x1, y1) in zip(verts, np.roll(verts, -1, axis=0)):
        if y0 == y1:
            continue
        straddles = (y0 <= py) != (y1 <= py)
        x_cross = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= straddles & (px < x_cross)
    return inside


def weights(array: Any, sig_shape: Sequence[int]) -> np.ndarray:
    """An arbitrary weight map, checked for shape and finiteness, as float32."""
    shape = _sig2d(sig_shape)
    try:
        values = np.asarray(array, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise BadParameter(f"Mask weights are not numbers: {exc}.", hint=_hint("weights")) from None
    if values.shape != shape:
        raise BadParameter(
            f"Mask weights have shape {values.shape}, the frames have shape {shape}.",
            hint="Give one weight per detector pixel, as a nested list [rows][columns].",
        )
    if not np.all(np.isfinite(values)):
        raise BadParameter("Mask weights must be finite numbers.", hint=_hint("weights"))
    return values


def _hint(shape: str) -> str:
    keys = ", ".join(f'"{k}"' for k in SPEC_KEYS[shape])
    return f'A "{shape}" detector needs the keys {keys}.'


def _shapes_hint() -> str:
    forms = "; ".join(f'"{s}": {", ".join(keys)}' for s, keys in SPEC_KEYS.items())
    return f'Give "shape" as one of: {forms}.'


def _number(spec: Mapping[str, Any], key: str, shape: str) -> float:
    if key not in spec:
        raise BadParameter(f'The {shape} detector is missing "{key}".', hint=_hint(shape))
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise BadParameter(f'"{key}" of the {shape} detector must be a number, got {value!r}.', hint=_hint(shape))
    value = float(value)
    if not math.isfinite(value):
        raise BadParameter(f'"{key}" of the {shape} detector must be finite, got {value}.', hint=_hint(shape))
    if key in _LENGTHS and value < 0:
        raise BadParameter(f'"{key}" of the {shape} detector must not be negative, got {value}.', hint=_hint(shape))
    return value


def _vertices(spec: Mapping[str, Any]) -> list[tuple[float, float]]:
    raw = spec.get("vertices")
    if not isinstance(raw, (list, tuple)) or len(raw) < 3:
        raise BadParameter(
            "A polygon detector needs at least three vertices.",
            hint='Give "vertices" as [[x, y], [x, y], [x, y], ...] in pixel coordinates.',
        )
    out = []
    for vertex in raw:
        if not isinstance(vertex, (list, tuple)) or len(vertex) != 2:
            raise BadParameter(f"Polygon vertex {vertex!r} is not an [x, y] pair.", hint=_hint("polygon"))
        x = _number({"x": vertex[0]}, "x", "polygon")
        y = _number({"y": vertex[1]}, "y", "polygon")
        out.append((x, y))
    return out


def from_spec(spec: Mapping[str, Any], sig_shape: Sequence[int]) -> np.ndarray:
    """Turn one JSON detector specification into a mask of ``sig_shape``.

    Accepted forms (coordinates in detector pixels, x = column, y = row)::

        {"shape": "disk", "cx", "cy", "r"}            {"shape": "ring", "cx", "cy", "ri", "ro"}
        {"shape": "rectangle", "x", "y", "width", "height"}
        {"shape": "point", "cx", "cy"}                {"shape": "polygon", "vertices": [[x, y], ...]}
        {"shape": "weights", "values": [[...], ...]}

    Centres and corners may be anywhere (negative or beyond the frame); lengths must be finite and
    not negative, and a ring needs ``ri <= ro``.
    """
    if not isinstance(spec, Mapping):
        raise BadParameter(f"A detector must be a JSON object, got {type(spec).__name__}.", hint=_shapes_hint())
    shape = spec.get("shape")
    if shape not in SPEC_KEYS:
        raise BadParameter(f"Unknown detector shape {shape!r}.", hint=_shapes_hint())
    if shape == "polygon":
        return polygon(_vertices(spec), sig_shape)
    if shape == "weights":
        if "values" not in spec:
            raise BadParameter('The weights detector is missing "values".', hint=_hint("weights"))
        return weights(spec["values"], sig_shape)
    p = {key: _number(spec, key, shape) for key in SPEC_KEYS[shape]}
    if shape == "disk":
        return disk(p["cx"], p["cy"], p["r"], sig_shape)
    if shape == "ring":
        if p["ri"] > p["ro"]:
            raise BadParameter(
                f'The ring\'s inner radius "ri" ({p["ri"]}) is larger than its outer radius "ro" ({p["ro"]}).',
                hint=_hint("ring"),
            )
        return ring(p["cx"], p["cy"], p["ri"], p["ro"], sig_shape)
    if shape == "rectangle":
        return rectangle(p["x"], p["y"], p["width"], p["height"], sig_shape)
    return point(p["cx"], p["cy"], sig_shape)


def stack(specs: Sequence[Mapping[str, Any]], sig_shape: Sequence[int]) -> np.ndarray:
    """Masks for several detectors as one ``(k, *sig_shape)`` array, to be applied in one pass.

    The stack is ``bool`` when every mask is binary and ``float32`` otherwise.
    """
    if isinstance(specs, Mapping) or not isinstance(specs, Sequence) or len(specs) == 0:
        raise BadParameter("Give the detectors as a non-empty list.", hint=_shapes_hint())
    masks = [from_spec(spec, sig_shape) for spec in specs]
    dtype = bool if all(m.dtype == bool for m in masks) else np.float32
    return np.stack([m.astype(dtype, copy=False) for m in masks])
