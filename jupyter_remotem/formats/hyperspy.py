"""HyperSpy's own formats: ``.hspy`` (HDF5) and ``.zspy`` (Zarr).

rsciio's hierarchical readers interpret the ``Experiments/<title>`` layout (axes, metadata,
original_metadata, across file-format versions); we run them on a handle we opened ourselves,
so the same code serves local and remote repositories, and then read the ``data`` array through
our own HDF5/Zarr readers (byte-offset fast path for uncompressed ``.hspy``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from h5py import h5l

from . import hdf5, hdf5_links, zarr_store
from .axes import axes_from_hyperspy
from .dataset import Axis, Dataset
from .jsonable import jsonable
from .readers import ZarrReader

if TYPE_CHECKING:
    from ..storage.repository import Repository

EXPERIMENTS = "Experiments"


def _has(group: Any, name: str, hard: bool = False) -> bool:
    """``name in group`` without following a link (h5py's ``in`` opens an external link's file);
    ``hard``: only a hard link counts, so that the group can be opened without following one."""
    links = getattr(getattr(group, "id", None), "links", None)
    if links is None:
        return name in group  # a zarr group: its store is contained already
    key = name.encode()
    return bool(links.exists(key)) and (not hard or links.get_info(key).type == h5l.TYPE_HARD)


def _experiments(group: Any) -> list[str]:
    if not _has(group, EXPERIMENTS, hard=True):
        return []
    experiments = group[EXPERIMENTS]
    return sorted(name for name in experiments.keys()
                  if _has(experiments, name, hard=True) and _has(experiments[name], "data"))


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


def _self_contained(group: Any) -> bool:
    """True when nothing under ``group`` refers to another file or place: rsciio's reader walks
    it with h5py's own link rules and reads small arrays (axes, learning results) at once, so a
    tree with external links or external/virtual storage is read as plain HDF5 instead, through
    :mod:`.hdf5_links` (HyperSpy itself never writes such files)."""
    import h5py

    foreign: list[str] = []

    def visit(name: str, link: Any) -> None:
        if isinstance(link, (h5py.ExternalLink, h5py.SoftLink)):
            foreign.append(name)

    group.visititems_links(visit)
    if foreign:
        return False
    datasets: list[Any] = []
    group.visititems(lambda _name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
    return all(hdf5_links.is_plain(dset) for dset in datasets)


def open_hspy(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    from rsciio.hspy._api import HyperspyReader

    handle = hdf5_links.open_file(repository, path)
    try:
        experiments = _experiments(handle[0])
        index = _pick(experiments, dataset)
        if index is None or not _self_contained(handle[0][EXPERIMENTS]):
            handle[1]()
            return hdf5.open_hdf5(repository, path, dataset, fmt="hspy")
        signals = HyperspyReader(handle[0]).read(lazy=True)
        found = hdf5.resolve(repository, path, handle, f"/{EXPERIMENTS}/{experiments[index]}/data")
        dset = found.node
        shape = tuple(int(n) for n in dset.shape)
        axes, nav_ndim, metadata = _signal_description(signals, index, shape)
        metadata["hdf5_attributes"] = hdf5.attributes_of(dset)
        del signals
        return hdf5.h5_dataset(repository, found, "hspy", nav_ndim, axes, metadata)
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
