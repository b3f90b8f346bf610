"""``ds[10:20, 5]`` as bounded, parallel ``GET data?slice=`` requests.

A selection is normalised here exactly as numpy would (negative indices, steps, ``...``), so an
index out of range is an ``IndexError`` before anything is sent.  Large selections are cut into
pieces of at most ``piece_bytes`` along the outermost axes, fetched in parallel and written into
one output array, so no single answer exceeds the server's limit and the link stays busy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

Item = int | range


@dataclass(frozen=True)
class Piece:
    """One request: its per-axis selection and where its answer goes in the output."""

    items: tuple[Item, ...]
    target: tuple[slice, ...]

    @property
    def text(self) -> str:
        return selection_text(self.items)

    def nbytes(self, itemsize: int) -> int:
        return math.prod(out_shape(self.items)) * itemsize


def normalise_key(key: Any, shape: tuple[int, ...]) -> tuple[Item, ...]:
    """One int (non-negative, in range) or ``range`` per axis, as numpy's basic indexing reads ``key``."""
    items = key if isinstance(key, tuple) else (key,)
    if sum(item is Ellipsis for item in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + (slice(None),) * (len(shape) - len(items) + 1) + items[at + 1:]
    if len(items) > len(shape):
        raise IndexError(f"too many indices: the array is {len(shape)}-dimensional, but {len(items)} were indexed")
    items = items + (slice(None),) * (len(shape) - len(items))
    out: list[Item] = []
    for axis, (item, size) in enumerate(zip(items, shape)):
        if isinstance(item, (bool, np.bool_)) or item is None:
            raise TypeError("only integers, slices and '...' select remote data (no None/newaxis or booleans)")
        if isinstance(item, (int, np.integer)):
            index = int(item)
            if not -size <= index < size:
                raise IndexError(f"index {index} is out of bounds for axis {axis} with size {size}")
            out.append(index % size)
        elif isinstance(item, slice):
            for part in (item.start, item.stop, item.step):
                if part is not None and not isinstance(part, (int, np.integer)):
                    raise TypeError("slice indices must be integers or None")
            if item.step == 0:
                raise ValueError("slice step cannot be zero")
            out.append(range(*item.indices(size)))
        else:
            raise TypeError(f"unsupported index {item!r}: only integers, slices and '...' select remote data "
                            "(fetch a slice, then index it with numpy)")
    return tuple(out)


def out_shape(items: tuple[Item, ...]) -> tuple[int, ...]:
    return tuple(len(item) for item in items if isinstance(item, range))


def selection_text(items: tuple[Item, ...]) -> str:
    """The ``slice=`` parameter: ``start:stop:step`` per axis, an open stop when a descending range
    runs down to index 0 (``-1`` would mean the last element)."""
    parts = []
    for item in items:
        if isinstance(item, int):
            parts.append(str(item))
        elif len(item) == 0:
            parts.append("0:0:1")
        else:
            stop = "" if item.stop < 0 else str(item.stop)
            parts.append(f"{item.start}:{stop}:{item.step}")
    return ",".join(parts)


def pieces(items: tuple[Item, ...], itemsize: int, piece_bytes: int) -> list[Piece]:
    """Requests of at most ``piece_bytes`` each (one frame row at least) covering ``items``."""
    return list(_split(items, tuple(slice(0, n) for n in out_shape(items)), itemsize, piece_bytes))


def split_piece(piece: Piece, itemsize: int, piece_bytes: int) -> list[Piece]:
    """``piece`` cut again into requests of at most ``piece_bytes`` (same output places)."""
    return list(_split(piece.items, piece.target, itemsize, piece_bytes))


def _split(items: tuple[Item, ...], target: tuple[slice, ...], itemsize: int, piece_bytes: int) -> Iterator[Piece]:
    nbytes = math.prod(out_shape(items)) * itemsize
    axis = next((i for i, item in enumerate(items) if isinstance(item, range) and len(item) > 1), None)
    if nbytes <= piece_bytes or axis is None:
        yield Piece(items, target)
        return
    span: range = items[axis]  # type: ignore[assignment]
    out_axis = sum(isinstance(item, range) for item in items[:axis])
    per_piece = max(1, len(span) * piece_bytes // nbytes)
    for lo in range(0, len(span), per_piece):
        hi = min(lo + per_piece, len(span))
        sub_items = items[:axis] + (span[lo:hi],) + items[axis + 1:]
        start = target[out_axis].start
        sub_target = target[:out_axis] + (slice(start + lo, start + hi),) + target[out_axis + 1:]
        yield from _split(sub_items, sub_target, itemsize, piece_bytes)
