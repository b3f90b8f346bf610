"""The checksums an upload may carry (tus's checksum extension), declared once for the server,
the notebook client and the ``OPTIONS`` answer that tells other tus clients.

CRC-32 is there because it is what integrity checks of bulk transfers use by default (the
object stores' own upload checksums among them): it catches the accidental corruption a chunk
checksum is for.  It is computed by ISA-L (``isal``: carry-less multiplication, about 15 GB/s
on one core, where zlib's runs at about 2 GB/s and SHA-256 at about 1.4 GB/s): a digest made
on both sides of a link at zlib's or SHA-256's speed caps an upload well below the speed of
the link itself, at ISA-L's it costs a few per cent.  SHA-256 and SHA-1 stay for whoever
wants a cryptographic digest (the lab's WebCrypto sends SHA-256), MD5 for clients that only
speak it.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from isal import isal_zlib


class Hasher(Protocol):
    name: str
    digest_size: int

    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...

    def copy(self) -> Any: ...


class Crc32:
    """CRC-32 (zlib's polynomial, ISA-L's code) with hashlib's interface; its digest is the 4
    bytes big-endian (as tus servers that offer ``crc32`` send it)."""

    name = "crc32"
    digest_size = 4

    def __init__(self, value: int = 0) -> None:
        self._value = value

    def update(self, data: bytes) -> None:
        self._value = isal_zlib.crc32(data, self._value)

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
