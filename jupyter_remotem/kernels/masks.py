"""Virtual-detector masks as pure functions of geometry and frame shape.

The geometry is LiberTEM's (``libertem.masks``), so a virtual image made here matches one made
with LiberTEM pixel for pixel: pixel centres sit at integer indices ``[y, x]``, a disk holds the
pixels with distance ``d <= r`` from its centre, a ring those with ``ri < d <= ro``, and a
rectangle spans ``int(x) .. int(x + width)`` *inclusive* (LiberTEM's ``rectangular``: a rectangle
of width 3 covers 4 columns).  Shapes may lie partly or wholly outside the frame; they are clipped,
and a shape outside the frame gives an empty mask (whose sum is 0), never an error.

Binary shapes come back as ``bool`` arrays, weight maps as ``float32``: the apply kernels treat
binary masks on integer data as exact integer sums, so keeping the type tells them which they got.

:func:`from_spec` and :func:`stack` are the only places that turn untrusted JSON into masks; every
check of a detector specification lives here, and every failure is a :class:`BadParameter` whose
hint names the keys that shape expects.

:func:`stack` builds many masks at once: detectors of one shape are computed together with the
same floating-point expressions as the single-mask functions (so the pixels are identical), in
chunks that keep temporaries to a few MB, straight into one preallocated stack.  Polygons are
filled by scanlines: the crossings of every edge with the pixel rows it spans, counted per row,
so a polygon costs its edges times the rows they span, not its edges times the whole frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..detector_shapes import FIELDS, LENGTHS
from ..errors import BadParameter

#: Keys each detector shape expects, in the order used in hints, and those that are lengths.
SPEC_KEYS = FIELDS
_LENGTHS = LENGTHS

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
    out = np.zeros((1, *_sig2d(sig_shape)), bool)
    _fill_round(out, _FIRST, np.array([cx], float), np.array([cy], float), None, np.array([r], float))
    return out[0]


def ring(cx: float, cy: float, ri: float, ro: float, sig_shape: Sequence[int]) -> np.ndarray:
    """Pixels with ``ri < d <= ro``: the inner edge is open so disk(ri) and ring(ri, ro) tile."""
    out = np.zeros((1, *_sig2d(sig_shape)), bool)
    _fill_round(out, _FIRST, np.array([cx], float), np.array([cy], float), np.array([ri], float),
                np.array([ro], float))
    return out[0]


def rectangle(x: float, y: float, width: float, height: float, sig_shape: Sequence[int]) -> np.ndarray:
    """Columns ``int(x) .. int(x + width)`` and rows ``int(y) .. int(y + height)``, both inclusive.

    This reproduces ``libertem.masks.rectangular`` exactly, including its truncation towards zero
    and its handling of negative extents (the corner moves); a zero width or height is empty.
    """
    out = np.zeros((1, *_sig2d(sig_shape)), bool)
    _fill_rectangles(out, _FIRST, [(x, y, width, height)])
    return out[0]


def point(cx: float, cy: float, sig_shape: Sequence[int]) -> np.ndarray:
    """The single pixel ``[floor(cy), floor(cx)]``; empty when that pixel is outside the frame.

    For coordinates >= 0 this is LiberTEM's ``int(cy), int(cx)``; flooring (not truncating) keeps a
    point just left of or above the frame outside it instead of folding it onto row/column 0.
    """
    out = np.zeros((1, *_sig2d(sig_shape)), bool)
    _fill_points(out, _FIRST, np.array([cx], float), np.array([cy], float))
    return out[0]


def polygon(vertices: Sequence[Sequence[float]], sig_shape: Sequence[int]) -> np.ndarray:
    """Pixels whose centre is inside the polygon by the even-odd (crossing number) rule.

    An edge counts as crossed by the ray to +x when it straddles the pixel row half-open
    (``y0 <= py < y1`` or ``y1 <= py < y0``), so a centre on a shared vertex is counted once and
    self-intersecting outlines give the usual even-odd holes.  Fewer than three vertices is empty.
    """
    h, w = _sig2d(sig_shape)
    verts = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
    inside = np.zeros((h, w), dtype=bool)
    if len(verts) >= 3:
        _fill_polygon(inside, verts)
    return inside


# -- many masks at once ----------------------------------------------------------------------------
#: Elements of the float64 temporaries of one chunk of round detectors (16 MB).
_CHUNK_ELEMENTS = 1 << 21
#: The index of the only mask of a single-mask stack.
_FIRST = np.zeros(1, np.int64)


def _fill_round(out: np.ndarray, index: np.ndarray, cx: np.ndarray, cy: np.ndarray, ri: np.ndarray | None,
                ro: np.ndarray) -> None:
    """Disks (``ri`` None: ``d <= ro``) or rings (``ri < d <= ro``) into the masks ``out[index]``,
    a chunk of detectors at a time, with the single-mask arithmetic (``y*y + x*x <= r*r``)."""
    k, (_, h, w) = len(index), out.shape
    rows = np.arange(h, dtype=np.float64)
    cols = np.arange(w, dtype=np.float64)
    per_chunk = max(1, _CHUNK_ELEMENTS // (h * w))
    for start in range(0, k, per_chunk):
        stop = min(k, start + per_chunk)
        y = rows[None, :, None] - cy[start:stop, None, None]
        x = cols[None, None, :] - cx[start:stop, None, None]
        d2 = y * y + x * x
        outer = ro[start:stop]
        mask = d2 <= (outer * outer)[:, None, None]
        if ri is not None:
            inner = ri[start:stop]
            mask &= ~(d2 <= (inner * inner)[:, None, None])
        out[index[start:stop]] = mask


def _fill_rectangles(out: np.ndarray, index: np.ndarray, boxes: Sequence[tuple[float, float, float, float]]) -> None:
    """Rectangles ``(x, y, width, height)`` into the masks ``out[index]``: LiberTEM's inclusive edges."""
    k, (_, h, w) = len(index), out.shape
    spans = np.zeros((k, 4), np.int64)  # row start, row stop, column start, column stop
    for i, (x, y, width, height) in enumerate(boxes):
        if width == 0 or height == 0:
            continue
        x0, x1 = sorted((x, x + width))
        y0, y1 = sorted((y, y + height))
        x0, x1, y0, y1 = int(x0), int(x1), int(y0), int(y1)
        # The slice [max(0, lo) : max(0, min(hi + 1, n))], clipped to the frame.
        spans[i] = (min(max(0, y0), h), min(max(0, min(y1 + 1, h)), h),
                    min(max(0, x0), w), min(max(0, min(x1 + 1, w)), w))
    ys = np.arange(h)[None, :]
    xs = np.arange(w)[None, :]
    in_rows = (ys >= spans[:, 0:1]) & (ys < spans[:, 1:2])
    in_cols = (xs >= spans[:, 2:3]) & (xs < spans[:, 3:4])
    per_chunk = max(1, _CHUNK_ELEMENTS // (h * w))
    for start in range(0, k, per_chunk):
        stop = min(k, start + per_chunk)
        out[index[start:stop]] = in_rows[start:stop, :, None] & in_cols[start:stop, None, :]


def _fill_points(out: np.ndarray, index: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> None:
    """The pixel ``[floor(cy), floor(cx)]`` of each detector ``out[index]``, when it lies in the frame."""
    _, h, w = out.shape
    iy, ix = np.floor(cy), np.floor(cx)
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    out[index[inside], iy[inside].astype(np.int64), ix[inside].astype(np.int64)] = True


#: Cells of one block of rows of the polygon fill (counts are int64: 8 MB).
_FILL_CELLS = 1 << 20


def _fill_polygon(inside: np.ndarray, verts: np.ndarray) -> None:
    """Even-odd fill of ``verts`` (n, 2) into ``inside`` (h, w), a block of rows at a time.

    An edge that straddles row ``py`` toggles the pixels ``px < x_cross``, that is the first
    ``ceil(x_cross)`` of the row; a pixel is inside when an odd number of crossings toggle it.
    ``x_cross`` is computed exactly as the per-edge definition does, so the pixels agree."""
    h, w = inside.shape
    x0, y0 = verts[:, 0], verts[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    keep = y0 != y1
    x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    if x0.size == 0:
        return
    with np.errstate(all="ignore"):
        dx, dy = x1 - x0, y1 - y0
        # Rows py with min(y0, y1) <= py < max(y0, y1), within the frame.
        first = np.clip(np.ceil(np.minimum(y0, y1)), 0, h).astype(np.int64)
        last = np.clip(np.ceil(np.maximum(y0, y1)), 0, h).astype(np.int64)
        block = max(1, _FILL_CELLS // (w + 1))
        for r0 in range(0, h, block):
            r1 = min(h, r0 + block)
            lo, hi = np.maximum(first, r0), np.minimum(last, r1)
            edges = np.flatnonzero(hi > lo)
            if edges.size == 0:
                continue
            counts = hi[edges] - lo[edges]
            edge = np.repeat(edges, counts)
            row = lo[edge] + np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts)
            x_cross = x0[edge] + (row.astype(np.float64) - y0[edge]) * dx[edge] / dy[edge]
            toggled = np.ceil(x_cross)
            toggled[np.isnan(toggled)] = 0
            toggled = np.clip(toggled, 0, w).astype(np.int64)
            hist = np.bincount((row - r0) * (w + 1) + toggled, minlength=(r1 - r0) * (w + 1)).reshape(r1 - r0, w + 1)
            below = np.cumsum(hist, axis=1)[:, :w]  # crossings with ceil(x_cross) <= px: not toggling px
            inside[r0:r1] = ((hist.sum(axis=1)[:, None] - below) & 1).astype(bool)


def weights(array: Any, sig_shape: Sequence[int]) -> np.ndarray:
    """An arbitrary weight map, checked for shape and finiteness, as float32."""
    shape = _sig2d(sig_shape)
    try:
        raw = np.asarray(array)
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadParameter(f"Mask weights are not numbers: {exc}.", hint=_hint("weights")) from None
    if raw.dtype.kind not in "biuf":
        raise BadParameter("Mask weights are not numbers.", hint="Give the weights as a nested list of numbers "
                                                                 "[rows][columns].")
    with np.errstate(over="ignore"):
        values = raw.astype(np.float32)
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
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float
        value = math.inf
    if not math.isfinite(value):
        raise BadParameter(f'"{key}" of the {shape} detector must be finite, got {value}.', hint=_hint(shape))
    if key in _LENGTHS and value < 0:
        raise BadParameter(f'"{key}" of the {shape} detector must not be negative, got {value}.', hint=_hint(shape))
    return value


#: Types a vertex coordinate parsed from JSON has; others are checked one by one.
_PLAIN_NUMBERS = (int, float)


def _vertices(spec: Mapping[str, Any]) -> np.ndarray:
    """The polygon's vertices as an (n, 2) float64 array: checked in one pass when every vertex is
    a pair of plain finite numbers (as JSON gives), else vertex by vertex for a precise message."""
    raw = spec.get("vertices")
    if not isinstance(raw, (list, tuple)) or len(raw) < 3:
        raise BadParameter(
            "A polygon detector needs at least three vertices.",
            hint='Give "vertices" as [[x, y], [x, y], [x, y], ...] in pixel coordinates.',
        )
    if all(type(v) in (list, tuple) and len(v) == 2 and type(v[0]) in _PLAIN_NUMBERS
           and type(v[1]) in _PLAIN_NUMBERS for v in raw):
        try:
            verts = np.array(raw, dtype=np.float64)
        except OverflowError:
            verts = None
        if verts is not None and bool(np.all(np.isfinite(verts))):
            return verts
    out = []
    for vertex in raw:
        if not isinstance(vertex, (list, tuple)) or len(vertex) != 2:
            raise BadParameter(f"Polygon vertex {vertex!r} is not an [x, y] pair.", hint=_hint("polygon"))
        x = _number({"x": vertex[0]}, "x", "polygon")
        y = _number({"y": vertex[1]}, "y", "polygon")
        out.append((x, y))
    return np.array(out, dtype=np.float64)


def _parse(spec: Any) -> tuple[str, Any]:
    """One detector specification checked: its shape and its numbers (vertices, weights)."""
    if not isinstance(spec, Mapping):
        raise BadParameter(f"A detector must be a JSON object, got {type(spec).__name__}.", hint=_shapes_hint())
    shape = spec.get("shape")
    if not isinstance(shape, str) or shape not in SPEC_KEYS:
        raise BadParameter(f"Unknown detector shape {shape!r}.", hint=_shapes_hint())
    if shape == "polygon":
        return shape, _vertices(spec)
    if shape == "weights":
        if "values" not in spec:
            raise BadParameter('The weights detector is missing "values".', hint=_hint("weights"))
        return shape, spec["values"]
    p = tuple(_number(spec, key, shape) for key in SPEC_KEYS[shape])
    if shape == "ring" and p[2] > p[3]:
        raise BadParameter(
            f'The ring\'s inner radius "ri" ({p[2]}) is larger than its outer radius "ro" ({p[3]}).',
            hint=_hint("ring"),
        )
    return shape, p


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
    return _build([_parse(spec)], sig_shape)[0]


def stack(specs: Sequence[Mapping[str, Any]], sig_shape: Sequence[int]) -> np.ndarray:
    """Masks for several detectors as one ``(k, *sig_shape)`` array, to be applied in one pass.

    The stack is ``bool`` when every mask is binary and ``float32`` otherwise.  Every
    specification is checked before the stack is allocated; detectors of one shape are then
    built together (see the module docstring).
    """
    if isinstance(specs, Mapping) or not isinstance(specs, Sequence) or len(specs) == 0:
        raise BadParameter("Give the detectors as a non-empty list.", hint=_shapes_hint())
    return _build([_parse(spec) for spec in specs], sig_shape)


def _build(parsed: list[tuple[str, Any]], sig_shape: Sequence[int]) -> np.ndarray:
    h, w = _sig2d(sig_shape)
    weight_maps = {i: weights(p, (h, w)) for i, (shape, p) in enumerate(parsed) if shape == "weights"}
    out = np.zeros((len(parsed), h, w), np.float32 if weight_maps else bool)
    by_shape: dict[str, list[int]] = {}
    for i, (shape, _) in enumerate(parsed):
        by_shape.setdefault(shape, []).append(i)
    for shape, members in by_shape.items():
        index = np.array(members, np.int64)
        if shape == "weights":
            for i in members:
                out[i] = weight_maps[i]
        elif shape == "polygon":
            for i in members:
                if len(parsed[i][1]) >= 3:
                    mask = np.zeros((h, w), bool)
                    _fill_polygon(mask, parsed[i][1])
                    out[i] = mask
        elif shape == "rectangle":
            _fill_rectangles(out, index, [parsed[i][1] for i in members])
        else:
            numbers = np.array([parsed[i][1] for i in members], dtype=np.float64)
            if shape == "disk":
                _fill_round(out, index, numbers[:, 0], numbers[:, 1], None, numbers[:, 2])
            elif shape == "ring":
                _fill_round(out, index, numbers[:, 0], numbers[:, 1], numbers[:, 2], numbers[:, 3])
            else:
                _fill_points(out, index, numbers[:, 0], numbers[:, 1])
    return out
