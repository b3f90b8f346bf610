"""A minimal DigitalMicrograph 4 (``.dm4``) writer.

Follows the published description of the DM4 tag-tree format (a big-endian file header, then
nested tag groups; each tag has a type byte, a name, its byte length and, for data tags, the
``%%%%`` marker, an "info array" of big-endian 8-byte type codes and the little-endian data).
Only what an image needs is written: ``ImageList/<image>/ImageData/{Data, DataType, Dimensions,
Calibrations}`` and a few ``ImageTags``, enough for DigitalMicrograph-compatible readers such as
rsciio to recover the array and its calibrations.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: DM tag data types (info-array codes).
SHORT, LONG, USHORT, ULONG, FLOAT, DOUBLE, BOOL, CHAR, OCTET, LONGLONG, ULONGLONG = 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
ARRAY = 20
GROUP_TAG, DATA_TAG = 20, 21

#: numpy dtype -> (DM image DataType, tag element type of the Data array)
IMAGE_TYPES = {
    np.dtype("int16"): (1, SHORT),
    np.dtype("float32"): (2, FLOAT),
    np.dtype("uint8"): (6, OCTET),
    np.dtype("int32"): (7, LONG),
    np.dtype("int8"): (9, CHAR),
    np.dtype("uint16"): (10, USHORT),
    np.dtype("uint32"): (11, ULONG),
    np.dtype("float64"): (12, DOUBLE),
}
_STRUCT = {
    SHORT: "h",
    LONG: "i",
    USHORT: "H",
    ULONG: "I",
    FLOAT: "f",
    DOUBLE: "d",
    BOOL: "B",
    CHAR: "b",
    OCTET: "B",
    LONGLONG: "q",
    ULONGLONG: "Q",
}


@dataclass
class Value:
    """A data tag holding one number of an explicit DM type."""

    kind: int
    value: Any


@dataclass
class RawArray:
    """A data tag holding a numeric array, written straight from numpy."""

    kind: int
    data: np.ndarray


def _name(name: str) -> bytes:
    encoded = name.encode("latin-1")
    return struct.pack(">H", len(encoded)) + encoded


def _data_tag(name: str, info: Sequence[int], payload: bytes) -> bytes:
    body = b"%%%%" + struct.pack(">Q", len(info)) + b"".join(struct.pack(">Q", i) for i in info) + payload
    return bytes([DATA_TAG]) + _name(name) + struct.pack(">Q", len(body)) + body


def _encode(name: str, value: Any) -> bytes:
    if isinstance(value, (dict, list)):
        return _group(name, value)
    if isinstance(value, Value):
        return _data_tag(name, [value.kind], struct.pack("<" + _STRUCT[value.kind], value.value))
    if isinstance(value, RawArray):
        data = np.ascontiguousarray(value.data).astype(np.dtype(value.data.dtype).newbyteorder("<"), copy=False)
        return _data_tag(name, [ARRAY, value.kind, data.size], data.tobytes())
    if isinstance(value, bool):
        return _data_tag(name, [BOOL], struct.pack("<B", value))
    if isinstance(value, int):
        return _data_tag(name, [LONG], struct.pack("<i", value))
    if isinstance(value, float):
        return _data_tag(name, [DOUBLE], struct.pack("<d", value))
    if isinstance(value, str):
        chars = np.frombuffer(value.encode("utf-16-le"), dtype="<u2")
        return _data_tag(name, [ARRAY, USHORT, chars.size], chars.tobytes())
    raise TypeError(f"Cannot write {type(value).__name__} as a DM tag")


def _group_body(items: dict[str, Any] | list[Any]) -> bytes:
    entries = items.items() if isinstance(items, dict) else (("", item) for item in items)
    encoded = [_encode(key, value) for key, value in entries]
    return bytes([1, 0]) + struct.pack(">Q", len(encoded)) + b"".join(encoded)


def _group(name: str, items: dict[str, Any] | list[Any]) -> bytes:
    body = _group_body(items)
    return bytes([GROUP_TAG]) + _name(name) + struct.pack(">Q", len(body)) + body


def image_tree(
    data: np.ndarray,
    scales: Sequence[float],
    offsets: Sequence[float],
    units: Sequence[str],
    title: str,
    image_tags: dict[str, Any],
) -> dict[str, Any]:
    """The tag tree of a one-image DM file.  Axis lists are in numpy (C) order."""
    dtype = np.dtype(data.dtype).newbyteorder("=")
    if dtype not in IMAGE_TYPES:
        raise TypeError(f"DM images cannot hold {dtype}")
    data_type, element = IMAGE_TYPES[dtype]
    # DM lists dimensions fastest-first (x, y, ...), i.e. reversed numpy order; origin is in pixels.
    dimensions = [
        {"Origin": Value(FLOAT, -offset / scale if scale else 0.0), "Scale": Value(FLOAT, scale), "Units": unit}
        for scale, offset, unit in zip(reversed(scales), reversed(offsets), reversed(units))
    ]
    return {
        "ApplicationBounds": RawArray(LONGLONG, np.array([0, 0, 1, 1], dtype="<i8")),
        "ImageList": [
            {
                "ImageData": {
                    "Calibrations": {
                        "Brightness": {"Origin": Value(FLOAT, 0.0), "Scale": Value(FLOAT, 1.0), "Units": "counts"},
                        "Dimension": dimensions,
                        "DisplayCalibratedUnits": True,
                    },
                    "Data": RawArray(element, data),
                    "DataType": data_type,
                    "Dimensions": [Value(ULONG, int(n)) for n in reversed(data.shape)],
                    "PixelDepth": dtype.itemsize,
                },
                "ImageTags": image_tags,
                "Name": title,
                "UniqueID": {"0": 1, "1": 2, "2": 3, "3": 4},
            }
        ],
        "Image Behavior": {"ViewDisplayID": 8},
    }


def write_dm4(target: Path, tree: dict[str, Any]) -> None:
    """Serialise a tag tree (dicts for named groups, lists for unnamed entries) as DM4."""
    body = _group_body(tree)
    header = struct.pack(">I", 4) + struct.pack(">Q", len(body) + 8) + struct.pack(">I", 1)
    Path(target).write_bytes(header + body + b"\x00" * 8)
