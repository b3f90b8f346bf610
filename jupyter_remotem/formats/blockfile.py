"""NanoMegas / ASTAR blockfiles (``.blo``): a header, a navigator image, then uint8 frames each
preceded by a 6-byte marker.  rsciio reads the header and calibrations; the frames are a
strided memory map."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .axes import axes_from_hyperspy
from .dataset import Dataset
from .jsonable import jsonable
from .readers import OffsetReader
from .rsciio_local import read_signals, refuse_internal_path
from .sources import ByteSource
from .stand_in import parse_headers

if TYPE_CHECKING:
    from ..storage.repository import Repository

FRAME_MARKER_BYTES = 6


def header_ranges(source: ByteSource) -> list[tuple[int, int]]:
    """The header and the note after it, up to the navigator image (``Data_offset_1``)."""
    from rsciio.blockfile._api import get_header_dtype_list

    header_dtype = np.dtype(get_header_dtype_list("<"))
    head = bytes(source.read_ranges([0], [min(header_dtype.itemsize, source.size)])[0])
    if len(head) < header_dtype.itemsize:
        return [(0, len(head))]
    header = np.frombuffer(head, dtype=header_dtype, count=1)
    return [(0, max(int(header["Data_offset_1"][0]), header_dtype.itemsize))]


def open_blo(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    from rsciio.blockfile import file_reader

    refuse_internal_path(dataset, path, "blockfile")
    signal = parse_headers(repository, path, header_ranges, "blockfile",
                           lambda local: read_signals(file_reader, local)[0])
    header = signal["original_metadata"]["blockfile_header"]
    shape = tuple(int(n) for n in signal["data"].shape)
    frame = int(header["DP_SZ"]) ** 2
    axes, nav_ndim = axes_from_hyperspy(signal["axes"], shape)
    reader = OffsetReader(
        ByteSource(repository, path),
        offset=int(header["Data_offset_2"]) + FRAME_MARKER_BYTES,
        shape=shape,
        dtype=np.uint8,
        nav_ndim=nav_ndim,
        frame_stride=frame + FRAME_MARKER_BYTES,
        label="blockfile",
    )
    metadata = {
        "blockfile_header": jsonable(header),
        "metadata": jsonable(signal.get("metadata") or {}),
    }
    return Dataset(
        shape=shape, dtype=reader.dtype, nav_ndim=nav_ndim, format="blo", reader=reader, axes=axes, metadata=metadata
    )
