"""HDF5 files (.h5, .hdf5, .nxs, .emd): structure through h5py, data by byte offset when possible.

h5py costs tens of microseconds per call and serialises all reads under one global lock, which
dominates frame-by-frame access to a 4D scan.  Uncompressed data sits at plain byte offsets:
contiguous datasets at ``get_offset()``, chunked ones at the offsets of the chunk index.  Those
are read with :class:`~.readers.OffsetReader` / :class:`~.readers.ChunkTableReader` (memory map
locally, ranged reads remotely); compressed, filtered, virtual or external data goes through h5py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from ..errors import BadParameter, NotFound, UnsupportedFormat
from .axes import axes_from_attrs, nav_ndim_from_attrs
from .dataset import ArrayReader, Axis, Dataset
from .jsonable import jsonable
from .readers import ChunkTableReader, H5pyReader, OffsetReader
from .sources import ByteSource

if TYPE_CHECKING:
    from ..storage.repository import Repository

NUMERIC_KINDS = "biufc"


class H5Opener:
    """Opens one repository file with h5py; picklable, so readers can reopen it in workers."""

    def __init__(self, repository: Repository, path: str) -> None:
        self.repository = repository
        self.path = path

    def __call__(self) -> tuple[h5py.File, Callable[[], None]]:
        local = self.repository.local_path(self.path)
        if local is not None:
            handle = h5py.File(local, "r")
            return handle, handle.close
        fileobj = self.repository.open(self.path, "rb")
        try:
            handle = h5py.File(fileobj, "r")
        except BaseException:
            fileobj.close()
            raise

        def close() -> None:
            handle.close()
            fileobj.close()

        return handle, close


def is_array(obj: Any) -> bool:
    return (
        isinstance(obj, h5py.Dataset)
        and obj.shape is not None
        and len(obj.shape) > 0
        and obj.dtype.kind in NUMERIC_KINDS
    )


def filters(dset: h5py.Dataset) -> str | None:
    """Compression and filters in pipeline order, e.g. ``"shuffle+gzip"``; None when raw."""
    plist = dset.id.get_create_plist()
    names = []
    for i in range(plist.get_nfilters()):
        code, _flags, _values, name = plist.get_filter(i)
        label = {
            h5py.h5z.FILTER_DEFLATE: "gzip",
            h5py.h5z.FILTER_SHUFFLE: "shuffle",
            h5py.h5z.FILTER_FLETCHER32: "fletcher32",
            h5py.h5z.FILTER_SZIP: "szip",
        }.get(code)
        names.append(
            label or (name.decode("ascii", "replace") if isinstance(name, bytes) else str(name)) or f"filter{code}"
        )
    return "+".join(names) or None


def describe_array(path: str, dset: Any, compression: str | None) -> dict[str, Any]:
    return {
        "path": path,
        "shape": [int(n) for n in dset.shape],
        "dtype": np.dtype(dset.dtype).str,
        "chunks": [int(c) for c in dset.chunks] if getattr(dset, "chunks", None) else None,
        "compression": compression,
    }


def list_arrays_in(handle: h5py.File) -> list[dict[str, Any]]:
    """Every numeric array with at least one dimension, sorted by path."""
    found: list[dict[str, Any]] = []

    def visit(name: str, obj: Any) -> None:
        if is_array(obj):
            found.append(describe_array("/" + name, obj, filters(obj)))

    handle.visititems(visit)
    return sorted(found, key=lambda item: item["path"])


def choose_default(arrays: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The largest array with ≥2 dimensions (first in name order on ties), else the largest."""
    candidates = [a for a in arrays if len(a["shape"]) >= 2] or arrays
    best = None
    for array in candidates:  # already sorted by path, so '>' keeps the first on ties
        if best is None or np.prod(array["shape"], dtype=np.int64) > np.prod(best["shape"], dtype=np.int64):
            best = array
    return best


def resolve(handle: h5py.File, dataset: str | None, path: str) -> h5py.Dataset:
    """The dataset asked for, or the default one, with 404/400/415 as the case demands."""
    if dataset in (None, ""):
        choice = choose_default(list_arrays_in(handle))
        if choice is None:
            raise UnsupportedFormat(
                f"'{path}' is an HDF5 file without any numeric array.",
                hint="It holds only groups, scalars or strings; choose a file with array data.",
            )
        dataset = choice["path"]
    name = "/" + str(dataset).strip("/")
    obj = handle.get(name, getlink=False) if name in handle else None
    if obj is None:
        raise NotFound(
            f"'{path}' has no dataset '{name}'.",
            hint="List the file's arrays (the meta endpoint) to see the available paths.",
        )
    if isinstance(obj, h5py.Group):
        raise BadParameter(f"'{name}' in '{path}' is a group, not an array.", hint="Name a dataset inside it.")
    if not isinstance(obj, h5py.Dataset) or obj.shape is None or len(obj.shape) == 0:
        raise BadParameter(f"'{name}' in '{path}' is a scalar, not an array.")
    if obj.dtype.kind not in NUMERIC_KINDS:
        raise UnsupportedFormat(f"'{name}' in '{path}' holds {obj.dtype} values, not numbers.")
    return obj


