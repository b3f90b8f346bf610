"""``remotem/api/uploads``: resumable uploads from the desktop, over the tus 1.0 protocol.

tus 1.0 (https://tus.io/protocols/resumable-upload) with the creation, termination, checksum
and expiration extensions, so that tus-js-client in the lab, tuspy and any other tus client
work unchanged:

* ``POST uploads`` with ``Upload-Length`` and ``Upload-Metadata`` (``repository``, ``path`` —
  or ``folder`` and ``filename`` — and optionally ``overwrite``, ``checksum`` ``"sha256 <base64>"``
  for the whole file) creates the upload.  It is refused before the first byte when the target
  repository is read-only, the file exists, or it would not fit the owner's storage quota.
* ``HEAD uploads/{id}`` answers ``Upload-Offset``: where to resume after a network failure, a
  page reload or a server restart.
* ``PATCH uploads/{id}`` appends a chunk at ``Upload-Offset`` (``Upload-Checksum`` verified);
  with the last byte the file is renamed into place.
* ``DELETE uploads/{id}`` abandons it and removes the partial file.

Each upload is a job of kind ``upload`` (HELD while bytes arrive: no worker runs it), so it is
admitted against the quotas like any job, shows its progress in the Jobs list, and its file is
in the ledger of what jobs wrote (deleting the job removes it, unless ``?keep_files=1``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import time
from collections import deque
from pathlib import Path
from typing import Any

from tornado import web

from ..checksums import CHECKSUMS
from ..errors import (
    BadParameter,
    ChecksumMismatch,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    PreconditionFailed,
    TooLarge,
    UnsupportedFormat,
)
from ..jobs.models import Phase
from ..jobs.uploads import place_of
from ..notify import request as notify_request
from ..storage.uploads import ChunkWriter, RunningDigests, UploadPlace, parse_checksum, target_path
from ..catalog.index_runner import index_written
from .base import RemotemHandler

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum,expiration"
#: Upload-Metadata keys kept with the job (others are dropped): the target and what it is.
#: The whole-file digests of this server's uploads in progress.
DIGESTS = RunningDigests()
#: Bytes gathered before they are written to the partial file.
WRITE_BYTES = 4 * 1024**2
#: Pieces being written while the next one is read from the network.
WRITES_IN_FLIGHT = 2
#: Largest piece of a request body tornado hands over at once (its default: 64 KiB), and
#: largest read from the socket (its default: 64 KiB).  Fewer, larger pieces cost fewer trips
#: through the event loop per byte.
BODY_PIECE_BYTES = WRITE_BYTES
SOCKET_READ_BYTES = 1024**2
METADATA_KEYS = ("repository", "path", "folder", "filename", "filetype", "overwrite", "checksum", "notify")
#: The last ``PATCH``'s answer header with the finished file's modification time (seconds).
MTIME_HEADER = "X-Remotem-Mtime"


def widen_body_reads(connection: Any, remaining: int) -> None:
    """Let this connection take a body as long as what the upload still lacks (Jupyter's
    ``max_body_size``, 512 MiB, would refuse a larger PATCH: tus sends the rest in one request
    if it likes), delivered in pieces of :data:`BODY_PIECE_BYTES` (a copy of the server's
    shared parameters, so other connections keep tornado's defaults)."""
    params = getattr(connection, "params", None)
    stream = getattr(connection, "stream", None)
    if params is None or stream is None:
        return
    if hasattr(connection, "set_max_body_size"):
        connection.set_max_body_size(max(remaining, params.max_body_size or stream.max_buffer_size))
    if getattr(params, "chunk_size", 0) >= BODY_PIECE_BYTES:
        return
    widened = copy.copy(params)
    widened.chunk_size = BODY_PIECE_BYTES
    connection.params = widened
    stream.read_chunk_size = max(stream.read_chunk_size, min(SOCKET_READ_BYTES, stream.max_buffer_size // 2))


class UnsupportedMedia(UnsupportedFormat):
    default_hint = "PATCH bodies are 'Content-Type: application/offset+octet-stream'."


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus's ``Upload-Metadata``: comma-separated ``key base64(value)`` pairs."""
    metadata: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8") if encoded else ""
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise BadParameter(f"Upload-Metadata value of '{key}' is not base64 of UTF-8 text.",
                               hint="Upload-Metadata: repository <base64>,path <base64>.") from None
    return {key: value for key, value in metadata.items() if key in METADATA_KEYS}


def _integer_header(value: str | None, name: str) -> int:
    if value is None or not value.strip().isdigit():
        raise BadParameter(f"'{name}' must be a non-negative integer, not {value!r}.",
                           hint=f"Send '{name}: <bytes>'.")
    return int(value)


class UploadsBase(RemotemHandler):
    """What every tus request shares: the protocol headers, and the upload's place."""
    serves_reach = True  # confined repositories, and records filtered by place (auth/reach.py)

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Tus-Resumable", TUS_VERSION)

    def check_version(self) -> None:
        if self.request.method != "OPTIONS" and self.request.headers.get("Tus-Resumable") != TUS_VERSION:
            self.set_header("Tus-Version", TUS_VERSION)
            raise PreconditionFailed(f"This server speaks tus {TUS_VERSION}; the request said "
                                     f"{self.request.headers.get('Tus-Resumable')!r}.")

    def staging(self) -> Path:
        return Path(self.services.upload_staging_dir)

    def place_of(self, job: Any) -> UploadPlace:
        return place_of(self.registry, job, self.staging())

    def upload_job(self, upload_id: str) -> Any:
        """The caller's upload (404 for anyone else's, and for other jobs)."""
        job = self.services.jobs.get(upload_id, self.owner)
        if job.kind != "upload":
            raise NotFound(f"There is no upload '{upload_id}'.")
        return self.within_reach(job)

    def expires(self, job: Any) -> str:
        ttl = self.services.upload_expiry_s
        return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(job.created.timestamp() + ttl))

    def progress(self, job: Any, offset: int, started: float | None = None, sent: int = 0) -> dict[str, Any]:
        length = int(job.request["length"])
        elapsed = time.monotonic() - started if started else None
        rate = sent / elapsed if elapsed and sent else (job.progress or {}).get("throughput")
        eta = (length - offset) / rate if rate else None
        return {"done": offset, "total": length, "bytes": offset, "throughput": rate, "eta": eta}


class UploadsHandler(UploadsBase):
    @web.authenticated
    async def options(self) -> None:
        self.set_header("Tus-Version", TUS_VERSION)
        self.set_header("Tus-Extension", EXTENSIONS)
        self.set_header("Tus-Max-Size", str(self.services.max_upload_bytes))
        self.set_header("Tus-Checksum-Algorithm", ",".join(CHECKSUMS))
        self.set_status(204)
        self.finish()

    @web.authenticated
    async def post(self) -> None:
        self.check_version()
        headers = self.request.headers
        if "Upload-Defer-Length" in headers:
            raise BadParameter("Uploads of unknown length are not supported.", hint="Send 'Upload-Length'.")
        length = _integer_header(headers.get("Upload-Length"), "Upload-Length")
        limit = self.services.max_upload_bytes
        if length > limit:
            raise TooLarge(f"This upload of {length:,} bytes is larger than {limit:,} (limit max_upload_bytes).",
                           hint="Split it, or ask for the limit to be raised.", limit="max_upload_bytes",
                           allowed=limit)
        metadata = parse_metadata(headers.get("Upload-Metadata"))
        name = metadata.get("repository")
        if not name:
            raise BadParameter("Upload-Metadata needs 'repository' (the target repository).",
                               hint="Upload-Metadata: repository <base64>,path <base64>.")
        repo = self.repository(name)
        if not repo.config.writable:
            raise Forbidden(f"Repository '{name}' is read-only.", hint="Upload into a writable repository.")
        path = target_path(metadata)
        await self.refuse_closed(repo.name, path)
        overwrite = metadata.get("overwrite", "").lower() in ("1", "true", "yes")
        checksum = metadata.get("checksum") or None
        parse_checksum(checksum, "Upload-Metadata checksum")
        services, user = self.services, self.current_user
        notify_request.mark(metadata.get("notify") or None)  # Upload-Metadata "notify email" (notify/request.py)

        def create() -> Any:
            repo.full_path(path)  # the path rule, before anything is made
            if not overwrite and repo.exists(path):
                raise Conflict(f"'{path}' already exists in '{name}'.",
                               hint="Choose another name, or upload with overwrite.")
            request = {"repository": name, "path": path, "length": length, "overwrite": overwrite,
                       "checksum": checksum, "filetype": metadata.get("filetype")}
            job = services.jobs.create(
                self.owner, "upload", request, quote={"bytes_written": length, "bytes_read": 0, "seconds": 0},
                phase=Phase.HELD, limits=services.limits_of(user), groups=services.groups_of(user),
                pools=services.pools_of(user))
            self.place_of(job).begin()
            services.jobs.set_held_progress(job.id, self.progress(job, 0))
            return job

        job = await self.run_blocking(create)
        self.set_header("Location", f"{self.base_url}remotem/api/uploads/{job.id}")
        self.set_header("Upload-Expires", self.expires(job))
        self.set_header("X-Remotem-Job", job.id)
        self.set_status(201)
        self.finish()


class UploadHandler(UploadsBase):
    _writer: ChunkWriter | None = None
    #: Bytes arrived and not yet handed to the I/O pool, and the writes under way, in order.
    _pending: list[bytes]
    _pending_bytes: int = 0
    _writes: deque[asyncio.Future[None]]
    _job: Any = None
    _started: float = 0.0

    async def prepare(self) -> None:
        """For a PATCH, everything is checked before the first byte is taken: the caller, the
        upload, its offset and the chunk's checksum header; then bytes go straight to disk."""
        await super().prepare()
        if self.request.method != "PATCH" or self._finished:
            return
        if not self.current_user:
            raise web.HTTPError(403)
        self.check_version()
        if self.request.headers.get("Content-Type", "").split(";")[0].strip() != "application/offset+octet-stream":
            raise UnsupportedMedia("PATCH needs 'Content-Type: application/offset+octet-stream'.")
        upload_id = self.path_kwargs["upload_id"]
        offset = _integer_header(self.request.headers.get("Upload-Offset"), "Upload-Offset")
        checksum = parse_checksum(self.request.headers.get("Upload-Checksum"), "Upload-Checksum")

        def open_writer() -> tuple[Any, ChunkWriter]:
            job = self._live(self.upload_job(upload_id))
            place = self.place_of(job)
            current = place.offset()
            if offset != current:
                raise Conflict(f"Upload-Offset {offset:,} does not match the upload's offset {current:,}.",
                               hint="Ask HEAD for Upload-Offset and continue from there.", offset=current)
            wanted = parse_checksum(job.request.get("checksum"), "checksum")
            whole = DIGESTS.resume(job.id, offset, wanted[0]) if wanted else None
            return job, ChunkWriter(place, offset, int(job.request["length"]), checksum, whole, DIGESTS)

        self._job, self._writer = await self.run_blocking(open_writer)
        self._pending, self._pending_bytes, self._writes = [], 0, deque()
        self._started = time.monotonic()
        widen_body_reads(self.request.connection, int(self._job.request["length"]) - offset)

    def _live(self, job: Any) -> Any:
        if job.phase != Phase.HELD.value:
            raise Gone(f"Upload '{job.id}' is {job.phase.lower()}: it takes no more bytes.")
        if time.time() > job.created.timestamp() + self.services.upload_expiry_s:
            raise Gone(f"Upload '{job.id}' expired at {self.expires(job)}.")
        return job

    def data_received(self, chunk: bytes) -> Any:
        if self._writer is None:
            return super().data_received(chunk)
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        if self._pending_bytes < WRITE_BYTES:
            return None
        return self._write_pending()

    def _write_pending(self) -> Any:
        """Hand what arrived to the I/O pool (written in one call), and go on reading meanwhile:
        tornado reads on once the returned future is done, which is when at most
        :data:`WRITES_IN_FLIGHT` pieces are still being written, so memory stays bounded while
        the network and the disk both keep busy.  Pieces are written in order, each after the one
        before it."""
        pieces, self._pending, self._pending_bytes = self._pending, [], 0
        assert self._writer is not None
        write = asyncio.ensure_future(self._write_after(self._writes[-1] if self._writes else None, self._writer,
                                                        pieces))
        self._writes.append(write)
        while self._writes and self._writes[0].done():
            self._writes.popleft().result()
        if len(self._writes) < WRITES_IN_FLIGHT:
            return None
        return self._writes[0]

    async def _write_after(self, previous: asyncio.Future[None] | None, writer: ChunkWriter,
                           pieces: list[bytes]) -> None:
        if previous is not None:
            await previous
        await asyncio.get_running_loop().run_in_executor(self.services.executor, writer.write, pieces)

    async def _written(self) -> None:
        """Every piece handed to the I/O pool is on disk (the first failure is raised)."""
        if self._pending:
            self._write_pending()
        writes, self._writes = self._writes, deque()
        if writes:
            await asyncio.gather(*writes)

    @web.authenticated
    async def head(self, upload_id: str) -> None:
        self.check_version()
        job = await self.run_blocking(self.upload_job, upload_id)
        if job.phase == Phase.COMPLETED.value:
            offset = int(job.request["length"])
        else:
            self._live(job)
            offset = await self.run_blocking(self.place_of(job).offset)
        self.set_header("Upload-Offset", str(offset))
        self.set_header("Upload-Length", str(job.request["length"]))
        self.set_header("Upload-Expires", self.expires(job))
        self.set_header("Cache-Control", "no-store")
        self.finish()

    @web.authenticated
    async def patch(self, upload_id: str) -> None:
        writer, job = self._writer, self._job
        assert writer is not None and job is not None
        await self._written()
        self._writer = None
        jobs = self.services.jobs

        def conclude() -> tuple[int, dict[str, Any] | None]:
            """Close, then end the upload or note its progress: one trip to the I/O pool, since
            each costs a chunked upload time per request."""
            offset = writer.close(True)
            if offset == int(job.request["length"]):
                return offset, self._complete(job, writer.place)
            jobs.set_held_progress(job.id, self.progress(job, offset, self._started, writer.received))
            return offset, None

        offset, result = await self.run_blocking(conclude)
        if result is not None and result["mtime"] is not None:
            # The file's modification time in place: a client that remembers it sees later
            # changes on the server by a listing alone, without asking for the job.
            self.set_header(MTIME_HEADER, repr(float(result["mtime"])))
        self.set_header("Upload-Offset", str(offset))
        self.set_header("Upload-Expires", self.expires(job))
        self.set_status(204)
        self.finish()

    def _complete(self, job: Any, place: UploadPlace) -> dict[str, Any]:
        """Verify the whole file when a checksum was given, rename it into place, end the job;
        answers the job's result (the file in place, its size and mtime)."""
        request = job.request
        wanted = parse_checksum(request.get("checksum"), "checksum")
        jobs = self.services.jobs
        followed = DIGESTS.take(job.id, int(request["length"])) if wanted is not None else None
        if wanted is not None and (followed or place.digest(wanted[0])) != wanted[1]:
            place.discard()
            jobs.finish(job.id, Phase.ERROR, error={"code": "checksum_mismatch", "kind": "fatal",
                                                    "message": "The uploaded file's checksum does not match.",
                                                    "hint": "Upload it again."})
            raise ChecksumMismatch("The uploaded file's checksum does not match the one given at creation; "
                                   "it was discarded.", hint="Upload it again.")
        place.finish(bool(request.get("overwrite")))
        entry = place.repository.info(place.target)
        result = {"repository": place.repository.name, "path": place.target, "size": entry.size,
                  "mtime": entry.mtime, "format": "upload"}
        if wanted is not None and wanted[0] == "sha256":  # verified: the catalog knows the file's checksum
            result["sha256"] = wanted[1].hex()
        index_written(jobs, self.registry, [result])  # found by a search once it is COMPLETED
        jobs.finish(job.id, Phase.COMPLETED, results=[result], progress=self.progress(job, int(request["length"])))
        return result

    def on_connection_close(self) -> None:
        """A PATCH cut off keeps the bytes that arrived (unless its checksum cannot be checked)."""
        super().on_connection_close()
        writer, self._writer = self._writer, None
        if writer is not None:
            pending, self._pending, self._pending_bytes = self._pending, [], 0
            writes, self._writes = self._writes, deque()

            async def keep_and_close() -> None:
                await asyncio.gather(*writes, return_exceptions=True)
                await asyncio.get_running_loop().run_in_executor(self.services.executor, keep, pending)

            def keep(pieces: list[bytes]) -> None:
                writer.write(pieces)
                writer.close(False)

            asyncio.ensure_future(keep_and_close())

    def on_finish(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:  # refused after prepare (an error answered before patch ran)
            self.services.executor.submit(writer.close, False)

    @web.authenticated
    async def delete(self, upload_id: str) -> None:
        """tus termination: the partial file goes, the job ends ABORTED."""
        self.check_version()

        def terminate() -> None:
            job = self._live(self.upload_job(upload_id))
            DIGESTS.take(job.id, -1)
            self.place_of(job).discard()
            self.services.jobs.finish(job.id, Phase.ABORTED)

        await self.run_blocking(terminate)
        self.set_status(204)
        self.finish()
