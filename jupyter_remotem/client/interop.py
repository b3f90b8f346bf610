"""Hand-overs to the ecosystem: dask arrays, xarray with calibrated coordinates, HyperSpy signals.

Each import happens on first use, so the client stays light for users who need none of them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .geometry import Axis, Geometry

if TYPE_CHECKING:
    from .analysis import Reduced
    from .dataset import RemoteDataset

#: Default bytes per dask chunk: large enough to amortise a round trip, small enough to parallelise.
DASK_CHUNK_BYTES = 32 << 20


# -- dask -------------------------------------------------------------------------------------
class _RemoteSlicer:
    """What ``dask.array.from_array`` reads from: ``shape``, ``dtype`` and ``__getitem__`` over HTTP."""

    def __init__(self, dataset: RemoteDataset) -> None:
        self.dataset = dataset
        self.shape = dataset.shape
        self.dtype = dataset.dtype
        self.ndim = len(dataset.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.dataset[key]


def default_chunks(geometry: Geometry, storage_chunks: tuple[int, ...] | None) -> tuple[int, ...]:
    """Whole frames, whole inner scan rows, and as many outer rows as fit ``DASK_CHUNK_BYTES`` —
    rounded to the file's own chunking along the outer axis so no stored chunk is read twice."""
    shape = geometry.shape
    if not shape:
        return ()
    row_bytes = max(1, math.prod(shape[1:]) * geometry.dtype.itemsize)
    rows = max(1, min(shape[0], DASK_CHUNK_BYTES // row_bytes))
    if storage_chunks and storage_chunks[0] and rows >= storage_chunks[0]:
        rows -= rows % storage_chunks[0]
    return (rows,) + tuple(shape[1:])


def remote_dask_array(dataset: RemoteDataset, chunks: Any = "auto") -> Any:
    import dask.array as da

    if chunks == "auto":
        chunks = default_chunks(dataset.geometry, dataset.chunks)
    slicer = _RemoteSlicer(dataset)
    name = f"remotem-{dataset.repository}-{dataset.path}-{dataset.dataset or ''}-{id(dataset):x}"
    return da.from_array(slicer, chunks=chunks, name=name, asarray=False, fancy=False, lock=False,
                         meta=np.empty((0,) * len(dataset.shape), dtype=dataset.dtype))


# -- xarray -----------------------------------------------------------------------------------
def _coords(axes: tuple[Axis, ...] | list[Axis]) -> dict[str, Any]:
    import xarray as xr

    return {a.name: xr.Variable(a.name, a.coordinates(), attrs={"units": a.units} if a.units else {}) for a in axes}


def array_to_xarray(array: np.ndarray, geometry: Geometry, metadata: dict[str, Any] | None = None) -> Any:
    """A whole dataset (or a slice of the same shape) with one calibrated coordinate per axis."""
    import xarray as xr

    return xr.DataArray(array, dims=[a.name for a in geometry.axes], coords=_coords(geometry.axes),
                        attrs={"metadata": metadata or {}})


def _dims_for(name: str, array: np.ndarray, geometry: Geometry, fft: bool,
              declared: dict[str, Any] | None) -> tuple[list[str], list[Axis]]:
    """Which axes a result array lies on: as its declaration says (over the scan, the frame or
    neither, then its further named axes), or guessed from its shape for an undeclared one."""
    places = {"scan": geometry.nav_axes, "frame": geometry.sig_axes, "single": ()}
    if declared is not None and declared.get("place") in places:
        axes = tuple(places[declared["place"]])
        extra = [dim["name"] for dim in declared.get("dims") or []]
        if array.shape[:len(axes)] == tuple(a.size for a in axes) and array.ndim == len(axes) + len(extra):
            if fft:
                return [f"freq_{a.name}" for a in axes] + extra, []
            return [a.name for a in axes] + extra, list(axes)
    nav, sig = geometry.nav_axes, geometry.sig_axes
    for axes in (nav, sig):
        n = len(axes)
        if n and array.shape[:n] == tuple(a.size for a in axes):
            extra = [f"{name}_{i}" if array.ndim - n > 1 else f"{name}_index" for i in range(array.ndim - n)]
            if fft:
                return [f"freq_{a.name}" for a in axes] + extra, []
            return [a.name for a in axes] + extra, list(axes)
    return [f"{name}_dim{i}" for i in range(array.ndim)], []


def reduction_to_xarray(reduced: Reduced, geometry: Geometry, field: str | None,
                        declared: dict[str, dict[str, Any]] | None = None) -> Any:
    """One array as a DataArray, or all arrays as a Dataset, with coordinates and units from
    the axes, and dims named as the operation declares its outputs (``declared``, by name)."""
    import xarray as xr

    def one(name: str) -> Any:
        array = reduced.arrays[name]
        dims, axes = _dims_for(name, array, geometry, reduced.fft, (declared or {}).get(name))
        attrs = {"operation": reduced.operation, "step": reduced.step, **reduced.attributes}
        unit = ((declared or {}).get(name) or {}).get("unit")
        if unit:
            attrs["units"] = unit
        coords = _coords(axes)
        # A declared axis with a coordinate output (a profile's radius) gets its values.
        for dim in ((declared or {}).get(name) or {}).get("dims") or []:
            values = reduced.arrays.get(dim.get("coordinate") or "")
            if dim["name"] in dims and values is not None and np.ndim(values) == 1 \
                    and len(values) == array.shape[dims.index(dim["name"])]:
                coords[dim["name"]] = xr.Variable(dim["name"], np.asarray(values),
                                                  attrs={"units": dim["unit"]} if dim.get("unit") else {})
        return xr.DataArray(array, dims=dims, coords=coords, name=name, attrs=attrs)

    if field is not None:
        return one(field)
    return xr.Dataset({name: one(name) for name in reduced.arrays},
                      attrs={"operation": reduced.operation, "primary": reduced.primary, "step": reduced.step})


# -- HyperSpy ---------------------------------------------------------------------------------
def hyperspy_axes(geometry: Geometry) -> list[dict[str, Any]]:
    """Axes in array order as HyperSpy's constructors take them."""
    return [{"name": a.name, "size": a.size, "scale": a.scale, "offset": a.offset,
             "units": a.units or None, "navigate": a.navigate} for a in geometry.axes]


def hyperspy_signal(dataset: Any, lazy: bool = True) -> Any:
    """A Signal2D (frames) / Signal1D (spectra) / BaseSignal of ``dataset``: lazy over the server's
    chunks for a remote dataset, in memory for a local one."""
    import hyperspy.api as hs

    geometry = dataset.geometry
    data = dataset.to_dask() if lazy else np.asarray(dataset.to_numpy())
    n_sig = len(geometry.sig_shape)
    classes = {2: "Signal2D", 1: "Signal1D"}
    name = classes.get(n_sig, "BaseSignal")
    cls = getattr(hs.signals, ("Lazy" + name) if lazy and name != "BaseSignal" else name)
    metadata = {"General": {"title": getattr(dataset, "path", "") or "remotem dataset"}}
    signal = cls(data, axes=hyperspy_axes(geometry), metadata=metadata,
                 original_metadata={"remotem": _plain(dataset.metadata)})
    if lazy and name == "BaseSignal":
        signal = signal.as_lazy()
    return signal


def _plain(value: Any) -> Any:
    """Metadata as nested dicts of plain values (HyperSpy's DictionaryTreeBrowser wants those)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
