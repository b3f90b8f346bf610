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


#: Units of length: a 3-D array calibrated in one of them along all three axes is a volume
#: (an image stack's first axis is time, tilt, focus or a frame number).
LENGTH_UNITS = frozenset({"pm", "Å", "A", "nm", "µm", "um", "μm", "mm", "cm", "m"})
#: Distinct values in a sampled plane up to which an integer 3-D array reads as labels.
MAX_SAMPLED_LABELS = 64


def _volumetric(facts: Facts) -> bool:
    axes = facts.get("axes") or []
    units = {str(axis.get("units")) for axis in axes}
    return len(_shape(facts)) == 3 and len(axes) == 3 and len(units) == 1 and units <= LENGTH_UNITS


def _labels(facts: Facts) -> bool:
    """A 3-D array of integers with few distinct values (in the plane sampled by :func:`facts_of`)."""
    distinct = facts.get("distinct")
    integer = str(facts.get("dtype", "")).startswith(("int", "uint"))
    return (len(_shape(facts)) == 3 and facts.get("nav_ndim") != 2 and integer
            and distinct is not None and distinct <= MAX_SAMPLED_LABELS)


TYPES: tuple[DatasetType, ...] = (
    DatasetType("4d-stem", "4D-STEM scan", "viewer", "A diffraction frame per scan position (2-D scan, 2-D frames).",
                lambda f: len(_shape(f)) == 4 and f.get("nav_ndim") == 2),
    DatasetType("spectrum-image", "Spectrum image", "viewer", "A spectrum per scan position (2-D scan, 1-D signal).",
                lambda f: len(_shape(f)) == 3 and f.get("nav_ndim") == 2),
    DatasetType("label-volume", "Segmented volume", "volume",
                "A 3-D array of integer labels, one per segmented region, shown with a label colour map.", _labels),
    DatasetType("volume", "Volume", "volume", "A 3-D reconstruction (tomography, serial sections).", _volumetric),
    DatasetType("image-stack", "Image stack", "viewer", "A series of 2-D images (time, tilt or focus).",
                lambda f: len(_shape(f)) == 3 and f.get("nav_ndim") in (0, 1, None)),
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
            facts |= {"shape": described.shape, "nav_ndim": described.nav_ndim, "dtype": described.dtype,
                      "axes": described.axes}
            if len(described.shape or ()) == 3 and str(described.dtype).startswith(("int", "uint")):
                facts["distinct"] = _distinct_in_middle_plane(repository, entry.path, described.dataset or None)
    return facts


def _distinct_in_middle_plane(repository: Any, path: str, dataset: str | None) -> int | None:
    """Distinct values in the middle plane of a 3-D integer array, sampled on at most 256 × 256
    points: labels have a few, an image has many (None when it cannot be read)."""
    import numpy as np

    from ..errors import RemotemError
    from ..formats import open_dataset

    try:
        with open_dataset(repository, path, dataset) as opened:
            nz, ny, nx = opened.shape
            plane = opened.read((nz // 2, slice(None, None, -(-ny // 256)), slice(None, None, -(-nx // 256))))
            return int(np.unique(np.asarray(plane)).size)
    except RemotemError:
        return None
