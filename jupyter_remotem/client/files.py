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
import time
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from ..checksums import new_hasher
from .connection import path_in_url
from .interrupt import BODY_BLOCK_BYTES
from .errors import NotFound, error_from_answer

if TYPE_CHECKING:
    from .server import Client

#: The largest chunk of an upload (chunks stream from the file, so memory does not grow with
#: it); below that, :data:`CHUNK_SECONDS` decides.
CHUNK_BYTES = 1024**3
#: A chunk holds about this many seconds of sending at the rate the last one went: what an
#: interruption may cost to send again, on a slow link as on a fast one.  Each request costs
#: the server a few milliseconds between chunks, which fewer, longer chunks spread thinner.
CHUNK_SECONDS = 2.0
#: The first chunk of an upload (see :class:`_ChunkPlan`).
FIRST_CHUNK_BYTES = 4 * 1024**2
TUS = {"Tus-Resumable": "1.0.0"}
#: The header of the last ``PATCH``'s answer with the file's modification time on the server.
MTIME_HEADER = "X-Remotem-Mtime"
#: The buffer a download is read into and written from: small enough to stay in a core's
#: cache between the socket's copy in and the file's copy out.  Measured on loopback to a file
#: (2-core EPYC, busy; 1 GiB, 12 rounds beside curl): 256 KiB 70–308 % of curl (median about
#: 180 %), 512 KiB 68–301 %, 1 MiB 40–128 %.  A process that starts, downloads a few large files
#: and ends (``remotem clone``) measured the other way round (1 MiB 61–75 %, 256 KiB 42–57 %
#: of curl): it passes :data:`SHORT_LIVED_BLOCK_BYTES`.
DOWNLOAD_BLOCK_BYTES = 256 * 1024
SHORT_LIVED_BLOCK_BYTES = 1024**2


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
    """Upload one local file to ``repository:path`` (see :func:`send`); answers the upload
    job's record."""
    sent = send(client, local, repository, path, overwrite, chunk_bytes, whole_file_checksum, checksum)
    return client.connection.get_json("jobs", sent.job)


@dataclass(frozen=True)
class Sent:
    """A finished upload: its job's id, and the file's modification time on the server (None
    when the server did not say, e.g. an upload found finished when resumed)."""

    job: str
    mtime: float | None


def send(client: Client, local: str | os.PathLike[str], repository: str, path: str,
         overwrite: bool = False, chunk_bytes: int = CHUNK_BYTES,
         whole_file_checksum: bool = False, checksum: str = "crc32") -> Sent:
    """Upload one local file to ``repository:path``.  When it returns, the file is in place:
    the server answers the last ``PATCH`` only after it has checked and renamed the file, so a
    caller moving many files need not ask for each job.

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
    if record.exists() and size:  # an empty file is sent again: one request, nothing to lose
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
    # chunk before it is sent.  Chunks start small and grow (:class:`_ChunkPlan`), so the first
    # bytes leave at once.  A file of one chunk has no next chunk to overlap with: its checksum
    # is made here.
    plan = _ChunkPlan(chunk_bytes, checksum)
    mtime = None
    with ThreadPoolExecutor(1, thread_name_prefix="remotem-upload") \
            if size - offset > min(FIRST_CHUNK_BYTES, chunk_bytes) else _InPlace() as digester:

        def digest_ahead(position: int) -> tuple[int, Any]:
            count = min(plan.next(), size - position)
            return count, digester.submit(_digest_of, source, position, count, checksum)

        count, digest = digest_ahead(offset)
        first = True
        while offset < size or (first and size == 0):  # an empty file: one empty PATCH ends it
            first = False
            sent = offset + count
            body = _FileRange(source, offset, count)
            following = digest_ahead(sent) if sent < size else None
            started = time.perf_counter()
            with body:
                answer = _checked(session.patch(url, data=body if count else b"", timeout=connection.timeout, headers={
                    **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                    "Upload-Checksum": f"{checksum} {digest.result()}"}))
            plan.took(count, time.perf_counter() - started)
            offset = int(answer.headers["Upload-Offset"])
            mtime = _float_or_none(answer.headers.get(MTIME_HEADER))
            if offset != sent:  # the server kept less (it cannot, with a checksum): resend from there
                following = digest_ahead(offset) if offset < size else None
            if following is not None:
                count, digest = following
    record.unlink(missing_ok=True)
    return Sent(url.rstrip("/").rsplit("/", 1)[-1], mtime)


def _float_or_none(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


class _InPlace:
    """An executor's ``submit`` that runs the call at once (for a file of one chunk)."""

    def submit(self, function: Any, *args: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(function(*args))
        except BaseException as error:  # noqa: BLE001 - handed to whoever asks for the result
            done.set_exception(error)
        return done

    def __enter__(self) -> _InPlace:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _ChunkPlan:
    """The size of each next chunk: :data:`FIRST_CHUNK_BYTES` (the first bytes leave at once),
    then growing up to ``largest`` and to :data:`CHUNK_SECONDS` at the rate measured so far.
    Each chunk's checksum is made while the one before it is sent, so a chunk grows by no more
    than the checksum outruns the link: four times for CRC-32 (ISA-L's runs at ten times a
    fast link), twice for the others (SHA-256 runs at about a fast link's speed)."""

    def __init__(self, largest: int, checksum: str) -> None:
        self.largest, self.growth = largest, 4 if checksum == "crc32" else 2
        self._size = 0
        self._rate: float | None = None

    def next(self) -> int:
        if not self._size:
            self._size = min(FIRST_CHUNK_BYTES, self.largest)
            return self._size
        wanted = self._size * self.growth
        if self._rate is not None:
            wanted = min(wanted, max(FIRST_CHUNK_BYTES, int(self._rate * CHUNK_SECONDS)))
        self._size = max(1, min(wanted, self.largest))
        return self._size

    def took(self, count: int, seconds: float) -> None:
        """A chunk of ``count`` bytes went in ``seconds``."""
        if count and seconds > 0:
            self._rate = count / seconds


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
             size: int | None = None, block_bytes: int = DOWNLOAD_BLOCK_BYTES) -> Path:
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
            _save_body(response, out, block_bytes)
    partial.replace(target)
    return target


