"""Arrays to response bodies: JSON (bounded), NPY, NPZ (every array of a result) and PNG."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import render
from .errors import BadParameter, TooLarge

#: Largest array served as JSON; bigger ones should be asked for as NPY.
MAX_JSON_ELEMENTS = 1_000_000
FORMATS = ("json", "npy", "npz", "png")


def array_to_json(array: np.ndarray) -> dict[str, Any]:
    if array.size > MAX_JSON_ELEMENTS:
        raise TooLarge(
            f"An array of {array.size} values is too large for JSON.",
            hint="Ask for format=npy.",
        )
    values = np.asarray(array)
    data = values.astype(np.float64).tolist() if values.dtype.kind == "f" else values.tolist()
    return {"shape": list(values.shape), "dtype": values.dtype.str, "data": _nan_to_none(data)}


def _nan_to_none(data: Any) -> Any:
    """JSON has no NaN; null marks positions with no value (outside an ROI, empty frames)."""
    if isinstance(data, list):
        return [_nan_to_none(item) for item in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def array_to_npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_pieces(array: np.ndarray, piece_bytes: int = 8 * 1024**2) -> Iterator[bytes]:
    """The NPY file of ``array`` as its header and then pieces of its bytes, so that serving a
    large slice holds the array once (plus one piece) instead of the array and a copy of it."""
    values = np.ascontiguousarray(array)
    header = io.BytesIO()
    described = {"descr": np.lib.format.dtype_to_descr(values.dtype), "fortran_order": False, "shape": values.shape}
    np.lib.format.write_array_header_1_0(header, described)
    yield header.getvalue()
    flat = memoryview(values.reshape(-1).view(np.uint8)) if values.size else memoryview(b"")
    for start in range(0, len(flat), piece_bytes):
        yield bytes(flat[start:start + piece_bytes])


def arrays_to_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """All named arrays of a result in one uncompressed ``.npz``: no size limit, exact dtypes."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.ascontiguousarray(array) for name, array in arrays.items()})
    return buffer.getvalue()


def array_to_png(array: np.ndarray, cmap: str = "gray", scale: str = "linear", index: int = 0,
                 colour: bool = False) -> bytes:
    """A picture of a 2-D array; for stacks (nav + detectors) the ``index``-th image.  A
    ``colour`` array (its last axis red, green and blue, as its output declares) is drawn in
    its own colours, an RGB PNG: a colormap of one of its channels would say nothing."""
    if colour:
        return render.encode_png(render.colour_pixels(array))
    image = np.asarray(array)
    if image.ndim == 3:
        if not 0 <= index < image.shape[-1]:
            raise BadParameter(f"index must be between 0 and {image.shape[-1] - 1}.")
        image = image[..., index]
    if image.ndim == 1:
        image = image[np.newaxis]
    if image.ndim != 2:
        raise BadParameter(f"Cannot draw an array of shape {image.shape} as a picture; ask for npy or json.")
    return render.to_png(image.astype(np.float64), cmap=cmap, scale=scale)


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise BadParameter(f"Unknown format '{name}'.", hint=f"Use one of: {', '.join(FORMATS)}.")
    return name
