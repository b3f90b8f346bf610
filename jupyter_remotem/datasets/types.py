"""Every dataset type, declared once: its name, what people call it, the preview that shows it,
and how it is recognised from what the catalog knows of the file.

The lab and the client read this list from ``GET datasets/types``; the server guesses a type
when a dataset is registered without one, and the owner may set another at any time (a 3-D
array is an image stack to the reader, a reconstruction to the person who made it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: What the guess looks at: the file's format key (None for a plain folder or an unknown file),
#: whether it is a folder, and the first array's shape, navigation dimensions and dtype kind.
Facts = dict[str, Any]


@dataclass(frozen=True)
class DatasetType:
    name: str
    label: str
    #: The view the lab opens: "viewer" (the 4-D viewer), "volume" (slices and volume rendering),
    #: "image", "table", "files" (the tree's own listing).
    preview: str
    description: str
    recognise: Callable[[Facts], bool] = lambda facts: False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "preview": self.preview, "description": self.description}


def _shape(facts: Facts) -> tuple[int, ...]:
    return tuple(facts.get("shape") or ())


TYPES: tuple[DatasetType, ...] = (
    DatasetType("4d-stem", "4D-STEM scan", "viewer", "A diffraction frame per scan position (2-D scan, 2-D frames).",
                lambda f: len(_shape(f)) == 4 and f.get("nav_ndim") == 2),
    DatasetType("spectrum-image", "Spectrum image", "viewer", "A spectrum per scan position (2-D scan, 1-D signal).",
                lambda f: len(_shape(f)) == 3 and f.get("nav_ndim") == 2),
    DatasetType("image-stack", "Image stack", "viewer", "A series of 2-D images (time, tilt or focus).",
                lambda f: len(_shape(f)) == 3 and f.get("nav_ndim") in (0, 1, None)),
    DatasetType("volume", "Volume", "volume", "A 3-D reconstruction (tomography, serial sections)."),
    DatasetType("label-volume", "Segmented volume", "volume",
                "A 3-D array of integer labels, one per segmented region, shown with a label colour map."),
    DatasetType("image", "Image", "image", "One 2-D image or picture.",
                lambda f: len(_shape(f)) == 2 or f.get("format") in ("png", "jpeg")),
    DatasetType("fits-image", "FITS image", "image", "A sky image with its WCS (FITS).",
                lambda f: f.get("format") == "fits"),
    DatasetType("table", "Table", "table", "Rows and columns (CSV, Parquet).",
                lambda f: f.get("format") in ("csv", "parquet")),
    DatasetType("folder", "Folder", "files", "Any folder of files.", lambda f: bool(f.get("folder"))),
    DatasetType("file", "File", "files", "Any other file.", lambda f: True),
)

BY_NAME: dict[str, DatasetType] = {kind.name: kind for kind in TYPES}


def guess(facts: Facts) -> DatasetType:
    """The first type that recognises ``facts`` (order matters: the most specific first)."""
    return next(kind for kind in TYPES if kind.recognise(facts))


def facts_of(repository: Any, entry: Any) -> Facts:
    """What :func:`guess` looks at, for a listing entry of ``repository``: an array file is
    opened (as the indexer does) for its first array's shape and navigation dimensions."""
    from ..catalog.indexer import records_of

    facts: Facts = {"format": entry.format, "folder": entry.type == "directory" and entry.format is None}
    if entry.format is not None:
        described = next((record for record in records_of(repository, entry) if record.shape), None)
        if described is not None:
            facts |= {"shape": described.shape, "nav_ndim": described.nav_ndim, "dtype": described.dtype}
    return facts