def download_small_files(client: Client, repository: str, folder: str, wanted: dict[str, int], into: Path,
                         scratch: Path, smaller_than: int) -> list[str]:
    """Download the files of ``folder`` smaller than ``smaller_than`` bytes in one answer (a zip
    the server makes while it sends it), and write those of ``wanted`` (path relative to the
    folder: size) below ``into``; answers the paths written.  One request instead of one per
    file: a clone's many small files cost one round trip.  Each member's CRC-32 is checked as
    it is read, and its size against ``wanted``; a wanted file the zip lacks is left to the
    caller.  The zip waits in ``scratch`` (a folder of the caller's), then goes."""
    connection = client.connection
    url = connection.api_url("repositories", repository, "download", path_in_url(folder))
    scratch.mkdir(parents=True, exist_ok=True)
    packed = scratch / "small-files.zip.part"
    written: list[str] = []
    try:
        with connection.session.get(url, params={"smaller_than": str(smaller_than)}, stream=True,
                                    timeout=connection.timeout) as response, open(packed, "wb") as out:
            _save_body(_checked(response), out)
        with zipfile.ZipFile(packed) as archive:
            for member in archive.infolist():
                name = member.filename
                if wanted.get(name) != member.file_size or not _plain_relative(name):
                    continue
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".part")
                with archive.open(member) as source, open(partial, "wb") as out:
                    shutil.copyfileobj(source, out, DOWNLOAD_BLOCK_BYTES)  # raises on a wrong CRC-32
                partial.replace(target)
                written.append(name)
    finally:
        packed.unlink(missing_ok=True)
    return written


def _plain_relative(name: str) -> bool:
    """A relative path with no ``..``, ``.`` or empty segment (nothing lands outside)."""
    return not name.startswith("/") and all(part not in ("", ".", "..") for part in name.split("/"))


def sha256(client: Client, repository: str, path: str) -> str:
    """The hex SHA-256 of a file on the server, read through its download into the hasher
    (nothing is written here): what tells a file changed there from one only touched."""
    connection = client.connection
    url = connection.api_url("repositories", repository, "download", path_in_url(path))
    hasher = _Hashing()
    with connection.session.get(url, stream=True, timeout=connection.timeout) as response:
        _save_body(_checked(response), hasher)
    return hasher.hexdigest()


class _Hashing:
    """A file-like ``write`` into a SHA-256 (the download's body reader writes to it)."""

    def __init__(self) -> None:
        self._hasher = hashlib.sha256()

    def write(self, block: Any) -> None:
        self._hasher.update(block)

    def hexdigest(self) -> str:
        return self._hasher.hexdigest()


def _save_body(response: Any, out: Any, block_bytes: int = DOWNLOAD_BLOCK_BYTES) -> None:
    """Write the answer's body to ``out`` through one reused buffer of
    :data:`DOWNLOAD_BLOCK_BYTES`: requests' ``iter_content`` (small pieces) and urllib3's
    ``read`` (a copy or two per piece) are slower than curl writing the same file; reading
    straight from the HTTP response is not, and a buffer that stays in a core's cache (256 KiB,
    not 1 or 8 MiB) is faster again, by half or more on loopback."""
    raw = response.raw
    body = getattr(raw, "_fp", None)
    if response.headers.get("Content-Encoding") or not hasattr(body, "readinto"):
        raw.decode_content = True
        shutil.copyfileobj(raw, out, block_bytes)
        return
    view = memoryview(bytearray(block_bytes))
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
