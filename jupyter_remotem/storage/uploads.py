"""The bytes of an upload: where they wait until complete, how they are appended and verified,
and how the finished file is put in place.

An upload is written under a hidden temporary name and renamed to its target only when every
byte has arrived (and, when the client gave one, the whole file's checksum matches), so nobody
ever opens half a file under its real name.  On local disks the partial file sits beside its
target (``.name.remotem-upload-<id>``), so the final rename is atomic and no byte is copied twice.
Object stores and WebDAV cannot append, so there the bytes wait in the server's staging folder
and go up once, complete, under the temporary name, then are moved to the target.

The offset of an upload is the size of its partial file: a server that restarts mid-upload
answers the client's ``HEAD`` with what reached the disk, and the client resumes from there.
A request whose chunk had a checksum (tus's ``Upload-Checksum``) that does not match, or that
was cut off, is cut back to where it started: only verified bytes count.
"""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checksums import CHECKSUMS, digest_size, new_hasher
from ..errors import BadParameter, ChecksumMismatch, Conflict
from . import paths
from .repository import Repository

PARTIAL_INFIX = ".remotem-upload-"


def parse_checksum(header: str | None, what: str) -> tuple[str, bytes] | None:
    """``"crc32 <base64 digest>"`` (tus's Upload-Checksum) as (algorithm, digest), or None."""
    if not header:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUMS:
        raise BadParameter(f"{what}: unsupported checksum algorithm '{algorithm}'.",
                           hint=f"Use one of {', '.join(CHECKSUMS)}.")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        raise BadParameter(f"{what}: the digest must be base64.", hint="For example 'sha256 " +
                           base64.b64encode(hashlib.sha256(b"").digest()).decode() + "'.") from None
    if len(digest) != digest_size(algorithm):
        raise BadParameter(f"{what}: a {algorithm} digest has {digest_size(algorithm)} bytes.")
    return algorithm, digest


@dataclass(frozen=True)
class UploadPlace:
    """Where one upload's bytes go: its target and its partial file."""

    repository: Repository
    target: str
    upload_id: str
    staging: Path

    @property
    def partial(self) -> str:
        folder, name = posixpath.split(self.target)
        hidden = f".{name}{PARTIAL_INFIX}{self.upload_id[:12]}"
        return posixpath.join(folder, hidden) if folder else hidden

    @property
    def partial_file(self) -> str:
        """The partial file on this machine: beside the target on local disks, else staged."""
        if self.repository.is_local:
            return self.repository.full_path(self.partial)
        return str(self.staging / self.upload_id)

    def offset(self) -> int:
        try:
            return os.path.getsize(self.partial_file)
        except FileNotFoundError:
            return 0

    def begin(self) -> None:
        """Make the (empty) partial file, and the target's folders."""
        if self.repository.is_local:
            folder = posixpath.dirname(self.target)
            if folder:
                self.repository.fs.makedirs(self.repository.full_path(folder), exist_ok=True)
        else:
            self.staging.mkdir(parents=True, exist_ok=True)
        with open(self.partial_file, "ab"):
            pass

    def truncate(self, offset: int) -> None:
        """Cut the partial file back to ``offset``: the bytes of a failed request do not count."""
        with open(self.partial_file, "r+b") as stream:
            stream.truncate(offset)

    def digest(self, algorithm: str) -> bytes:
        hasher = new_hasher(algorithm)
        with open(self.partial_file, "rb") as stream:
            while chunk := stream.read(8 * 1024**2):
                hasher.update(chunk)
        return hasher.digest()

    def finish(self, overwrite: bool) -> None:
        """Put the complete file in place under its real name."""
        repo = self.repository
        if repo.exists(self.target) and not overwrite:
            raise Conflict(f"'{self.target}' appeared in '{repo.name}' while it was being uploaded.",
                           hint="Upload it again under another name, or with overwrite.")
        if repo.is_local:
            os.replace(self.partial_file, repo.full_path(self.target))
            return
        temporary = repo.full_path(self.partial)
        repo.fs.put_file(self.partial_file, temporary)
        if overwrite and repo.exists(self.target):
            repo.fs.rm(repo.full_path(self.target))
        repo.fs.mv(temporary, repo.full_path(self.target))
        os.unlink(self.partial_file)

    def discard(self) -> None:
        try:
            os.unlink(self.partial_file)
        except FileNotFoundError:
            pass


