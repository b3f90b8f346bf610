"""Write the `.npz` fixtures of the lab extension's jest tests (src/__tests__/npzfixtures.ts).

The viewer reads `POST reductions?format=npz` answers in the browser; its parser is tested
on archives numpy itself wrote, so that it follows what numpy does (ZIP64 local headers
with 0xFFFFFFFF sizes, data descriptors when the writer cannot seek), not what a reading
of the ZIP specification suggests. Each archive is read back by numpy before it is kept.

Run: .venv/bin/python scripts/npz_fixtures.py
"""

from __future__ import annotations

import base64
import io
import struct
import textwrap
import zipfile
from pathlib import Path

import numpy as np

from jupyter_remotem.encoding import arrays_to_npz

TARGET = Path(__file__).parent.parent / "labextension" / "src" / "__tests__" / "npzfixtures.ts"

HEADER = """/**
 * `.npz` archives written by numpy, as base64 (made by scripts/npz_fixtures.py,
 * which reads each back with numpy first; regenerate them with it, never by hand).
 */

/** The bytes of a base64 fixture. */
export function base64Bytes(text: string): ArrayBuffer {
  return Uint8Array.from(atob(text), c => c.charCodeAt(0)).buffer;
}
"""

CENTRAL_HEADER = "<IHHHHHHIIIHHHHHII"
END_RECORD = "<IHHHHIIH"


class _Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in: it then writes sizes in data descriptors."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, chunk) -> int:  # type: ignore[override]
        self.data += chunk
        return len(chunk)


def server_npz() -> bytes:
    """What the server answers: its own encoder on CoM-like shifts with a NaN."""
    return arrays_to_npz(
        {
            "magnitude": np.array([[0.0, 1.0, 2.0], [np.nan, 1.5, 0.5]], dtype=np.float32),
            "shift_y": np.array([[0.0, -1.0, 2.0], [np.nan, 1.5, 0.0]], dtype=np.float32),
            "shift_x": np.array([[1.0, 0.0, -2.0], [np.nan, 0.0, 0.5]], dtype=np.float32),
        }
    )


def mixed_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(
        buffer,
        np.arange(3, dtype=np.int64) - 1,
        counts=np.array([[1, 65535], [7, 0]], dtype=np.uint16),
        mask=np.array([True, False, True]),
        half=np.array([1.5, -2.0], dtype=np.float16),
        big=np.array([0.25, 1e300], dtype=">f8"),
        scalar=np.float64(3.5),
        cube=np.arange(8, dtype=np.uint8).reshape(2, 2, 2),
    )
    return buffer.getvalue()


def compressed_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, a=np.zeros(4))
    return buffer.getvalue()


def streamed_npz() -> bytes:
    stream = _Unseekable()
    np.savez(stream, ramp=np.linspace(0, 1, 5, dtype=np.float64))
    return bytes(stream.data)


def zip64_directory(archive: bytes) -> tuple[int, bytes]:
    """Where `archive`'s entries end, and a directory for them as an archive too large
    for 32-bit fields stores it: every size and offset in a ZIP64 extra field, and the
    ZIP64 end records."""
    end = archive.rindex(b"PK\x05\x06")
    count, _, start = struct.unpack("<HII", archive[end + 10 : end + 20])
    at = start
    central = bytearray()
    for _ in range(count):
        fields = list(struct.unpack(CENTRAL_HEADER, archive[at : at + 46]))
        name_length, extra_length, comment_length = fields[10:13]
        name = archive[at + 46 : at + 46 + name_length]
        comment_at = at + 46 + name_length + extra_length
        comment = archive[comment_at : comment_at + comment_length]
        # Uncompressed size, compressed size, local header offset: the ZIP64 order.
        extra = struct.pack("<HHQQQ", 1, 24, fields[9], fields[8], fields[16])
        fields[8] = fields[9] = fields[16] = 0xFFFFFFFF
        fields[11] = len(extra)
        central += struct.pack(CENTRAL_HEADER, *fields) + name + extra + comment
        at = comment_at + comment_length
    zip64_end_at = start + len(central)
    zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(central), start)
    locator = struct.pack("<IIQI", 0x07064B50, 0, zip64_end_at, 1)
    end_record = struct.pack(END_RECORD, 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return start, bytes(central) + zip64_end + locator + end_record


def checked(data: bytes) -> bytes:
    """The archive, once numpy and zipfile have read every entry of it."""
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    assert len(arrays) == len(zipfile.ZipFile(io.BytesIO(data)).namelist())
    return data


def constant(name: str, doc: str, data: bytes) -> str:
    lines = textwrap.wrap(base64.b64encode(data).decode(), 72)
    body = " +\n".join(f"  '{line}'" for line in lines)
    return f"/**\n * {doc}\n */\nexport const {name} =\n{body};\n"


def module() -> str:
    mixed = checked(mixed_npz())
    entries_end, directory = zip64_directory(mixed)
    checked(mixed[:entries_end] + directory)
    parts = [
        HEADER,
        constant(
            "SERVER_NPZ",
            "What the server answers for `POST reductions?format=npz` (its own encoder):\n"
            " * magnitude, shift_y, shift_x as float32 (2, 3), NaN at (1, 0); shift_y\n"
            " * [[0, -1, 2], [nan, 1.5, 0]], shift_x [[1, 0, -2], [nan, 0, 0.5]].",
            checked(server_npz()),
        ),
        constant(
            "MIXED_NPZ",
            "`np.savez(f, np.arange(3, dtype=np.int64) - 1, counts=<u2 [[1, 65535], [7, 0]],\n"
            " * mask=[True, False, True], half=<f2 [1.5, -2], big=>f8 [0.25, 1e300],\n"
            " * scalar=3.5, cube=np.arange(8, dtype=np.uint8).reshape(2, 2, 2))`: entries\n"
            " * counts, mask, half, big, scalar, cube, arr_0.",
            mixed,
        ),
        (
            "/** Where the entries of MIXED_NPZ end and its ZIP directory begins. */\n"
            f"export const MIXED_ENTRIES_END = {entries_end};\n"
        ),
        constant(
            "ZIP64_DIRECTORY",
            "A directory for MIXED_NPZ's entries as an archive too large for 32-bit fields\n"
            " * stores it: sizes and offsets in ZIP64 extra fields, ZIP64 end records (numpy\n"
            " * reads the entries of MIXED_NPZ followed by it as it reads MIXED_NPZ).",
            directory,
        ),
        constant(
            "COMPRESSED_NPZ", "`np.savez_compressed(f, a=np.zeros(4))`: a deflated entry.", checked(compressed_npz())
        ),
        constant(
            "STREAMED_NPZ",
            "`np.savez` into a stream that cannot seek, so that the sizes follow the data\n"
            " * in data descriptors: ramp = np.linspace(0, 1, 5).",
            checked(streamed_npz()),
        ),
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(module())
    print(f"wrote {TARGET}")
