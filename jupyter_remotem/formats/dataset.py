"""The contract between file formats and everything that reads data.

A :class:`Dataset` is a lazy view of one N-dimensional array in one file: its geometry, its
metadata and an :class:`ArrayReader` that fetches only the part asked for.  Nothing here reads
the whole file; callers choose how much to read (a preview samples frames, a reduction walks
partitions), and each format supplies the cheapest reader it can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ArrayReader(Protocol):
    """Reads parts of one array.  Implementations must be safe to call from several threads."""

    def read(self, selection: tuple[slice | int, ...]) -> np.ndarray:
        """Return ``array[selection]`` as a numpy array (basic indexing only)."""

    def read_frames(self, flat_nav_indices: np.ndarray) -> np.ndarray:
        """Return frames at the given flat (C-order) scan indices, shape ``(n, *sig_shape)``."""

    def to_dask(self) -> Any:
        """A dask array over the same data, chunked along the scan."""

    def close(self) -> None:
        """Release files and handles."""


@dataclass(frozen=True)
class Axis:
    """Calibration of one array axis, in the hyperspy sense (value = offset + scale * index)."""

    name: str
    size: int
    scale: float = 1.0
    offset: float = 0.0
    units: str = "px"
    navigate: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "scale": self.scale,
            "offset": self.offset,
            "units": self.units,
            "navigate": self.navigate,
        }


class ScanGeometry:
    """The navigation/signal split of an array, shared by datasets and their readers."""

    shape: tuple[int, ...]
    nav_ndim: int

    @property
    def nav_shape(self) -> tuple[int, ...]:
        return self.shape[: self.nav_ndim]

    @property
    def sig_shape(self) -> tuple[int, ...]:
        return self.shape[self.nav_ndim :]

    @property
    def n_frames(self) -> int:
        return int(np.prod(self.nav_shape, dtype=np.int64))


@dataclass
class Dataset(ScanGeometry):
    """A lazily opened array with its navigation/signal split and metadata."""

    shape: tuple[int, ...]
    dtype: np.dtype
    nav_ndim: int
    format: str
    reader: ArrayReader
    chunks: tuple[int, ...] | None = None
    internal_path: str | None = None
    axes: list[Axis] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: What the format says a frame is: "image" (a picture, e.g. a TIFF page), or None when it
    #: says nothing (a viewer then goes by the frame axes' units: a 3-D array may be a line
    #: scan of diffraction patterns or a stack of images).
    frame_kind: str | None = None


    @property
    def frame_nbytes(self) -> int:
        return int(np.prod(self.sig_shape, dtype=np.int64)) * self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.n_frames * self.frame_nbytes

    def read(self, selection: tuple[slice | int, ...]) -> np.ndarray:
        return self.reader.read(selection)

    def read_frames(self, flat_nav_indices: np.ndarray) -> np.ndarray:
        indices = np.asarray(flat_nav_indices, dtype=np.int64).ravel()
        return self.reader.read_frames(indices)

    def to_dask(self) -> Any:
        return self.reader.to_dask()

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary served by the ``meta`` endpoint."""
        return {
            "format": self.format,
            "dataset": self.internal_path,
            "shape": list(self.shape),
            "dtype": self.dtype.str,
            "dtype_name": self.dtype.name,
            "nav_shape": list(self.nav_shape),
            "sig_shape": list(self.sig_shape),
            "chunks": list(self.chunks) if self.chunks else None,
            "nbytes": self.nbytes,
            "axes": [axis.to_json() for axis in self.axes],
            "metadata": self.metadata,
            "frame_kind": self.frame_kind,
        }
