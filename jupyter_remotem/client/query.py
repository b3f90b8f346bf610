"""Catalog queries as Python objects that combine with ``&``, ``|`` and ``~``:

    Key("desc.beam_energy").between(150, 250, unit="keV") & (Tag("good") | Format("mib")) & ~Name.like("*test*")

Each object is the JSON tree the server takes (``q.to_json()``, ``Query.from_json(tree)``), so a
query is saved, sent and shown as it is; the server checks it against the operators it declares
(``GET search/operators``) and answers a precise 400 for a wrong one.  Nothing here imports the
server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Query:
    """One node of a query tree."""

    tree: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.tree))

    @classmethod
    def from_json(cls, tree: dict[str, Any] | str) -> Query:
        return cls(json.loads(tree) if isinstance(tree, str) else dict(tree))

    def __and__(self, other: Query) -> Query:
        return Query({"op": "and", "args": _flat("and", self) + _flat("and", other)})

    def __or__(self, other: Query) -> Query:
        return Query({"op": "or", "args": _flat("or", self) + _flat("or", other)})

    def __invert__(self) -> Query:
        return Query({"op": "not", "args": [self.tree]})

    def __repr__(self) -> str:
        return f"Query({json.dumps(self.tree)})"


def _flat(op: str, query: Query) -> list[dict[str, Any]]:
    if not isinstance(query, Query):
        raise TypeError(f"Queries combine with queries, not {type(query).__name__}.")
    return list(query.tree["args"]) if query.tree["op"] == op else [query.tree]


@dataclass(frozen=True, eq=False)
class Key:
    """A key: an entry's field (``name``, ``size``, ``mtime`` ...) or ``meta.<path>``,
    ``desc.<name>``, ``data.<statistic>``.  Comparisons make leaves: ``Key("size") > 1e9``."""

    key: str

    def _leaf(self, op: str, value: Any = None, unit: str | None = None) -> Query:
        tree: dict[str, Any] = {"op": op, "key": self.key}
        if value is not None:
            tree["value"] = value
        if unit is not None:
            tree["unit"] = unit
        return Query(tree)

    def eq(self, value: Any, unit: str | None = None) -> Query:
        return self._leaf("eq", value, unit)

    def ne(self, value: Any, unit: str | None = None) -> Query:
        return self._leaf("ne", value, unit)

    def lt(self, value: float, unit: str | None = None) -> Query:
        return self._leaf("lt", value, unit)

    def le(self, value: float, unit: str | None = None) -> Query:
        return self._leaf("le", value, unit)

    def gt(self, value: float, unit: str | None = None) -> Query:
        return self._leaf("gt", value, unit)

    def ge(self, value: float, unit: str | None = None) -> Query:
        return self._leaf("ge", value, unit)

    __lt__, __le__, __gt__, __ge__ = lt, le, gt, ge

    def __eq__(self, value: Any) -> Query:  # type: ignore[override]
        return self.eq(value)

    def __ne__(self, value: Any) -> Query:  # type: ignore[override]
        return self.ne(value)

    __hash__ = object.__hash__

    def between(self, low: Any, high: Any, unit: str | None = None) -> Query:
        """Within ``[low, high]``, both included (None: open)."""
        return self._leaf("between", [low, high], unit)

    def isin(self, values: list[Any] | tuple[Any, ...]) -> Query:
        return self._leaf("in", list(values))

    def contains(self, text: str) -> Query:
        return self._leaf("contains", text)

    def like(self, pattern: str) -> Query:
        """A glob: ``*`` any run of characters, ``?`` one (case ignored)."""
        return self._leaf("like", pattern)

    def exists(self) -> Query:
        return self._leaf("exists")


Name, Path, Size, Modified = Key("name"), Key("path"), Key("size"), Key("mtime")
#: The file's SHA-256 when known: ``Checksum == "9f86d0…"`` (hex, either case), ``Checksum.exists()``.
Checksum = Key("checksum")


def Tag(tag: str) -> Query:  # noqa: N802 - reads as a query class
    return Query({"op": "tag", "value": tag})


def Format(key: str) -> Query:  # noqa: N802
    return Query({"op": "format", "value": key})


def Owner(user: str) -> Query:  # noqa: N802
    return Query({"op": "owner", "value": user})


def Shape(*sizes: int | None) -> Query:  # noqa: N802
    """Of this shape; None for any size on that axis: ``Shape(None, None, 256, 256)``."""
    return Query({"op": "shape", "value": list(sizes)})


def Text(words: str) -> Query:  # noqa: N802
    """Every word (letters and digits) begins a word of the entry's name, path or text metadata."""
    return Query({"op": "fulltext", "value": words})


def ModifiedBetween(start: Any = None, end: Any = None) -> Query:  # noqa: N802
    """Modified between two times (ISO 8601 text, or seconds since 1970; None: open)."""
    return Query({"op": "time_range", "value": [start, end]})


def tree_of(query: Any) -> dict[str, Any] | str | None:
    """What a search sends: a query's tree, a tree as it is, or text in the query syntax."""
    if query is None or isinstance(query, (str, dict)):
        return query
    if isinstance(query, Query):
        return query.to_json()
    raise TypeError(f"Search with a Query, its JSON tree or query text, not {type(query).__name__}.")
