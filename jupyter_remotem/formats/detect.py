"""Guess a file's format from its name, cheaply enough for every row of a folder listing."""

from __future__ import annotations

SUFFIX_FORMATS: dict[str, str] = {
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".hdf": "hdf5",
    ".nxs": "hdf5",
    ".emd": "hdf5",
    ".hspy": "hspy",
    ".zspy": "zspy",
    ".npy": "npy",
    ".raw": "raw",
    ".bin": "raw",
    ".zarr": "zarr",
    ".mib": "mib",
    ".dm3": "dm",
    ".dm4": "dm",
    ".blo": "blo",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".json": "json",
}

#: Formats stored as a folder rather than a file.
DIRECTORY_FORMATS = {"zarr", "zspy"}


def detect_format(name: str, is_directory: bool = False) -> str | None:
    """Return the format key for ``name`` (a dataset format, "tiff" included, or "json" or "image"
    for files the lab shows otherwise), or None when it is none of these: the lab opens such files,
    by their extension, in JupyterLab's own viewers (text in the editor, CSV as a table)."""
    lower = name.lower().rstrip("/")
    for suffix, fmt in SUFFIX_FORMATS.items():
        if lower.endswith(suffix):
            if is_directory and fmt not in DIRECTORY_FORMATS:
                return None
            return fmt
    return None
