"""Entry points: open one array of a file as a :class:`~.dataset.Dataset`, or list its arrays.

Dispatch is by name (:func:`~.detect.detect_format`); every format module runs inside
:func:`~.boundary.converted_errors`, so a bad file yields 404/415/422, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import UnsupportedFormat
from . import blockfile, dm, hdf5, hyperspy, mib, npy, raw, tiff, zarr_store
from .boundary import converted_errors
from .dataset import Dataset
from .detect import detect_format

if TYPE_CHECKING:
    from ..storage.repository import Repository

Opener = Callable[..., Dataset]

OPENERS: dict[str, Opener] = {
    "hdf5": hdf5.open_hdf5,
    "hspy": hyperspy.open_hspy,
    "zspy": hyperspy.open_zspy,
    "zarr": zarr_store.open_zarr,
    "npy": npy.open_npy,
    "raw": raw.open_raw,
    "mib": mib.open_mib,
    "dm": dm.open_dm,
    "blo": blockfile.open_blo,
    "tiff": tiff.open_tiff,
}

#: Container formats list their arrays without opening each one.
LISTERS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "hdf5": hdf5.list_hdf5,
    "hspy": hdf5.list_hdf5,
    "zarr": zarr_store.list_zarr,
    "zspy": zarr_store.list_zarr,
    "tiff": tiff.list_tiff,  # one array, or several images an OME or tifffile file declares
}

LABELS = {
    "hdf5": "HDF5",
    "hspy": "HyperSpy .hspy",
    "zspy": "HyperSpy .zspy",
    "zarr": "Zarr",
    "npy": "NPY",
    "raw": "raw binary",
    "mib": "Merlin MIB",
    "dm": "DigitalMicrograph",
    "blo": "blockfile",
    "tiff": "TIFF",
}


def format_of(repository: Repository, path: str) -> str:
    """The format key of ``path``; :class:`NotFound` if missing, :class:`UnsupportedFormat` if unknown."""
    entry = repository.info(path)
    fmt = detect_format(entry.name, is_directory=entry.type == "directory")
    if fmt not in OPENERS:
        kind = "folder" if entry.type == "directory" else "file"
        raise UnsupportedFormat(f"'{entry.path or path}' is not a {kind} format that can be opened as an array.")
    return fmt  # type: ignore[return-value]


def open_dataset(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    """Open one array of a file lazily: reads headers and indexes, never the whole data."""
    fmt = format_of(repository, path)
    with converted_errors(path, LABELS[fmt], "open"):
        return OPENERS[fmt](repository, path, dataset)


def list_arrays(repository: Repository, path: str) -> list[dict[str, Any]]:
    """Every array of a container file, or the one array of a single-array file."""
    fmt = format_of(repository, path)
    with converted_errors(path, LABELS[fmt], "list"):
        if fmt in LISTERS:
            arrays = LISTERS[fmt](repository, path)
            if not arrays:
                raise UnsupportedFormat(f"'{path}' contains no numeric arrays.")
            return arrays
        with OPENERS[fmt](repository, path, None) as opened:
            return [
                {
                    "path": "/",
                    "shape": list(opened.shape),
                    "dtype": opened.dtype.str,
                    "chunks": list(opened.chunks) if opened.chunks else None,
                    "compression": None,
                }
            ]


__all__ = ["open_dataset", "list_arrays", "format_of"]
