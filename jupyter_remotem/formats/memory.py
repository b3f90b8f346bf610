"""A numpy array in memory as a :class:`Dataset`, so that every operation runs on it unchanged.

Previews reduce a sample of frames already read; a notebook reduces a small local array with the
same plans and kernels as the server.  Both go through this one adapter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .axes import default_nav_ndim, pixel_axes
from .dataset import Dataset
from .readers import BaseReader
from .selection import Selection


class ArrayReader(BaseReader):
    """Reads from an in-memory array; partitions are zero-copy views."""

    def __init__(self, array: np.ndarray, nav_ndim: int, label: str = "array") -> None:
        self.array = np.ascontiguousarray(array)
        self._setup(self.array.shape, self.array.dtype, nav_ndim, "", label)

    def _read(self, selection: Selection) -> np.ndarray:
        return self.array[selection]

    def _read_frames(self, flat: np.ndarray) -> np.ndarray:
        return self.array.reshape((self.n_frames,) + self.sig_shape)[flat]

    def block_view(self, start: int, stop: int) -> np.ndarray:
        return self.array.reshape((self.n_frames,) + self.sig_shape)[start:stop]


def array_dataset(array: Any, nav_ndim: int | None = None, metadata: dict[str, Any] | None = None) -> Dataset:
    """Wrap ``array``; by default the last two axes are the frame, as for files."""
    data = np.asarray(array)
    nav = default_nav_ndim(data.ndim) if nav_ndim is None else nav_ndim
    reader = ArrayReader(data, nav)
    return Dataset(
        shape=data.shape,
        dtype=reader.dtype,
        nav_ndim=nav,
        format="array",
        reader=reader,
        axes=pixel_axes(data.shape, nav),
        metadata=metadata or {},
    )
