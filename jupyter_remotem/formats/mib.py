"""Quantum Detectors Merlin ``.mib`` files: a 384-byte ASCII header before every frame.

Reading: rsciio parses the header and the ``.hdr`` sidecar and decides the scan shape; the
frames are then a strided memory map (header, frame, header, frame, ...).  rsciio flips each
frame vertically, and so do we, so both agree on the image.

Writing (:func:`write_mib`) produces files in the same layout, used for demo data and tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CorruptFile
from .axes import axes_from_hyperspy
from .dataset import Dataset
from .jsonable import jsonable
from .readers import OffsetReader
from .rsciio_local import read_signals, refuse_internal_path
from .sources import ByteSource
from ..storage.containment import check_companion
from .stand_in import RangePlan, parse_headers

if TYPE_CHECKING:
    from ..storage.repository import Repository

HEADER_FIELDS = (
    "header_id",
    "sequence_number",
    "data_offset",
    "n_chips",
    "width",
    "height",
    "pixel_depth",
    "sensor_layout",
    "chip_select",
    "acquired",
    "shutter_time_s",
    "counter",
    "colour_mode",
    "gain_mode",
)


def parse_header(header: bytes) -> dict[str, Any]:
    """Named fields of one frame header (the tail fields are timestamp, exposure and depth)."""
    parts = header.decode("ascii", errors="replace").rstrip("\x00 ").split(",")
    if len(parts) < 8 or not parts[0].startswith("MQ"):
        raise CorruptFile("This is not a Merlin MIB file: its first bytes are not an 'MQ1' header.")
    fields: dict[str, Any] = {name: value.strip() for name, value in zip(HEADER_FIELDS, parts)}
    tail = [p for p in parts[len(HEADER_FIELDS) :] if p.strip()]
    if len(tail) >= 3 and tail[-2].endswith("ns"):
        fields["timestamp"] = tail[-3]
        fields["exposure_ns"] = tail[-2][:-2]
        fields["counter_depth"] = tail[-1]
    return fields


#: rsciio reads the timestamps of at most this many frame headers to find the scan's rows.
HEADERS_READ = 10_000
PIXEL_BYTES = {"U01": 1, "U08": 1, "U16": 2, "U32": 4, "R64": 8}


def frames_per_trigger(hdr_text: str) -> int | None:
    """``Frames per Trigger (Number)`` of a ``.hdr`` sidecar (lines ``key:<tab>value``)."""
    for line in hdr_text.splitlines():
        key, _, value = line.partition("\t")
        if key.rstrip(":").strip() == "Frames per Trigger (Number)":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


def header_ranges(repository: Repository, sidecar: str) -> RangePlan:
    """The frame headers rsciio's reader reads of a remote MIB: the first, and, unless the
    ``.hdr`` says several frames come per trigger (a line-triggered scan), those it takes
    the timestamps from that reveal the scan's rows."""

    def plan(source: ByteSource) -> list[tuple[int, int]]:
        first = parse_header(bytes(source.read_ranges([0], [min(768, source.size)])[0]))
        head_size = int(first["data_offset"])
        depth = PIXEL_BYTES.get(first["pixel_depth"].strip())
        if depth is None:
            raise CorruptFile(f"Unknown MIB pixel depth {first['pixel_depth']!r}.")
        stride = head_size + int(first["width"]) * int(first["height"]) * depth
        per_trigger = None
        if repository.exists(sidecar):
            with repository.open(sidecar) as handle:
                per_trigger = frames_per_trigger(handle.read().decode("latin-1"))
        frames = 1 if per_trigger is not None and per_trigger > 1 else min(source.size // stride, HEADERS_READ)
        return [(i * stride, i * stride + head_size) for i in range(max(frames, 1))]

    return plan


def open_mib(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    from rsciio.quantumdetector import file_reader

    refuse_internal_path(dataset, path, "MIB")
    sidecar = str(PurePosixPath(path).with_suffix(".hdr"))

    def parse(local: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if repository.local_path(path) is not None:  # rsciio opens the .hdr it names so, by itself
            check_companion(repository, local.replace(".mib", ".hdr"), f"The .hdr file beside '{path}'")
        with open(local, "rb") as handle:
            return parse_header(handle.read(384)), read_signals(file_reader, local)[0]

    header, signal = parse_headers(repository, path, header_ranges(repository, sidecar), "MIB", parse,
                                   sidecars=[sidecar])
    shape = tuple(int(n) for n in signal["data"].shape)
    props = signal["original_metadata"]["mib_properties"]
    # The repository path: never the server's folders, nor a stand-in's.
    original_metadata = dict(signal["original_metadata"], mib_properties=dict(props, path=path))
    head_size = int(props["head_size"])
    dtype = np.dtype(props["dtype"]).newbyteorder(">")
    frame_bytes = int(np.prod(props["merlin_size"], dtype=np.int64)) * dtype.itemsize
    axes, nav_ndim = axes_from_hyperspy(signal["axes"], shape)
    reader = OffsetReader(
        ByteSource(repository, path),
        offset=int(props.get("offset") or 0) + head_size,
        shape=shape,
        dtype=dtype,
        nav_ndim=nav_ndim,
        frame_stride=head_size + frame_bytes,
        flip_rows=True,
        label="MIB",
    )
    metadata = {
        "mib_header": header,
        "metadata": jsonable(signal.get("metadata") or {}),
        "original_metadata": jsonable(original_metadata),
    }
    return Dataset(
        shape=shape, dtype=reader.dtype, nav_ndim=nav_ndim, format="mib", reader=reader, axes=axes, metadata=metadata
    )


# -- writing ---------------------------------------------------------------------------------
def _header(sequence: int, height: int, width: int, when: dt.datetime, exposure_ns: int) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    fields = [
        "MQ1",
        f"{sequence:06d}",
        "00384",
        "01",
        f"{width:04d}",
        f"{height:04d}",
        "U16",
        "   1x1",
        "01",
        when.strftime("%Y-%m-%d %H:%M:%S.%f"),
        f"{exposure_ns / 1e9:.6f}",
        "0",
        "0",
        "0",
        "1.200000E+1",
        "5.110000E+2",
        "0.000000E+0",
        "0.000000E+0",
        "0.000000E+0",
        "0.000000E+0",
        "0.000000E+0",
        "0.000000E+0",
        "3RX",
        "MQ1A",
        stamp,
        f"{exposure_ns}ns",
        "12",
        "",
    ]
    text = ",".join(fields).encode("ascii")
    if len(text) > 384:
        raise ValueError("MIB header longer than 384 bytes")
    return text + b"\x00" * (384 - len(text))


def write_mib(
    target: Path,
    rows: Iterable[np.ndarray],
    nav_shape: tuple[int, int],
    start: dt.datetime | None = None,
    exposure_ns: int = 1_000_000,
) -> None:
    """Write scan rows of frames as a single-chip 12-bit MIB file plus its ``.hdr`` sidecar.

    Frames are stored upside down, as the Merlin does relative to rsciio's orientation, so
    ``rsciio.quantumdetector.file_reader`` returns exactly the frames given here.  Timestamps
    advance by the exposure per frame plus a flyback pause per row.
    """
    start = start or dt.datetime(2024, 5, 17, 14, 30, 0, tzinfo=dt.timezone.utc)
    ny, nx = nav_shape
    sequence = 0
    height = width = 0
    with open(target, "wb") as out:
        for row in rows:
            row = np.asarray(row)
            height, width = row.shape[-2:]
            for frame in row.reshape((-1, height, width)):
                y, x = divmod(sequence, nx)
                when = start + dt.timedelta(microseconds=(sequence * exposure_ns // 1000) + y * 50_000)
                out.write(_header(sequence + 1, height, width, when, exposure_ns))
                out.write(np.ascontiguousarray(frame[::-1]).astype(">u2").tobytes())
                sequence += 1
    _write_hdr(target.with_suffix(".hdr"), ny * nx, nx, start)


def _write_hdr(target: Path, frames: int, per_trigger: int, start: dt.datetime) -> None:
    lines = [
        "HDR,",
        f"Time and Date Stamp (day, mnth, yr, hr, min, s):\t{start.strftime('%d/%m/%Y %H:%M:%S')}",
        "Chip ID:\tW529_F5,-,-,-",
        "Chip Type (Medipix 3.0, Medipix 3.1, Medipix 3RX):\tMedipix 3RX",
        "Assembly Size (NX1, 2X2):\t   1x1",
        "Chip Mode  (SPM, CSM, CM, CSCM):\tSPM",
        "Counter Depth (number):\t12",
        "Gain:\tSLGM",
        "Active Counters:\tAlternating",
        "Thresholds (keV):\t1.200000E+1,5.110000E+2,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0",
        "Gap Fill Mode:\tNone",
        "Flat Field File:\tNone",
        "Acquisition Type (Normal, Th_scan, Config):\tNormal",
        f"Frames in Acquisition (Number):\t{frames}",
        f"Frames per Trigger (Number):\t{per_trigger}",
        "Trigger Timing (Master, Slave):\tMaster",
        "End\t",
    ]
    target.write_text("\n".join(lines) + "\n")
