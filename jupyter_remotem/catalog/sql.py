"""A checked query tree (:mod:`.query`) as one SQLAlchemy condition on the entries.

Keyed leaves on a namespace, full-text words and owners are sets of entry ids read from an index
(the values' or the words'); ``and`` and ``or`` of such sets are INTERSECT and UNION, and the
entries meet the result once, as ``id IN (...)``.  ``or`` and ``not`` mean what they say per
entry (``not desc.x > 5`` holds for an entry without ``x``; ``ne`` needs the key present).
Numbers are ranges (a scalar is ``low == high``, a small array its extremes): a comparison holds
when some value of the range satisfies it.  With a unit the
comparison is made in SI base units, on values of the same dimension only.  Tags count only
where the caller may see them: their own private ones, their groups', and those for every reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (ColumnElement, CompoundSelect, TextualSelect, and_, exists, false, func, intersect, not_,
                        or_, select, true, union, union_all)

from ..errors import BadParameter
from .models import Annotation, CatalogEntry, CatalogValue
from .query import FIELDS, split_key
from .units import query_in_base
from .words import matching_ids


@dataclass(frozen=True)
class Caller:
    """Who asks: the repositories they may read, their name and their groups."""

    readable: tuple[str, ...]
    user: str
    groups: tuple[str, ...] = ()


def access(caller: Caller) -> ColumnElement[bool]:
    """The predicate every search carries: entries of repositories the caller may read."""
    if not caller.readable:
        return false()
    return CatalogEntry.repository.in_(caller.readable)


def visible_annotations(caller: Caller) -> ColumnElement[bool]:
    private = and_(Annotation.visibility == "private", Annotation.author == caller.user)
    group = and_(Annotation.visibility == "group", Annotation.group.in_(caller.groups or ("",)))
    return or_(private, group, Annotation.visibility == "readers")


def same_entry() -> ColumnElement[bool]:
    return and_(Annotation.repository == CatalogEntry.repository, Annotation.path == CatalogEntry.path,
                Annotation.dataset == CatalogEntry.dataset)


class _Ids:
    """A part of a tree answered as a SELECT of entry ids (from the values' or the words' index):
    siblings of this kind combine with INTERSECT and UNION before meeting the entries, so an
    ``or`` of indexed leaves is one probe of the entries' primary key per hit rather than a
    scan of the entries testing each against every list."""

    def __init__(self, select_: Any) -> None:
        self.select = select_


def condition(node: dict[str, Any], caller: Caller, words: str = "like", probe: bool = False) -> ColumnElement[bool]:
    """The SQL of a checked tree; ``words``: the kind of word index the database has
    (:data:`.words.KINDS`), which answers ``fulltext``.  ``probe``: the sets of ids are tested
    per entry rather than used to find the entries (``id + 0`` hides the primary key from the
    planner), so a page of a query with very many hits walks the sort order's index and stops
    at the page's end instead of fetching and sorting every hit."""
    return _as_condition(_part(node, caller, words, probe), probe)


def id_set(node: dict[str, Any], caller: Caller, words: str = "like") -> Any | None:
    """The tree as one SELECT of entry ids, when it is all sets (:class:`_Ids`: values, words,
    owners) — readable repositories not yet applied — else None."""
    part = _part(node, caller, words, False)
    return _flat(part.select) if isinstance(part, _Ids) else None


def _as_condition(part: ColumnElement[bool] | _Ids, probe: bool) -> ColumnElement[bool]:
    if not isinstance(part, _Ids):
        return part
    return (CatalogEntry.id + 0 if probe else CatalogEntry.id).in_(_flat(part.select))


def _flat(statement: Any) -> Any:
    """A compound or textual SELECT as a plain one over it (SQLite takes no parenthesised
    compounds, and a compound's members are plain SELECTs)."""
    if isinstance(statement, (CompoundSelect, TextualSelect)):
        inner = statement.subquery()
        return select(inner.c[0])
    return statement


def _part(node: dict[str, Any], caller: Caller, words: str, probe: bool) -> ColumnElement[bool] | _Ids:
    op = node["op"]
    if op in ("and", "or"):
        parts = [_part(a, caller, words, probe) for a in node["args"]]
        ids = [p.select for p in parts if isinstance(p, _Ids)]
        others = [p for p in parts if not isinstance(p, _Ids)]
        if len(ids) > 1:
            ids = [(intersect if op == "and" else union)(*(_flat(i) for i in ids))]
        if not others:
            return _Ids(ids[0])
        combine = and_ if op == "and" else or_
        return combine(*(_as_condition(_Ids(i), probe) for i in ids), *others)
    if op == "not":
        return not_(_as_condition(_part(node["args"][0], caller, words, probe), probe))
    value = node.get("value")
    # Every condition on an entry's own columns says "present and ..." so that NOT never meets NULL.
    if op == "format":
        return and_(CatalogEntry.format.is_not(None), CatalogEntry.format == value)
    if op == "shape":
        pattern = "x".join("%" if v is None else str(v) for v in value)
        return and_(CatalogEntry.ndim.is_not(None), CatalogEntry.shape_text.is_not(None),
                    CatalogEntry.ndim == len(value), CatalogEntry.shape_text.like(pattern))
    if op == "tag":
        # Correlated to the entry alone: a tag facet puts annotations in the outer FROM too.
        return exists().where(same_entry(), Annotation.kind == "tag", Annotation.value == value,
                              visible_annotations(caller)).correlate(CatalogEntry)
    if op == "owner":
        return _Ids(_values("meta", "provenance/owner", CatalogValue.text == value))
    if op == "time_range":
        low, high = (_epoch(v) for v in value)
        column = CatalogEntry.mtime
        return and_(*([column >= low] if low is not None else []), *([column <= high] if high is not None else []),
                    column.is_not(None))
    if op == "fulltext":
        return _Ids(matching_ids(words, str(value)))
    namespace, path = split_key(node["key"])
    if namespace is None:
        if node.get("unit"):
            raise BadParameter(f"'{node['key']}' is an entry's own field; units go with desc.<name> keys.")
        if path == "checksum" and isinstance(value, str):
            value = value.lower()  # kept as lowercase hex; asked in either case
        return _on_field(op, getattr(CatalogEntry, path), FIELDS[path], value)
    return _Ids(_on_value(namespace, path, op, value, node.get("unit")))


