"""Gatan DigitalMicrograph ``.dm3``/``.dm4`` files.

rsciio parses the tag tree (calibrations, microscope tags) and records where the image data
starts; the data itself is one C-ordered block, read through :class:`~.readers.OffsetReader`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UnsupportedFormat
from .axes import axes_from_hyperspy, pixel_axes
from .dataset import Dataset
from .jsonable import jsonable
from .readers import OffsetReader
from .rsciio_local import read_signals, refuse_internal_path
from .sources import ByteSource
from .stand_in import head_and_tail, parse_headers

if TYPE_CHECKING:
    from ..storage.repository import Repository

#: Where a remote file's tag tree is fetched from: the header and the thumbnail before the main
#: image's data, and the image, document and session tags after it.
TAG_RANGES = head_and_tail(head=4 << 20, tail=8 << 20)

#: Image tags worth showing next to the data, under their DM names.
TAGS_OF_INTEREST = {
    "Microscope Info": (
        "Voltage",
        "STEM Camera Length",
        "Indicated Magnification",
        "Illumination Mode",
        "Imaging Mode",
        "Probe Current (nA)",
        "Name",
        "Operation Mode",
    ),
    "Session Info": ("Operator", "Specimen", "Microscope"),
    "Acquisition": ("Parameters",),
    "DataBar": ("Acquisition Date", "Acquisition Time", "Exposure Time (s)"),
}


def _image_tags(image: dict[str, Any]) -> dict[str, Any]:
    tags = image.get("ImageTags") or {}
    picked: dict[str, Any] = {}
    for group, keys in TAGS_OF_INTEREST.items():
        values = tags.get(group) or {}
        chosen = {key: values[key] for key in keys if key in values}
        if chosen:
            picked[group] = jsonable(chosen)
    return picked


def open_dm(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    from rsciio.digitalmicrograph import file_reader

    refuse_internal_path(dataset, path, "DigitalMicrograph")
    signals = parse_headers(repository, path, TAG_RANGES, "DigitalMicrograph",
                            lambda local: read_signals(file_reader, local))
    if not signals:
        raise UnsupportedFormat(f"'{path}' contains no image.")
    signal = max(signals, key=lambda s: int(np.prod(s["data"].shape, dtype=np.int64)))
    image = signal["original_metadata"]["ImageList"]["TagGroup0"]
    data_tag = image["ImageData"]["Data"]
    if not isinstance(data_tag, dict) or "offset" not in data_tag:
        raise UnsupportedFormat(f"'{path}' stores its image in a way that cannot be read lazily.")
    data_type = int(image["ImageData"]["DataType"])
    if data_type in (5, 8, 23, 27, 28):
        raise UnsupportedFormat(
            f"'{path}' holds packed-complex or RGB data (DM type {data_type}), which is not supported."
        )
    shape = tuple(int(n) for n in signal["data"].shape)
    dtype = np.dtype(signal["data"].dtype).newbyteorder("<" if data_tag.get("endian", "little") == "little" else ">")
    axes, nav_ndim = axes_from_hyperspy(signal["axes"], shape)
    # DM stores no axis names; rsciio letters them by position ("x", "y", "z", None), which
    # calls a scan axis "z".  The roles are known: name them as every other format does.
    axes = [replace(axis, name=role.name) for axis, role in zip(axes, pixel_axes(shape, nav_ndim))]
    reader = OffsetReader(
        ByteSource(repository, path), int(data_tag["offset"]), shape, dtype, nav_ndim, label="DigitalMicrograph"
    )
    metadata = {
        "title": jsonable(signal.get("metadata", {}).get("General", {}).get("title")),
        "image_tags": _image_tags(image),
        "calibrations": [axis.to_json() for axis in axes],
        "brightness": jsonable(image["ImageData"].get("Calibrations", {}).get("Brightness", {})),
    }
    return Dataset(
        shape=shape, dtype=reader.dtype, nav_ndim=nav_ndim, format="dm", reader=reader, axes=axes, metadata=metadata
    )
