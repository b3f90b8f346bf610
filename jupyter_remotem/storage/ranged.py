"""Byte ranges of one remote file, fetched the way each kind of storage serves them best.

Asynchronous filesystems (s3fs, HTTP, sshfs) overlap the requests of ``fs.cat_ranges`` on their
own.  The others would send them one after another through fsspec's generic ``cat_file``, which
opens a reader for every range; webdav4's reader streams a GET to the end of the file and then
another one after the seek.  WebDAV servers are therefore asked for exactly each range (an HTTP
``Range`` request), and many ranges go out from several threads.

sshfs's ``cat_file`` (and so ``cat_ranges``) ignores the range and answers the whole file: SFTP
files are opened once and every range read at its offset (SFTP reads name their offset, so they
overlap on one handle without a shared position).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: Filesystems without asynchronous requests fetch this many ranges or more from several threads.
PARALLEL_MIN_RANGES = 4
FETCH_THREADS = 8


def _is_webdav(fs: Any) -> bool:
    return type(fs).__module__.startswith("webdav4.") and hasattr(fs, "client")


def _is_sftp(fs: Any) -> bool:
    return type(fs).__module__.startswith("sshfs.")


def _sftp_ranges(fs: Any, path: str, pairs: list[tuple[int, int]]) -> list[bytes | Exception]:
    """Each range of an SFTP file, read at its offset on one open handle, all at once on sshfs's loop."""
    from fsspec.asyn import sync  # noqa: PLC0415

    try:
        file = fs.open(path, "rb")
    except Exception as error:  # noqa: BLE001 - every range fails with it, as fs.cat_ranges reports them
        return [error for _ in pairs]
    with file:
        handle = getattr(file, "_file", None)  # asyncssh's SFTPClientFile: reads at an offset
        if handle is None:  # another sshfs: one range after another through the file's position
            results: list[bytes | Exception] = []
            for start, end in pairs:
                try:
                    file.seek(start)
                    results.append(file.read(end - start))
                except Exception as error:  # noqa: BLE001 - reported per range, as fs.cat_ranges does
                    results.append(error)
            return results

        async def read_all() -> list[Any]:
            return await asyncio.gather(*(handle.read(end - start, start) for start, end in pairs),
                                        return_exceptions=True)

        return [result if isinstance(result, (bytes, Exception)) else bytes(result)
                for result in sync(fs.loop, read_all)]


def read_range(fs: Any, path: str, start: int, end: int) -> bytes:
    """The bytes ``[start, end)`` of ``path``."""
    if end <= start:
        return b""
    if _is_sftp(fs):
        (result,) = _sftp_ranges(fs, path, [(start, end)])
        if isinstance(result, Exception):
            raise result
        return result
    if _is_webdav(fs):
        response = fs.client.request("GET", fs._strip_protocol(path), headers={"Range": f"bytes={start}-{end - 1}"})
        body = response.content
        return body if response.status_code == 206 else body[start:end]  # 200: the server ignored Range
    return fs.cat_file(path, start, end)


def cat_ranges(fs: Any, path: str, starts: list[int], ends: list[int]) -> list[bytes | Exception]:
    """The bytes of each range of ``path``, in order; a failed range gives its exception."""
    if _is_sftp(fs):
        return _sftp_ranges(fs, path, list(zip(starts, ends)))
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
