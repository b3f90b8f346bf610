"""Every file format the server knows, declared once.

One :class:`FileFormat` per format says how it is recognised (suffixes, file or folder), what it
is called, what the lab does with it (a dataset, a picture, a JSON record), which functions open
and list it, and how it is read where the data lives.  Everything else derives from this list:
format detection in folder listings, the openers, the labels in error messages, the ``dataset``
flag of listing entries and ``GET formats`` for the lab and scripts.

Openers are named, not imported (``"hdf5:open_hdf5"`` in :mod:`.formats`): storage detects
formats for every listing and must not import h5py, zarr or rosettasciio to do it.  So this table
lies outside both packages and imports neither: :mod:`.storage` and :mod:`.formats` both read it,
and neither needs the other to know what a file is.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

#: The package whose modules the openers and listers are named in.
READERS = "jupyter_remotem.formats"

Kind = Literal["dataset", "picture", "record"]


@dataclass(frozen=True)
class FileFormat:
    key: str
    label: str
    suffixes: tuple[str, ...]
    #: "dataset" opens in the viewer; a "picture" or "record" (JSON) opens in JupyterLab's own viewers.
    kind: Kind
    #: Stored as a folder (Zarr) rather than a file.
    folder: bool = False
    #: ``"module:function"`` in this package opening one array as a Dataset (datasets only).
    opener: str | None = None
    #: ``"module:function"`` listing a container's arrays without opening each; None: one array.
    lister: str | None = None
    #: How the bytes are read on remote storage (S3, WebDAV), in a sentence for people.
    remote: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "suffixes": list(self.suffixes),
            "kind": self.kind,
            "folder": self.folder,
            "lists_arrays": self.lister is not None,
            "remote": self.remote,
        }


_RANGES = "by byte ranges: only the headers and the frames asked for are fetched"
_STAND_IN = ("headers parsed from a sparse local stand-in of a few ranged reads, then frames by byte "
             "ranges; nothing else is downloaded")

FORMATS: tuple[FileFormat, ...] = (
    FileFormat("hdf5", "HDF5", (".h5", ".hdf5", ".hdf", ".nxs", ".emd"), "dataset",
               opener="hdf5:open_hdf5", lister="hdf5:list_hdf5",
               remote="uncompressed data by byte ranges (contiguous or from the chunk index); compressed, filtered "
                      "or virtual data through h5py"),
    FileFormat("hspy", "HyperSpy .hspy", (".hspy",), "dataset", opener="hyperspy:open_hspy",
               lister="hdf5:list_hdf5", remote="as HDF5, with HyperSpy's axes and metadata"),
    FileFormat("zspy", "HyperSpy .zspy", (".zspy",), "dataset", folder=True, opener="hyperspy:open_zspy",
               lister="zarr_store:list_zarr", remote="as Zarr, with HyperSpy's axes and metadata"),
    FileFormat("zarr", "Zarr", (".zarr",), "dataset", folder=True, opener="zarr_store:open_zarr",
               lister="zarr_store:list_zarr", remote="chunk by chunk, each chunk one object"),
    FileFormat("npy", "NPY", (".npy",), "dataset", opener="npy:open_npy", remote=_RANGES),
    FileFormat("raw", "raw binary", (".raw", ".bin"), "dataset", opener="raw:open_raw",
               remote=_RANGES + " (shape and dtype from the JSON sidecar)"),
    FileFormat("mib", "Merlin MIB", (".mib",), "dataset", opener="mib:open_mib", remote=_STAND_IN),
    FileFormat("dm", "DigitalMicrograph", (".dm3", ".dm4"), "dataset", opener="dm:open_dm", remote=_STAND_IN),
    FileFormat("blo", "blockfile", (".blo",), "dataset", opener="blockfile:open_blo", remote=_STAND_IN),
    FileFormat("tiff", "TIFF", (".tif", ".tiff"), "dataset", opener="tiff:open_tiff", lister="tiff:list_tiff",
               remote="plain pages by byte ranges, tiled or compressed pages page by page"),
    FileFormat("image", "picture", (".png", ".jpg", ".jpeg", ".gif"), "picture"),
    FileFormat("json", "JSON", (".json",), "record"),
)

BY_KEY: dict[str, FileFormat] = {fmt.key: fmt for fmt in FORMATS}

#: Keys of the formats stored as a folder rather than a file.
DIRECTORY_FORMATS = frozenset(fmt.key for fmt in FORMATS if fmt.folder)

#: Keys of the formats that open as datasets.
DATASET_FORMATS = frozenset(fmt.key for fmt in FORMATS if fmt.kind == "dataset")

# Longest suffix first, so that a longer one is never shadowed by its own ending.
_SUFFIXES = sorted(((suffix, fmt) for fmt in FORMATS for suffix in fmt.suffixes), key=lambda item: -len(item[0]))


def detect_format(name: str, is_directory: bool = False) -> str | None:
    """The format key for ``name``, or None when it is none of these: the lab then opens the file,
    by its extension, in JupyterLab's own viewers (text in the editor, CSV as a table).  A folder
    has a format only when that format is stored as a folder."""
    lower = name.lower().rstrip("/")
    for suffix, fmt in _SUFFIXES:
        if lower.endswith(suffix):
            return fmt.key if fmt.folder or not is_directory else None
    return None


def opens_as_dataset(fmt: str | None, is_directory: bool) -> bool:
    """Whether an entry of format ``fmt`` opens as a dataset (in the viewer) rather than a folder."""
    declared = BY_KEY.get(fmt or "")
    return declared is not None and declared.kind == "dataset" and (not is_directory or declared.folder)


@cache
def _function(reference: str) -> Callable[..., Any]:
    module, name = reference.split(":")
    return getattr(importlib.import_module(f"{READERS}.{module}"), name)


def opener_of(key: str) -> Callable[..., Any] | None:
    """The function opening one array of a ``key`` file as a Dataset; None when it is no dataset."""
    reference = BY_KEY[key].opener if key in BY_KEY else None
    return _function(reference) if reference else None


def lister_of(key: str) -> Callable[..., list[dict[str, Any]]] | None:
    reference = BY_KEY[key].lister if key in BY_KEY else None
    return _function(reference) if reference else None


def formats_json() -> list[dict[str, Any]]:
    """``GET formats``: every format the server knows."""
    return [fmt.to_json() for fmt in FORMATS]
