"""HDF5 files (.h5, .hdf5, .nxs, .emd): structure through h5py, data by byte offset when possible.

h5py costs tens of microseconds per call and serialises all reads under one global lock, which
dominates frame-by-frame access to a 4D scan.  Uncompressed data sits at plain byte offsets:
contiguous datasets at ``get_offset()``, chunked ones at the offsets of the chunk index.  Those
are read with :class:`~.readers.OffsetReader` / :class:`~.readers.ChunkTableReader` (memory map
locally, ranged reads remotely); compressed, filtered or virtual data goes through h5py.  Paths
inside the file, external links, external storage and VDS sources are resolved by
:mod:`.hdf5_links`, which keeps every read inside the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from ..errors import BadParameter, CorruptFile, RemotemError, UnsupportedFormat
from ..storage.containment import OutsideRepository
from .axes import axes_from_attrs, nav_ndim_from_attrs
from .dataset import ArrayReader, Axis, Dataset
from .hdf5_links import Handle, Located, describe_outside, locate, located, open_file, storage_of
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

    def __call__(self) -> Handle:
        return open_file(self.repository, self.path)


class DatasetOpener:
    """Opens one dataset of one file, walking its path again: the file may have changed since it
    was first opened, and readers reopen it in other processes."""

    def __init__(self, repository: Repository, path: str, name: str) -> None:
        self.repository = repository
        self.path = path
        self.name = name

    def __call__(self) -> tuple[h5py.Dataset, Callable[[], None]]:
        handle = open_file(self.repository, self.path)
        try:
            found = locate(self.repository, self.path, handle, self.name)
        except BaseException:
            handle[1]()
            raise
        if found.handle is not handle:
            handle[1]()
        try:
            return readable(self.repository, found), found.handle[1]
        except BaseException:
            found.handle[1]()
            raise


def readable(repository: Repository, found: Located) -> h5py.Dataset:
    """The located dataset, once every file its bytes come from is known to be inside.

    h5py then reads external storage and VDS sources itself, finding relative names from the
    file's own folder (:mod:`.hdf5_links` sets HDF5's prefixes so), where they were checked."""
    dset = found.node
    if not isinstance(dset, h5py.Dataset):
        raise BadParameter(f"'{found.name}' in '{found.path}' is a group, not an array.")
    storage = storage_of(repository, found.path, dset)
    if storage.other_files and not repository.is_local:
        raise UnsupportedFormat(
            f"'{found.name}' in '{found.path}' keeps its data in other files ({storage.kind} storage), which is "
            "read only from repositories on this machine's disks.",
            hint="Copy the file and the files it refers to into a local repository (a copy job), then open it there.",
        )
    return dset


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


#: External links followed while listing, and entries listed, at most (a file may link in circles).
LIST_HOPS = 2
LIST_ENTRIES = 10_000


def list_arrays_in(repository: Repository, path: str, handle: Handle) -> list[dict[str, Any]]:
    """Every numeric array with at least one dimension, sorted by path; arrays behind external
    links are listed with the file they are in, those whose data is outside the repository as
    ``outside_repository`` with the reason (never opened)."""
    found: list[dict[str, Any]] = []
    _list_group(repository, path, handle[0]["/"], "", found, LIST_HOPS)
    return sorted(found, key=lambda item: item["path"])


def _list_group(repository: Repository, path: str, group: h5py.Group, prefix: str,
                found: list[dict[str, Any]], hops: int) -> None:
    def visit(name: str, obj: Any) -> None:
        if len(found) < LIST_ENTRIES and is_array(obj):
            found.append(_describe(repository, path, prefix + "/" + name, obj))

    group.visititems(visit)
    if hops <= 0:
        return
    external: list[str] = []  # links below groups reached by hard links (h5py never follows them here)
    group.visititems_links(lambda name, link: external.append(name) if isinstance(link, h5py.ExternalLink) else None)
    for name in external:
        if len(found) >= LIST_ENTRIES:
            return
        shown = prefix + "/" + name
        try:
            with located(repository, path, (group.file, lambda: None), group.name.rstrip("/") + "/" + name) as target:
                if isinstance(target.node, h5py.Group):
                    _list_group(repository, target.path, target.node, shown, found, hops - 1)
                elif is_array(target.node):
                    found.append(dict(_describe(repository, target.path, shown, target.node), file=target.path))
        except OutsideRepository as error:
            found.append(describe_outside(shown, error))
        except RemotemError:
            continue  # a dangling or unreadable link is simply not an array


def _describe(repository: Repository, path: str, name: str, dset: h5py.Dataset) -> dict[str, Any]:
    try:
        storage_of(repository, path, dset)
    except OutsideRepository as error:
        return describe_outside(name, error)
    except RemotemError:
        pass  # unreadable references are reported when the array is opened
    return describe_array(name, dset, filters(dset))


def choose_default(arrays: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The largest array with ≥2 dimensions (first in name order on ties), else the largest;
    never one whose data is outside the repository."""
    arrays = [a for a in arrays if not a.get("outside_repository")]
    candidates = [a for a in arrays if len(a["shape"]) >= 2] or arrays
    best = None
    for array in candidates:  # already sorted by path, so '>' keeps the first on ties
        if best is None or np.prod(array["shape"], dtype=np.int64) > np.prod(best["shape"], dtype=np.int64):
            best = array
    return best


