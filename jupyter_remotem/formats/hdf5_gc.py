"""Cyclic garbage collection that cannot deadlock h5py reading a remote file.

h5py holds one global lock (``phil``) through every HDF5 call, also while HDF5 calls back
into a Python file object for bytes.  A remote file object (s3fs, HTTP) waits for another
thread to fetch them: fsspec's I/O loop.  Python runs cyclic garbage collection in whichever
thread happens to allocate; when that is the I/O loop and the garbage holds an h5py object,
freeing it needs ``phil``, held by the reader that waits for the loop: both wait forever
(h5py issue 2019).  Seen here as a ``data`` request on an S3 file that never answered.

So once a process opens an HDF5 file through a Python file object, automatic collection is
switched off and one collector thread does the work instead, at the interpreter's own
thresholds, always while holding ``phil``: h5py objects freed then re-enter the lock they
already have, and no thread waiting on I/O can hold the lock the collector needs.
"""

from __future__ import annotations

import gc
import threading

from h5py._objects import phil

#: How often the collector looks at the allocation counts, in seconds (collections are then at
#: most this late; the counts decide how much is collected, as the interpreter would).
POLL_S = 0.2

_started = threading.Event()
_lock = threading.Lock()
_never = threading.Event()  # the collector's clock: waited on for POLL_S, never set


def _due_generation() -> int | None:
    """The generation the interpreter would collect now, None if none is due."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    for generation in (2, 1, 0):
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            return generation
    return None


def collect_under_phil(generation: int = 2) -> int:
    """Collect ``generation`` while holding h5py's lock; the number of objects found unreachable."""
    with phil:
        return gc.collect(generation)


def _collector() -> None:
    while True:
        if gc.isenabled():  # someone switched it back on (gc.enable() after a gc.disable() of theirs)
            gc.disable()
        generation = _due_generation()
        if generation is not None:
            collect_under_phil(generation)
        _never.wait(POLL_S)


def guard() -> None:
    """Make garbage collection safe for HDF5 over Python file objects in this process (idempotent)."""
    if _started.is_set():
        return
    with _lock:
        if _started.is_set():
            return
        gc.disable()
        _started.set()
        threading.Thread(target=_collector, name="remotem-hdf5-gc", daemon=True).start()


def guarded() -> bool:
    """Whether this process collects garbage only under h5py's lock."""
    return _started.is_set() and not gc.isenabled()
