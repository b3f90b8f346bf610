"""A request the client is still waiting on can be interrupted from another thread, and the
server stops the reduction it had begun.

The scan lives in an instrumented in-memory filesystem whose frame reads wait at a gate the
test opens: the server is then provably still working when the request is interrupted, and the
interruption (not an answer) is what ends the client's wait.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import fsspec
import numpy as np
import pytest
from _api import server_config, wait_until
from _client import client, in_thread, kernel_env  # noqa: F401  (fixtures)
from fsspec.implementations.memory import MemoryFileSystem

from jupyter_remotem.client import Interrupted, Interruptible
from jupyter_remotem.client.detectors import ring
from jupyter_remotem.widgets._throttle import LatestWork

#: Reads at least this large are frame data (headers are read in smaller pieces).
FRAME_READ_BYTES = 64 * 1024


class GatedMemoryFileSystem(MemoryFileSystem):
    """Memory storage whose frame reads wait until ``gate`` opens (each one is counted)."""

    protocol = "gated"
    gate = threading.Event()
    frame_reads = 0

    @classmethod
    def _strip_protocol(cls, path):
        return super()._strip_protocol(str(path).removeprefix("gated://"))

    def cat_file(self, path, start=None, end=None, **kwargs):
        if start is not None and end is not None and end - start >= FRAME_READ_BYTES:
            type(self).frame_reads += 1
            if not type(self).gate.wait(60):
                raise TimeoutError("the test never opened the gate")
        return super().cat_file(path, start, end, **kwargs)


@pytest.fixture
def gated(demo_dir: Path):
    fsspec.register_implementation("gated", GatedMemoryFileSystem, clobber=True)
    GatedMemoryFileSystem.gate.clear()
    GatedMemoryFileSystem.frame_reads = 0
    fs = GatedMemoryFileSystem()
    fs.pipe("/interrupt/scan.npy", (demo_dir / "scan.npy").read_bytes())
    yield GatedMemoryFileSystem
    GatedMemoryFileSystem.gate.set()  # let anything still waiting finish
    fs.rm("/interrupt", recursive=True)


@pytest.fixture
def jp_server_config(repositories, gated):
    return server_config(repositories + [{"name": "gated", "url": "gated://interrupt"}])


async def test_an_interrupted_reduction_ends_the_wait_and_the_servers_work(client, gated, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    ds = await in_thread(client.open, "gated", "scan.npy")
    handle = Interruptible()

    def reduce_until_interrupted() -> BaseException | None:
        with handle:
            try:
                ds.virtual_detector(ring(32, 32, 8, 20))
            except Interrupted as error:
                return error
        return None

    waiting = asyncio.ensure_future(in_thread(reduce_until_interrupted))

    async def reading() -> bool:
        return gated.frame_reads > 0

    await wait_until(reading, "the server to start reading frames")
    handle.interrupt()
    error = await asyncio.wait_for(waiting, 30)
    assert isinstance(error, Interrupted), "the client stopped waiting without an answer"
    assert not gated.gate.is_set(), "the server had not answered: the interruption ended the wait"

    async def stopped() -> bool:
        return "its client closed the connection" in caplog.text

    await wait_until(stopped, "the server to stop the reduction")
    gated.gate.set()
    # The connection pool recovers: the next request on the same client is answered.
    image = await in_thread(ds.virtual_detector, ring(32, 32, 8, 20))
    assert image.shape == ds.nav_shape
    with handle, pytest.raises(Interrupted):  # an interrupted handle stays interrupted
        ds.virtual_detector(ring(32, 32, 8, 20))


async def test_a_widget_thread_interrupts_the_request_a_newer_one_supersedes(client, gated):  # noqa: F811
    ds = await in_thread(client.open, "gated", "scan.npy")
    answers: list[np.ndarray] = []
    failures: list[BaseException] = []
    work = LatestWork(lambda kind, error: failures.append(error))
    try:
        work.submit("image", lambda: answers.append(ds.virtual_detector(ring(32, 32, 8, 20))))

        async def reading() -> bool:
            return gated.frame_reads > 0

        await wait_until(reading, "the first request to reach the storage")
        work.submit("image", lambda: answers.append(ds.virtual_detector(ring(32, 32, 4, 30))))

        async def interrupted() -> bool:
            return work.interrupted.get("image") == 1

        await wait_until(interrupted, "the first request to be interrupted")
        gated.gate.set()
        assert await in_thread(work.wait_idle, 60)
        assert failures == [], "an interruption is not reported as a failure"
        assert len(answers) == 1, "only the newest request was answered"
        expected = await in_thread(ds.virtual_detector, ring(32, 32, 4, 30))
        np.testing.assert_array_equal(answers[0], expected)
    finally:
        gated.gate.set()
        work.close()
