"""The view contract: the display state a viewer saves with a result, declared once.

A result saved from the dataset viewer carries the viewer's whole state as ``view`` (what it
shows, how it is drawn, the detectors and regions drawn): the layout restorer keeps the same
state across page reloads, and reopening a result restores it.  :data:`SCHEMA` (JSON Schema
2020-12) declares it; ``GET views`` serves it with the colormap list and the scales
(:func:`contract`), the viewer colours its images with those tables, and ``POST jobs``
validates every ``view`` against it (:func:`check_view`: an unknown key or a malformed value is
a 400 ``invalid_view`` naming the place, never silently ignored).

The view also says which image of a result is on screen (:func:`shown_image`), so that every
single-array format writes that array, and a PNG is drawn as the screen shows it: the display
(``nav`` or ``frame``) of the image, its colormap, scaling and limits, and for a stack of
detector images the selected detector's plane.  Every key is optional: a script may send just
``{"nav": {"cmap": "viridis", "scaling": {"mode": "log"}}}``; what is missing takes the
viewer's default (the ``default`` of each schema entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import render
from .detector_shapes import DRAWN, FIELDS, shapes_json
from .errors import BadParameter

VERSION = 1

NAV_MODES = ("detector", "sum", "com", "operation", "result")
COM_FIELDS = ("magnitude", "field", "divergence", "curl", "shift_x", "shift_y")
ROI_STATS = ("sum", "mean", "std")
SHAPE_KINDS = DRAWN
#: Operations whose result is the frame (shown in the ``frame`` display); others are the navigation image.
FRAME_OPERATIONS = ("pick", "frame_stats")
#: The fields each shape kind drawn on an image needs.
SHAPE_FIELDS = {kind: FIELDS[kind] for kind in DRAWN}

DEFAULT_SCALING = {"mode": "linear", "vmin": 0, "vmax": 1, "gamma": 0.5, "percentiles": [1, 99],
                   "symmetric": False}
#: The viewer's displays before the user changes them.
DEFAULT_DISPLAYS = {
    "nav": {"cmap": "gray", "scaling": DEFAULT_SCALING, "auto": True},
    "frame": {"cmap": "inferno", "scaling": dict(DEFAULT_SCALING, mode="log"), "auto": True},
}

#: The size the save dialog offers first for a PNG (longest side, pixels).
DEFAULT_PICTURE_SIZE = 512

_NUMBER = {"type": "number"}
_POINT = {"type": "array", "items": _NUMBER, "minItems": 2, "maxItems": 2, "description": "[x, y] in pixels"}


def _object(properties: dict[str, Any], required: tuple[str, ...] = (), nullable: bool = False,
            **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["object", "null"] if nullable else "object", "properties": properties,
                              "additionalProperties": False, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def _shape(nullable: bool = False) -> dict[str, Any]:
    return _object(
        {"kind": {"enum": list(SHAPE_KINDS)},
         **{name: _NUMBER for kind in SHAPE_KINDS for name in SHAPE_FIELDS[kind] if name != "vertices"},
         "vertices": {"type": "array", "items": _POINT}},
        required=("kind",), nullable=nullable,
        allOf=[{"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"required": list(fields)}} for kind, fields in SHAPE_FIELDS.items()],
        description="A shape drawn on an image, in pixels of that image.",
    )


_SCALING = _object({
    "mode": {"enum": list(render.SCALES)},
    "vmin": {"type": ["number", "null"], "description": "lower limit (null: from the data)"},
    "vmax": {"type": ["number", "null"], "description": "upper limit (null: from the data)"},
    "gamma": {"type": "number", "exclusiveMinimum": 0, "description": "exponent of the power scale"},
    "percentiles": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 100},
                    "minItems": 2, "maxItems": 2},
    "symmetric": {"type": "boolean", "description": "limits centred on zero"},
}, default=DEFAULT_SCALING)


def _display(name: str) -> dict[str, Any]:
    return _object({
        "cmap": {"enum": list(render.COLORMAPS)},
        "scaling": _SCALING,
        "auto": {"type": "boolean", "description": "limits follow each new image (the vmin/vmax are ignored)"},
        "pinned": {"type": "boolean",
                   "description": "the user's limits survive a new image (unpinned: they hold for one image)"},
    }, default=DEFAULT_DISPLAYS[name], description=f"How the {name} image is drawn.")


#: How a result saved as a PNG is drawn beyond the display (``IPictureOptions`` in the viewer).
PICTURE = _object({
    "size": {"type": "integer", "minimum": render.PICTURE_SIZES[0], "maximum": render.PICTURE_SIZES[1],
             "description": "longest side of the image in pixels (absent: one pixel per value)"},
    "scaleBar": {"type": "boolean", "default": False,
                 "description": "a scale bar at the lower left, in the image's calibrated units"},
    "colourBar": {"type": "boolean", "default": False,
                  "description": "the colormap from the lower to the upper limit, labelled, right of the image"},
}, default={"scaleBar": False, "colourBar": False}, description="How a result saved as PNG is drawn.")


def _calibration() -> dict[str, Any]:
    return _object({"scale": {"type": "number", "exclusiveMinimum": 0}, "units": {"type": "string"}},
                   required=("scale", "units"), nullable=True)


#: The view a viewer saves with a result (``IViewState`` in ``labextension/src/viewer/state.ts``).
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "remotem view",
    **_object({
        "mode": {"enum": list(NAV_MODES), "default": "detector",
                 "description": "what the navigation image shows"},
        "detectors": {"type": "array", "items": _object({"id": {"type": "string", "minLength": 1},
                                                         "shape": _shape()}, required=("id", "shape"))},
        "selected": {"type": ["string", "null"], "description": "id of the detector whose image is shown"},
        "com": _object({"cx": _NUMBER, "cy": _NUMBER, "r": {"type": ["number", "null"]},
                        "scan_rotation": _NUMBER, "flip_y": {"type": "boolean"}}),
        "comField": {"enum": list(COM_FIELDS), "default": "magnitude"},
        "operation": _object({"name": {"type": "string", "minLength": 1},
                              "params": {"type": "object", "description": "as GET operations declares them"},
                              "field": {"type": "string", "minLength": 1,
                                        "description": "the array shown: one value per scan position"},
                              "index": {"type": "integer", "minimum": 0, "default": 0,
                                        "description": "the plane shown of an array with an index axis "
                                                       "(a component of a decomposition's scores)"},
                              "frameField": {"type": "string", "minLength": 1,
                                             "description": "an array per detector pixel the frame panel "
                                                            "shows instead of the frame at the cursor, at "
                                                            "the plane 'index' (a decomposition's components)"},
                              "required": {"type": "array", "items": {"type": "string"}}},
                             required=("name", "params", "field"), nullable=True,
                             description="the declared reduction shown in mode 'operation'"),
        "cursor": _POINT,
        "roi": _shape(nullable=True),
        "roiStat": {"enum": list(ROI_STATS), "default": "mean"},
        "navFft": {"type": "boolean"},
        "frameFft": {"type": "boolean"},
        "nav": _display("nav"),
        "frame": _display("frame"),
        "navCalibration": _calibration(),
        "frameCalibration": _calibration(),
        "line": {"type": ["array", "null"], "items": _POINT, "minItems": 2, "maxItems": 2},
        "lineOn": {"enum": ["nav", "frame"]},
        "lineWidth": {"type": "integer", "minimum": 1, "maximum": 256, "default": 1,
                      "description": "pixels across the line that its profile averages"},
        "stack": {"enum": ["images", "scan", None], "default": None,
                  "description": "a 3-D array seen as a stack of images or as a 1-D scan (null: as declared)"},
        "navResult": _object({"repository": {"type": "string", "minLength": 1},
                              "path": {"type": "string", "minLength": 1},
                              "dataset": {"type": ["string", "null"]},
                              "channel": {"type": "integer", "minimum": 0}},
                             required=("repository", "path"), nullable=True),
        "note": {"type": "string", "description": "free text kept with the result"},
        "picture": PICTURE,
    }),
}

#: Keys of flat display settings that belong in a display ("nav" or "frame").
_DISPLAY_KEYS = {"cmap", "scale", "scaling", "vmin", "vmax", "index", "auto"}
_HINT = ('GET remotem/api/views declares the view; for example {"nav": {"cmap": "viridis", '
         '"scaling": {"mode": "log"}}}.')


class InvalidView(BadParameter):
    code = "invalid_view"
    default_hint = _HINT


def contract() -> dict[str, Any]:
    """What ``GET views`` answers: the schema, the colormaps (with their tables) and the scales."""
    return {"version": VERSION, "schema": SCHEMA, "colormaps": render.colormaps_json(),
            "scales": list(render.SCALES), "displays": DEFAULT_DISPLAYS, "shapes": shapes_json(),
            "picture": {"sizes": list(render.PICTURE_SIZES), "default_size": DEFAULT_PICTURE_SIZE}}


def _validator() -> Any:
    import jsonschema

    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
    return _VALIDATOR


_VALIDATOR: Any = None


def check_view(view: Any) -> dict[str, Any] | None:
    """``view`` if it follows :data:`SCHEMA` (None stays None); else :class:`InvalidView`."""
    if view is None:
        return None
    if not isinstance(view, dict):
        raise InvalidView("'view' must be an object (the display state kept with the result) or null.")
    import jsonschema

    errors = sorted(_validator().iter_errors(view), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if not errors:
        return view
    error = jsonschema.exceptions.best_match(errors)
    where = "view" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        hint = _HINT
        if where == "view" and set(unknown) & _DISPLAY_KEYS:
            hint = ('Display settings belong to the image they draw: "nav" (the navigation image) or '
                    '"frame", e.g. {"nav": {"cmap": "viridis", "scaling": {"mode": "log", "vmin": 1}}}.')
        raise InvalidView(f"'{where}' has no key {', '.join(repr(k) for k in unknown)}.", hint=hint)
    if error.validator == "enum":
        raise InvalidView(f"'{where}' is {error.instance!r}, not one of the known values.",
                          hint=f"Use one of: {', '.join(map(str, error.validator_value))}.")
    if error.validator == "required":
        raise InvalidView(f"'{where}' {error.message}.", hint=_HINT)
    raise InvalidView(f"'{where}': {error.message}.", hint=_HINT)


@dataclass(frozen=True)
class ShownImage:
    """The image of a result that the view shows: its display, the array and, for a stack of
    images (scan × detectors), the plane; ``wheel``: the centre-of-mass field as a colour wheel."""

    display: str
    array: str | None
    index: int = 0
    wheel: bool = False


def shown_image(view: dict[str, Any] | None, operation: str, params: dict[str, Any] | None = None,
                array: str | None = None) -> ShownImage:
    """Which array of an ``operation``'s result ``view`` shows (None: the result's primary);
    ``array``, when the request names the one saved: the frame panel's array of the
    operation (its ``frameField``) is shown in the frame's display, at the plane chosen."""
    view = view or {}
    if operation in FRAME_OPERATIONS:
        array = view.get("roiStat", "mean") if operation == "frame_stats" else "frame"
        return ShownImage("frame", array)
    if operation == "com":
        field = view.get("comField", "magnitude")
        return ShownImage("nav", "magnitude" if field == "field" else field, wheel=field == "field")
    if operation == "virtual_detector":
        detectors = view.get("detectors") or []
        index = 0
        if view.get("mode", "detector") == "detector":
            ids = [detector.get("id") for detector in detectors]
            if view.get("selected") in ids:
                index = ids.index(view["selected"])
        count = len((params or {}).get("detectors") or []) or 1
        return ShownImage("nav", "intensity", index if index < count else 0)
    chosen = view.get("operation") if view.get("mode") == "operation" else None
    if isinstance(chosen, dict) and chosen.get("name") == operation and isinstance(chosen.get("field"), str):
        index = chosen.get("index", 0)
        index = index if isinstance(index, int) and index >= 0 else 0
        if array is not None and array == chosen.get("frameField"):
            return ShownImage("frame", array, index)
        return ShownImage("nav", chosen["field"], index)
    return ShownImage("nav", None)


