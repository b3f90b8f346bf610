r"""The text form of a query, parsed by lark and written back, so a tree and its text round-trip.

    desc.beam_energy:[150keV TO 250keV] AND (tag:good OR format:mib) AND NOT name:*test*

- ``key:value`` is ``eq`` (a quoted value is always text; an unquoted one a number when it reads
  as one, except for ``checksum:<hex>``); an unquoted value with ``*`` or ``?`` is ``like``; ``key:*`` is ``exists``;
- ``key:>v``, ``>=``, ``<``, ``<=``, ``!=`` compare; ``key:[low TO high]`` is ``between`` (``*``
  for an open end); ``key:{a, b}`` is ``in``; ``key:~text`` is ``contains``; ``key:~~"a glob"``
  is ``like`` for a pattern that does not read as one bare;
- a unit is written against its number: ``200kV``, ``[0.1mrad TO 2mrad]``;
- the subjects ``tag:``, ``format:``, ``owner:``, ``shape:32x48x*x*`` and ``time:[2026-01-01 TO *]``
  are the operators of those names; a word or a quoted phrase alone is ``fulltext`` (every word of
  it begins a word of the entry);
- ``AND`` (or nothing), ``OR``, ``NOT`` and parentheses combine, ``NOT`` binding tightest and
  ``AND`` before ``OR``.

A query that does not parse is a 400 that shows where: the text with a caret under the character.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from ..errors import BadParameter
from .query import checked

GRAMMAR = r"""
?start: or_
?or_: and_ (_OR and_)*
?and_: not_ (_AND? not_)*
?not_: _NOT not_ -> negate
     | atom
?atom: "(" or_ ")"
     | KEY value -> field
     | word -> fulltext
?value: "[" bound _TO bound "]" -> range
      | COMPARE word -> compare
      | "{" word ("," word)* "}" -> choice
      | "~" "~" word -> globbed
      | "~" word -> contains
      | word -> plain
