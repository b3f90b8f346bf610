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
from .errors import NotFound, error_from_answer

if TYPE_CHECKING:
    from .server import Client

CHUNK_BYTES = 64 * 1024**2
#: The first chunk of an upload (see :func:`_chunk_sizes`).
FIRST_CHUNK_BYTES = 4 * 1024**2
#: One read of a download's body (see :func:`_save_body`).
DOWNLOAD_READ_BYTES = 8 * 1024**2
TUS = {"Tus-Resumable": "1.0.0"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _checked(response: Any) -> Any:
    if response.status_code >= 400:
        raise error_from_answer(response.status_code, response.content, response.reason)
    return response


def _sha256(path: Path) -> bytes:
    hasher = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            hasher.update(chunk)
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
    # The next chunk is read and hashed while this one is sent, into the other of two buffers
    # made once: a fresh buffer per chunk would cost the kernel a page fault per 4 KiB.  Chunks
    # start small and double up to ``chunk_bytes``, so the first bytes leave at once.
    buffers = [memoryview(bytearray(min(chunk_bytes, size))) for _ in range(2 if size > chunk_bytes else 1)]
    turn, sizes = 0, _chunk_sizes(chunk_bytes)
    with open(source, "rb", buffering=0) as stream, ThreadPoolExecutor(1, thread_name_prefix="remotem-upload") as reader:

        def read_ahead(position: int) -> Any:
            return reader.submit(_read_chunk, stream, buffers[turn], min(next(sizes), size - position), checksum)

        stream.seek(offset)
        following = read_ahead(offset)
        while offset < size:
            chunk, digest = following.result()
            sent = offset + len(chunk)
            if sent < size:
                turn = (turn + 1) % len(buffers)
                following = read_ahead(sent)
            answer = _checked(session.patch(url, data=chunk, timeout=connection.timeout, headers={
                **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                "Upload-Checksum": f"{checksum} {digest}"}))
            offset = int(answer.headers["Upload-Offset"])
            if offset != sent:  # the server kept less (it cannot, with a checksum): resend from there
                following.result()  # the read under way ends before the stream moves
                stream.seek(offset)
                following = read_ahead(offset)
    record.unlink(missing_ok=True)
    return client.connection.get_json("jobs", url.rstrip("/").rsplit("/", 1)[-1])


def _chunk_sizes(largest: int) -> Iterator[int]:
    """:data:`FIRST_CHUNK_BYTES`, then twice as many each time, up to ``largest``."""
    size = min(FIRST_CHUNK_BYTES, largest)
    while True:
        yield size
        size = min(2 * size, largest)


def _read_chunk(stream: Any, buffer: memoryview, count: int, algorithm: str) -> tuple[memoryview, str]:
    """The next ``count`` bytes of ``stream``, read into ``buffer``, and their checksum (base64,
    as tus sends it)."""
    filled = 0
    while filled < count and (got := stream.readinto(buffer[filled:count])):
        filled += got
    chunk = buffer[:filled]
    hasher = new_hasher(algorithm)
    hasher.update(chunk)
    return chunk, base64.b64encode(hasher.digest()).decode()


def download(client: Client, repository: str, path: str, local: str | os.PathLike[str] | None = None) -> Path:
    """Download a file (resumable) or a folder (as ``name.zip``) to ``local`` (default: its name
    in the working directory); answers where it went."""
    connection = client.connection
    entry = _entry(client, repository, path)
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
    """Write the answer's body to ``out`` in large reads into one reused buffer: requests'
    ``iter_content`` (small pieces) and urllib3's ``read`` (a copy or two per piece) are slower
    than curl writing the same file; reading straight from the HTTP response is not."""
    raw = response.raw
    body = getattr(raw, "_fp", None)
    if response.headers.get("Content-Encoding") or not hasattr(body, "readinto"):
        raw.decode_content = True
        shutil.copyfileobj(raw, out, DOWNLOAD_READ_BYTES)
        return
    view = memoryview(bytearray(DOWNLOAD_READ_BYTES))
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
