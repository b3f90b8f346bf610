"""Zarr v2 stores (a ``.zarr`` folder), on any filesystem fsspec reaches.

The store is opened through ``repository.fs.get_mapper`` so that S3 and WebDAV repositories
work exactly like local ones; zarr itself fetches and decompresses only the chunks touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import zarr

from ..errors import BadParameter, CorruptFile, NotFound, UnsupportedFormat
from .axes import axes_from_attrs, nav_ndim_from_attrs
from .dataset import Dataset
from .hdf5 import NUMERIC_KINDS, choose_default, describe_array
from .jsonable import jsonable
from .readers import ZarrReader

if TYPE_CHECKING:
    from ..storage.repository import Repository


def open_store(repository: Repository, path: str) -> zarr.Array | zarr.Group:
    mapper = repository.fs.get_mapper(repository.full_path(path))
    try:
        return zarr.open(mapper, mode="r")
    except (zarr.errors.PathNotFoundError, KeyError, ValueError) as error:
        raise CorruptFile(
            f"'{path}' is not a readable Zarr store: no .zarray or .zgroup metadata ({type(error).__name__}).",
            hint="Check that the folder was written completely by zarr (version 2 format).",
        ) from error


def compression_of(array: zarr.Array) -> str | None:
    codecs = [getattr(f, "codec_id", str(f)) for f in (array.filters or [])]
    if array.compressor is not None:
        codec = array.compressor
        name = getattr(codec, "codec_id", str(codec))
        cname = getattr(codec, "cname", None)
        codecs.append(f"{name}/{cname}" if cname else name)
    return "+".join(codecs) or None


def _is_array(obj: Any) -> bool:
    return isinstance(obj, zarr.Array) and len(obj.shape) > 0 and np.dtype(obj.dtype).kind in NUMERIC_KINDS


def list_arrays_in(root: zarr.Array | zarr.Group) -> list[dict[str, Any]]:
    if isinstance(root, zarr.Array):
        return [describe_array("/", root, compression_of(root))] if _is_array(root) else []
    found: list[dict[str, Any]] = []

    def visit(name: str, obj: Any) -> None:
        if _is_array(obj):
            found.append(describe_array("/" + name, obj, compression_of(obj)))

    root.visititems(visit)
    return sorted(found, key=lambda item: item["path"])


def list_zarr(repository: Repository, path: str) -> list[dict[str, Any]]:
    return list_arrays_in(open_store(repository, path))


def resolve(root: zarr.Array | zarr.Group, dataset: str | None, path: str) -> tuple[zarr.Array, str]:
    if isinstance(root, zarr.Array):
        if dataset not in (None, "", "/"):
            raise BadParameter(f"'{path}' is a single Zarr array; it has no internal dataset '{dataset}'.")
        if not _is_array(root):
            raise UnsupportedFormat(f"'{path}' holds {root.dtype} values or a scalar, not a numeric array.")
        return root, "/"
    if dataset in (None, ""):
        choice = choose_default(list_arrays_in(root))
        if choice is None:
            raise UnsupportedFormat(f"'{path}' is a Zarr group without any numeric array.")
        dataset = choice["path"]
    name = str(dataset).strip("/")
    if name not in root:
        raise NotFound(f"'{path}' has no array '/{name}'.", hint="List the store's arrays to see the available paths.")
    obj = root[name]
    if isinstance(obj, zarr.Group):
        raise BadParameter(f"'/{name}' in '{path}' is a group, not an array.", hint="Name an array inside it.")
    if not _is_array(obj):
        raise BadParameter(f"'/{name}' in '{path}' is not a numeric array with at least one dimension.")
    return obj, "/" + name


def attributes_of(root: zarr.Array | zarr.Group, name: str) -> dict[str, Any]:
    """Attributes of the array and its parent groups, keyed by path (root first)."""
    if isinstance(root, zarr.Array):
        return {"/": jsonable(root.attrs.asdict())} if len(root.attrs) else {}
    parts = [p for p in name.strip("/").split("/") if p]
    result: dict[str, Any] = {}
    for depth in range(len(parts) + 1):
        node_path = "/".join(parts[:depth])
        node = root[node_path] if node_path else root
        if len(node.attrs):
            result["/" + node_path] = jsonable(node.attrs.asdict())
    return result


def dataset_from_array(array: zarr.Array, name: str, path: str, fmt: str, metadata: dict[str, Any]) -> Dataset:
    shape = tuple(int(n) for n in array.shape)
    attrs = array.attrs.asdict()
    nav_ndim = nav_ndim_from_attrs(attrs, len(shape))
    reader = ZarrReader(array, nav_ndim, path)
    return Dataset(
        shape=shape,
        dtype=reader.dtype,
        nav_ndim=nav_ndim,
        format=fmt,
        reader=reader,
        chunks=tuple(int(c) for c in array.chunks),
        internal_path=name,
        axes=axes_from_attrs(attrs, shape, nav_ndim),
        metadata=metadata,
    )


def open_zarr(repository: Repository, path: str, dataset: str | None = None, fmt: str = "zarr") -> Dataset:
    root = open_store(repository, path)
    array, name = resolve(root, dataset, path)
    metadata = {"zarr_attributes": attributes_of(root, name), "compression": compression_of(array)}
    return dataset_from_array(array, name, path, fmt, metadata)
