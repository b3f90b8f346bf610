"""The formats a transformation job writes its dataset in, declared once: HDF5 (the job's own
slab file), NeXus, a TIFF stack, HyperSpy's ``.hspy``, Zarr and CSV.

Every job first writes the slab file (resumable slab by slab, see :mod:`.transform_runner`); an
export to another format is then one streaming pass over it, a few rows of frames at a time, into
the target under its temporary name.  A crash during that pass only repeats the pass.  Each format
keeps the calibrated axes and the provenance where its own tools look:

- NeXus: ``NXroot`` (``default`` → ``entry``) → ``NXentry`` (``default`` → ``data``) → ``NXdata``
  with ``signal``, ``axes``, ``<axis>_indices`` and one coordinate array per axis with its
  ``units``; the provenance in an ``NXnote`` (``/entry/provenance``); the data also carries this
  project's axis attributes, so it reopens here with the same axes;
- TIFF: one page per frame (the scan flattened, in C order), the shape (as tifffile reads it back),
  axes and provenance as JSON in the first page's ImageDescription;
- ``.hspy``: a HyperSpy signal with the calibrated axes (scan axes navigating), the provenance in
  ``original_metadata``, written from a lazy (dask) view so it never holds the whole dataset;
- Zarr (version 2, a ``.zarr`` folder): the array ``data`` in chunks of whole frames, compressed by
  zarr's default (Blosc), with this project's axis attributes on it and the provenance as JSON on
  the root group; the one export that is a folder (:attr:`ExportFormat.folder`), recorded in the
  job's ledger file by file so that quotas and clean-ups count every chunk;
- CSV: 1-D and 2-D datasets of at most :data:`CSV_MAX_VALUES` values, a header naming the axes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..errors import BadParameter
from ..formats.axes import axes_attributes, axes_from_attrs
from ..formats.dataset import Axis
from ..formats.hdf5_writer import DATASET
from ..formats.jsonable import jsonable
from ..formats.layouts import hspy_signal, nexus_data
from ..formats.layouts import write_hspy as write_hspy_file

#: The largest CSV written (values): beyond it a table is no longer something to open in a sheet.
CSV_MAX_VALUES = 10_000_000
#: Bytes of frames copied at once.
COPY_BYTES = 64 * 1024**2


@dataclass(frozen=True)
class ExportFormat:
    key: str
    endings: tuple[str, ...]
    description: str
    #: ``write(slab_file, target, record)``; None for HDF5, which is the slab file itself.
    write: Callable[[Path, Path, dict[str, Any]], None] | None
    #: The array's path inside the written file, where it has one.
    dataset: str | None = None
    #: Why a dataset of ``(shape, nav_ndim, dtype)`` cannot be written so (None: it can).
    refuses: Callable[[tuple[int, ...], int, np.dtype], str | None] | None = None
    #: Written as a folder of files (Zarr), not one file: moved, uploaded and removed whole.
    folder: bool = False

    def check(self, shape: tuple[int, ...], nav_ndim: int, dtype: np.dtype) -> None:
        """A 400 before any job runs when the output cannot hold this dataset."""
        reason = self.refuses(tuple(shape), nav_ndim, np.dtype(dtype)) if self.refuses else None
        if reason is not None:
            others = [key for key in EXPORT_FORMATS if key != self.key]
            raise BadParameter(f"A {self.key} output cannot hold this dataset: {reason}.",
                               hint=f"Choose another format: {', '.join(others)}.")


def _source(slab_file: Path) -> tuple[h5py.File, h5py.Dataset, list[Axis], int]:
    handle = h5py.File(slab_file, "r")
    data = handle[DATASET]
    attrs = dict(data.attrs)
    nav_ndim = int(attrs.get("nav_ndim", max(0, data.ndim - 2)))
    return handle, data, axes_from_attrs(attrs, data.shape, nav_ndim), nav_ndim


def _rows(data: h5py.Dataset) -> int:
    """Indices of the first axis copied at once."""
    row_bytes = max(1, math.prod(data.shape[1:]) * data.dtype.itemsize)
    return max(1, COPY_BYTES // row_bytes)


def _provenance_json(record: dict[str, Any]) -> str:
    return json.dumps(jsonable(record), sort_keys=True)


def write_nexus(slab_file: Path, target: Path, record: dict[str, Any]) -> None:
    handle, data, axes, nav_ndim = _source(slab_file)
    with handle, h5py.File(target, "w") as out:
        chunks = (1,) + data.shape[1:] if data.ndim > 1 else None
        entry, signal = nexus_data(out, [_axis_dict(axis) for axis in axes], data.shape, data.dtype,
                                   creator="jupyter_remotem", chunks=chunks)
        signal.attrs.update(axes_attributes(axes, nav_ndim))
        step = _rows(data)
        for start in range(0, data.shape[0], step):
            signal[start:start + step] = data[start:start + step]
        note = entry.create_group("provenance")
        note.attrs["NX_class"] = "NXnote"
        note.create_dataset("type", data="application/json")
        note.create_dataset("data", data=_provenance_json(record))


def _axis_dict(axis: Axis, navigate: bool | None = None) -> dict[str, Any]:
    return {"name": axis.name, "size": axis.size, "scale": axis.scale, "offset": axis.offset,
            "units": axis.units, "navigate": navigate}


def write_tiff(slab_file: Path, target: Path, record: dict[str, Any]) -> None:
    import tifffile

    handle, data, axes, nav_ndim = _source(slab_file)
    with handle:
        # tifffile reads a JSON description's "shape" as the series' shape: the stack reopens as the scan.
        description = json.dumps({"shape": list(data.shape), "remotem": {"scan_shape": list(data.shape[:nav_ndim]),
                                              **axes_attributes(axes, nav_ndim)},
                                   "remotem_provenance": json.loads(_provenance_json(record))})
        frames = int(np.prod(data.shape[:nav_ndim]))
        step = _rows(data)
        with tifffile.TiffWriter(target, bigtiff=data.nbytes > 2**31) as tif:
            def pages() -> Any:
                for start in range(0, data.shape[0], step):
                    block = np.asarray(data[start:start + step])
                    yield from block.reshape((-1,) + block.shape[-2:])

            tif.write(pages(), shape=(frames,) + data.shape[-2:], dtype=data.dtype, description=description,
                      metadata=None, contiguous=True)


def write_hspy(slab_file: Path, target: Path, record: dict[str, Any]) -> None:
    import dask.array as da

    handle, data, axes, nav_ndim = _source(slab_file)
    with handle:
        lazy = da.from_array(data, chunks=(max(1, _rows(data)),) + data.shape[1:])
        title = f"{record.get('operation', 'export')} of {(record.get('input') or {}).get('path', '')}"
        write_hspy_file(target, hspy_signal(
            lazy, [_axis_dict(axis, index < nav_ndim) for index, axis in enumerate(axes)], title=title,
            original_metadata={"remotem_provenance": _provenance_json(record)}, lazy=True))


#: Bytes of a Zarr chunk at most (whole frames, as many as fit, at least one).
ZARR_CHUNK_BYTES = 16 * 1024**2


def _zarr_chunks(shape: tuple[int, ...], nav_ndim: int, itemsize: int) -> tuple[int, ...]:
    """Chunks of whole frames along the last scan axis (a row of frames, or part of one), as
    many as fit in :data:`ZARR_CHUNK_BYTES`: a frame is one read, a scan row a few."""
    if nav_ndim == 0 or not shape:
        return tuple(shape) or ()
    frame = math.prod(shape[nav_ndim:]) * itemsize
    along = max(1, min(shape[nav_ndim - 1], ZARR_CHUNK_BYTES // max(1, frame)))
    return (1,) * (nav_ndim - 1) + (along,) + tuple(shape[nav_ndim:])


def write_zarr(slab_file: Path, target: Path, record: dict[str, Any]) -> None:
    import zarr

    handle, data, axes, nav_ndim = _source(slab_file)
    with handle:
        root = zarr.open_group(zarr.DirectoryStore(str(target)), mode="w")
        root.attrs.update({"creator": "jupyter_remotem", "remotem_provenance": _provenance_json(record)})
        array = root.create_dataset("data", shape=data.shape, dtype=data.dtype,
                                    chunks=_zarr_chunks(data.shape, nav_ndim, data.dtype.itemsize))
        array.attrs.update(axes_attributes(axes, nav_ndim))
        step = _rows(data)
        for start in range(0, data.shape[0] if data.ndim else 0, step):
            array[start:start + step] = data[start:start + step]
        if data.ndim == 0:
            array[()] = data[()]


def _csv_refuses(shape: tuple[int, ...], nav_ndim: int, dtype: np.dtype) -> str | None:
    if len(shape) > 2 or math.prod(shape) > CSV_MAX_VALUES or dtype.kind not in "biuf":
        return (f"CSV holds 1-D and 2-D tables of real numbers up to {CSV_MAX_VALUES:,} values, and this dataset "
                f"is {list(shape)} {dtype}")
    return None


def _tiff_refuses(shape: tuple[int, ...], nav_ndim: int, dtype: np.dtype) -> str | None:
    if len(shape) - nav_ndim != 2:
        return f"a TIFF stack holds 2-D frames, and these have shape {list(shape[nav_ndim:])}"
    return None


def write_csv(slab_file: Path, target: Path, record: dict[str, Any]) -> None:
    handle, data, axes, _ = _source(slab_file)
    with handle:
        table = np.asarray(data[()])
    table = table[:, None] if table.ndim == 1 else table
    header = " ; ".join(f"{axis.name} [{axis.units}] from {axis.offset:g} by {axis.scale:g}" for axis in axes)
    np.savetxt(target, table, delimiter=",", header=f"{header} ; provenance {_provenance_json(record)}",
               fmt="%.17g" if table.dtype.kind == "f" else "%d")


EXPORT_FORMATS: dict[str, ExportFormat] = {f.key: f for f in (
    ExportFormat("hdf5", (".h5", ".hdf5"), "HDF5: /data with calibrated axes as attributes (the job's own file)", None,
                 "/" + DATASET),
    ExportFormat("nexus", (".nxs", ".nx5"), "NeXus: NXentry/NXdata with signal, axes and units, NXnote provenance",
                 write_nexus, "/entry/data/data"),
    ExportFormat("tiff", (".tif", ".tiff"), "TIFF: one page per frame, axes and provenance in ImageDescription",
                 write_tiff, refuses=_tiff_refuses),
    ExportFormat("hspy", (".hspy",), "HyperSpy: a signal with its calibrated axes", write_hspy),
    ExportFormat("zarr", (".zarr",), "Zarr (v2): a folder with the array /data in chunks of frames, its calibrated "
                 "axes as attributes and the provenance on the group", write_zarr, "/data", folder=True),
    ExportFormat("csv", (".csv",), "CSV: a 1-D or 2-D table with a header naming the axes", write_csv,
                 refuses=_csv_refuses),
)}


def export_format_of(key: str, path: str) -> ExportFormat:
    """The export format of a transformation's output (``key``, or from the path's ending)."""
    fmt = EXPORT_FORMATS.get(key) if key else next(
        (f for f in EXPORT_FORMATS.values() if path.lower().endswith(f.endings)), None)
    if fmt is None:
        raise BadParameter(f"A transformation writes {', '.join(EXPORT_FORMATS)}; not {key or path!r}.",
                           hint="Give the output one of those formats, or a path ending in "
                                + ", ".join(e for f in EXPORT_FORMATS.values() for e in f.endings) + ".")
    return fmt
