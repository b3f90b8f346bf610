"""Request limits: what one request may ask of the server, declared once and checked before work.

A shared facility's server must not be brought down by one request, hostile or mistaken: a body
of a quarter of a million detectors, a polygon of a million vertices or JSON nested ten thousand
deep each cost gigabytes or crash the parser.  Every limit is a field of :class:`RequestLimits`
(configured as ``RemotemApp`` traitlets of the same names) and every check runs on what the
request *says* — its length, its nesting, its counts, the sizes it implies — before the work or
the allocation it would cause.  Refusals name the limit and the way out.

The limits of the request being served travel with it as a context variable: the handler base
sets them, and :meth:`run_blocking` carries them into the I/O thread, so that the compute layer
checks the same numbers whether a reduction is answered at once or quoted for a job.  Outside a
request (the job worker, a notebook's local mode) :func:`current` is None and nothing is limited
here: a job's cost is governed by quotas, and local work by the user's own machine.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .errors import BadParameter, TooLarge


@dataclass(frozen=True)
class RequestLimits:
    """The limits of one request; the defaults are those of ``RemotemApp``."""

    #: Bytes of a request body; more is not kept (413).
    max_body_bytes: int = 16 * 1024**2
    #: Nesting of JSON arrays and objects, in a body or a JSON query argument (400).
    max_json_depth: int = 32
    #: Items of any one JSON array or object of a body: detectors, vertices, rows of weights (413).
    max_list_items: int = 100_000
    #: Values (numbers, strings, arrays, objects) of one body, which bounds the memory of parsing it (413).
    max_json_values: int = 1_200_000
    #: Detectors of one virtual_detector request (413).
    max_detectors: int = 1024
    #: Vertices of all polygons of one request, detectors and ROI each (413).
    max_polygon_vertices: int = 10_000
    #: Detectors times frame pixels: the size of the mask stack one request builds; one detector is
    #: always allowed (413).
    max_mask_pixels: int = 8 * 1024**2
    #: Bytes of the arrays an interactive reduction answers with (413).
    max_result_bytes: int = 128 * 1024**2
    #: Steps of a pipeline (413).
    max_pipeline_steps: int = 32
    #: Indices of a ``slice=`` (400).
    max_slice_dims: int = 32

    def to_json(self) -> dict[str, int]:
        return asdict(self)


_CURRENT: contextvars.ContextVar[RequestLimits | None] = contextvars.ContextVar("remotem_limits", default=None)


def current() -> RequestLimits | None:
    """The limits of the request being served, or None outside a request."""
    return _CURRENT.get()


def use(limits: RequestLimits | None) -> contextvars.Token[RequestLimits | None]:
    """Make ``limits`` those of the running request (its task, and threads it hands work to)."""
    return _CURRENT.set(limits)


def too_many(what: str, count: int, limit: str, allowed: int, hint: str) -> TooLarge:
    """The one wording of a refused count, naming the limit (a ``RemotemApp`` setting)."""
    return TooLarge(f"This request has {count:,} {what}; at most {allowed:,} are allowed (limit {limit}).",
                    hint=hint, limit=limit, allowed=allowed)


# -- JSON before parsing -------------------------------------------------------------------------
#: Whether a byte is structure (brackets, braces, commas, colons) when it is outside a string.
_STRUCTURE = np.zeros(256, bool)
_STRUCTURE[list(b"[]{},:")] = True
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
#: Change of nesting depth at each structure byte.
_DEPTH_STEP = np.zeros(256, np.int8)
_DEPTH_STEP[[ord("["), ord("{")]] = 1
_DEPTH_STEP[[ord("]"), ord("}")]] = -1
#: Structure bytes whose depth is computed at once (the arrays stay a few MB).
_CHUNK = 1 << 20


def check_json_text(text: bytes, limits: RequestLimits, what: str = "The request body") -> None:
    """Refuse a JSON text whose size, nesting, number of values or list lengths exceed ``limits``,
    from its bytes alone: Python's parser recurses per level (a deep text raises RecursionError)
    and builds every value before anyone could count them.  Memory stays a few MB beyond the
    text; a text that is not JSON may pass here, and the parser refuses it next."""
    if len(text) > limits.max_body_bytes:
        raise TooLarge(f"{what} holds {len(text):,} bytes; at most {limits.max_body_bytes:,} are accepted "
                       "(limit max_body_bytes).",
                       hint="Send fewer or simpler detectors (a weights mask instead of many shapes), or split "
                            "the work into several requests.", limit="max_body_bytes", allowed=limits.max_body_bytes)
    structure = _structure(text)
    _check_depth(structure, limits, what)
    containers = structure.count(b"[") + structure.count(b"{")
    values = containers + structure.count(b",") + structure.count(b":") + 1
    if values > limits.max_json_values:
        raise too_many("values in its JSON", values, "max_json_values", limits.max_json_values,
                       "Send less at once: split the work into several requests, or submit a job.")
    if containers:
        _check_list_items(np.frombuffer(structure, np.uint8), limits)


def _structure(text: bytes) -> bytes:
    """The structure bytes of ``text`` that lie outside strings, in order.

    A vectorised pass over chunks of the text, carrying from one chunk to the next whether a
    string is open and how many backslashes end the chunk: a quote opens or closes a string
    unless an odd number of backslashes precede it.  Backslashes mean nothing outside strings in
    valid JSON, so wherever this reading and the parser's could differ, the parser stops there."""
    inside, run = 0, 0
    parts = []
    for start in range(0, len(text), _CHUNK):
        chunk = np.frombuffer(text, np.uint8, min(_CHUNK, len(text) - start), start)
        backslash = chunk == _BACKSLASH
        quotes = chunk == _QUOTE
        if not backslash.any():
            if run & 1:  # the chunk's first byte is escaped by the backslashes that ended the last one
                quotes[0] = False
            run = 0
        else:
            counted = np.cumsum(backslash, dtype=np.int32)
            # Backslashes in the run that ends at each position (0 where there is none).
            ending = counted - np.maximum.accumulate(np.where(backslash, 0, counted))
            before = np.empty(chunk.size, np.int32)
            before[0] = run
            before[1:] = ending[:-1]
            first_other = int(np.argmin(backslash)) if not backslash.all() else chunk.size
            before[1:first_other + 1] += run  # a run that began in an earlier chunk
            quotes &= (before & 1) == 0
            run = int(ending[-1]) + (run if first_other == chunk.size else 0)
        parity = (np.cumsum(quotes, dtype=np.int32) + inside) & 1
        parts.append(chunk[_STRUCTURE[chunk] & (parity == 0)].tobytes())
        inside = int(parity[-1])
    return b"".join(parts)