def resolve(repository: Repository, path: str, handle: Handle, dataset: str | None) -> Located:
    """The dataset asked for, or the default one, found where it really is (see :func:`locate`),
    with 403/404/400/415 as the case demands."""
    if dataset in (None, ""):
        arrays = list_arrays_in(repository, path, handle)
        choice = choose_default(arrays)
        outside = [a for a in arrays if a.get("outside_repository")]
        if choice is None and outside:
            raise OutsideRepository(outside[0]["reason"], arrays=arrays)
        if choice is None:
            raise UnsupportedFormat(
                f"'{path}' is an HDF5 file without any numeric array.",
                hint="It holds only groups, scalars or strings; choose a file with array data.",
            )
        dataset = choice["path"]
    found = locate(repository, path, handle, str(dataset))
    try:
        obj, name = found.node, found.name
        if isinstance(obj, h5py.Group):
            raise BadParameter(f"'{name}' in '{path}' is a group, not an array.", hint="Name a dataset inside it.")
        if not isinstance(obj, h5py.Dataset) or obj.shape is None or len(obj.shape) == 0:
            raise BadParameter(f"'{name}' in '{path}' is a scalar, not an array.")
        if obj.dtype.kind not in NUMERIC_KINDS:
            raise UnsupportedFormat(f"'{name}' in '{path}' holds {obj.dtype} values, not numbers.")
        storage_of(repository, found.path, obj)  # refuses data outside before anything reads it
        return found
    except BaseException:
        if found.handle is not handle:
            found.handle[1]()
        raise


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


def reader_for(repository: Repository, found: Located, nav_ndim: int) -> ArrayReader:
    """The fastest reader for the located dataset, reading the file its bytes are really in;
    closes ``found.handle`` unless h5py must keep reading."""
    dset = found.node
    storage = storage_of(repository, found.path, dset)
    reader: ArrayReader | None = None
    if storage.kind == "plain":
        reader = fast_reader(dset, ByteSource(repository, found.path), nav_ndim)
    elif storage.one_segment is not None and dset.dtype.kind in "biuf" and dset.size:
        segment = storage.one_segment
        if segment.size < dset.size * dset.dtype.itemsize:
            raise CorruptFile(f"The external storage of '{dset.name}' in '{found.path}' holds fewer bytes "
                              f"({segment.size}) than the array needs.")
        reader = OffsetReader(ByteSource(repository, segment.path), segment.offset, dset.shape, dset.dtype,
                              nav_ndim, label="HDF5 external storage")
    if reader is not None:
        found.handle[1]()
        return reader
    handle = (readable(repository, found), found.handle[1])
    return H5pyReader(DatasetOpener(repository, found.path, dset.name), tuple(dset.shape), dset.dtype, nav_ndim,
                      tuple(dset.chunks) if dset.chunks else None, found.path, handle=handle)


def list_hdf5(repository: Repository, path: str) -> list[dict[str, Any]]:
    handle = open_file(repository, path)
    try:
        return list_arrays_in(repository, path, handle)
    finally:
        handle[1]()


def h5_dataset(
    repository: Repository, found: Located, fmt: str, nav_ndim: int, axes: list[Axis], metadata: dict[str, Any],
) -> Dataset:
    """The Dataset over one located h5py dataset, read by the fastest reader its storage allows.

    Everything needed from the dataset is taken first: a byte-offset reader closes the HDF5 file.
    """
    dset = found.node
    shape = tuple(int(n) for n in dset.shape)
    chunks = tuple(int(c) for c in dset.chunks) if dset.chunks else None
    name = dset.name
    if found.hops:
        metadata = dict(metadata, linked_file=found.path)
    reader = reader_for(repository, found, nav_ndim)
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
    handle = open_file(repository, path)
    try:
        found = resolve(repository, path, handle, dataset)
    except BaseException:
        handle[1]()
        raise
    if found.handle is not handle:
        handle[1]()  # the data is in another file of the repository: this one is done with
    try:
        dset = found.node
        attrs = dict(dset.attrs)
        shape = tuple(int(n) for n in dset.shape)
        nav_ndim = nav_ndim_from_attrs(attrs, len(shape))
        axes = axes_from_attrs(attrs, shape, nav_ndim)
        return h5_dataset(repository, found, fmt, nav_ndim, axes, {"hdf5_attributes": attributes_of(dset)})
    except BaseException:
        found.handle[1]()
        raise


#: Values a dataset may hold to count as a field of the file (a motor position, an energy, a name).
FIELD_VALUES = 64
#: Fields read per file at most.
MAX_FIELDS = 2000


def small_fields(repository: Repository, path: str) -> list[tuple[str, Any, str | None]]:
    """``(path, value, units)`` of the file's small datasets — the scalars and short arrays NeXus
    and instruments write as fields (``/entry/instrument/energy``, a motor position) — for the
    catalog.  Only data stored in the file itself is read: datasets whose data is in external
    files, and virtual datasets, are left out, as are links (never followed here)."""
    handle = open_file(repository, path)
    found: list[tuple[str, Any, str | None]] = []

    def visit(name: str, obj: Any) -> None:
        if len(found) >= MAX_FIELDS or not isinstance(obj, h5py.Dataset) or obj.size > FIELD_VALUES:
            return
        if obj.external or obj.is_virtual or obj.dtype.kind not in "biufSUO":
            return
        try:
            value = obj[()]
        except (OSError, TypeError, ValueError):  # unreadable or of a type numpy cannot hold
            return
        units = obj.attrs.get("units")
        units = units.decode("utf-8", "replace") if isinstance(units, bytes) else units
        found.append(("/" + name, value, units if isinstance(units, str) else None))

    try:
        handle[0].visititems(visit)
    finally:
        handle[1]()
    return found
