"""HyperSpy's own formats: ``.hspy`` (HDF5) and ``.zspy`` (Zarr).

rsciio's hierarchical readers interpret the ``Experiments/<title>`` layout (axes, metadata,
original_metadata, across file-format versions); we run them on a handle we opened ourselves,
so the same code serves local and remote repositories, and then read the ``data`` array through
our own HDF5/Zarr readers (byte-offset fast path for uncompressed ``.hspy``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import hdf5, zarr_store
from .axes import axes_from_hyperspy
from .dataset import Axis, Dataset
from .jsonable import jsonable
from .readers import ZarrReader

if TYPE_CHECKING:
    from ..storage.repository import Repository

EXPERIMENTS = "Experiments"


def _experiments(group: Any) -> list[str]:
    if EXPERIMENTS not in group:
        return []
    experiments = group[EXPERIMENTS]
    return sorted(name for name in experiments.keys() if "data" in experiments[name])


def _pick(experiments: list[str], dataset: str | None) -> int | None:
    """Index of the experiment asked for; None when ``dataset`` names some other array."""
    if dataset in (None, ""):
        return 0 if experiments else None
    wanted = "/" + str(dataset).strip("/")
    for i, name in enumerate(experiments):
        if wanted in (f"/{EXPERIMENTS}/{name}/data", f"/{EXPERIMENTS}/{name}"):
            return i
    return None


def _signal_description(
    signals: list[dict[str, Any]], index: int, shape: tuple[int, ...]
) -> tuple[list[Axis], int, dict[str, Any]]:
    signal = signals[index] if index < len(signals) else {}
    axes, nav_ndim = axes_from_hyperspy(signal.get("axes") or [], shape)
    metadata = {
        "metadata": jsonable(signal.get("metadata") or {}),
        "original_metadata": jsonable(signal.get("original_metadata") or {}),
    }
    return axes, nav_ndim, metadata


def open_hspy(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    from rsciio.hspy._api import HyperspyReader

    handle = hdf5.H5Opener(repository, path)()
    try:
        experiments = _experiments(handle[0])
        index = _pick(experiments, dataset)
        if index is None:
            handle[1]()
            return hdf5.open_hdf5(repository, path, dataset, fmt="hspy")
        signals = HyperspyReader(handle[0]).read(lazy=True)
        dset = hdf5.resolve(handle[0], f"/{EXPERIMENTS}/{experiments[index]}/data", path)
        shape = tuple(int(n) for n in dset.shape)
        axes, nav_ndim, metadata = _signal_description(signals, index, shape)
        metadata["hdf5_attributes"] = hdf5.attributes_of(dset)
        del signals
        return hdf5.h5_dataset(repository, path, dset, handle, "hspy", nav_ndim, axes, metadata)
    except BaseException:
        handle[1]()
        raise


def open_zspy(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    from rsciio.zspy._api import ZspyReader

    root = zarr_store.open_store(repository, path)
    experiments = _experiments(root) if not hasattr(root, "shape") else []
    index = _pick(experiments, dataset)
    if index is None:
        return zarr_store.open_zarr(repository, path, dataset, fmt="zspy")
    signals = ZspyReader(root).read(lazy=True)
    name = f"/{EXPERIMENTS}/{experiments[index]}/data"
    array, name = zarr_store.resolve(root, name, path)
    shape = tuple(int(n) for n in array.shape)
    axes, nav_ndim, metadata = _signal_description(signals, index, shape)
    metadata["compression"] = zarr_store.compression_of(array)
    reader = ZarrReader(array, nav_ndim, path)
    return Dataset(
        shape=shape,
        dtype=np.dtype(reader.dtype),
        nav_ndim=nav_ndim,
        format="zspy",
        reader=reader,
        chunks=tuple(int(c) for c in array.chunks),
        internal_path=name,
        axes=axes,
        metadata=metadata,
    )
