"""Client methods made from an operation's declaration.

The methods written out in :mod:`.analysis` have hand-tuned docstrings and argument order; every
other declared operation (a reduction added to a server after this client was released, or one
too plain for a method of its own) is still ``ds.<name>(...)``: its signature and docstring come
from what ``GET operations`` serves, so the parameters are named exactly as in the schema and a
misspelt one fails here, before a request is made.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import Analysis

#: Arguments every reduction method takes besides the operation's own parameters.
_REDUCTION_OPTIONS = (
    inspect.Parameter("roi", inspect.Parameter.KEYWORD_ONLY, default=None),
    inspect.Parameter("field", inspect.Parameter.KEYWORD_ONLY, default=None),
    inspect.Parameter("step", inspect.Parameter.KEYWORD_ONLY, default=1),
    inspect.Parameter("coarse", inspect.Parameter.KEYWORD_ONLY, default=False),
    inspect.Parameter("as_xarray", inspect.Parameter.KEYWORD_ONLY, default=False),
)

#: How each output place reads in a docstring (``compute.declarations``: scan, frame, single).
_PLACES = {"scan": ", at every scan position", "frame": ", one per detector pixel", "single": ""}


def offers_method(declaration: dict[str, Any] | None) -> bool:
    """Whether a declared operation becomes a dataset method: reductions run on the dataset,
    transformations that chain are lazy steps of it; copies and code-taking operations have
    their own calls (``c.copy``, ``ds.map``/``ds.apply``)."""
    if not declaration or declaration.get("takes_code"):
        return False
    return declaration.get("kind") == "reduction" or (declaration.get("kind") == "transformation"
                                                       and bool(declaration.get("chains")))


def signature_of(declaration: dict[str, Any]) -> inspect.Signature:
    """Required parameters first (positional or by name), then the optional ones by name with
    their declared defaults; a reduction adds the options every reduction takes."""
    schema = declaration.get("parameters") or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    required = [name for name in schema.get("required") or () if name in properties]
    parameters = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in required]
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=spec.get("default"))
                   for name, spec in properties.items() if name not in required]
    if declaration.get("kind") == "reduction":
        parameters += list(_REDUCTION_OPTIONS)
    return inspect.Signature(parameters)


def docstring_of(declaration: dict[str, Any]) -> str:
    """The declaration's description, its parameters (type, unit, default) and its outputs."""
    schema = declaration.get("parameters") or {}
    lines = [declaration.get("description") or declaration.get("name", ""), ""]
    properties: dict[str, Any] = schema.get("properties") or {}
    if properties:
        lines.append("Parameters:")
        for name, spec in properties.items():
            kind = spec.get("type") or "/".join(option.get("type", "?") for option in spec.get("anyOf", ())) or "any"
            unit = f" [{spec['x-unit']}]" if spec.get("x-unit") else ""
            default = "" if name in (schema.get("required") or ()) else f", default {spec.get('default')!r}"
            lines.append(f"    {name} ({kind}{unit}{default}): {spec.get('description', '')}".rstrip())
    outputs = declaration.get("outputs") or []
    if outputs:
        primary = declaration.get("primary")
        lines.append("Answers (all of them, or the one ``field`` names):" if len(outputs) > 1 else "Answers:")
        for output in outputs:
            mark = " (primary)" if output["name"] == primary and len(outputs) > 1 else ""
            where = _PLACES.get(output.get("place"), "")
            lines.append(f"    {output['name']}{mark}: {output.get('description', '')}{where}")
    if declaration.get("kind") == "transformation":
        lines.append("Lazy: returns the dataset with this step added to its pipeline.")
    return "\n".join(lines).rstrip() + "\n"


def method_for(dataset: Analysis, declaration: dict[str, Any]) -> Any:
    """``dataset.<operation>``: a bound callable with the declaration's signature and docstring."""
    name = declaration["name"]
    signature = signature_of(declaration)

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        if declaration.get("kind") == "transformation":
            return dataset._chained({"operation": name, "params": _given(values)})
        options = {option.name: values.pop(option.name) for option in _REDUCTION_OPTIONS}
        field = options["field"] if options["field"] is not None else dataset._single_array(name)
        reduced = dataset._run(name, _given(values), options["roi"], field=field, step=options["step"],
                               coarse=options["coarse"], fft=False)
        return dataset._present(reduced, field, options["as_xarray"])

    call.__name__ = call.__qualname__ = name
    call.__doc__ = docstring_of(declaration)
    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """Parameters left at a default of None are not sent: the server fills in its own."""
    return {key: value for key, value in values.items() if value is not None}
