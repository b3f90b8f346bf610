"""Queries as JSON trees, declared once: what each operator takes, checked with precise 400s.

A combinator is ``{"op": "and" | "or", "args": [...]}`` or ``{"op": "not", "args": [q]}``; a leaf
names an operator from :data:`OPERATORS`, most with a ``key`` and a ``value``:
``{"op": "between", "key": "desc.beam_energy", "value": [150, 250], "unit": "keV"}``.  Keys are an
entry's own fields (:data:`FIELDS`) or key paths in a namespace: ``meta.<path>`` (what the file
says), ``desc.<name>`` (its numeric fields, with units), ``data.<statistic>`` (of sampled frames,
:data:`..indexer.STATISTICS`).  The server serves this table (``GET search/operators``), the
client builds the same trees, and :mod:`.syntax` writes and reads them as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BadParameter


@dataclass(frozen=True)
class Operator:
    name: str
    #: What ``value`` is: "scalar" (number or text), "number", "text", "pair" (two scalars, either
    #: may be null), "list" (scalars), "shape" (integers or null), or "none".
    value: str
    #: Whether the leaf names a ``key`` (else it has a fixed subject: tags, formats ...).
    keyed: bool
    description: str
    #: Whether a ``unit`` may come with the value (numbers converted by pint).
    unit: bool = False


OPERATORS: dict[str, Operator] = {op.name: op for op in (
    Operator("eq", "scalar", True, "equal (a number within a numeric range, or the text itself)", True),
    Operator("ne", "scalar", True, "present and not equal", True),
    Operator("lt", "number", True, "less than", True),
    Operator("le", "number", True, "at most", True),
    Operator("gt", "number", True, "greater than", True),
    Operator("ge", "number", True, "at least", True),
    Operator("between", "pair", True, "within [low, high], both included (null: open)", True),
    Operator("in", "list", True, "equal to one of the values"),
    Operator("contains", "text", True, "text holding the value (case ignored)"),
    Operator("like", "text", True, "text matching a glob: * any run, ? one character (case ignored)"),
    Operator("exists", "none", True, "the key is present"),
    Operator("fulltext", "text", False, "every word (runs of letters and digits) begins a word of the entry's file "
             "name, path, array path or text metadata"),
    Operator("time_range", "pair", False, "modified between two times (ISO 8601 or seconds since 1970; null: open)"),
    Operator("format", "text", False, "stored in this format (its key: hdf5, mib, npy, ...)"),
    Operator("shape", "shape", False, "of this shape (null: any size on that axis)"),
    Operator("tag", "text", False, "tagged so, by a tag the caller may see"),
    Operator("owner", "text", False, "made by this user (a result's provenance)"),
)}
COMBINATORS = ("and", "or", "not")

#: An entry's own fields, text or numbers, usable as keys without a namespace.
FIELDS = {"name": "text", "path": "text", "repository": "text", "format": "text", "kind": "text", "dtype": "text",
          "status": "text", "checksum": "text", "size": "number", "mtime": "number", "ndim": "number",
          "nav_ndim": "number"}
NAMESPACES = ("meta", "desc", "data")
#: The deepest a tree may nest, and the most leaves it may hold (a query is a request, not a program).
MAX_DEPTH, MAX_LEAVES = 32, 256


def split_key(key: str) -> tuple[str | None, str]:
    """``(namespace, path)`` of a key; ``(None, field)`` for an entry's own field."""
    if key in FIELDS:
        return None, key
    namespace, dot, path = key.partition(".")
    if dot and namespace in NAMESPACES and path:
        return namespace, path
    raise BadParameter(f"Unknown key {key!r}.",
                       hint=f"Keys are {', '.join(sorted(FIELDS))}, or meta.<path>, desc.<name>, data.<statistic>.")


def checked(tree: Any) -> dict[str, Any]:
    """``tree`` validated and normalised (``not`` with one arg in ``args``), or a 400 saying
    which node is wrong and why."""
    counter = [0]
    return _checked(tree, "query", 0, counter)