class RunningDigests:
    """Each upload's whole-file digest so far, kept as its bytes arrive, so that the last byte
    needs no second read of the whole file (which, for a large upload, would outlast the
    request).  A server restart loses them: that upload's file is then read once at the end."""

    def __init__(self) -> None:
        self._digests: dict[str, tuple[int, Any]] = {}
        self._lock = threading.Lock()

    def resume(self, upload_id: str, offset: int, algorithm: str) -> Any:
        """A hasher holding the digest of the first ``offset`` bytes, or None when unknown."""
        with self._lock:
            known = self._digests.get(upload_id)
        if known is not None and known[0] == offset and known[1].name == algorithm:
            return known[1].copy()
        return new_hasher(algorithm) if offset == 0 else None

    def keep(self, upload_id: str, offset: int, hasher: Any) -> None:
        with self._lock:
            self._digests[upload_id] = (offset, hasher)

    def take(self, upload_id: str, offset: int) -> bytes | None:
        """The digest of the whole upload of ``offset`` bytes, if it was followed all along."""
        with self._lock:
            known = self._digests.pop(upload_id, None)
        return known[1].digest() if known is not None and known[0] == offset else None


#: Threads that hash the pieces of uploads while other threads write them (hashlib and ISA-L
#: let go of the GIL); a writer waits for its piece's digest, so each digest sees its pieces
#: in order.
HASHING = ThreadPoolExecutor(2, thread_name_prefix="remotem-upload-hash")


class ChunkWriter:
    """Appends one request's bytes to the partial file, hashing them as they come: for the
    chunk's checksum (tus ``Upload-Checksum``) and, with ``whole``, for the whole file's."""

    def __init__(self, place: UploadPlace, start: int, length: int, checksum: tuple[str, bytes] | None,
                 whole: Any = None, digests: RunningDigests | None = None) -> None:
        self.place = place
        self.start = start
        self.length = length
        self.checksum = checksum
        self.received = 0
        self.too_long = False
        self._hasher = new_hasher(checksum[0]) if checksum else None
        self._whole = whole
        self._digests = digests
        self._fd = os.open(place.partial_file, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))

    def write(self, pieces: bytes | list[bytes]) -> None:
        """Append ``pieces`` (one, or several in order: written in one system call, not joined
        first) and hash them meanwhile, in a thread of :data:`HASHING`: the digest costs no
        time of its own unless it is slower than the disk."""
        pieces = [pieces] if isinstance(pieces, bytes) else pieces
        count = sum(len(piece) for piece in pieces)
        if self.start + self.received + count > self.length:
            self.too_long = True
            return
        hashing = HASHING.submit(self._hash, pieces) if self._hasher or self._whole else None
        try:
            _write_all(self._fd, pieces, count)
        except BaseException:
            self._whole = None  # hashed bytes the file may lack: the end reads the file instead
            raise
        finally:
            if hashing is not None:
                hashing.result()
        self.received += count

    def _hash(self, pieces: list[bytes]) -> None:
        for piece in pieces:
            if self._hasher is not None:
                self._hasher.update(piece)
            if self._whole is not None:
                self._whole.update(piece)

    def _kept(self) -> int:
        offset = self.place.offset()
        if self._whole is not None and self._digests is not None and offset == self.start + self.received:
            self._digests.keep(self.place.upload_id, offset, self._whole)
        return offset

    def close(self, complete: bool) -> int:
        """Close and answer the new offset.  A request cut off keeps what arrived unless it
        carried a checksum (its bytes cannot be verified); one longer than the upload, or whose
        checksum does not match, keeps nothing."""
        os.close(self._fd)
        if not complete:
            if self._hasher is not None:
                self.place.truncate(self.start)
                return self.place.offset()
            return self._kept()
        if self.too_long:
            self.place.truncate(self.start)
            raise BadParameter(f"This request sends more bytes than the upload's Upload-Length ({self.length:,}).",
                               hint="Send at most Upload-Length minus Upload-Offset bytes.")
        if self._hasher is not None and self.checksum is not None and self._hasher.digest() != self.checksum[1]:
            self.place.truncate(self.start)
            raise ChecksumMismatch("The chunk's checksum does not match the bytes received.")
        return self._kept()


def _write_all(fd: int, pieces: list[bytes], count: int) -> None:
    """All of ``pieces`` to ``fd``: one ``writev`` as a rule, more when the system writes less."""
    written = os.writev(fd, pieces) if len(pieces) <= _IOV_MAX else 0
    if written == count:
        return
    rest = memoryview(b"".join(pieces))[written:]
    while rest:
        rest = rest[os.write(fd, rest):]


#: Most pieces one ``writev`` takes.
_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") and "SC_IOV_MAX" in os.sysconf_names else 16


def target_path(metadata: dict[str, str]) -> str:
    """The target path of an upload from its metadata: ``path``, or ``folder`` + ``filename``."""
    raw = metadata.get("path")
    if raw is None and metadata.get("filename"):
        raw = posixpath.join(metadata.get("folder", ""), metadata["filename"])
    target = paths.normalise(raw)
    if not target:
        raise BadParameter("An upload needs its target: 'repository' and 'path' (or 'folder' and 'filename') "
                           "in Upload-Metadata.",
                           hint="Upload-Metadata: repository <base64>,path <base64> (tus 1.0 creation).")
    return target
