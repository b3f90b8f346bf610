"""What an operation takes and what it gives, declared once for every front door.

An operation's :class:`Parameter` list is its request schema: JSON Schema 2020-12 fragments
with defaults and units, from which the server validates ``params`` (precise 400 messages
naming the parameter, before any data is touched) and which ``GET operations`` serves, so
that a client or the viewer can build its forms and calls from it.  Its :class:`Output` list
says which arrays the result holds and what their axes are: over the scan (one value per scan
position), over the frame (one per detector pixel), or single, each with further named axes
(a detector index, radial bins, ...), and a dtype; from that come the result's size (quotes,
the interactive ``max_result_bytes`` limit) and the names and units of its axes (xarray dims,
HDF5 and ``.hspy`` axes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BadParameter

#: Where an output array lies: one value per scan position, per frame pixel, or neither.
SCAN, FRAME, SINGLE = "scan", "frame", "single"
PLACES = (SCAN, FRAME, SINGLE)
#: A parameter with no default must be given.
REQUIRED: Any = object()


@dataclass(frozen=True)
class Parameter:
    """One entry of an operation's ``params``."""

    name: str
    #: JSON Schema of the value (``type``, ``minimum``, ``enum``, ``items``, ...).
    schema: Mapping[str, Any]
    description: str
    default: Any = None
    unit: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def to_json(self) -> dict[str, Any]:
        schema = dict(self.schema, description=self.description)
        if not self.required and self.default is not None:
            schema["default"] = self.default
        if self.unit:
            schema["x-unit"] = self.unit
        return schema


@dataclass(frozen=True)
class Dim:
    """A named axis of an output beyond the scan's or the frame's."""

    name: str
    unit: str | None = None
    description: str = ""
    #: An index of separate results (one per detector, per sector), not a coordinate: files
    #: that navigate and show put it among the navigation axes, never on the signal.
    index: bool = False
    #: The single output holding this axis's coordinate values (the radius of each ring), which
    #: calibrates it in files when they are evenly spaced.
    coordinate: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "description": self.description, "index": self.index,
                "coordinate": self.coordinate}


@dataclass(frozen=True)
class Output:
    """One array of an operation's result."""

    name: str
    place: str
    description: str
    dims: tuple[Dim, ...] = ()
    dtype: str = "float64"
    #: The unit of the values (None: counts, or as the data).
    unit: str | None = None
    #: Present only for some datasets (a CoM field needs a 1-D or 2-D scan), and when.
    when: Callable[[Any], bool] | None = None
    when_text: str | None = None
    #: The last extra axis holds red, green and blue (floats in 0..1; an integer array holds
    #: them as 0..255): pictures of it are drawn in those colours, never through a colormap.
    colour: bool = False

    def __post_init__(self) -> None:
        assert self.place in PLACES, self.place
        assert not self.colour or self.dims, f"{self.name}: a colour output needs its channel axis"

    def present(self, geometry: Any) -> bool:
        return self.when is None or self.when(geometry)

    def shape(self, geometry: Any, extra: Sequence[int] = ()) -> tuple[int, ...]:
        """The array's shape on ``geometry`` (a dataset or anything with nav/sig shapes)."""
        lead = {SCAN: tuple(geometry.nav_shape), FRAME: tuple(geometry.sig_shape), SINGLE: ()}[self.place]
        return lead + tuple(extra)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "place": self.place, "description": self.description,
                "dims": [dim.to_json() for dim in self.dims], "dtype": self.dtype, "unit": self.unit,
                "when": self.when_text, "colour": self.colour}


def params_schema(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The JSON Schema of a ``params`` object made of ``parameters`` (nothing else allowed)."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                              "properties": {p.name: p.to_json() for p in parameters}}
    required = [p.name for p in parameters if p.required]
    if required:
        schema["required"] = required
    return schema


@dataclass
class ParamsValidator:
    """Checks ``params`` against an operation's parameters, with messages that name the
    parameter and say what it takes; answers them with the defaults filled in."""

    operation: str
    parameters: Sequence[Parameter]
    _validator: Any = field(default=None, init=False, repr=False)

    def __call__(self, params: Any) -> dict[str, Any]:
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise BadParameter(f"'params' of {self.operation} must be an object, not {type(params).__name__}.",
                               hint=self.hint())
        error = self._first_error(params)
        if error is not None:
            raise error
        filled = {p.name: p.default for p in self.parameters if not p.required and p.default is not None}
        filled.update(params)
        return filled

    def schema(self) -> dict[str, Any]:
        return params_schema(self.parameters)

    def hint(self) -> str:
        if not self.parameters:
            return f"{self.operation} takes no parameters: send {{}}."
        return f"{self.operation} takes: " + ", ".join(
            p.name + ("" if not p.required else " (required)") for p in self.parameters) + "."

    def _first_error(self, params: dict[str, Any]) -> BadParameter | None:
        import jsonschema

        if self._validator is None:
            self._validator = jsonschema.Draft202012Validator(params_schema(self.parameters))
        errors = sorted(self._validator.iter_errors(params), key=lambda e: (list(map(str, e.absolute_path))))
        if not errors:
            return None
        error = jsonschema.exceptions.best_match(errors)
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            known = {p.name for p in self.parameters}
            unknown = sorted(set(params) - known)
            return BadParameter(f"Unknown parameter{'s' if len(unknown) > 1 else ''} for {self.operation}: "
                                f"{', '.join(unknown)}.", hint=self.hint())
        if error.validator == "required":
            return BadParameter(f"{self.operation} needs {error.message.split(' is a required')[0]}.",
                                hint=self.hint())
        where = "'" + str(path[0]) + "'" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
        described = _what_it_takes(error.schema)
        return BadParameter(f"Parameter {where} of {self.operation} must be {described}, not {error.instance!r}.",
                            hint=self.hint())


def _what_it_takes(schema: Mapping[str, Any]) -> str:
    """A short phrase for what ``schema`` accepts ("a number ≥ 0", "one of 'sum', 'mean'")."""
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    nullable = "null" in kinds
    names = {"number": "a number", "integer": "an integer", "boolean": "true or false", "string": "a string",
             "array": "a list", "object": "an object"}
    phrase = " or ".join(names.get(k, k) for k in kinds if k != "null") or "valid"
    bounds = []
    if "minimum" in schema:
        bounds.append(f"≥ {schema['minimum']}")
    if "exclusiveMinimum" in schema:
        bounds.append(f"> {schema['exclusiveMinimum']}")
    if "maximum" in schema:
        bounds.append(f"≤ {schema['maximum']}")
    if "exclusiveMaximum" in schema:
        bounds.append(f"< {schema['exclusiveMaximum']}")
    if "minItems" in schema:
        bounds.append(f"of at least {schema['minItems']} item{'s' if schema['minItems'] != 1 else ''}")
    return " ".join([phrase, *bounds]) + (" (or null)" if nullable else "")


def result_bytes(outputs: Sequence[Output], geometry: Any, extra: Callable[[str], Sequence[int]],
                 single_array: bool = False) -> int:
    """Bytes of a result: every array present (HDF5), or the largest (a format of one array)."""
    sizes = [math.prod(output.shape(geometry, extra(output.name))) * np.dtype(output.dtype).itemsize
             for output in outputs if output.present(geometry)]
    if not sizes:
        return 0
    return max(sizes) if single_array else sum(sizes)
