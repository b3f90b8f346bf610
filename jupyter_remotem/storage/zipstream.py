"""A folder as a zip file, written while it is sent: no temporary file, memory bounded.

Python's :mod:`zipfile` writes to a stream that cannot seek by putting each member's sizes and
CRC after its data (a data descriptor), which every unzip tool reads.  Members are stored, not
compressed: detector data hardly compresses, and storing keeps the download at disk speed.
The zip is made in a thread that hands the response pieces of at most :data:`PIECE_BYTES`,
waiting while :data:`PIECES_IN_FLIGHT` are unsent, so a slow client slows the reading instead
of filling memory.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Callable

from ..errors import RemotemError
from .repository import Repository
from .transfer import files_below

PIECE_BYTES = 4 * 1024**2
PIECES_IN_FLIGHT = 4


class ZipCancelled(Exception):
    """The client went away: stop reading."""


class _Sink(io.RawIOBase):
    """The write end: hands each piece to ``deliver`` (which may block for back-pressure)."""

    def __init__(self, deliver: Callable[[bytes], None], cancel: threading.Event) -> None:
        self.deliver = deliver
        self.cancel = cancel
        self.position = 0
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.position

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.cancel.is_set():
            raise ZipCancelled()
        self.buffer.extend(data)
        self.position += len(data)
        if len(self.buffer) >= PIECE_BYTES:
            self.flush_piece()
        return len(data)

    def flush_piece(self) -> None:
        if self.buffer:
            piece, self.buffer = bytes(self.buffer), bytearray()
            self.deliver(piece)


def write_zip(repository: Repository, folder: str, deliver: Callable[[bytes], None],
              cancel: threading.Event, include: Callable[[str, int], bool] | None = None) -> list[str]:
    """Write the zip of ``folder`` piece by piece; answers the files left out (links out of the
    repository, files that vanished), which are never read.  ``include(path, size)``: which of
    the folder's files go in (all by default)."""
    sink = _Sink(deliver, cancel)
    skipped: list[str] = []
    prefix = folder.rstrip("/") + "/" if folder else ""
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:  # type: ignore[arg-type]
        for relative, size in files_below(repository, folder):
            if include is not None and not include(relative, size):
                continue
            try:
                repository.ensure_inside(relative)
                entry = repository.info(relative)
            except RemotemError:
                skipped.append(relative)
                continue
            info = zipfile.ZipInfo(relative[len(prefix):], time.localtime(entry.mtime or time.time())[:6])
            info.file_size = entry.size or 0
            with repository.open(relative, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(PIECE_BYTES):
                    target.write(chunk)
    sink.flush_piece()
    return skipped