def _checked(node: Any, where: str, depth: int, counter: list[int]) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise BadParameter(f"The query nests deeper than {MAX_DEPTH} levels at {where}.",
                           hint="Flatten it: and/or take any number of args.")
    if not isinstance(node, dict) or not isinstance(node.get("op"), str):
        raise BadParameter(f"{where} must be an object with an 'op', not {node!r}.",
                           hint='For example {"op": "and", "args": [{"op": "tag", "value": "good"}]}.')
    op = node["op"]
    if op in COMBINATORS:
        args = node.get("args")
        if op == "not" and "arg" in node and args is None:
            args = [node["arg"]]
        if not isinstance(args, list) or not args or (op == "not" and len(args) != 1):
            raise BadParameter(f"{where}: '{op}' needs " + ("one query in 'args'." if op == "not" else
                                                              "a non-empty list of queries in 'args'."))
        unknown = set(node) - {"op", "args", "arg"}
        if unknown:
            raise BadParameter(f"{where}: '{op}' takes only 'args', not {', '.join(sorted(unknown))}.")
        done = [_checked(a, f"{where}.args[{i}]", depth + 1, counter) for i, a in enumerate(args)]
        if op != "not" and len(done) == 1:  # an and/or of one query is that query
            return done[0]
        return {"op": op, "args": done}
    operator = OPERATORS.get(op)
    if operator is None:
        raise BadParameter(f"{where}: unknown operator {op!r}.",
                           hint=f"Operators: {', '.join([*COMBINATORS, *OPERATORS])}.")
    counter[0] += 1
    if counter[0] > MAX_LEAVES:
        raise BadParameter(f"The query has more than {MAX_LEAVES} conditions.",
                           hint="Use 'in' with a list instead of many 'eq' joined by 'or'.")
    allowed = {"op", "value"} | ({"key"} if operator.keyed else set()) | ({"unit"} if operator.unit else set())
    if op == "time_range":
        allowed.add("key")
    unknown = set(node) - allowed
    if unknown:
        raise BadParameter(f"{where}: '{op}' does not take {', '.join(sorted(unknown))}.",
                           hint=f"It takes {', '.join(sorted(allowed))}.")
    leaf: dict[str, Any] = {"op": op}
    if operator.keyed:
        key = node.get("key")
        if not isinstance(key, str):
            raise BadParameter(f"{where}: '{op}' needs a 'key' (a text).")
        split_key(key)
        leaf["key"] = key
    value = node.get("value")
    leaf.update(_value(operator, value, where))
    if leaf.get("key") == "format" and op == "eq" and isinstance(leaf.get("value"), str):
        return {"op": "format", "value": leaf["value"]}  # one condition, one form (its text is format:x)
    if node.get("unit") is not None:
        if not isinstance(node["unit"], str) or not node["unit"].strip():
            raise BadParameter(f"{where}: 'unit' must be a text such as 'kV'.")
        leaf["unit"] = node["unit"].strip()
    return leaf


def _scalar(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _value(operator: Operator, value: Any, where: str) -> dict[str, Any]:
    kind = operator.value
    bad = BadParameter(f"{where}: '{operator.name}' takes {_VALUE_TEXT[kind]}, not {value!r}.")
    if kind == "none":
        if value is not None:
            raise bad
        return {}
    if kind == "scalar" and not _scalar(value):
        raise bad
    if kind == "number" and not (_scalar(value) and not isinstance(value, str)):
        raise bad
    if kind == "text" and not (isinstance(value, str) and value):
        raise bad
    if kind == "pair" and not (isinstance(value, list) and len(value) == 2
                               and all(v is None or _scalar(v) for v in value) and value != [None, None]):
        raise bad
    if kind == "list" and not (isinstance(value, list) and value and all(_scalar(v) for v in value)):
        raise bad
    if kind == "shape" and not (isinstance(value, list) and value and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0) for v in value)):
        raise bad
    return {"value": value}


_VALUE_TEXT = {"scalar": "a number or a text", "number": "a number", "text": "a non-empty text",
               "pair": "[low, high] (numbers or texts; one may be null)", "list": "a non-empty list of values",
               "shape": "a list of sizes (integers, or null for any)", "none": "no value"}


def operators_json() -> dict[str, Any]:
    """The declaration served to every front door (``GET search/operators``)."""
    return {"combinators": list(COMBINATORS),
            "operators": [{"name": op.name, "value": op.value, "keyed": op.keyed, "unit": op.unit,
                           "description": op.description} for op in OPERATORS.values()],
            "fields": FIELDS, "namespaces": list(NAMESPACES)}
