"""HDF5 read from S3 while garbage holding h5py objects is collected: no deadlock (h5py #2019).

h5py's lock is held while HDF5 asks a remote file object for bytes, which fsspec's I/O thread
fetches; a collection in that thread freeing an h5py object would wait for the lock forever.
Here the I/O thread of a real (moto) S3 filesystem makes such garbage and allocates past the
collection threshold while the test holds h5py's lock and waits for it, as a reader would.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref

import fsspec.asyn
import h5py
import pytest
from _services import s3_repository

from h5py._objects import phil

from jupyter_remotem.formats import hdf5_gc
from jupyter_remotem.formats.hdf5_links import open_file
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

pytestmark = pytest.mark.timeout(120)


class _Cycle:
    """Garbage only cyclic collection frees: it refers to itself and holds an open h5py file."""

    def __init__(self, path) -> None:
        self.me = self
        self.file = h5py.File(path, "r")


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _collected_while_allocating(alive: weakref.ref) -> bool:
    """Whether the collector frees ``alive``'s object while this thread goes on allocating.

    The object may have been moved past the youngest generation by a collection that ran
    between its making and its dropping, so one collection is not enough: a program keeps
    allocating and so passes the thresholds of the older generations too, as here.
    """
    per_round = 2 * max(gc.get_threshold()[0], 700)
    kept: list[list[list]] = []

    def freed() -> bool:
        kept.append([[] for _ in range(per_round)])
        return alive() is None

    try:
        return _wait_until(freed, 30)
    finally:
        del kept


@pytest.fixture
def s3_repo(s3_endpoint) -> Repository:
    return Repository(RepositoryConfig.from_dict(s3_repository(s3_endpoint)))


def test_opening_a_remote_hdf5_file_hands_collection_to_the_guard(s3_repo) -> None:
    handle, close = open_file(s3_repo, "scan.h5")
    try:
        assert hdf5_gc.guarded()
        assert not gc.isenabled()
        assert any(thread.name == "remotem-hdf5-gc" for thread in threading.enumerate())
    finally:
        close()


def test_the_guard_frees_cyclic_garbage_with_h5py_objects(s3_repo, demo_dir) -> None:
    handle, close = open_file(s3_repo, "scan.h5")
    close()
    garbage = _Cycle(demo_dir / "scan.h5")
    alive = weakref.ref(garbage)
    del garbage
    assert _collected_while_allocating(alive)


def test_a_reader_holding_h5pys_lock_outlives_collection_in_fsspecs_io_thread(s3_repo, demo_dir) -> None:
    handle, close = open_file(s3_repo, "scan.h5")  # a remote file: the guard is on from here
    close()
    holder = [_Cycle(demo_dir / "scan.h5")]
    alive = weakref.ref(holder[0])

    async def drop_and_allocate() -> int:
        holder.clear()  # garbage now, made in the I/O thread, which then allocates past any threshold
        junk = [[] for _ in range(10 * max(gc.get_threshold()[0], 700))]
        return len(junk)

    with phil:  # as h5py holds it while HDF5 asks the remote file object for bytes
        fsspec.asyn.sync(fsspec.asyn.get_loop(), drop_and_allocate, timeout=20)
    assert _collected_while_allocating(alive)
