"""Reading back the provenance a result file carries, whatever its format.

Reopening a saved result in the viewer needs the request that made it (dataset, operation,
parameters, pipeline) and the view it was saved from.  Results carry that record themselves, so
a file that was copied or moved away from the job store still reopens; each format keeps it
where its own tools look (see :mod:`jupyter_remotem.jobs.result_formats`).
"""

from __future__ import annotations

import json
from typing import Any

from ..storage.repository import Repository
from ..file_formats import detect_format

#: HDF5 attribute, HyperSpy ``original_metadata`` entry and PNG text chunk holding the record.
PROVENANCE_KEY = "remotem_provenance"
#: Bytes of a TIFF or PNG header searched for the record (it sits in the first page / chunks).
_HEADER_BYTES = 1 << 20


def read_provenance(repository: Repository, path: str) -> dict[str, Any] | None:
    """The provenance record of a result file, or None for files that have none."""
    fmt = detect_format(path)
    try:
        if fmt in ("hdf5", "hspy"):
            return _from_hdf5(repository, path)
        if fmt == "npy":
            if not repository.exists(path + ".json"):
                return None
            with repository.open(path + ".json") as f:
                return _record(json.load(f).get("provenance"))
        if fmt == "tiff":
            return _from_tiff(repository, path)
        if fmt == "image" and path.lower().endswith(".png"):  # the one picture format with text chunks
            return _from_png(repository, path)
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return None
    return None


def _record(value: Any) -> dict[str, Any] | None:
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, dict) and "provenance" in value and "operation" not in value:
        value = value["provenance"]
    return value if isinstance(value, dict) and "operation" in value else None


def _from_hdf5(repository: Repository, path: str) -> dict[str, Any] | None:
    from .hdf5_links import open_file  # h5py only when an HDF5 file is asked about

    f, close = open_file(repository, path)
    try:
        if PROVENANCE_KEY in f.attrs:
            return _record(f.attrs[PROVENANCE_KEY])
        experiments = f.get("Experiments")
        for name in experiments or []:
            original = experiments[name].get("original_metadata")
            if original is not None and PROVENANCE_KEY in original.attrs:
                return _record(original.attrs[PROVENANCE_KEY])
        return None
    finally:
        close()


def _from_tiff(repository: Repository, path: str) -> dict[str, Any] | None:
    import tifffile

    with repository.open(path) as raw, tifffile.TiffFile(raw) as tiff:
        return _record(tiff.pages[0].description)


def _from_png(repository: Repository, path: str) -> dict[str, Any] | None:
    from PIL import Image

    with repository.open(path) as raw, Image.open(raw) as picture:
        return _record(picture.info.get(PROVENANCE_KEY))