def _check_depth(structure: bytes, limits: RequestLimits, what: str) -> None:
    deepest, level = 0, 0
    for start in range(0, len(structure), _CHUNK):
        depth = np.cumsum(_DEPTH_STEP[np.frombuffer(structure, np.uint8, min(_CHUNK, len(structure) - start), start)],
                          dtype=np.int64) + level
        deepest, level = max(deepest, int(depth.max())), int(depth[-1])
    if deepest > limits.max_json_depth:
        raise BadParameter(f"{what} is nested {deepest:,} levels deep; at most {limits.max_json_depth} are accepted "
                           "(limit max_json_depth).",
                           hint="Flatten the JSON: no request of this API needs deep nesting.",
                           limit="max_json_depth", allowed=limits.max_json_depth)


def _check_list_items(structure: np.ndarray, limits: RequestLimits) -> None:
    """Items of the longest array or object: each comma belongs to the last container opened at
    its own depth, found for all commas at once by sorting (depth, position) keys."""
    depth = np.cumsum(_DEPTH_STEP[structure], dtype=np.int64)
    positions = np.arange(structure.size, dtype=np.int64)
    span = np.int64(structure.size + 1)
    opening = _DEPTH_STEP[structure] > 0
    open_keys = np.sort(depth[opening] * span + positions[opening])
    commas = (structure == ord(",")) & (depth >= 1)
    owner = np.searchsorted(open_keys, depth[commas] * span + positions[commas], side="right") - 1
    owner = owner[owner >= 0]
    if owner.size == 0:
        return
    items = int(np.bincount(owner).max()) + 1
    if items > limits.max_list_items:
        raise too_many("items in one JSON list", items, "max_list_items", limits.max_list_items,
                       "Send shorter lists: split the work into several requests, or use a weights mask "
                       "instead of many shapes.")


def parse_json(text: bytes | str, limits: RequestLimits | None, what: str = "The request body") -> Any:
    """``text`` parsed as JSON after :func:`check_json_text`; any failure is a 400 or 413."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if limits is not None:
        check_json_text(raw, limits, what)
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadParameter(f"{what} is nested too deeply.", hint="Flatten the JSON.") from None
    except (ValueError, UnicodeDecodeError):
        raise BadParameter(f"{what} is not valid JSON.") from None