?bound: word
word: STRING | BARE
KEY.3: /[A-Za-z_][A-Za-z0-9_.\/-]*:/
_AND.2: /AND(?![^\s()\[\]{}"])/
_OR.2: /OR(?![^\s()\[\]{}"])/
_NOT.2: /NOT(?![^\s()\[\]{}"])/
_TO.2: /TO(?![^\s()\[\]{}"])/
COMPARE: /<=|>=|!=|<|>/
STRING: /"(?:[^"\\]|\\.)*"/
BARE: /(?:[^\s()\[\]{}:"\\,~<>!]|\\.)(?:[^\s()\[\]{}"\\,]|\\.)*/
%ignore /\s+/
"""

#: Subjects of the operators that name no key.
SUBJECTS = ("tag", "format", "owner", "shape", "time")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "!=": "ne"}
_SAFE_BARE = re.compile(r'^[^\s()\[\]{}:"\\,~<>!*?][^\s()\[\]{}"\\,*?]*$')
_KEYWORDS = {"AND", "OR", "NOT", "TO"}


@lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark

    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


class _Word(str):
    """A value as written: ``quoted`` (always text) or bare."""

    quoted: bool = False


def _word(token: Any) -> _Word:
    raw = str(token)
    if raw.startswith('"'):
        word = _Word(re.sub(r"\\(.)", r"\1", raw[1:-1]))
        word.quoted = True
        return word
    return _Word(re.sub(r"\\(.)", r"\1", raw))


def _scalar(word: _Word) -> tuple[Any, str | None]:
    """A bare word as a number (with the unit written against it) or as text."""
    if word.quoted:
        return str(word), None
    match = _NUMBER.match(word)
    if match:
        rest = word[match.end():]
        number = float(match.group(0))
        value: Any = int(number) if number.is_integer() and not re.search(r"[.eE]", match.group(0)) else number
        if not rest:
            return value, None
        if re.fullmatch(r"[A-Za-zµμ°][A-Za-z0-9µμ°/*^._-]*", rest):
            return value, rest
    return str(word), None


def _is_glob(word: _Word) -> bool:
    return not word.quoted and ("*" in word or "?" in word)


def _leaf(key: str, value: Any) -> dict[str, Any]:
    kind = value[0]
    is_plain_word = kind == "plain" and not (not value[1].quoted and value[1] == "*")
    if key in SUBJECTS and (key != "format" or is_plain_word):  # format:!=x, format:{...} are the field's
        return _subject(key, value)
    if kind == "plain":
        word = value[1]
        if not word.quoted and word == "*":
            return {"op": "exists", "key": key}
        if _is_glob(word):
            return {"op": "like", "key": key, "value": str(word)}
        if key == "checksum":  # hex digits are text, even when they read as a number
            return {"op": "eq", "key": key, "value": str(word)}
        scalar, unit = _scalar(word)
        return {"op": "eq", "key": key, "value": scalar, **({"unit": unit} if unit else {})}
    if kind == "compare":
        scalar, unit = _scalar(value[2])
        return {"op": _COMPARE[value[1]], "key": key, "value": scalar, **({"unit": unit} if unit else {})}
    if kind == "range":
        ends = [(None, None) if not w.quoted and w == "*" else _scalar(w) for w in value[1:]]
        units = {u for _, u in ends if u}
        if len(units) > 1:
            raise BadParameter(f"The range of {key} has two units, {' and '.join(sorted(units))}.",
                               hint="Write both ends in the same unit: [150keV TO 250keV].")
        return {"op": "between", "key": key, "value": [v for v, _ in ends],
                **({"unit": units.pop()} if units else {})}
    if kind == "choice":
        return {"op": "in", "key": key, "value": [_scalar(w)[0] for w in value[1:]]}
    if kind == "contains":
        return {"op": "contains", "key": key, "value": str(value[1])}
    if kind == "like":
        return {"op": "like", "key": key, "value": str(value[1])}
    raise AssertionError(kind)


def _subject(subject: str, value: Any) -> dict[str, Any]:
    kind = value[0]
    if subject == "time":
        if kind != "range":
            raise BadParameter("time: takes a range, time:[2026-01-01 TO 2026-02-01] (* for an open end).")
        return {"op": "time_range", "value": [None if not w.quoted and w == "*" else _scalar(w)[0]
                                              for w in value[1:]]}
    if kind != "plain":
        raise BadParameter(f"{subject}: takes one value, such as {subject}:{'32x48x*x*' if subject == 'shape' else 'x'}.")
    word = value[1]
    if subject == "shape":
        sizes = str(word).split("x")
        if not all(s == "*" or s.isdigit() for s in sizes):
            raise BadParameter(f"shape:{word} is not sizes joined by x, such as shape:32x48x*x*.")
        return {"op": "shape", "value": [None if s == "*" else int(s) for s in sizes]}
    return {"op": subject, "value": str(word)}


def _transformer() -> Any:
    from lark import Transformer

    class ToTree(Transformer):  # type: ignore[misc]
        def word(self, items: list[Any]) -> _Word:
            return _word(items[0])

        def field(self, items: list[Any]) -> dict[str, Any]:
            return _leaf(str(items[0])[:-1], items[1])

        def fulltext(self, items: list[Any]) -> dict[str, Any]:
            return {"op": "fulltext", "value": str(items[0])}

        def negate(self, items: list[Any]) -> dict[str, Any]:
            return {"op": "not", "args": [items[0]]}

        def and_(self, items: list[Any]) -> dict[str, Any]:
            return {"op": "and", "args": list(items)}

        def or_(self, items: list[Any]) -> dict[str, Any]:
            return {"op": "or", "args": list(items)}

        def range(self, items: list[Any]) -> tuple[Any, ...]:
            return ("range", *items)

        def compare(self, items: list[Any]) -> tuple[Any, ...]:
            return ("compare", str(items[0]), items[1])

        def choice(self, items: list[Any]) -> tuple[Any, ...]:
            return ("choice", *items)

        def globbed(self, items: list[Any]) -> tuple[Any, ...]:
            return ("like", items[0])

        def contains(self, items: list[Any]) -> tuple[Any, ...]:
            return ("contains", items[0])

        def plain(self, items: list[Any]) -> tuple[Any, ...]:
            return ("plain", items[0])

    return ToTree()


def parse(text: str) -> dict[str, Any]:
    """The checked tree of ``text`` (a 400 with a caret under the first character it cannot read)."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

    if not isinstance(text, str) or not text.strip():
        raise BadParameter("The query is empty.", hint='For example: tag:good AND format:hdf5')
    if len(text) > 10_000:
        raise BadParameter("The query is longer than 10,000 characters.")
    try:
        tree = _transformer().transform(_parser().parse(text))
    except VisitError as error:
        if isinstance(error.orig_exc, BadParameter):
            raise error.orig_exc from None
        raise
    except (UnexpectedCharacters, UnexpectedToken, UnexpectedEOF, UnexpectedInput) as error:
        position = getattr(error, "pos_in_stream", None)
        token = getattr(error, "token", None)
        if isinstance(error, UnexpectedEOF) or position is None or getattr(token, "type", None) == "$END":
            position = len(text)
        found = "the end" if position >= len(text) else repr(text[position])
        raise BadParameter(f"Cannot read the query at character {position + 1} ({found}):\n{text}\n{' ' * position}^",
                           hint="Write key:value, key:[low TO high], key:>number, tag:name, words; join with "
                                "AND, OR, NOT and parentheses; quote text with spaces.") from None
    return checked(tree)


# -- writing --------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A value written so that it reads back the same (quoted when bare would change it)."""
    if isinstance(value, bool) or value is None:
        raise BadParameter(f"{value!r} has no text form.")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise BadParameter(f"{value!r} has no text form.")
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if _SAFE_BARE.match(text) and text not in _KEYWORDS and _scalar(_Word(text)) == (text, None):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: Any, unit: str | None) -> str:
    return _text(value) + (unit or "") if unit and not isinstance(value, str) else _text(value)


def _glob(pattern: str) -> str:
    """A bare glob when it reads back as one, else ``~~"pattern"``."""
    bare = re.fullmatch(r'[^\s()\[\]{}:"\\,~<>!][^\s()\[\]{}"\\,]*', pattern)
    if bare and ("*" in pattern or "?" in pattern) and pattern not in _KEYWORDS and pattern != "*":
        return pattern
    return "~~" + '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_text(tree: dict[str, Any]) -> str:
    """The text of a checked tree; :func:`parse` reads it back to the same tree."""
    return _write(checked(tree), top=True)


def _write(node: dict[str, Any], top: bool = False, inside: str = "") -> str:
    op = node["op"]
    if op in ("and", "or"):
        joined = f" {op.upper()} ".join(_write(arg, inside=op) for arg in node["args"])
        # AND binds before OR; anything else nested keeps its parentheses, so the tree reads back.
        return joined if top or (inside == "or" and op == "and") else f"({joined})"
    if op == "not":
        return "NOT " + _write(node["args"][0], inside="not")
    value, unit = node.get("value"), node.get("unit")
    if op == "fulltext":
        return _text(value)
    if op == "time_range":
        return "time:[" + " TO ".join("*" if v is None else _text(v) for v in value) + "]"
    if op == "shape":
        return "shape:" + "x".join("*" if v is None else str(v) for v in value)
    if op in ("tag", "format", "owner"):
        return f"{op}:{_text(value)}"
    key = node["key"]
    if op == "exists":
        return f"{key}:*"
    if op == "eq":
        return f"{key}:{_number(value, unit)}"
    if op in ("ne", "lt", "le", "gt", "ge"):
        symbol = {v: k for k, v in _COMPARE.items()}[op]
        return f"{key}:{symbol}{_number(value, unit)}"
    if op == "between":
        return f"{key}:[" + " TO ".join("*" if v is None else _number(v, unit) for v in value) + "]"
    if op == "in":
        return f"{key}:{{" + ", ".join(_text(v) for v in value) + "}"
    if op == "contains":
        return f"{key}:~{_text(value)}"
    if op == "like":
        return f"{key}:{_glob(value)}"
    raise AssertionError(op)