def _values(namespace: str, key: str, *where: ColumnElement[bool]) -> Any:
    """Ids of entries with a value of ``key`` satisfying ``where``, from the values' index."""
    return select(CatalogValue.entry_id).where(CatalogValue.namespace == namespace, CatalogValue.key == key, *where)


def _like_text(text: str) -> str:
    """``text`` as a LIKE pattern matching itself (with ``\\`` escaping)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def glob_to_like(pattern: str) -> str:
    return "".join("%" if c == "*" else "_" if c == "?" else _like_text(c) for c in pattern)


def _text_op(op: str, column: Any, value: Any) -> ColumnElement[bool]:
    lowered = func.lower(column)
    if op == "contains":
        return lowered.like(f"%{_like_text(str(value).lower())}%", escape="\\")
    if op == "like":
        return lowered.like(glob_to_like(str(value).lower()), escape="\\")
    raise AssertionError(op)


def _on_field(op: str, column: Any, kind: str, value: Any) -> ColumnElement[bool]:
    if op == "exists":
        return column.is_not(None)
    if op in ("contains", "like"):
        return and_(column.is_not(None), _text_op(op, column, value))
    if isinstance(value, list) and kind == "number" and not all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in value):
        raise BadParameter(f"The entry field compared here is a number; {value!r} is not.")
    if not isinstance(value, list) and (kind == "number") != (isinstance(value, (int, float))):
        raise BadParameter(f"This entry field holds {'numbers' if kind == 'number' else 'text'}; "
                           f"{value!r} is not {'a number' if kind == 'number' else 'a text'}.",
                           hint="Quote text; write numbers bare.")
    if op == "in":
        return and_(column.is_not(None), column.in_(value))
    if op == "between":
        low, high = value
        return and_(column.is_not(None), *([column >= low] if low is not None else []),
                    *([column <= high] if high is not None else []))
    compare = {"eq": column.__eq__, "ne": column.__ne__, "lt": column.__lt__, "le": column.__le__,
               "gt": column.__gt__, "ge": column.__ge__}[op]
    return and_(column.is_not(None), compare(value))


def _numeric(value: Any, unit: str | None) -> tuple[float, str | None]:
    if unit is None:
        return float(value), None
    return query_in_base(float(value), unit)


def _on_value(namespace: str, key: str, op: str, value: Any, unit: str | None) -> Any:
    """Ids of entries whose ``key`` satisfies the leaf.  Numbers are asked of scalars (one
    number: ``low`` alone, one index range whatever the comparison) and of ranges (small arrays:
    ``ranged``, few) apart, each part a range of its own index."""
    if op == "exists":
        return _values(namespace, key)
    if op in ("contains", "like"):
        return _values(namespace, key, _text_op(op, CatalogValue.text, value))
    if op == "in":
        return union_all(*(_flat(_on_value(namespace, key, "eq", v, unit)) for v in value))
    if op in ("eq", "ne") and isinstance(value, str):
        return _values(namespace, key, CatalogValue.text == value if op == "eq" else CatalogValue.text != value)
    low_column, high_column = CatalogValue.low, CatalogValue.high
    dimension: str | None = None
    if unit is not None:
        low_column, high_column = CatalogValue.base_low, CatalogValue.base_high
    if op == "between":
        ends = [None if v is None else _numeric(v, unit) for v in value]
        dimension = next((end[1] for end in ends if end is not None), None)
        lo, hi = (None if end is None else end[0] for end in ends)
        scalar = [*([low_column >= lo] if lo is not None else []), *([low_column <= hi] if hi is not None else [])]
        ranged = [*([high_column >= lo] if lo is not None else []), *([low_column <= hi] if hi is not None else [])]
    else:
        number, dimension = _numeric(value, unit)
        scalar = [{"eq": low_column == number, "ne": low_column != number, "lt": low_column < number,
                   "le": low_column <= number, "gt": low_column > number, "ge": low_column >= number}[op]]
        ranged = [{"eq": and_(low_column <= number, high_column >= number),
                   "ne": not_(and_(low_column == number, high_column == number)),
                   "lt": low_column < number, "le": low_column <= number,
                   "gt": high_column > number, "ge": high_column >= number}[op]]
    same = [CatalogValue.dimension == dimension] if dimension is not None else []
    return union_all(
        _values(namespace, key, *same, CatalogValue.ranged == false(), low_column.is_not(None), *scalar),
        _values(namespace, key, *same, CatalogValue.ranged == true(), low_column.is_not(None), *ranged))


def _epoch(value: Any) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(f"time_range takes ISO 8601 times or seconds since 1970, not {value!r}.",
                           hint="For example [\"2026-01-01\", \"2026-02-01T12:00:00Z\"].") from None
    if moment.tzinfo is None:
        from datetime import timezone

        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def matching(tree: dict[str, Any] | None, caller: Caller, words: str = "like") -> Any:
    """``SELECT entries`` of the caller's repositories that match ``tree`` (all when None)."""
    where = access(caller) if tree is None else and_(access(caller), condition(tree, caller, words))
    return select(CatalogEntry).where(where)
