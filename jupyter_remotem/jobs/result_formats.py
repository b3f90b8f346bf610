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
from ..formats.layouts import hspy_signal, write_hspy
from ..formats.provenance import PROVENANCE_KEY
from ..view_contract import PictureOptions, ShownImage, calibration_of, display_of, picture_of
from .provenance import hdf5_attributes
from .result_axes import declared_output, hdf5_dims, hyperspy_layout


def hdf5_bytes(result: Any, record: dict[str, Any]) -> bytes:
    """An HDF5 file with one dataset per result array and the provenance as root attributes."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for name, array in result.arrays.items():
            stored = f.create_dataset(name, data=np.asarray(array))
            output = declared_output(record["operation"], name)
            for axis, (label, unit) in enumerate(hdf5_dims(output, stored.shape, record["input"],
                                                          bool(result.attributes.get("fft")))):
                stored.dims[axis].label = label
            if output is not None and output.unit:
                stored.attrs["units"] = output.unit
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


def png_bytes(array: np.ndarray, description: dict[str, Any], view: dict[str, Any] | None,
              shown: ShownImage | None = None, field: tuple[np.ndarray, np.ndarray] | None = None,
              colour: bool = False) -> bytes:
    """A picture drawn as the viewer showed it (:mod:`..view_contract`): the colormap, scaling and
    limits of the display ``shown`` names, the plane of a stack of detector images it names, and
    the centre-of-mass field as the viewer's colour wheel when that is what was shown (``field``:
    its shift_y and shift_x).  NaN is transparent, as on screen.  Without a view: gray, linear,
    from the data's range, the first plane.  The view's ``picture`` sets the size and adds a scale
    bar (in the image's calibrated units) and a colour bar (the same colormap and limits).

    A ``colour`` array (declared so: red, green and blue along its last axis) is an RGB picture of
    its own colours, as the viewer shows it: no colormap, no limits, so no colour bar either."""
    shown = shown or ShownImage("nav", None)
    text = {PROVENANCE_KEY: json.dumps(jsonable(description), sort_keys=True)}
    options = picture_of(view)
    if colour:
        return _colour_png(array, description, view, shown, options, text)
    if shown.wheel and field is not None:
        rgba = render.field_wheel(*field)
        bar = _scale_bar(description, view, shown.display, rgba.shape[1]) if options.scale_bar else None
        return render.encode_png(render.picture(rgba, options.size, bar), text=text)
    pages = _pages(array, "PNG")
    if not 0 <= shown.index < len(pages):
        raise BadParameter(f"The view shows image {shown.index} of a stack of {len(pages)}.",
                           hint="Select one of the result's detectors in the view.")
    page = pages[shown.index]
    cmap, scaling, auto = display_of(view, shown.display)
    rgba = render.draw(page, cmap, scaling, auto)
    if options == PictureOptions():
        return render.encode_png(rgba, text=text)
    one_row = np.asarray(array).ndim == 1
    bar = _scale_bar(description, view, shown.display, page.shape[1]) if options.scale_bar and not one_row else None
    colours = (cmap, render.resolved_scaling(page, scaling, auto)) if options.colour_bar else None
    return render.encode_png(render.picture(rgba, options.size, bar, colours), text=text)


def _colour_png(array: np.ndarray, description: dict[str, Any], view: dict[str, Any] | None, shown: ShownImage,
                options: PictureOptions, text: dict[str, str]) -> bytes:
    """The RGB picture of a colour array, at the view's size and with its scale bar."""
    rgb = render.colour_pixels(array)
    if options == PictureOptions():
        return render.encode_png(rgb, text=text)
    one_row = np.asarray(array).ndim == 2
    bar = _scale_bar(description, view, shown.display, rgb.shape[1]) if options.scale_bar and not one_row else None
    opaque = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=-1)
    return render.encode_png(render.picture(opaque, options.size, bar)[..., :3], text=text)


def _scale_bar(description: dict[str, Any], view: dict[str, Any] | None, display: str,
               width: int) -> render.ScaleBar | None:
    """What a pixel of the saved image measures, from the view or the input's axes."""
    source = (description.get("provenance") or {}).get("input") or {}
    reciprocal = bool((description.get("attributes") or {}).get("fft"))
    return calibration_of(view, display, source.get("axes") or [], source.get("nav_ndim"), width, reciprocal)


def hspy_bytes(array: np.ndarray, name: str, record: dict[str, Any], attributes: dict[str, Any],
               coordinates: dict[str, Any] | None = None) -> bytes:
    """A HyperSpy file with the axes the operation declares for the array (:mod:`.result_axes`):
    calibrated, navigating where they index results, so ``hs.load`` shows it with scale bars; the
    provenance in ``original_metadata``.  ``coordinates``: the result's other arrays, which
    calibrate declared axes (a profile's radius)."""
    data, axes = hyperspy_layout(array, declared_output(record["operation"], name), record["input"],
                                 reciprocal=bool(attributes.get("fft")), coordinates=coordinates)
    signal = hspy_signal(data, axes, title=f"{record['operation']} {name}",
                         original_filename=record["input"]["path"],
                         original_metadata={PROVENANCE_KEY: json.dumps(jsonable(record), sort_keys=True)})
    with tempfile.TemporaryDirectory(prefix="remotem-hspy-") as folder:
        path = Path(folder) / "result.hspy"
        write_hspy(path, signal)
        return path.read_bytes()


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