def display_of(view: dict[str, Any] | None, display: str) -> tuple[str, render.Scaling, bool]:
    """Colormap, scaling and ``auto`` of one display of ``view`` (the viewer's defaults for what
    it leaves out); without a view, gray and linear from the data's range."""
    if view is None:
        return "gray", render.Scaling(), True
    default = DEFAULT_DISPLAYS[display]
    given = view.get(display) or {}
    scaling = dict(default["scaling"], **(given.get("scaling") or {}))
    return (given.get("cmap", default["cmap"]), render.Scaling.from_json(scaling),
            bool(given.get("auto", default["auto"])))


@dataclass(frozen=True)
class PictureOptions:
    """``view.picture``: the size of a saved PNG and whether it has a scale bar and a colour bar."""

    size: int | None = None
    scale_bar: bool = False
    colour_bar: bool = False


def picture_of(view: dict[str, Any] | None) -> PictureOptions:
    """The picture options of ``view`` (none: one pixel per value, no bars)."""
    given = (view or {}).get("picture") or {}
    return PictureOptions(given.get("size"), bool(given.get("scaleBar", False)),
                          bool(given.get("colourBar", False)))


def calibration_of(view: dict[str, Any] | None, display: str, axes: list[dict[str, Any]],
                   nav_ndim: int | None, width: int, reciprocal: bool) -> render.ScaleBar | None:
    """What one pixel of the ``display``'s image measures: the view's own calibration of that
    display when it sets one, else the dataset's axes (the scan's for ``nav``, the detector's for
    ``frame``, pixels when uncalibrated); in an FFT, the reciprocal of the image's extent."""
    given = (view or {}).get("navCalibration" if display == "nav" else "frameCalibration")
    if given:
        scale, units = float(given["scale"]), str(given["units"])
    else:
        if nav_ndim is None:
            return None
        group = axes[:nav_ndim] if display == "nav" else axes[nav_ndim:]
        if not group:
            return None
        scale, units = float(group[-1].get("scale") or 0.0), str(group[-1].get("units") or "")
    if not scale > 0:
        return None
    units = units or "px"
    if reciprocal:
        return render.ScaleBar(1.0 / (width * scale), f"1/{units}")
    return render.ScaleBar(scale, units)
