"""Array readers: the cheapest way to fetch part of an array, per storage layout.

* :class:`OffsetReader` — frames at fixed byte offsets (NPY, raw, contiguous HDF5, MIB, blockfile,
  DM): a strided memory map locally, merged byte-range reads remotely.
* :class:`ChunkTableReader` — uncompressed chunked HDF5: the chunk table gives each chunk's
  offset, and chunks are read like the above, bypassing h5py's per-call cost and global lock.
* :class:`H5pyReader`, :class:`ZarrReader` — compressed or filtered data, through the library.

All implement :class:`~.dataset.ArrayReader`, are safe to call from several threads, convert
foreign exceptions at the call (a file may be truncated after it was opened) and double as
array-likes for ``dask.array.from_array``.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from .boundary import converted_errors
from .dataset import ScanGeometry
from .selection import Plan, Selection, apply_flips, check_frame_indices, normalise, positive_steps
from .sources import ByteSource

#: Aim for dask chunks of about this many bytes.
DASK_CHUNK_BYTES = 64 * 1024 * 1024


def native(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("=") if dtype.byteorder not in ("=", "|") else dtype


class BaseReader(ScanGeometry):
    """Shared checks, frame gathering and dask wrapping; subclasses supply ``_read``."""

    shape: tuple[int, ...]
    dtype: np.dtype
    nav_ndim: int
    storage_chunks: tuple[int, ...] | None = None
    label: str = "data"
    path: str = ""

    def _setup(self, shape: tuple[int, ...], dtype: np.dtype, nav_ndim: int, path: str, label: str) -> None:
        self.shape = tuple(int(n) for n in shape)
        self.dtype = native(np.dtype(dtype))
        self.nav_ndim = int(nav_ndim)
        self.path = path
        self.label = label
        self.token = f"remotem-{label}-{uuid.uuid4().hex}"
        self._n_frames = int(np.prod(self.shape[: self.nav_ndim], dtype=np.int64))

    # -- array-like ------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def n_frames(self) -> int:  # cached: it is asked for on every read
        return self._n_frames

    def __getitem__(self, selection: Any) -> np.ndarray:
        return self.read(selection)

    def __dask_tokenize__(self) -> str:
        return self.token

    # -- ArrayReader -----------------------------------------------------------------------
    def read(self, selection: Any) -> np.ndarray:
        checked = normalise(selection, self.shape)
        with converted_errors(self.path, self.label):
            result = self._read(checked)
        return np.asarray(result, dtype=self.dtype)

    def read_frames(self, flat_nav_indices: Any) -> np.ndarray:
        flat = check_frame_indices(flat_nav_indices, self.n_frames)
        with converted_errors(self.path, self.label):
            result = self._read_frames(flat)
        return np.asarray(result, dtype=self.dtype).reshape((len(flat),) + self.sig_shape)

    def to_dask(self) -> Any:
        import dask.array as da

        return da.from_array(
            self,
            chunks=self.dask_chunks(),
            name=self.token,
            asarray=False,
            fancy=False,
            lock=False,
            meta=np.empty((0,) * self.ndim, dtype=self.dtype),
        )

    def close(self) -> None:
        pass

    # -- defaults --------------------------------------------------------------------------
    def dask_chunks(self) -> tuple[int, ...]:
        """Whole frames, whole trailing scan axes, and as many leading rows as fit the target."""
        if not self.shape:
            return ()
        row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        rows = max(1, DASK_CHUNK_BYTES // max(row_bytes, 1))
        if self.storage_chunks:
            step = max(1, self.storage_chunks[0])
            rows = max(step, rows // step * step)
        return (min(rows, self.shape[0]),) + self.shape[1:]

    def _read(self, selection: Selection) -> np.ndarray:
        raise NotImplementedError

    def _read_frames(self, flat: np.ndarray) -> np.ndarray:
        """Frames by scan index, reading one span per scan row when the indices are dense."""
        sig = (slice(None),) * len(self.sig_shape)
        out = np.empty((len(flat),) + self.sig_shape, dtype=self.dtype)
        if self.nav_ndim == 0:
            if len(flat):
                out[:] = self._read(sig)
            return out
        coords = np.unravel_index(flat, self.nav_shape)
        lead = np.ravel_multi_index(coords[:-1], self.nav_shape[:-1]) if self.nav_ndim > 1 else np.zeros_like(flat)
        last = coords[-1]
        for key in np.unique(lead):
            positions = np.nonzero(lead == key)[0]
            lead_index = (
                tuple(int(c) for c in np.unravel_index(int(key), self.nav_shape[:-1])) if self.nav_ndim > 1 else ()
            )
            columns = last[positions]
            lo, hi = int(columns.min()), int(columns.max()) + 1
            if hi - lo <= 4 * len(positions) + 8:
                block = np.asarray(self._read(lead_index + (slice(lo, hi, 1),) + sig))
                out[positions] = block[columns - lo]
            else:
                for position, column in zip(positions, columns):
                    out[position] = self._read(lead_index + (int(column),) + sig)
        return out


def is_run(flat: np.ndarray) -> bool:
    """True for consecutive ascending indices, which can be copied as one slice."""
    n = len(flat)
    if n < 2:
        return n == 1
    return int(flat[-1]) - int(flat[0]) == n - 1 and (n == 2 or bool((flat[1:] - flat[:-1] == 1).all()))


def _c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides = []
    step = itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


class OffsetReader(BaseReader):
    """An array stored as equally spaced frames at a byte offset.

    ``frame_stride`` is the distance between frame starts (larger than a frame when each frame
    carries its own header, as in MIB and blockfiles); ``flip_rows`` mirrors each frame
    vertically, for formats whose readers define the frame upside down.
    """

    def __init__(
        self,
        source: ByteSource,
        offset: int,
        shape: tuple[int, ...],
        dtype: np.dtype | str,
        nav_ndim: int,
        frame_stride: int | None = None,
        flip_rows: bool = False,
        label: str = "raw data",
    ) -> None:
        self._setup(shape, np.dtype(dtype), nav_ndim, source.path, label)
        self.source = source
        self.offset = int(offset)
        self.file_dtype = np.dtype(dtype)
        self.frame_nbytes = int(np.prod(self.sig_shape, dtype=np.int64)) * self.file_dtype.itemsize
        self.frame_stride = int(frame_stride if frame_stride is not None else self.frame_nbytes)
        self.flip_rows = bool(flip_rows and len(self.sig_shape) >= 2)
        if self.n_frames:
            end = self.offset + (self.n_frames - 1) * self.frame_stride + self.frame_nbytes
            source.require(end, f"an array of shape {self.shape} and dtype {self.file_dtype}")
        self._view: np.ndarray | None = None

    def view(self) -> np.ndarray:
        """The array as a strided view of the memory map (local files only)."""
        if self._view is None:
            buffer = self.source.memmap()
            frames = np.ndarray(
                shape=(self.n_frames,) + self.sig_shape,
                dtype=self.file_dtype,
                buffer=buffer,
                offset=self.offset,
                strides=(self.frame_stride,) + _c_strides(self.sig_shape, self.file_dtype.itemsize),
            )
            if self.flip_rows:
                frames = frames[..., ::-1, :]
            self._view = frames.reshape(self.shape)
        return self._view

    def _frames_view(self) -> np.ndarray:
        return self.view().reshape((self.n_frames,) + self.sig_shape)

    def block_view(self, start: int, stop: int) -> np.ndarray | None:
        """Frames ``[start, stop)`` as a zero-copy view of the memory map, for the reduction kernels.

        Only for local, native-order data whose frames are stored back to back: anything else
        needs a conversion, which :meth:`read_frames` does.
        """
        if not self.source.is_local or self.flip_rows or self.file_dtype != self.dtype:
            return None
        if self.frame_stride != self.frame_nbytes:
            return None
        return self._frames_view()[start:stop]

    def _fetch(self, flat: np.ndarray) -> np.ndarray:
        starts = self.offset + flat.astype(np.int64) * self.frame_stride
        blobs = self.source.read_ranges(starts, starts + self.frame_nbytes)
        raw = np.frombuffer(b"".join(bytes(blob) for blob in blobs), dtype=self.file_dtype)
        frames = raw.reshape((len(flat),) + self.sig_shape)
        return frames[..., ::-1, :] if self.flip_rows else frames

    def _read(self, selection: Selection) -> np.ndarray:
        if self.source.is_local:
            return np.array(self.view()[selection], dtype=self.dtype)
        plan = Plan.of(selection, self.shape)
        nav_index = plan.indices[: self.nav_ndim]
        if self.nav_ndim:
            grid = np.meshgrid(*nav_index, indexing="ij")
            flat = np.ravel_multi_index(grid, self.nav_shape).ravel()
        else:
            flat = np.zeros(1, dtype=np.int64)
        frames = self._fetch(flat).reshape(plan.full_shape[: self.nav_ndim] + self.sig_shape)
        picked = frames[(slice(None),) * self.nav_ndim + np.ix_(*plan.indices[self.nav_ndim :])]
        return np.asarray(picked, dtype=self.dtype).reshape(plan.out_shape)

    def _read_frames(self, flat: np.ndarray) -> np.ndarray:
        if self.source.is_local:
            frames = self._frames_view()
            if is_run(flat):
                return np.array(frames[int(flat[0]) : int(flat[-1]) + 1], dtype=self.dtype)
            return np.asarray(frames[flat], dtype=self.dtype)
        return self._fetch(flat)

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__, _view=None)


class ChunkTableReader(BaseReader):
    """Uncompressed chunked storage read chunk by chunk from the byte offsets in its index.

    ``chunk_offsets`` has one entry per chunk of the chunk grid (C order); -1 marks a chunk
    never written, which reads as ``fill_value``.  Edge chunks are stored at full size.
    """

    def __init__(
        self,
        source: ByteSource,
        shape: tuple[int, ...],
        dtype: np.dtype | str,
        nav_ndim: int,
        chunk_shape: tuple[int, ...],
        chunk_offsets: np.ndarray,
        fill_value: Any = 0,
        label: str = "chunked data",
    ) -> None:
        self._setup(shape, np.dtype(dtype), nav_ndim, source.path, label)
        self.source = source
        self.file_dtype = np.dtype(dtype)
        self.storage_chunks = tuple(int(c) for c in chunk_shape)
        self.grid = tuple(-(-n // c) for n, c in zip(self.shape, self.storage_chunks))
        self.chunk_offsets = np.asarray(chunk_offsets, dtype=np.int64).reshape(self.grid)
        self.chunk_nbytes = int(np.prod(self.storage_chunks, dtype=np.int64)) * self.file_dtype.itemsize
        self.fill_value = fill_value
        written = self.chunk_offsets[self.chunk_offsets >= 0]
        if written.size:
            source.require(int(written.max()) + self.chunk_nbytes, "the last chunk")

    def frame_spans(self) -> list[tuple[int, int]] | None:
        """Runs of frames whose chunks sit back to back in the file (HDF5 puts index nodes between
        some of them), so that partitions cut inside a run are zero-copy views."""
        if not self.source.is_local or self.nav_ndim == 0 or self.storage_chunks[1:] != self.shape[1:]:
            return None
        frames_per_chunk = self.storage_chunks[0] * int(np.prod(self.nav_shape[1:], dtype=np.int64))
        offsets = self.chunk_offsets.reshape(-1)
        breaks = np.flatnonzero((np.diff(offsets) != self.chunk_nbytes) | (offsets[1:] < 0) | (offsets[:-1] < 0)) + 1
        edges = [0, *(int(b) * frames_per_chunk for b in breaks), self.n_frames]
        return [(a, min(b, self.n_frames)) for a, b in zip(edges[:-1], edges[1:]) if a < b]

    def block_view(self, start: int, stop: int) -> np.ndarray | None:
        """Frames ``[start, stop)`` as a zero-copy view of the memory map, when they lie in chunks
        that split only the first axis and sit back to back in the file (as written row by row).

        This is what lets a reduction over chunked HDF5 run as fast as over a raw file.
        """
        if not self.source.is_local or self.file_dtype != self.dtype or self.nav_ndim == 0 or stop <= start:
            return None
        if self.storage_chunks[1:] != self.shape[1:]:
            return None
        frames_per_chunk = self.storage_chunks[0] * int(np.prod(self.nav_shape[1:], dtype=np.int64))
        first, last = start // frames_per_chunk, (stop - 1) // frames_per_chunk
        offsets = self.chunk_offsets.reshape(-1)[first : last + 1]
        if offsets.min() < 0 or np.any(np.diff(offsets) != self.chunk_nbytes):
            return None
        frame_nbytes = int(np.prod(self.sig_shape, dtype=np.int64)) * self.file_dtype.itemsize
        return np.ndarray(
            shape=(stop - start,) + self.sig_shape,
            dtype=self.file_dtype,
            buffer=self.source.memmap(),
            offset=int(offsets[0]) + (start - first * frames_per_chunk) * frame_nbytes,
        )

    def _chunks(self, keys: list[tuple[int, ...]]) -> dict[tuple[int, ...], np.ndarray | None]:
        offsets = [int(self.chunk_offsets[key]) for key in keys]
        present = [(key, off) for key, off in zip(keys, offsets) if off >= 0]
        starts = np.array([off for _, off in present], dtype=np.int64)
        blobs = self.source.read_ranges(starts, starts + self.chunk_nbytes)
        chunks: dict[tuple[int, ...], np.ndarray | None] = {key: None for key in keys}
        for (key, _), blob in zip(present, blobs):
            chunks[key] = np.frombuffer(blob, dtype=self.file_dtype).reshape(self.storage_chunks)
        return chunks

    def _read(self, selection: Selection) -> np.ndarray:
        plan = Plan.of(selection, self.shape)
        out = np.empty(plan.full_shape, dtype=self.dtype)
        per_axis = []
        for index, size in zip(plan.indices, self.storage_chunks):
            ids = index // size
            per_axis.append([(int(k), np.nonzero(ids == k)[0], index[ids == k] - k * size) for k in np.unique(ids)])
        combos = list(itertools.product(*per_axis))
        chunks = self._chunks([tuple(part[0] for part in combo) for combo in combos])
        for combo in combos:
            chunk = chunks[tuple(part[0] for part in combo)]
            target = np.ix_(*(part[1] for part in combo))
            if chunk is None:
                out[target] = self.fill_value
            else:
                out[target] = chunk[np.ix_(*(part[2] for part in combo))]
        return out.reshape(plan.out_shape)

    def _read_frames(self, flat: np.ndarray) -> np.ndarray:
        """Frames grouped by the chunk they live in: one copy per (chunk, frame group), a plain
        slice copy when the group is a run of consecutive frames in one chunk row (the usual batch)."""
        nav = self.nav_ndim
        if nav == 0:
            return super()._read_frames(flat)
        out = np.empty((len(flat),) + self.sig_shape, dtype=self.dtype)
        if not len(flat):
            return out
        nav_chunks = self.storage_chunks[:nav]
        coords = np.unravel_index(flat, self.nav_shape)
        keys = [c // k for c, k in zip(coords, nav_chunks)]
        local = [c - key * k for c, key, k in zip(coords, keys, nav_chunks)]
        ids = np.ravel_multi_index(keys, self.grid[:nav])
        if int(ids.min()) == int(ids.max()):
            groups = [np.arange(len(flat))]
        else:
            order = np.argsort(ids, kind="stable")
            bounds = (np.flatnonzero(np.diff(ids[order])) + 1).tolist()
            groups = [order[a:b] for a, b in zip([0, *bounds], [*bounds, len(flat)])]
        sig_sizes = self.storage_chunks[nav:]
        sig_keys = list(itertools.product(*(range(n) for n in self.grid[nav:])))
        nav_keys = [tuple(int(k[g[0]]) for k in keys) for g in groups]
        chunks = self._chunks([key + sig for key in nav_keys for sig in sig_keys])
        for positions, key in zip(groups, nav_keys):
            first, last = int(positions[0]), int(positions[-1])
            inside: tuple[Any, ...] = tuple(axis[positions] for axis in local)
            target: Any = positions
            if last - first == len(positions) - 1 and is_run(flat[first : last + 1]):
                same_row = all(int(axis[0]) == int(axis[-1]) for axis in inside[:-1])
                if same_row:
                    target = slice(first, last + 1)
                    tail = inside[-1]
                    inside = tuple(int(axis[0]) for axis in inside[:-1]) + (slice(int(tail[0]), int(tail[-1]) + 1),)
            for sig in sig_keys:
                chunk = chunks[key + sig]
                region = tuple(slice(k * s, min((k + 1) * s, n)) for k, s, n in zip(sig, sig_sizes, self.sig_shape))
                if chunk is None:
                    out[(target,) + region] = self.fill_value
                else:
                    inner = tuple(slice(0, r.stop - r.start) for r in region)
                    out[(target,) + region] = chunk[inside + inner]
        return out


class H5pyReader(BaseReader):
    """Compressed, filtered or otherwise special HDF5 datasets, read through h5py.

    ``opener`` returns ``(h5py.Dataset, closer)`` and is called lazily, once per process, so the
    reader can be pickled to dask workers.  A lock serialises access, since a remote file
    object underneath is not thread-safe.
    """

    def __init__(
        self,
        opener: Callable[[], tuple[Any, Callable[[], None]]],
        shape: tuple[int, ...],
        dtype: np.dtype,
        nav_ndim: int,
        chunks: tuple[int, ...] | None,
        path: str,
        handle: tuple[Any, Callable[[], None]] | None = None,
    ) -> None:
        self._setup(shape, dtype, nav_ndim, path, "HDF5")
        self.opener = opener
        self.storage_chunks = chunks
        self._handle = handle
        self._lock = threading.RLock()

    def _dataset(self) -> Any:
        if self._handle is None:
            self._handle = self.opener()
        return self._handle[0]

    def _read(self, selection: Selection) -> np.ndarray:
        positive, flips = positive_steps(selection, self.shape)
        with self._lock:
            data = np.asarray(self._dataset()[positive])
        return apply_flips(data, flips)

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle[1]()
                self._handle = None

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__, _handle=None, _lock=None)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()


class ZarrReader(BaseReader):
    """A zarr array (any store fsspec reaches); zarr decompresses chunks itself."""

    def __init__(self, array: Any, nav_ndim: int, path: str) -> None:
        self._setup(tuple(array.shape), array.dtype, nav_ndim, path, "Zarr")
        self.array = array
        self.storage_chunks = tuple(array.chunks)

    def _read(self, selection: Selection) -> np.ndarray:
        positive, flips = positive_steps(selection, self.shape)
        return apply_flips(np.asarray(self.array[positive]), flips)
