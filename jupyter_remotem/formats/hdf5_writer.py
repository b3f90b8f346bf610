"""Writing one large array into a new HDF5 file slab by slab, so that the writing can stop and resume.

The file is created with its dataset, its attributes and every chunk allocated, and closed; the
chunks are then filled by byte offset, without h5py.  HDF5 keeps its metadata in caches that a
killed process never flushes, so a file that h5py still had open after ``kill -9`` may be
unreadable; a file whose metadata was final before the first byte of data can always be reopened
and filled further.  Which chunks already hold their data is for the caller to remember.

Chunks are uncompressed and span one index of the first axis (one row of frames for a 2-D scan),
so every slab of rows owns its chunks, and our readers map the result without copying.  A random
``remotem_write_id`` attribute names the file, so a caller can tell its own file from one that
was made again.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

DATASET = "data"
WRITE_ID = "remotem_write_id"
#: Largest chunk, in bytes, before a row of frames is split over several chunks.
MAX_CHUNK_BYTES = 64 * 1024**2


def row_chunks(shape: tuple[int, ...], dtype: np.dtype, nav_ndim: int) -> tuple[int, ...]:
    """One row of frames (the last scan axis, whole) per chunk; fewer frames if a row is huge.

    A 1-D scan is one row: there every frame is a chunk, so that slabs still own their chunks.
    """
    if nav_ndim == 1:
        return (1,) + tuple(shape[1:])
    frame_nbytes = math.prod(shape[nav_ndim:]) * np.dtype(dtype).itemsize
    last = shape[nav_ndim - 1]
    per_chunk = max(1, min(last, MAX_CHUNK_BYTES // max(frame_nbytes, 1)))
    return (1,) * (nav_ndim - 1) + (per_chunk,) + tuple(shape[nav_ndim:])


class SlabFile:
    """An HDF5 file made by :meth:`create`, filled by :meth:`write` (see module docstring)."""

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: np.dtype, chunks: tuple[int, ...],
                 offsets: np.ndarray, write_id: str) -> None:
        self.path = Path(path)
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.chunks = chunks
        self.offsets = offsets
        self.write_id = write_id

    @classmethod
    def create(cls, path: Path, shape: tuple[int, ...], dtype: np.dtype, chunks: tuple[int, ...],
               attributes: Mapping[str, Any], dataset_attributes: Mapping[str, Any]) -> SlabFile:
        """A new file at ``path`` (replacing any), with all chunks allocated and the metadata final."""
        if chunks[0] != 1:
            raise ValueError("Chunks must span one index of the first axis.")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_id = uuid.uuid4().hex
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        with h5py.File(path, "w") as f:
            dataset = f.create_dataset(DATASET, shape=shape, dtype=dtype, chunks=chunks, dcpl=dcpl,
                                       fill_time="never")
            dataset.attrs.update(dict(dataset_attributes))
            f.attrs.update(dict(attributes))
            f.attrs[WRITE_ID] = write_id
        _sync(path)
        opened = cls.open(path, shape, dtype, chunks)
        if opened is None or opened.write_id != write_id:
            raise OSError(f"{path} could not be read back after it was created.")
        return opened

    @classmethod
    def open(cls, path: Path, shape: tuple[int, ...], dtype: np.dtype, chunks: tuple[int, ...]) -> SlabFile | None:
        """The file at ``path`` if it is one :meth:`create` made with this geometry, else None."""
        try:
            with h5py.File(path, "r") as f:
                dataset = f[DATASET]
                if (dataset.shape, dataset.dtype, dataset.chunks) != (tuple(shape), np.dtype(dtype), tuple(chunks)):
                    return None
                if dataset.id.get_create_plist().get_nfilters():
                    return None
                grid = tuple(-(-n // c) for n, c in zip(shape, chunks))
                offsets = np.full(grid, -1, dtype=np.int64)

                def record(info: Any) -> None:
                    offsets[tuple(o // c for o, c in zip(info.chunk_offset, chunks))] = info.byte_offset

                dataset.id.chunk_iter(record)
                write_id = f.attrs.get(WRITE_ID)
        except (OSError, KeyError, ValueError, TypeError, RuntimeError):  # missing, partly made, or not ours
            return None
        if not isinstance(write_id, str) or (offsets < 0).any():
            return None
        return cls(Path(path), tuple(shape), np.dtype(dtype), tuple(chunks), offsets, write_id)

    def write(self, start: int, block: np.ndarray) -> None:
        """Put ``block`` at indices ``[start, start + len(block))`` of the first axis, durably."""
        if tuple(block.shape[1:]) != self.shape[1:] or start < 0 or start + len(block) > self.shape[0]:
            raise ValueError(f"A block of shape {block.shape} at {start} does not fit {self.shape}.")
        block = np.ascontiguousarray(block, dtype=self.dtype)
        inner_chunks = self.chunks[1:]
        grid = [range(0, n, c) for n, c in zip(self.shape[1:], inner_chunks)]
        fd = os.open(self.path, os.O_WRONLY)
        try:
            for i, row in enumerate(block):
                for corner in np.ndindex(*(len(g) for g in grid)):
                    lo = [g[k] for g, k in zip(grid, corner)]
                    piece = row[tuple(slice(a, a + c) for a, c in zip(lo, inner_chunks))]
                    if piece.shape != inner_chunks:  # an edge chunk is stored whole, padded
                        padded = np.zeros(inner_chunks, self.dtype)
                        padded[tuple(slice(0, n) for n in piece.shape)] = piece
                        piece = padded
                    offset = int(self.offsets[(start + i,) + tuple(corner)])
                    data = np.ascontiguousarray(piece).tobytes()
                    if os.pwrite(fd, data, offset) != len(data):
                        raise OSError(f"Short write to {self.path}.")
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
