"""Turn metadata read from files into small, JSON-serialisable values.

File metadata is untrusted and unbounded: DM tag trees hold thousands of entries, HDF5
attributes can be arrays of any size, strings can be bytes in any encoding.  The ``meta``
endpoint must stay small and must never fail on a value, so everything goes through
:func:`jsonable`, which converts numpy types and trims by depth, length and size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

MAX_DEPTH = 8
MAX_ITEMS = 200
MAX_ARRAY = 64
MAX_STRING = 2000


def _number(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (complex, np.complexfloating)):
        return {"real": float(value.real), "imag": float(value.imag)}
    return None


def _string(value: bytes | str) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace").rstrip("\x00")
    return value if len(value) <= MAX_STRING else value[:MAX_STRING] + "…"


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value``: big arrays become summaries, deep trees are cut."""
    if value is None or isinstance(value, str):
        return None if value is None else _string(value)
    if isinstance(value, (bytes, np.bytes_)):
        return _string(bytes(value))
    number = _number(value)
    if number is not None:
        return number
    if depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OSUV":
            items = value.ravel().tolist()
            return [jsonable(item, depth + 1) for item in items[:MAX_ARRAY]]
        if value.size > MAX_ARRAY:
            return {"array": {"shape": list(value.shape), "dtype": value.dtype.str}}
        return jsonable(value.tolist(), depth + 1)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= MAX_ITEMS:
                out["…"] = f"{len(value) - MAX_ITEMS} more entries"
                break
            out[str(key)] = jsonable(item, depth + 1)
        return out
    if isinstance(value, (list, tuple, set)):
        items = list(value)
        converted = [jsonable(item, depth + 1) for item in items[:MAX_ARRAY]]
        if len(items) > MAX_ARRAY:
            converted.append(f"… {len(items) - MAX_ARRAY} more")
        return converted
    if hasattr(value, "to_dict"):
        try:
            return jsonable(value.to_dict(), depth + 1)
        except Exception:
            pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _string(repr(value))
