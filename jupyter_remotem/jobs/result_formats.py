"""The bytes of a result file in each output format, each carrying the provenance record.

Reductions are small, so every file is built in memory (which also lets HDF5 go to stores that
cannot seek).  Each format keeps the provenance where its own readers look: HDF5 attributes,
HyperSpy ``original_metadata``, a TIFF ImageDescription, a PNG text chunk, a sidecar for NPY.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .. import render
from ..errors import BadParameter
from ..formats.jsonable import jsonable
from ..formats.provenance import PROVENANCE_KEY
from .provenance import hdf5_attributes, software_versions


def hdf5_bytes(result: Any, record: dict[str, Any]) -> bytes:
    """An HDF5 file with one dataset per result array and the provenance as root attributes."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for name, array in result.arrays.items():
            f.create_dataset(name, data=np.asarray(array))
        f.attrs.update(hdf5_attributes(record))
        f.attrs["primary"] = result.primary
        f.attrs["result_attributes"] = json.dumps(jsonable(result.attributes), sort_keys=True)
    return buffer.getvalue()


def tiff_bytes(array: np.ndarray, description: dict[str, Any]) -> bytes:
    """A float32 TIFF (what ImageJ/Fiji read) with one page per 2-D image and ``description`` as
    JSON in the first page's ImageDescription.

    2-D arrays are one page; 3-D per-position results (scan × detectors) are one page per
    detector; 1-D profiles are a one-row image.
    """
    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.ascontiguousarray(_pages(array, "TIFF"), dtype=np.float32),
                     photometric="minisblack", description=json.dumps(description, sort_keys=True), metadata=None)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def png_bytes(array: np.ndarray, description: dict[str, Any], view: dict[str, Any] | None) -> bytes:
    """An 8-bit picture drawn as the viewer showed it (colormap, scale, limits from ``view``);
    a stack of detector images becomes the first one unless ``view.index`` says otherwise."""
    view = view or {}
    pages = _pages(array, "PNG")
    index = view.get("index", 0)
    if not isinstance(index, int) or not 0 <= index < len(pages):
        index = 0
    scale = view.get("scale") if view.get("scale") in render.SCALES else "linear"
    limits = [view.get(key) if isinstance(view.get(key), (int, float)) else None for key in ("vmin", "vmax")]
    cmap = view.get("cmap") if isinstance(view.get("cmap"), str) else "gray"
    return render.to_png(pages[index].astype(np.float64), cmap=cmap, scale=scale, vmin=limits[0], vmax=limits[1],
                         text={PROVENANCE_KEY: json.dumps(jsonable(description), sort_keys=True)})


def hspy_bytes(array: np.ndarray, name: str, record: dict[str, Any], attributes: dict[str, Any]) -> bytes:
    """A HyperSpy file: a Signal2D (one image, or a stack of detector images) with calibrated
    axes, so ``hs.load`` shows it with scale bars, and the provenance in ``original_metadata``."""
    from rsciio.hspy import file_writer

    data = np.asarray(array)
    axes = result_axes(data.shape, record["input"].get("axes") or [], record["input"].get("nav_ndim"),
                       reciprocal=bool(attributes.get("fft")))
    if data.ndim == 3:  # scan × detectors: detectors navigate, images are the signal
        data = np.moveaxis(data, -1, 0)
        axes = [{"name": "detector", "size": data.shape[0], "scale": 1.0, "offset": 0.0, "units": "",
                 "navigate": True}] + axes[:2]
    signal = {
        "data": np.ascontiguousarray(data),
        "axes": axes,
        "metadata": {
            "General": {"title": f"{record['operation']} {name}", "original_filename": record["input"]["path"]},
            "Signal": {"signal_type": ""},
        },
        "original_metadata": {PROVENANCE_KEY: json.dumps(jsonable(record), sort_keys=True)},
        "attributes": {"_lazy": False},
        "tmp_parameters": {},
        "package_info": {"package": "jupyter_remotem", "package_version": software_versions()["jupyter_remotem"]},
        "learning_results": {},
        "models": {},
    }
    # The HyperSpy writer wants a file name, not a buffer.
    with tempfile.TemporaryDirectory(prefix="remotem-hspy-") as folder:
        path = Path(folder) / "result.hspy"
        file_writer(str(path), signal, compression=None, show_progressbar=False)
        return path.read_bytes()


def result_axes(shape: tuple[int, ...], source_axes: list[dict[str, Any]], nav_ndim: int | None,
                reciprocal: bool = False) -> list[dict[str, Any]]:
    """Calibrated axes of a result's leading dimensions: the scan's when the result is per scan
    position, the detector's when it is a frame; pixels otherwise (and for an FFT)."""
    nav = source_axes[:nav_ndim] if nav_ndim is not None else []
    sig = source_axes[nav_ndim:] if nav_ndim is not None else []
    for candidate in (nav, sig):
        sizes = [axis["size"] for axis in candidate]
        if not reciprocal and candidate and tuple(sizes) == tuple(shape[: len(sizes)]):
            return [dict(axis, navigate=False) for axis in candidate]
    names = ("y", "x")
    return [{"name": names[i] if i < 2 else f"axis{i}", "size": n, "scale": 1.0, "offset": 0.0,
             "units": "1/px" if reciprocal else "px", "navigate": False} for i, n in enumerate(shape[:2])]


def _pages(array: np.ndarray, what: str) -> np.ndarray:
    """2-D images of a result: one, one per detector of a stack, or a one-row image of a profile."""
    array = np.asarray(array)
    if array.ndim == 1:
        return array[None, None, :]
    if array.ndim == 2:
        return array[None]
    if array.ndim == 3:
        return np.moveaxis(array, -1, 0)
    raise BadParameter(f"A {what} holds 2-D images; this result has shape {list(array.shape)}.",
                       hint='Choose "format": "hdf5".')
