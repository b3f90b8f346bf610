"""``GET repositories/{repo}/download/{path}``: a file, or a folder as a zip, to the laptop.

A file is served with ``Accept-Ranges: bytes``: a browser or ``curl -C -`` resumes an
interrupted download with ``Range``, and gets 206 with exactly those bytes.  A folder is a zip
made while it is sent (:mod:`..storage.zipstream`); ``?smaller_than=N`` keeps to its files of
fewer than N bytes, so that a clone takes its many small files in one answer and the large ones
(resumable) one by one.  Bytes are read in the I/O pool and sent
piece by piece, waiting for each piece to leave, so memory stays bounded whatever the size.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any
from urllib.parse import quote

from tornado import web
from tornado.iostream import StreamClosedError

from ..errors import BadParameter, RangeNotSatisfiable
from ..storage.repository import Repository
from ..storage.zipstream import PIECE_BYTES, PIECES_IN_FLIGHT, ZipCancelled, write_zip
from .base import RemotemHandler

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range ``header`` asks for, as (start, stop) with stop exclusive; None for all."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        raise RangeNotSatisfiable(f"Only one byte range of the form 'bytes=start-end' is served, not {header!r}.")
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, stop = max(size - int(last), 0), size
    else:
        start = int(first)
        stop = min(int(last) + 1, size) if last else size
    if start >= size or start >= stop:
        raise RangeNotSatisfiable(f"The range {header!r} lies outside the file's {size:,} bytes.", size=size)
    return start, stop


def attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


class DownloadHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)
    _cancel: threading.Event | None = None

    @web.authenticated
    async def get(self, name: str, path: str | None = None) -> None:
        repo = self.repository(name)
        smaller_than = self.query_int("smaller_than")
        if smaller_than is not None and smaller_than < 0:
            raise BadParameter(f"Query parameter 'smaller_than' must be a number of bytes, not {smaller_than}.",
                               hint="smaller_than=8388608 zips the files of less than 8 MiB.")
        entry = await self.run_blocking(repo.info, path or "")
        self._cancel = threading.Event()
        if entry.type == "directory":
            await self._zip(repo, entry.path, (entry.name or repo.name) + ".zip", smaller_than)
        else:
            await self._file(repo, entry.path, entry.name, int(entry.size or 0))

    async def _file(self, repo: Repository, path: str, name: str, size: int) -> None:
        wanted = byte_range(self.request.headers.get("Range"), size)
        start, stop = wanted or (0, size)
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", attachment(name))
        self.set_header("Content-Length", str(stop - start))
        if wanted is not None:
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{stop - 1}/{size}")
        stream = await self.run_blocking(repo.open, path, "rb")
        try:
            if start:
                await self.run_blocking(stream.seek, start)
            position = start
            while position < stop and not self._cancel.is_set():  # type: ignore[union-attr]
                piece = await self.run_blocking(stream.read, min(PIECE_BYTES, stop - position))
                if not piece:
                    break
                position += len(piece)
                await self._send(piece)
        finally:
            await self.run_blocking(stream.close)
        self.finish()

    async def _zip(self, repo: Repository, folder: str, name: str, smaller_than: int | None = None) -> None:
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", attachment(name))
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        room = threading.Semaphore(PIECES_IN_FLIGHT)
        cancel = self._cancel
        assert cancel is not None

        def deliver(piece: bytes) -> None:
            while not room.acquire(timeout=1.0):
                if cancel.is_set():
                    raise ZipCancelled()
            loop.call_soon_threadsafe(queue.put_nowait, piece)

        def produce() -> None:
            try:
                skipped = write_zip(repo, folder, deliver, cancel, include=None if smaller_than is None
                                    else lambda path, size: size < smaller_than)
                if skipped:
                    self.log.info("jupyter_remotem: zip of %s:%s left out %d file(s) that lead outside or vanished",
                                  repo.name, folder, len(skipped))
            except ZipCancelled:
                pass
            except Exception:  # a half-sent zip cannot turn into an error answer; the log says why
                self.log.exception("jupyter_remotem: zip of %s:%s failed", repo.name, folder)
                cancel.set()
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=produce, name="remotem-zip", daemon=True).start()
        while (piece := await queue.get()) is not None:
            room.release()
            if not cancel.is_set():
                await self._send(piece)
        if cancel.is_set():  # the client left, or the zip broke: end the connection, not a short zip
            self.request.connection.close()  # type: ignore[union-attr]
            return
        self.finish()

    async def _send(self, piece: bytes) -> None:
        self.write(piece)
        try:
            await self.flush()
        except StreamClosedError:
            assert self._cancel is not None
            self._cancel.set()

    def on_connection_close(self) -> None:
        super().on_connection_close()
        if self._cancel is not None:
            self._cancel.set()

    def compute_etag(self) -> Any:
        return None  # streamed: no whole-body hash
