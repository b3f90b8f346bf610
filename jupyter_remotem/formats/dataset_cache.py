"""Opened datasets kept warm between interactive requests.

A viewer dragging a detector sends a request every few tens of milliseconds over the same file.
Opening it each time costs the header parse (an HDF5 chunk index, a sidecar) and, worse, a fresh
memory map whose page tables are filled again by page faults: tens of milliseconds per GiB, as
long as the reduction itself.  This cache keeps the opened :class:`Dataset` (its reader, memory
map and page tables) between requests.

It never lets a request read what it could not otherwise open:

* Entries are keyed by repository (name *and* URL), normalised path and internal dataset, and are
  only handed to a caller holding that repository, which the handlers obtain through the access
  policy on every request, as before.
* Every hit re-checks each file the dataset reads (the file itself, a raw file's sidecar and the
  sidecars it would prefer, an HDF5 file's external storage) through
  :meth:`Repository.full_path`, the containment gate of every open, and compares its identity and
  state (device, inode, size, modification and change times).  A file that was rewritten,
  replaced, renamed away, or is now a link out of the repository is opened afresh, or refused,
  exactly as without the cache.
* Only local files read through byte offsets are kept (NPY, raw, HDF5 stored plain or in
  uncompressed chunks, not behind links to other files): their readers hold nothing but a memory
  map, so closing them is a no-op, and an evicted entry is simply dropped — a request still
  reading it keeps its map alive until it is done.

The table is bounded by entries and by mapped bytes (least recently used go first) and guarded by
one lock; files are opened outside it.  Each process has its own cache (the job worker opens
files itself).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..companions import sidecar_paths
from ..errors import RemotemError
from .dataset import Dataset
from .open import open_dataset
from .readers import BaseReader, ChunkTableReader, OffsetReader

if TYPE_CHECKING:
    from ..storage.repository import Repository

#: Formats whose datasets are kept (their readers read byte ranges of the files they name).
CACHED_FORMATS = frozenset({"npy", "raw", "hdf5"})

#: What identifies a file's state: (device, inode, size, mtime_ns, ctime_ns); None when missing.
Signature = tuple[int, int, int, int, int] | None


def signature(repository: Repository, path: str) -> Signature:
    """The state of ``path`` as the operating system sees it, after the containment check."""
    try:
        full = repository.full_path(path)
        st = os.stat(full)
    except (RemotemError, OSError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class _Entry:
    dataset: Dataset
    #: Every file the dataset depends on, with its state when it was opened.
    files: tuple[tuple[str, Signature], ...]
    nbytes: int


class DatasetCache:
    """Warm datasets by repository, path and internal dataset (see the module docstring)."""

    def __init__(self, max_entries: int = 16, max_bytes: int = 64 * 1024**3) -> None:
        self.max_entries = int(max_entries)
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    @contextmanager
    def dataset(self, repository: Repository, path: str, name: str | None = None) -> Iterator[Dataset]:
        """The dataset, warm when it can be; closed after the block unless the cache keeps it."""
        dataset, kept = self.open(repository, path, name)
        try:
            yield dataset
        finally:
            if not kept:
                dataset.close()

    def open(self, repository: Repository, path: str, name: str | None = None) -> tuple[Dataset, bool]:
        """``(dataset, kept)``: a cached dataset (``kept``: the caller must not rely on closing it)
        or a freshly opened one the caller closes."""
        if not self.enabled or not repository.is_local:
            return open_dataset(repository, path, name), False
        key = (repository.name, repository.config.url, repository.root, _normal(path), name or "")
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None:
            if all(signature(repository, file) == state for file, state in entry.files):
                with self._lock:
                    if key in self._entries:
                        self._entries.move_to_end(key)
                    self.hits += 1
                return entry.dataset, True
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
        self.misses += 1
        before = signature(repository, path)
        dataset = open_dataset(repository, path, name)
        files = _dependencies(repository, path, dataset)
        if files is None or before is None or before != files[0][1]:
            return dataset, False  # not a kind we keep, or the file changed while being opened
        nbytes = sum(state[2] for _, state in files if state is not None)
        if nbytes > self.max_bytes:
            return dataset, False
        with self._lock:
            self._entries[key] = _Entry(dataset, files, nbytes)
            self._entries.move_to_end(key)
            self._evict()
        return dataset, True

    def _evict(self) -> None:
        total = sum(e.nbytes for e in self._entries.values())
        while self._entries and (len(self._entries) > self.max_entries or total > self.max_bytes):
            _, dropped = self._entries.popitem(last=False)
            total -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def mapped_bytes(self) -> int:
        with self._lock:
            return sum(e.nbytes for e in self._entries.values())


def _normal(path: str) -> str:
    from ..storage import paths

    return paths.normalise(path)


def _dependencies(repository: Repository, path: str, dataset: Dataset) -> tuple[tuple[str, Signature], ...] | None:
    """The files ``dataset`` was made from, with their states; None when it is not kept."""
    reader = dataset.reader
    if dataset.format not in CACHED_FORMATS:
        return None
    if not isinstance(reader, (OffsetReader, ChunkTableReader)) or type(reader).close is not BaseReader.close:
        return None
    if not reader.source.is_local or dataset.metadata.get("linked_file"):
        return None  # a link chain may change in a file between the two ends: open afresh
    files = [_normal(path)]
    if dataset.format == "raw":
        used = dataset.metadata.get("sidecar")
        for candidate in sidecar_paths(path):  # a preferred sidecar appearing later takes over
            files.append(_normal(candidate))
            if _normal(candidate) == _normal(str(used)):
                break
    source = _normal(reader.source.path)
    if source not in files:
        files.append(source)
    states = tuple((file, signature(repository, file)) for file in files)
    if states[0][1] is None or (source != files[0] and dict(states)[source] is None):
        return None
    return states
