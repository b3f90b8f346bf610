"""Partial results as bytes, so a finished partition survives the worker that computed it.

Partials are either arrays (per-position plans) or dataclasses of arrays and numbers (merged
plans such as frame statistics).  They are stored as ``.npz`` without pickles, so a checkpoint
can never execute code when loaded, and arrays come back with the exact bytes and dtype they
had, which keeps a resumed result identical to an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import numpy as np

_ARRAY = "__array__"
_SCALARS = "__scalars__"


def encode_partial(partial: Any) -> bytes:
    """Bytes of one partial result (an array, or a dataclass of arrays and plain numbers)."""
    arrays: dict[str, np.ndarray] = {}
    if isinstance(partial, np.ndarray):
        arrays[_ARRAY] = partial
    elif dataclasses.is_dataclass(partial) and not isinstance(partial, type):
        scalars = {}
        for field in dataclasses.fields(partial):
            value = getattr(partial, field.name)
            if isinstance(value, np.ndarray):
                arrays[field.name] = value
            elif isinstance(value, (bool, int, float, str)) or value is None:
                scalars[field.name] = value
            elif isinstance(value, np.generic):
                arrays[field.name] = np.asarray(value)
            else:
                raise TypeError(f"Cannot checkpoint field {field.name!r} of type {type(value).__name__}.")
        arrays[_SCALARS] = np.frombuffer(json.dumps(scalars).encode(), dtype=np.uint8)
    else:
        raise TypeError(f"Cannot checkpoint a partial result of type {type(partial).__name__}.")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode_partial(data: bytes, template: Any = None) -> Any:
    """The partial result back; ``template`` is any instance of the dataclass it was made from."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        if _ARRAY in npz.files:
            return npz[_ARRAY]
        if template is None or not dataclasses.is_dataclass(template):
            raise TypeError("This checkpoint holds a dataclass; pass an instance of it as the template.")
        values: dict[str, Any] = json.loads(npz[_SCALARS].tobytes().decode())
        for name in npz.files:
            if name != _SCALARS:
                array = npz[name]
                values[name] = array[()] if array.ndim == 0 else array
        return type(template)(**values)
