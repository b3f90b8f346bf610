"""Byte ranges of one remote file, fetched the way each kind of storage serves them best.

Asynchronous filesystems (s3fs, HTTP, sshfs) overlap the requests of ``fs.cat_ranges`` on their
own.  The others would send them one after another through fsspec's generic ``cat_file``, which
opens a reader for every range; webdav4's reader streams a GET to the end of the file and then
another one after the seek.  WebDAV servers are therefore asked for exactly each range (an HTTP
``Range`` request), and many ranges go out from several threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: Filesystems without asynchronous requests fetch this many ranges or more from several threads.
PARALLEL_MIN_RANGES = 4
FETCH_THREADS = 8


def _is_webdav(fs: Any) -> bool:
    return type(fs).__module__.startswith("webdav4.") and hasattr(fs, "client")


def read_range(fs: Any, path: str, start: int, end: int) -> bytes:
    """The bytes ``[start, end)`` of ``path``."""
    if end <= start:
        return b""
    if _is_webdav(fs):
        response = fs.client.request("GET", fs._strip_protocol(path), headers={"Range": f"bytes={start}-{end - 1}"})
        body = response.content
        return body if response.status_code == 206 else body[start:end]  # 200: the server ignored Range
    return fs.cat_file(path, start, end)


def cat_ranges(fs: Any, path: str, starts: list[int], ends: list[int]) -> list[bytes | Exception]:
    """The bytes of each range of ``path``, in order; a failed range gives its exception."""
    if getattr(fs, "async_impl", False):
        return fs.cat_ranges([path] * len(starts), starts, ends, on_error="return")

    def one(pair: tuple[int, int]) -> bytes | Exception:
        try:
            return read_range(fs, path, *pair)
        except Exception as error:  # reported per range, as fs.cat_ranges does
            return error

    pairs = list(zip(starts, ends))
    if len(pairs) < PARALLEL_MIN_RANGES or FETCH_THREADS <= 1:
        return [one(pair) for pair in pairs]
    with ThreadPoolExecutor(min(FETCH_THREADS, len(pairs)), thread_name_prefix="remotem-ranges") as pool:
        return list(pool.map(one, pairs))
