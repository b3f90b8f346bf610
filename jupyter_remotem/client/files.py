"""Files where they live, from a notebook or a script: upload, download, new folder, move, delete.

Uploads speak tus 1.0 to ``remotem/api/uploads`` (the lab and tuspy use the same endpoint), in
chunks with a checksum each (CRC-32 unless another is asked for; SHA-256 for the whole file
if asked); an interrupted ``upload`` called again
with the same arguments asks the server where it stopped and sends only the rest.  Downloads
resume the same way with HTTP ``Range`` into a ``.part`` file beside the destination.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from ..checksums import new_hasher
from .connection import path_in_url
from .interrupt import BODY_BLOCK_BYTES
from .errors import NotFound, error_from_answer

if TYPE_CHECKING:
    from .server import Client

#: The largest chunk of an upload: what an interruption may cost to send again (chunks stream
#: from the file, so memory does not grow with it); the time between two requests, spread over
#: fewer bytes below about 100 MiB, costs a tenth of an upload on loopback.
CHUNK_BYTES = 128 * 1024**2
#: The first chunk of an upload (see :func:`_chunk_sizes`).
FIRST_CHUNK_BYTES = 4 * 1024**2
TUS = {"Tus-Resumable": "1.0.0"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _checked(response: Any) -> Any:
    if response.status_code >= 400:
        raise error_from_answer(response.status_code, response.content, response.reason)
    return response


def _sha256(path: Path) -> bytes:
    hasher = hashlib.sha256()
    with _FileRange(path, 0, path.stat().st_size) as body:
        while block := body.read():
            hasher.update(block)
    return hasher.digest()


def _resume_record(path: Path) -> Path:
    return path.with_name(f".{path.name}.remotem-upload.json")


def upload(client: Client, local: str | os.PathLike[str], repository: str, path: str,
           overwrite: bool = False, chunk_bytes: int = CHUNK_BYTES,
           whole_file_checksum: bool = False, checksum: str = "crc32") -> dict[str, Any]:
    """Upload one local file to ``repository:path``; answers the upload job's record.

    Every chunk carries its ``checksum`` (CRC-32 by default: it catches corruption on the way
    at several GB/s; ``"sha256"`` for a cryptographic digest, at about half the upload's
    speed), which the server checks before it keeps the chunk: every byte is verified.
    ``whole_file_checksum`` adds the SHA-256 of the whole file, checked once
    the last byte is in; it costs a read of the whole file before the first byte is sent (and
    a second digest on the server), and catches a local file that changed between an
    interrupted upload and its resumption, which size and modification time (what decides
    whether to resume) do not show."""
    new_hasher(checksum)  # an unknown algorithm is refused before anything is sent
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be at least 1, not {chunk_bytes}")
    source = Path(local)
    size = source.stat().st_size
    session, connection = client.connection.session, client.connection
    record = _resume_record(source)
    wanted = {"repository": repository, "path": path, "size": size, "mtime": source.stat().st_mtime}
    url = None
    if record.exists():
        saved = json.loads(record.read_text())
        if {k: saved.get(k) for k in wanted} == wanted:
            url = saved["url"]
    offset = None
    if url is not None:
        head = session.head(url, headers=TUS, timeout=connection.timeout)
        offset = int(head.headers["Upload-Offset"]) if head.status_code == 200 else None
    if offset is None:
        metadata = {"repository": repository, "path": path, "filename": source.name}
        if whole_file_checksum:
            metadata["checksum"] = "sha256 " + base64.b64encode(_sha256(source)).decode()
        if overwrite:
            metadata["overwrite"] = "1"
        created = _checked(session.post(connection.api_url("uploads"), timeout=connection.timeout, headers={
            **TUS, "Upload-Length": str(size),
            "Upload-Metadata": ",".join(f"{k} {_b64(v)}" for k, v in metadata.items())}))
        url = urljoin(connection.address.url, created.headers["Location"])
        record.write_text(json.dumps(dict(wanted, url=url)))
        offset = 0
    # Each chunk streams from the file through a small buffer (no copy of the chunk in memory);
    # its checksum, which the request's headers carry, is made by another thread while the
    # chunk before it is sent.  Chunks start small and double up to ``chunk_bytes``, so the
    # first bytes leave at once.
    sizes = _chunk_sizes(chunk_bytes)
    with ThreadPoolExecutor(1, thread_name_prefix="remotem-upload") as digester:

        def digest_ahead(position: int) -> tuple[int, Any]:
            count = min(next(sizes), size - position)
            return count, digester.submit(_digest_of, source, position, count, checksum)

        count, digest = digest_ahead(offset)
        while offset < size:
            sent = offset + count
            body = _FileRange(source, offset, count)
            following = digest_ahead(sent) if sent < size else None
            with body:
                answer = _checked(session.patch(url, data=body, timeout=connection.timeout, headers={
                    **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                    "Upload-Checksum": f"{checksum} {digest.result()}"}))
            offset = int(answer.headers["Upload-Offset"])
            if offset != sent:  # the server kept less (it cannot, with a checksum): resend from there
                following = digest_ahead(offset) if offset < size else None
            if following is not None:
                count, digest = following
    record.unlink(missing_ok=True)
    return client.connection.get_json("jobs", url.rstrip("/").rsplit("/", 1)[-1])


def _chunk_sizes(largest: int) -> Iterator[int]:
    """:data:`FIRST_CHUNK_BYTES`, then twice as many each time, up to ``largest``."""
    size = min(FIRST_CHUNK_BYTES, largest)
    while True:
        yield size
        size = min(2 * size, largest)


class _FileRange:
    """``count`` bytes of a file from ``start``, as a request body: read block by block into
    one reused buffer that stays in the CPU's cache (the socket copies each block before the
    next read), where reading a whole chunk into memory first would pass over every byte once
    more, and fault in fresh memory for it."""

    def __init__(self, path: Path, start: int, count: int) -> None:
        self._stream = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by __exit__)
        self._stream.seek(start)
        self._left = count
        self._buffer = memoryview(bytearray(min(count, BODY_BLOCK_BYTES)))

    def __len__(self) -> int:  # requests sends it as Content-Length
        return self._left

    def read(self, wanted: int = -1) -> memoryview | bytes:
        count = min(self._left, len(self._buffer) if wanted is None or wanted < 0 else wanted, len(self._buffer))
        if count <= 0:
            return b""
        got = self._stream.readinto(self._buffer[:count])
        if not got:
            raise OSError(f"{self._stream.name} became shorter while it was being uploaded")
        self._left -= got
        return self._buffer[:got]

    def __enter__(self) -> _FileRange:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()


def _digest_of(path: Path, start: int, count: int, algorithm: str) -> str:
    """The checksum (base64, as tus sends it) of ``count`` bytes of the file from ``start``."""
    hasher = new_hasher(algorithm)
    with _FileRange(path, start, count) as body:
        while block := body.read():
            hasher.update(block)
    return base64.b64encode(hasher.digest()).decode()


def download(client: Client, repository: str, path: str, local: str | os.PathLike[str] | None = None,
             size: int | None = None) -> Path:
    """Download a file (resumable) or a folder (as ``name.zip``) to ``local`` (default: its name
    in the working directory); answers where it went.  ``size``: the path is known to be a file
    of that size (hidden files too, which folder listings leave out), so it is not looked up."""
    connection = client.connection
    entry = _entry(client, repository, path) if size is None else \
        {"name": path.rstrip("/").rsplit("/", 1)[-1], "type": "file", "size": size}
    name = (entry["name"] + ".zip") if entry["type"] == "directory" else entry["name"]
    target = Path(local) if local is not None else Path(name)
    if target.is_dir():
        target = target / name
    partial = target.with_name(target.name + ".part")
    done = partial.stat().st_size if partial.exists() and entry["type"] == "file" else 0
    headers = {"Range": f"bytes={done}-"} if done else {}
    url = connection.api_url("repositories", repository, "download", path_in_url(path))
    with connection.session.get(url, headers=headers, stream=True, timeout=connection.timeout) as response:
        if response.status_code == 416 and done == entry.get("size"):
            partial.replace(target)
            return target
        _checked(response)
        mode = "ab" if response.status_code == 206 else "wb"
        with open(partial, mode) as out:
            _save_body(response, out)
    partial.replace(target)
    return target


def _save_body(response: Any, out: Any) -> None:
    """Write the answer's body to ``out`` through one reused buffer of
    :data:`~.interrupt.BODY_BLOCK_BYTES`: requests' ``iter_content`` (small pieces) and urllib3's
    ``read`` (a copy or two per piece) are slower than curl writing the same file; reading
    straight from the HTTP response is not, and a buffer that stays in the CPU's cache (1 MiB,
    not 8) is faster again, by a half on loopback."""
    raw = response.raw
    body = getattr(raw, "_fp", None)
    if response.headers.get("Content-Encoding") or not hasattr(body, "readinto"):
        raw.decode_content = True
        shutil.copyfileobj(raw, out, BODY_BLOCK_BYTES)
        return
    view = memoryview(bytearray(BODY_BLOCK_BYTES))
    while count := body.readinto(view):
        out.write(view[:count])


def _entry(client: Client, repository: str, path: str) -> dict[str, Any]:
    """The listing entry of ``path`` (its folder's listing: no format is opened)."""
    clean = path.strip("/")
    if not clean:
        return {"name": repository, "path": "", "type": "directory", "size": None}
    parent, _, name = clean.rpartition("/")
    for entry in client.ls(repository, parent):
        if entry["name"] == name:
            return entry
    raise NotFound(f"'{clean}' does not exist in '{repository}'.", "List the folder to see what is there.")


def make_folder(client: Client, repository: str, path: str) -> dict[str, Any]:
    response = client.connection.request("PUT", "repositories", repository, "tree", path_in_url(path),
                                         body={"type": "directory"})
    return response.json()


def move(client: Client, repository: str, path: str, new_path: str) -> dict[str, Any]:
    response = client.connection.request("PATCH", "repositories", repository, "tree", path_in_url(path),
                                         body={"path": new_path})
    return response.json()


def remove(client: Client, repository: str, path: str, recursive: bool = False) -> None:
    client.connection.request("DELETE", "repositories", repository, "tree", path_in_url(path),
                              params={"recursive": "1"} if recursive else None)
