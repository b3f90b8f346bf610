"""A local path for readers that will only take one (rsciio's MIB, DM and blockfile readers).

Those readers parse headers and tag tables from a path on this machine; the frames themselves are
then read by byte offset through :class:`.sources.ByteSource`, which works on every repository.
For a file in a remote repository (S3, WebDAV, ...) the reader is handed a *stand-in*: a sparse
temporary file of the remote file's size holding only the byte ranges the header parse reads,
fetched with ranged reads, plus small sidecar files copied whole.  Nothing else is downloaded, so
a scan of tens of GB on S3 opens after fetching kilobytes (a few MB at most).

An interactive session reopens the same file for every request, so what a remote parse found is
remembered for a few minutes, keyed by the file's size and modification time
(:func:`parse_headers`).

Bytes outside those ranges read as zeros.  Each format names its ranges from its own layout; a
parse that still strays into a hole meets zeros and fails, and that failure is reported as a file
that cannot be read remotely (415, with the way out), never as wrong metadata.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..errors import RemotemError, UnsupportedFormat
from .sources import ByteSource

if TYPE_CHECKING:
    from ..storage.repository import Repository

T = TypeVar("T")
#: How many remote parses are remembered, and for how long (seconds).
PARSED_ENTRIES = 64
PARSED_TTL_S = 300.0
_parsed: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
_parsed_lock = threading.Lock()

#: ``ranges(source)`` names the ``(start, stop)`` byte ranges a reader's header parse needs.
RangePlan = Callable[[ByteSource], Iterable[tuple[int, int]]]


@contextmanager
def local_stand_in(
    repository: Repository, path: str, ranges: RangePlan, label: str, sidecars: Iterable[str] = (),
    size: int | None = None,
) -> Iterator[str]:
    """A path the reader can open: the file itself when local, else a stand-in (module docstring).

    ``sidecars`` are repository paths of small companion files (a MIB's ``.hdr``), copied beside
    the stand-in under their own names when they exist.  Failures of the parse inside the block
    become :class:`UnsupportedFormat` naming the way out."""
    local = repository.local_path(path)
    if local is not None:
        yield local
        return
    source = ByteSource(repository, path, size)  # the size, when known, spares a request
    with tempfile.TemporaryDirectory(prefix="remotem-stand-in-") as folder:
        target = Path(folder) / PurePosixPath(path).name
        _write_sparse(target, source, list(ranges(source)))
        for sidecar in sidecars:
            if repository.exists(sidecar):
                with repository.open(sidecar) as remote:
                    (Path(folder) / PurePosixPath(sidecar).name).write_bytes(remote.read())
        try:
            yield str(target)
        except RemotemError:
            raise
        except Exception as error:  # the parse met a hole: say so, with the way out
            raise UnsupportedFormat(
                f"This {label} file's headers could not be read from remote storage ({error}).",
                hint="Copy the file to a local repository (a copy job), then open it there.",
            ) from error


def parse_headers(
    repository: Repository,
    path: str,
    ranges: RangePlan,
    label: str,
    parse: Callable[[str], T],
    sidecars: Iterable[str] = (),
) -> T:
    """``parse(local_path)`` run on the file or on its stand-in; remote results are remembered
    (see the module docstring), so they must not depend on the stand-in's bytes later on."""
    if repository.local_path(path) is not None:
        with local_stand_in(repository, path, ranges, label, sidecars) as local:
            return parse(local)
    entry = repository.info(path)
    key = (repository.name, repository.config.url, path, entry.size, entry.mtime)
    now = time.monotonic()
    with _parsed_lock:
        cached = _parsed.get(key)
        if cached is not None and now - cached[0] < PARSED_TTL_S:
            _parsed.move_to_end(key)
            return cached[1]
    with local_stand_in(repository, path, ranges, label, sidecars, entry.size) as local:
        result = parse(local)
    with _parsed_lock:
        _parsed[key] = (now, result)
        while len(_parsed) > PARSED_ENTRIES:
            _parsed.popitem(last=False)
    return result


def _write_sparse(target: Path, source: ByteSource, ranges: list[tuple[int, int]]) -> None:
    clipped = [(max(0, start), min(stop, source.size)) for start, stop in ranges]
    clipped = [(start, stop) for start, stop in clipped if stop > start]
    with open(target, "wb") as handle:
        handle.truncate(source.size)  # a hole: takes no disk space, reads as zeros
        if not clipped:
            return
        starts = np.array([start for start, _ in clipped], dtype=np.int64)
        stops = np.array([stop for _, stop in clipped], dtype=np.int64)
        for start, blob in zip(starts.tolist(), source.read_ranges(starts, stops)):
            handle.seek(start)
            handle.write(blob)


def head_and_tail(head: int, tail: int) -> RangePlan:
    """The first ``head`` and last ``tail`` bytes: where tag tables live around one big array."""

    def plan(source: ByteSource) -> list[tuple[int, int]]:
        return [(0, head), (max(source.size - tail, 0), source.size)]

    return plan
