"""A checked query tree (:mod:`.query`) as one SQLAlchemy condition on the entries.

Keyed leaves on a namespace become ``IN`` over the entries having a value with that key, so ``or``
and ``not`` mean what they say per entry (``not desc.x > 5`` holds for an entry without ``x``;
``ne`` needs the key present).  Numbers are ranges (a scalar is ``low == high``, a small array
its extremes): a comparison holds when some value of the range satisfies it.  With a unit the
comparison is made in SI base units, on values of the same dimension only.  Tags count only
where the caller may see them: their own private ones, their groups', and those for every reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, bindparam, exists, false, func, not_, or_, select, text, true

from ..errors import BadParameter
from .models import Annotation, CatalogEntry, CatalogValue
from .query import FIELDS, split_key
from .units import query_in_base


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


def condition(node: dict[str, Any], caller: Caller, text_index: bool = False) -> ColumnElement[bool]:
    """The SQL of a checked tree; ``text_index``: the database has the trigram index of
    :data:`TEXT_INDEX` (SQLite), which answers ``fulltext`` without reading every value."""
    op = node["op"]
    if op == "and":
        return and_(*(condition(a, caller, text_index) for a in node["args"]))
    if op == "or":
        return or_(*(condition(a, caller, text_index) for a in node["args"]))
    if op == "not":
        return not_(condition(node["args"][0], caller, text_index))
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
        return _has_value("meta", "provenance/owner", CatalogValue.text == value)
    if op == "time_range":
        low, high = (_epoch(v) for v in value)
        column = CatalogEntry.mtime
        return and_(*([column >= low] if low is not None else []), *([column <= high] if high is not None else []),
                    column.is_not(None))
    if op == "fulltext":
        return and_(*(_word(word, text_index) for word in str(value).split()))
    namespace, path = split_key(node["key"])
    if namespace is None:
        if node.get("unit"):
            raise BadParameter(f"'{node['key']}' is an entry's own field; units go with desc.<name> keys.")
        return _on_field(op, getattr(CatalogEntry, path), FIELDS[path], value)
    return _has_value(namespace, path, _on_value(op, value, node.get("unit")))


def _has_value(namespace: str, key: str, where: ColumnElement[bool]) -> ColumnElement[bool]:
    """Entries with a value of ``key`` satisfying ``where``: an ``IN`` over the values' index (a
    correlated ``EXISTS`` would probe the values once per entry of the whole catalog)."""
    return CatalogEntry.id.in_(select(CatalogValue.entry_id).where(
        CatalogValue.namespace == namespace, CatalogValue.key == key, where))


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


def _on_value(op: str, value: Any, unit: str | None) -> ColumnElement[bool]:
    if op == "exists":
        return true()
    if op in ("contains", "like"):
        return _text_op(op, CatalogValue.text, value)
    if op == "in":
        return or_(*(_on_value("eq", v, unit) for v in value))
    if op in ("eq", "ne") and isinstance(value, str):
        return CatalogValue.text == value if op == "eq" else CatalogValue.text != value
    low_column, high_column = CatalogValue.low, CatalogValue.high
    dimension: str | None = None
    if unit is not None:
        low_column, high_column = CatalogValue.base_low, CatalogValue.base_high
    if op == "between":
        ends = [None if v is None else _numeric(v, unit) for v in value]
        dimension = next((end[1] for end in ends if end is not None), None)
        parts = [low_column.is_not(None)]
        if ends[0] is not None:
            parts.append(high_column >= ends[0][0])
        if ends[1] is not None:
            parts.append(low_column <= ends[1][0])
    else:
        number, dimension = _numeric(value, unit)
        parts = [low_column.is_not(None), {
            "eq": and_(low_column <= number, high_column >= number),
            "ne": not_(and_(low_column == number, high_column == number)),
            "lt": low_column < number, "le": low_column <= number,
            "gt": high_column > number, "ge": high_column >= number}[op]]
    if dimension is not None:
        parts.append(CatalogValue.dimension == dimension)
    return and_(*parts)


#: SQLite's full-text table of every entry's words (its name, path, array path and text values, one
#: per line), with the trigram tokenizer: ``LIKE '%word%'`` on it is answered from its index.
TEXT_INDEX = "remotem_catalog_text"


def _word(word: str, text_index: bool) -> ColumnElement[bool]:
    if text_index and len(word) >= 3 and not set(word) & set("%_\\"):
        # The trigram index answers LIKE as SQLite's LIKE does (ASCII letters in either case).
        found = text(f"SELECT rowid FROM {TEXT_INDEX} WHERE body LIKE :pattern").bindparams(
            bindparam("pattern", value=f"%{word}%", unique=True))  # each word its own parameter
        return CatalogEntry.id.in_(found.columns(rowid=Integer))
    pattern = f"%{_like_text(word.lower())}%"
    return or_(func.lower(CatalogEntry.name).like(pattern, escape="\\"),
               func.lower(CatalogEntry.path).like(pattern, escape="\\"),
               func.lower(CatalogEntry.dataset).like(pattern, escape="\\"),
               CatalogEntry.id.in_(select(CatalogValue.entry_id).where(
                   func.lower(CatalogValue.text).like(pattern, escape="\\"))))


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


def matching(tree: dict[str, Any] | None, caller: Caller) -> Any:
    """``SELECT entries`` of the caller's repositories that match ``tree`` (all when None)."""
    where = access(caller) if tree is None else and_(access(caller), condition(tree, caller))
    return select(CatalogEntry).where(where)
