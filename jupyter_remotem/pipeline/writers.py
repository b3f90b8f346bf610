"""Writers and readers of step products, one small class per format.

A writer knows its format's metadata (OME-XML axes and channel names, NGFF multiscales), writes a
value to a :class:`~.store.Store` atomically and reads it back for the steps downstream. Each one
declares its configuration (part of every target's key: changing a channel name redoes the
target), the libraries whose versions matter, and how it reaches a remote store: ``"direct"`` (one
PUT, or chunk by chunk into the store) or ``"local temporary"`` (written to a local file, then
uploaded in one piece). Dask arrays are written chunk by chunk, never materialised whole (except by
``Png``, ``Json`` and the table formats, whose values are small by nature).

Parquet tables use pyarrow, a dependency of this product (batch cutouts read Parquet tables too).
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import posixpath
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..formats.layouts import hspy_signal, nexus_data, write_hspy
from .errors import PipelineError
from .store import Store

#: Axis letters OME understands, in the order OME-Zarr requires.
OME_AXES = "TCZYX"


def _version(library: str) -> str | None:
    try:
        module = importlib.import_module(library)
    except ImportError:
        return None
    return str(getattr(module, "__version__", None))


def _is_dask(value: Any) -> bool:
    return type(value).__module__.startswith("dask.") and hasattr(value, "chunks")


def _array(value: Any, what: str) -> Any:
    if _is_dask(value):
        return value
    if hasattr(value, "__array__"):
        return np.asarray(value)
    raise PipelineError(f"{what} writes arrays; the step returned a {type(value).__name__}.",
                        hint="Return a numpy or dask array, or choose a writer for that type (Json, Csv).")


@dataclass(frozen=True)
class Writer:
    """The contract every format follows."""

    #: Libraries whose versions go into the key of every target this writer makes.
    libraries: ClassVar[tuple[str, ...]] = ("numpy",)
    #: How a remote store is reached: "direct" or "local temporary".
    remote: ClassVar[str] = "direct"
    #: Whether the target is a folder (committed only by its manifest on object stores).
    directory: ClassVar[bool] = False

    def identity(self) -> dict[str, Any]:
        config = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {"name": type(self).__name__, "config": json.loads(json.dumps(config, default=list)),
                "libraries": {name: _version(name) for name in self.libraries}}

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def read(self, store: Store, relative: str) -> Any:  # pragma: no cover
        raise NotImplementedError


def _dims_for(dims: str | None, ndim: int, writer: str) -> str:
    if dims is None:
        if ndim > len(OME_AXES):
            raise PipelineError(f"{writer}: a {ndim}-dimensional array needs dims=.", hint="For example dims='TCZYX'.")
        return OME_AXES[-ndim:]
    if len(dims) != ndim:
        raise PipelineError(f"{writer}: dims={dims!r} names {len(dims)} axes but the array has {ndim}.",
                            hint="Name one letter per axis, e.g. 'CZYX'.")
    return dims


@dataclass(frozen=True)
class OmeTiff(Writer):
    """OME-TIFF through tifffile, with the axes and channel names in its OME-XML."""

    dims: str | None = None
    channel_names: tuple[str, ...] | list[str] | None = None
    compression: str | None = None
    libraries: ClassVar[tuple[str, ...]] = ("numpy", "tifffile")
    remote: ClassVar[str] = "local temporary"

    def __post_init__(self) -> None:
        if self.channel_names is not None:
            object.__setattr__(self, "channel_names", tuple(str(n) for n in self.channel_names))
        if self.dims is not None and (set(self.dims) - set(OME_AXES + "S") or len(set(self.dims)) != len(self.dims)):
            raise PipelineError(f"OmeTiff: dims={self.dims!r} is not a set of OME axes ({OME_AXES}).",
                                hint="Use letters from TCZYX, each once.")

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        import tifffile

        data = _array(value, "OmeTiff")
        dims = _dims_for(self.dims, data.ndim, "OmeTiff")
        metadata: dict[str, Any] = {"axes": dims, "UUID": str(uuid.UUID(key[:32]))}
        if self.channel_names is not None:
            channels = data.shape[dims.index("C")] if "C" in dims else 1
            if len(self.channel_names) != channels:
                raise PipelineError(f"OmeTiff: {len(self.channel_names)} channel names for {channels} channels.",
                                    hint="Give one name per channel.")
            metadata["Channel"] = {"Name": list(self.channel_names)}
        with store.local_file(relative) as path:
            if _is_dask(data):
                # One plane at a time: tifffile takes an iterator of pages with the shape declared.
                planes = data.reshape((-1, *data.shape[-2:]))
                pages = (np.asarray(planes[i]) for i in range(planes.shape[0]))
                tifffile.imwrite(path, pages, shape=data.shape, dtype=data.dtype, ome=True, metadata=metadata,
                                 photometric="minisblack", compression=self.compression)
            else:
                tifffile.imwrite(path, data, ome=True, metadata=metadata, photometric="minisblack",
                                 compression=self.compression)

    def read(self, store: Store, relative: str) -> np.ndarray:
        import tifffile

        with store.open(relative) as handle, tifffile.TiffFile(handle) as tif:
            return tif.series[0].asarray()


@dataclass(frozen=True)
class OmeZarr(Writer):
    """OME-Zarr (NGFF 0.4) written with zarr v2: level "0" chunk by chunk, optional 2× downsampled levels
    in Y and X, the multiscales and omero channel metadata in the group's attributes."""

    dims: str | None = None
    channel_names: tuple[str, ...] | list[str] | None = None
    chunks: tuple[int, ...] | None = None
    levels: int = 1
    libraries: ClassVar[tuple[str, ...]] = ("numpy", "zarr", "numcodecs", "dask")
    remote: ClassVar[str] = "direct"
    directory: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.channel_names is not None:
            object.__setattr__(self, "channel_names", tuple(str(n) for n in self.channel_names))
        if self.chunks is not None:
            object.__setattr__(self, "chunks", tuple(int(c) for c in self.chunks))
        if self.dims is not None and (set(self.dims) - set(OME_AXES) or
                                      "".join(sorted(self.dims, key=OME_AXES.index)) != self.dims):
            raise PipelineError(f"OmeZarr: dims={self.dims!r} must be OME axes in the order {OME_AXES}.",
                                hint="NGFF 0.4 orders axes t, c, z, y, x; e.g. 'CZYX'.")
        if self.levels < 1:
            raise PipelineError("OmeZarr: levels must be at least 1.")

    def _metadata(self, dims: str, shape: tuple[int, ...], name: str) -> dict[str, Any]:
        kinds = {"T": "time", "C": "channel", "Z": "space", "Y": "space", "X": "space"}
        axes = [{"name": d.lower(), "type": kinds[d]} for d in dims]
        datasets = []
        for level in range(self.levels):
            scale = [float(2 ** level) if d in "YX" else 1.0 for d in dims]
            datasets.append({"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
        attrs: dict[str, Any] = {"multiscales": [{"version": "0.4", "name": name, "axes": axes, "datasets": datasets}]}
        if "C" in dims:
            count = shape[dims.index("C")]
            names = list(self.channel_names) if self.channel_names is not None else [f"c{i}" for i in range(count)]
            if len(names) != count:
                raise PipelineError(f"OmeZarr: {len(names)} channel names for {count} channels.",
                                    hint="Give one name per channel.")
            attrs["omero"] = {"version": "0.4", "channels": [{"label": n, "active": True} for n in names]}
        return attrs

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        import dask.array as da
        import zarr

        data = _array(value, "OmeZarr")
        dims = _dims_for(self.dims, data.ndim, "OmeZarr")
        if not _is_dask(data):
            data = da.from_array(data, chunks=self.chunks or data.shape)
        elif self.chunks is not None:
            data = data.rechunk(self.chunks)
        attrs = self._metadata(dims, data.shape, posixpath.basename(relative))
        with store.directory(relative) as (fs, root):
            mapper = _mapper(store, fs, root)
            group = zarr.group(store=mapper, overwrite=True)
            level = data
            for index in range(self.levels):
                if index:
                    factors = {axis: (2 if d in "YX" else 1) for axis, d in enumerate(dims)}
                    trimmed = level[tuple(slice(0, (n // 2) * 2) if d in "YX" else slice(None)
                                          for n, d in zip(level.shape, dims))]
                    level = da.coarsen(np.mean, trimmed, factors, trim_excess=True).astype(data.dtype)
                    level = level.rechunk(tuple(max(c) for c in level.chunks))
                array = group.create_dataset(str(index), shape=level.shape, dtype=level.dtype,
                                             chunks=tuple(max(c) if c else 1 for c in level.chunks),
                                             dimension_separator="/", overwrite=True)
                da.store(level, array, lock=False, scheduler="sync")
            group.attrs.update(attrs)

    def read(self, store: Store, relative: str) -> Any:
        import dask.array as da
        import zarr

        group = zarr.open_group(_mapper(store, store.fs, store.full(relative)), mode="r")
        return da.from_zarr(group["0"])


def _mapper(store: Store, fs: Any, root: str) -> Any:
    """A zarr store for a folder: zarr's own on local disks (it makes the nested chunk folders)."""
    if store.is_local:
        import zarr

        return zarr.storage.DirectoryStore(root, dimension_separator="/")
    return fs.get_mapper(root)


@dataclass(frozen=True)
class Png(Writer):
    """PNG through Pillow: 2-D grey (uint8/uint16) or Y×X×3/4 colour; floats scaled min–max to uint8."""

    scale: str = "minmax"
    libraries: ClassVar[tuple[str, ...]] = ("numpy", "PIL")
    remote: ClassVar[str] = "direct"

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        from PIL import Image

        data = np.asarray(_array(value, "Png"))
        if data.ndim not in (2, 3) or (data.ndim == 3 and data.shape[-1] not in (3, 4)):
            raise PipelineError(f"Png writes 2-D or Y×X×3/4 images; the step returned shape {data.shape}.",
                                hint="Project or select to two dimensions first.")
        if data.dtype.kind == "f" or data.dtype.kind == "b" or (data.dtype.kind in "iu" and
                                                              data.dtype not in (np.uint8, np.uint16)):
            if self.scale != "minmax":
                raise PipelineError(f"Png cannot store {data.dtype} without scaling.", hint="Use scale='minmax'.")
            data = data.astype(np.float64)
            low, high = np.nanmin(data), np.nanmax(data)
            span = high - low if high > low else 1.0
            data = np.nan_to_num(np.round((data - low) / span * 255.0)).astype(np.uint8)
        if data.dtype == np.uint16 and data.ndim == 3:
            raise PipelineError("Png stores 16 bits only for grey images.", hint="Convert colour images to uint8.")
        buffer = io.BytesIO()
        Image.fromarray(data).save(buffer, format="PNG")
        store.put_bytes(relative, buffer.getvalue())

    def read(self, store: Store, relative: str) -> np.ndarray:
        from PIL import Image

        with store.open(relative) as handle:
            return np.asarray(Image.open(io.BytesIO(handle.read())))


@dataclass(frozen=True)
class Npy(Writer):
    """NumPy's .npy: numpy arrays in one PUT; dask arrays chunk by chunk into a local memory map."""

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        import dask.array as da

        data = _array(value, "Npy")
        if _is_dask(data):
            with store.local_file(relative) as path:
                target = np.lib.format.open_memmap(path, mode="w+", dtype=data.dtype, shape=data.shape)
                da.store(data, target, lock=False, scheduler="sync")
                target.flush()
                del target
            return
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(data), allow_pickle=False)
        store.put_bytes(relative, buffer.getvalue())

    def read(self, store: Store, relative: str) -> np.ndarray:
        with store.open(relative) as handle:
            return np.load(io.BytesIO(handle.read()), allow_pickle=False)


@dataclass(frozen=True)
class Hdf5(Writer):
    """HDF5 through h5py: one dataset, written chunk by chunk from dask arrays; no timestamps (so equal
    data gives equal bytes)."""

    dataset: str = "data"
    compression: str | None = None
    libraries: ClassVar[tuple[str, ...]] = ("numpy", "h5py")
    remote: ClassVar[str] = "local temporary"

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        import dask.array as da
        import h5py

        data = _array(value, "Hdf5")
        with store.local_file(relative) as path, h5py.File(path, "w", track_order=False) as f:
            chunks = tuple(max(c) for c in data.chunks) if _is_dask(data) else None
            target = f.create_dataset(self.dataset, shape=data.shape, dtype=data.dtype, chunks=chunks,
                                      compression=self.compression, track_times=False)
            if _is_dask(data):
                da.store(data, target, lock=True, scheduler="sync")
            else:
                target[...] = data

    def read(self, store: Store, relative: str) -> np.ndarray:
        import h5py

        with store.open(relative) as handle, h5py.File(handle, "r") as f:
            return f[self.dataset][()]


#: The fields of an axis of ``Hspy`` and ``NeXus`` (an evenly spaced calibration).
AXIS_FIELDS = ("name", "units", "scale", "offset", "navigate")


def _axes_config(axes: Any, writer: str) -> tuple[tuple[Any, ...], ...] | None:
    """Axes given as names or dicts (``{"name", "units", "scale", "offset", "navigate"}``), kept as
    tuples in :data:`AXIS_FIELDS` order: hashable, and one canonical form for the target's key."""
    if axes is None:
        return None
    kept = []
    for axis in axes:
        if isinstance(axis, str):
            axis = {"name": axis}
        elif isinstance(axis, (tuple, list)) and len(axis) == len(AXIS_FIELDS):
            axis = dict(zip(AXIS_FIELDS, axis))
        if not isinstance(axis, dict) or set(axis) - set(AXIS_FIELDS):
            raise PipelineError(f"{writer}: an axis is a name or a dict with {', '.join(AXIS_FIELDS)}; got {axis!r}.",
                                hint="For example {'name': 'x', 'units': 'nm', 'scale': 0.5}.")
        navigate = axis.get("navigate")
        kept.append((str(axis.get("name") or ""), str(axis.get("units") or ""), float(axis.get("scale", 1.0)),
                     float(axis.get("offset", 0.0)), None if navigate is None else bool(navigate)))
    return tuple(kept)


def _axes_for(axes: tuple[tuple[Any, ...], ...] | None, shape: tuple[int, ...], writer: str) -> list[dict[str, Any]]:
    """One dict per array axis (unnamed pixel axes when the writer names none)."""
    if axes is None:
        return [{"name": "", "units": "", "scale": 1.0, "offset": 0.0, "navigate": None} for _ in shape]
    if len(axes) != len(shape):
        raise PipelineError(f"{writer}: {len(axes)} axes for a {len(shape)}-dimensional array.",
                            hint="Describe every axis of the array, in its order.")
    return [dict(zip(AXIS_FIELDS, axis)) for axis in axes]


@dataclass(frozen=True)
class NeXus(Writer):
    """NeXus (HDF5 through h5py): ``NXroot`` → ``NXentry`` → ``NXdata`` with its ``signal`` and
    ``axes`` attributes, one evenly spaced coordinate dataset per named axis (with ``units``) and
    ``<axis>_indices``; the ``default`` attributes lead a reader from the root to the plot. Dask
    arrays are written chunk by chunk; no timestamps, so equal data gives equal bytes."""

    axes: Any = None
    signal: str = "data"
    entry: str = "entry"
    title: str | None = None
    compression: str | None = None
    libraries: ClassVar[tuple[str, ...]] = ("numpy", "h5py")
    remote: ClassVar[str] = "local temporary"

    def __post_init__(self) -> None:
        object.__setattr__(self, "axes", _axes_config(self.axes, "NeXus"))
        for what in ("signal", "entry"):
            name = getattr(self, what)
            if not name or "/" in name or name == ".":
                raise PipelineError(f"NeXus: {what}={name!r} is not a plain HDF5 name.", hint="Use e.g. 'data'.")

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        import dask.array as da
        import h5py

        data = _array(value, "NeXus")
        axes = _axes_for(self.axes, data.shape, "NeXus")
        names = [axis["name"] or "." for axis in axes]
        named = [n for n in names if n != "."]
        if len(set(named)) != len(named) or self.signal in named:
            raise PipelineError(f"NeXus: axis names {named} must differ from each other and from the signal.",
                                hint="Name each axis once, e.g. ['y', 'x'].")
        with store.local_file(relative) as path, h5py.File(path, "w") as f:
            chunks = tuple(max(c) for c in data.chunks) if _is_dask(data) else None
            _, target = nexus_data(f, axes, data.shape, data.dtype, creator="jupyter_remotem.pipeline",
                                   entry=self.entry, signal=self.signal, title=self.title, chunks=chunks,
                                   compression=self.compression)
            if _is_dask(data):
                da.store(data, target, lock=True, scheduler="sync")
            else:
                target[...] = data

    def read(self, store: Store, relative: str) -> np.ndarray:
        import h5py

        with store.open(relative) as handle, h5py.File(handle, "r") as f:
            group = f[self.entry]["data"]
            return group[group.attrs["signal"]][()]


@dataclass(frozen=True)
class Hspy(Writer):
    """HyperSpy's ``.hspy`` through rosettasciio's hspy plugin (no HyperSpy needed to write it):
    calibrated axes, the title, the provenance-free layout ``hs.load`` opens as a plain signal. Axes
    that navigate come first in the array (HyperSpy's order); without ``navigate`` flags the last
    ``min(ndim, 2)`` axes are the signal. Dask arrays are written chunk by chunk."""

    axes: Any = None
    title: str = ""
    signal_type: str = ""
    compression: str | None = None
    libraries: ClassVar[tuple[str, ...]] = ("numpy", "h5py", "rsciio")
    remote: ClassVar[str] = "local temporary"

    def __post_init__(self) -> None:
        object.__setattr__(self, "axes", _axes_config(self.axes, "Hspy"))

    def _signal_axes(self, shape: tuple[int, ...]) -> list[dict[str, Any]]:
        axes = _axes_for(self.axes, shape, "Hspy")
        flags = [axis["navigate"] for axis in axes]
        if all(flag is None for flag in flags):
            signal = min(len(shape), 2)
            flags = [i < len(shape) - signal for i in range(len(shape))]
        elif any(flag is None for flag in flags):
            raise PipelineError("Hspy: give navigate= for every axis or for none.")
        if any(later and not earlier for earlier, later in zip(flags, flags[1:])):
            raise PipelineError("Hspy: navigation axes come first in the array (HyperSpy keeps them so).",
                                hint="Transpose the array so that the axes with navigate=True lead.")
        return [{"name": axis["name"] or f"axis{i}", "units": axis["units"], "scale": axis["scale"],
                 "offset": axis["offset"], "size": size, "navigate": flag}
                for i, (axis, size, flag) in enumerate(zip(axes, shape, flags))]

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        import dask

        data = _array(value, "Hspy")
        signal = hspy_signal(data, self._signal_axes(data.shape), title=self.title, signal_type=self.signal_type,
                             lazy=_is_dask(data))
        with store.local_file(relative) as path, dask.config.set(scheduler="sync"):
            write_hspy(path, signal, compression=self.compression)

    def read(self, store: Store, relative: str) -> np.ndarray:
        import h5py

        with store.open(relative) as handle, h5py.File(handle, "r") as f:
            experiments = f["Experiments"]
            return experiments[next(iter(experiments))]["data"][()]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass(frozen=True)
class Json(Writer):
    """JSON with sorted keys (numpy scalars and arrays as numbers and lists)."""

    libraries: ClassVar[tuple[str, ...]] = ()

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        try:
            text = json.dumps(value, sort_keys=True, indent=1, default=_plain, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise PipelineError(f"Json cannot store the step's result: {error}.",
                                hint="Return dicts, lists, strings and finite numbers.") from error
        store.put_bytes(relative, text.encode())

    def read(self, store: Store, relative: str) -> Any:
        with store.open(relative) as handle:
            return json.loads(handle.read())


def _frame(value: Any, writer: str):
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, dict):
        return pd.DataFrame(value)
    raise PipelineError(f"{writer} writes tables; the step returned a {type(value).__name__}.",
                        hint="Return a pandas DataFrame or a dict of equal-length lists.")


@dataclass(frozen=True)
class Csv(Writer):
    """A table as CSV (pandas), without the index."""

    libraries: ClassVar[tuple[str, ...]] = ("pandas",)

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        store.put_bytes(relative, _frame(value, "Csv").to_csv(index=False, lineterminator="\n").encode())

    def read(self, store: Store, relative: str):
        import pandas as pd

        with store.open(relative) as handle:
            return pd.read_csv(io.BytesIO(handle.read()))


@dataclass(frozen=True)
class Parquet(Writer):
    """A table as Parquet (pandas with pyarrow, a dependency of this package)."""

    engine: str = field(default="auto")
    libraries: ClassVar[tuple[str, ...]] = ("pandas", "pyarrow")

    def write(self, value: Any, store: Store, relative: str, key: str) -> None:
        buffer = io.BytesIO()
        _frame(value, "Parquet").to_parquet(buffer, engine=self.engine, index=False)
        store.put_bytes(relative, buffer.getvalue())

    def read(self, store: Store, relative: str):
        import pandas as pd

        with store.open(relative) as handle:
            return pd.read_parquet(io.BytesIO(handle.read()), engine=self.engine)


#: The writer a target's name implies when a step gives none (longest suffix first).
BY_SUFFIX: tuple[tuple[str, type[Writer]], ...] = (
    (".ome.tiff", OmeTiff), (".ome.tif", OmeTiff), (".ome.zarr", OmeZarr), (".png", Png), (".npy", Npy),
    (".h5", Hdf5), (".hdf5", Hdf5), (".nxs", NeXus), (".nx5", NeXus), (".hspy", Hspy), (".json", Json), (".csv", Csv),
    (".parquet", Parquet),
)


def writer_for(target: str) -> Writer:
    for suffix, kind in BY_SUFFIX:
        if target.lower().endswith(suffix):
            return kind()
    raise PipelineError(f"No writer is known for the target {target!r}.",
                        hint="Pass writer=... (OmeTiff, OmeZarr, Png, Npy, Hdf5, NeXus, Hspy, Json, Csv, Parquet).")
