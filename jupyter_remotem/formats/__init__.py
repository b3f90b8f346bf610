"""Open scientific files as lazy, chunked arrays with calibrations and metadata.

``open_dataset(repository, path, dataset=None)`` returns a :class:`Dataset` whose reader fetches
only what is asked for; ``list_arrays(repository, path)`` lists the arrays inside a file.
Supported: HDF5 (.h5/.hdf5/.nxs/.emd), HyperSpy .hspy/.zspy, Zarr, NPY, raw binary with a JSON
sidecar, Merlin .mib, DigitalMicrograph .dm3/.dm4, blockfiles (.blo) and TIFF (.tif/.tiff: page
stacks, ImageJ hyperstacks, OME-TIFF, tiled or compressed images).
"""

from __future__ import annotations

from .dataset import ArrayReader, Axis, Dataset
from ..file_formats import detect_format
from .open import format_of, list_arrays, open_dataset

__all__ = ["ArrayReader", "Axis", "Dataset", "detect_format", "format_of", "list_arrays", "open_dataset"]
