"""The checksums an upload may carry (tus's checksum extension), declared once for the server,
the notebook client and the ``OPTIONS`` answer that tells other tus clients.

CRC-32 is there because it is what integrity checks of bulk transfers use by default (the
object stores' own upload checksums among them): it catches the accidental corruption a chunk
checksum is for, at several GB/s, where SHA-256 runs at about 1.5 GB/s and, hashed on both
sides of a link, caps an upload well below the speed of the link itself.  SHA-256 and SHA-1 stay for whoever
wants a cryptographic digest (the lab's WebCrypto sends SHA-256), MD5 for clients that only
speak it.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any, Protocol


class Hasher(Protocol):
    name: str
    digest_size: int

    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...

    def copy(self) -> Any: ...


class Crc32:
    """zlib's CRC-32 with hashlib's interface; its digest is the 4 bytes big-endian (as tus
    servers that offer ``crc32`` send it).  zlib lets go of the GIL for large pieces."""

    name = "crc32"
    digest_size = 4

    def __init__(self, value: int = 0) -> None:
        self._value = value

    def update(self, data: bytes) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")

    def copy(self) -> Crc32:
        return Crc32(self._value)


#: Accepted algorithms, the recommended first.
CHECKSUMS = ("crc32", "sha256", "sha1", "md5")


def new_hasher(algorithm: str) -> Hasher:
    """A fresh hasher for one of :data:`CHECKSUMS`."""
    if algorithm == "crc32":
        return Crc32()
    if algorithm not in CHECKSUMS:
        raise ValueError(f"unsupported checksum algorithm {algorithm!r}")
    return hashlib.new(algorithm)


def digest_size(algorithm: str) -> int:
    return new_hasher(algorithm).digest_size
