"""Bytes of one file, by offset: a memory map on local disks, ranged reads elsewhere.

Uncompressed scientific files are a header followed by bytes at known offsets.  Reading them
through a memory map (local) or through ``fs.cat_ranges`` (S3, WebDAV, memory) avoids every
per-call overhead of the format libraries, and both cases share the readers in
:mod:`.readers`.  Instances are picklable: the memory map is reopened on first use.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CorruptFile, StorageUnavailable
from ..storage.ranged import cat_ranges

if TYPE_CHECKING:
    from ..storage.repository import Repository

#: Ranged reads closer than this are fetched as one request.
MERGE_GAP = 64 * 1024


class ByteSource:
    """Random access to the bytes of one repository file."""

    def __init__(self, repository: Repository, path: str, size: int | None = None) -> None:
        self.path = path
        self.fs = repository.fs
        self.full_path = repository.full_path(path)
        self.local_path = repository.local_path(path)
        self.size = int(size if size is not None else repository.info(path).size or 0)
        self._memmap: np.memmap | None = None
        self._lock = threading.Lock()

    @property
    def is_local(self) -> bool:
        return self.local_path is not None

    def memmap(self) -> np.ndarray:
        """The whole file as read-only uint8 (local files only)."""
        if self._memmap is None:
            with self._lock:
                if self._memmap is None:
                    if self.size == 0:
                        self._memmap = np.zeros(0, dtype=np.uint8)  # type: ignore[assignment]
                    else:
                        mapped = np.memmap(self.local_path, dtype=np.uint8, mode="r", shape=(self.size,))
                        self._memmap = mapped.view(np.ndarray)  # plain views slice faster than memmaps
        return self._memmap  # type: ignore[return-value]

    def require(self, end: int, what: str) -> None:
        """Refuse files shorter than their header promises, before any read fails obscurely."""
        if end > self.size:
            raise CorruptFile(
                f"'{self.path}' is truncated: {what} needs {end} bytes, the file has {self.size}.",
                hint="The file may still be being written or was copied incompletely.",
            )

    def read_ranges(self, starts: np.ndarray, ends: np.ndarray) -> list[bytes | np.ndarray]:
        """Contents of ``[start, end)`` for each pair, in the order given."""
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        if len(starts) == 0:
            return []
        if int(ends.max()) > self.size:
            self.require(int(ends.max()), "a read")
        if self.is_local:
            buffer = self.memmap()
            return [buffer[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
        order = np.argsort(starts, kind="stable")
        merged_starts: list[int] = []
        merged_ends: list[int] = []
        owner = np.empty(len(starts), dtype=np.int64)
        for i in order.tolist():
            s, e = int(starts[i]), int(ends[i])
            if merged_ends and s <= merged_ends[-1] + MERGE_GAP:
                merged_ends[-1] = max(merged_ends[-1], e)
            else:
                merged_starts.append(s)
                merged_ends.append(e)
            owner[i] = len(merged_starts) - 1
        blobs = cat_ranges(self.fs, self.full_path, merged_starts, merged_ends)
        for blob, s, e in zip(blobs, merged_starts, merged_ends):
            if isinstance(blob, Exception):
                raise blob
            if len(blob) != e - s:
                self.require(e, "a read")
                # Within the file, yet another length: the backend ignored the range (sshfs's
                # cat_file answers the whole file); bytes taken from the wrong offset are no answer.
                raise StorageUnavailable(f"The storage answered {len(blob)} bytes for {e - s} bytes of "
                                         f"'{self.path}' at {s}.")
        out: list[bytes | np.ndarray] = []
        for i in range(len(starts)):
            j = int(owner[i])
            base = merged_starts[j]
            view = memoryview(blobs[j])
            out.append(view[int(starts[i]) - base : int(ends[i]) - base])  # type: ignore[arg-type]
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_memmap"] = None
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
