"""NumPy ``.npy`` files: parse the header, then read the data by offset (no ``np.load``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib import format as npformat

from ..errors import BadParameter, CorruptFile, UnsupportedFormat
from .axes import default_nav_ndim, pixel_axes
from .dataset import Dataset
from .readers import OffsetReader
from .sources import ByteSource

if TYPE_CHECKING:
    from ..storage.repository import Repository

#: Version 1 headers are < 64 KiB; versions 2 and 3 allow up to 4 GiB, far more than any array needs.
HEADER_LIMIT = 1024 * 1024


def read_header(repository: Repository, path: str) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """``(shape, dtype, fortran_order, data_offset)`` from the file's header."""
    with repository.open(path, "rb") as handle:
        try:
            version = npformat.read_magic(handle)
        except ValueError as error:
            raise CorruptFile(f"'{path}' is not a valid .npy file: {error}") from error
        try:
            if version == (1, 0):
                shape, fortran, dtype = npformat.read_array_header_1_0(handle, max_header_size=HEADER_LIMIT)
            elif version == (2, 0):
                shape, fortran, dtype = npformat.read_array_header_2_0(handle, max_header_size=HEADER_LIMIT)
            else:
                shape, fortran, dtype = npformat._read_array_header(handle, version, max_header_size=HEADER_LIMIT)
        except (ValueError, SyntaxError, TypeError) as error:
            raise CorruptFile(f"'{path}' has a broken .npy header: {str(error).splitlines()[0]}") from error
        return tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran), handle.tell()


def open_npy(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    if dataset not in (None, "", "/"):
        raise BadParameter(f"'{path}' is a single-array .npy file; it has no internal dataset '{dataset}'.")
    shape, dtype, fortran, offset = read_header(repository, path)
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biufc":
        raise UnsupportedFormat(f"'{path}' holds {dtype} values; only plain numeric arrays can be read.")
    if fortran and len(shape) > 1:
        raise UnsupportedFormat(
            f"'{path}' is stored in Fortran (column-major) order, which cannot be read frame by frame.",
            hint="Re-save it in C order: np.save(path, np.ascontiguousarray(array)).",
        )
    if not shape:
        raise UnsupportedFormat(f"'{path}' holds a single scalar, not an array.")
    nav_ndim = default_nav_ndim(len(shape))
    reader = OffsetReader(ByteSource(repository, path), offset, shape, dtype, nav_ndim, label="NPY")
    metadata: dict[str, Any] = {"npy": {"header_bytes": offset, "stored_dtype": dtype.str}}
    return Dataset(
        shape=shape,
        dtype=reader.dtype,
        nav_ndim=nav_ndim,
        format="npy",
        reader=reader,
        axes=pixel_axes(shape, nav_ndim),
        metadata=metadata,
    )