def attributes_of(dset: h5py.Dataset) -> dict[str, Any]:
    """Attributes of the dataset and every parent group, keyed by HDF5 path (root first)."""
    handle = dset.file
    parts = dset.name.strip("/").split("/")
    paths = ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
    result: dict[str, Any] = {}
    for node_path in paths:
        attrs = handle[node_path].attrs
        if len(attrs):
            values = {}
            for key in attrs:
                try:
                    values[key] = attrs[key]
                except Exception:  # unreadable attribute types must not hide the rest
                    values[key] = "<unreadable>"
            result[node_path] = jsonable(values)
    return result


def fast_reader(dset: h5py.Dataset, source: ByteSource, nav_ndim: int) -> ArrayReader | None:
    """A byte-offset reader when the data is stored raw, else None."""
    plist = dset.id.get_create_plist()
    if plist.get_nfilters() or dset.is_virtual or plist.get_external_count() or dset.dtype.fields is not None:
        return None
    if dset.dtype.kind not in "biuf" or dset.size == 0:
        return None
    layout = plist.get_layout()
    if layout == h5py.h5d.CONTIGUOUS:
        offset = dset.id.get_offset()
        if offset is None:
            return None
        return OffsetReader(source, offset, dset.shape, dset.dtype, nav_ndim, label="HDF5")
    if layout == h5py.h5d.CHUNKED:
        chunks = tuple(dset.chunks)
        grid = tuple(-(-n // c) for n, c in zip(dset.shape, chunks))
        offsets = np.full(grid, -1, dtype=np.int64)
        expected = int(np.prod(chunks, dtype=np.int64)) * dset.dtype.itemsize
        sizes_ok = True

        def record(info: Any) -> None:
            nonlocal sizes_ok
            key = tuple(o // c for o, c in zip(info.chunk_offset, chunks))
            offsets[key] = info.byte_offset
            if info.size != expected or info.filter_mask:
                sizes_ok = False

        dset.id.chunk_iter(record)
        if not sizes_ok:
            return None
        fill = dset.fillvalue if dset.fillvalue is not None else 0
        return ChunkTableReader(source, dset.shape, dset.dtype, nav_ndim, chunks, offsets, fill, label="HDF5")
    return None


def reader_for(
    repository: Repository,
    path: str,
    dset: h5py.Dataset,
    nav_ndim: int,
    handle: tuple[h5py.File, Callable[[], None]],
) -> ArrayReader:
    """The fastest reader for ``dset``; closes ``handle`` unless h5py must keep reading."""
    source = ByteSource(repository, path)
    reader = fast_reader(dset, source, nav_ndim)
    if reader is not None:
        handle[1]()
        return reader
    return H5pyReader(
        H5Opener(repository, path),
        dset.name,
        tuple(dset.shape),
        dset.dtype,
        nav_ndim,
        tuple(dset.chunks) if dset.chunks else None,
        path,
        handle=handle,
    )


def list_hdf5(repository: Repository, path: str) -> list[dict[str, Any]]:
    handle, close = H5Opener(repository, path)()
    try:
        return list_arrays_in(handle)
    finally:
        close()


def h5_dataset(
    repository: Repository, path: str, dset: Any, handle: Any, fmt: str, nav_ndim: int,
    axes: list[Axis], metadata: dict[str, Any],
) -> Dataset:
    """The Dataset over one h5py dataset, read by the fastest reader its storage layout allows.

    Everything needed from ``dset`` is taken first: a byte-offset reader closes the HDF5 file.
    """
    shape = tuple(int(n) for n in dset.shape)
    chunks = tuple(int(c) for c in dset.chunks) if dset.chunks else None
    name = dset.name
    reader = reader_for(repository, path, dset, nav_ndim, handle)
    return Dataset(
        shape=shape,
        dtype=reader.dtype,  # type: ignore[attr-defined]
        nav_ndim=nav_ndim,
        format=fmt,
        reader=reader,
        chunks=chunks,
        internal_path=name,
        axes=axes,
        metadata=metadata,
    )


def open_hdf5(repository: Repository, path: str, dataset: str | None = None, fmt: str = "hdf5") -> Dataset:
    handle = H5Opener(repository, path)()
    try:
        dset = resolve(handle[0], dataset, path)
        attrs = dict(dset.attrs)
        shape = tuple(int(n) for n in dset.shape)
        nav_ndim = nav_ndim_from_attrs(attrs, len(shape))
        axes = axes_from_attrs(attrs, shape, nav_ndim)
        return h5_dataset(repository, path, dset, handle, fmt, nav_ndim, axes,
                          {"hdf5_attributes": attributes_of(dset)})
    except BaseException:
        handle[1]()
        raise
