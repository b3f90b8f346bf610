"""Raw binary files (.raw, .bin) described by a JSON sidecar.

The sidecar is ``<file>.json`` (``scan.raw.json``, preferred) or ``<stem>.json``
(``scan.json``)::

    {"shape": [32, 48, 64, 64], "dtype": "<u2", "offset": 0, "nav_ndim": 2,
     "frame_stride": 8192,                       # optional: bytes between frame starts
     "axes": [{"name": "scan_y", "scale": 0.4, "units": "nm"}, ...],   # optional
     ...any other keys are kept as metadata}
"""

from __future__ import annotations

import json
import posixpath
from typing import TYPE_CHECKING, Any

import numpy as np

from ..companions import sidecar_paths
from ..errors import BadParameter, CorruptFile, UnsupportedFormat
from .axes import axes_from_attrs, default_nav_ndim
from .dataset import Axis, Dataset
from .jsonable import jsonable
from .readers import OffsetReader
from .sources import ByteSource

if TYPE_CHECKING:
    from ..storage.repository import Repository

KNOWN_KEYS = {"shape", "dtype", "offset", "nav_ndim", "frame_stride", "axes"}
SIDECAR_LIMIT = 1024 * 1024


def example(path: str) -> str:
    name = posixpath.basename(path)
    return (
        f'Write {name}.json next to it, e.g. {{"shape": [32, 48, 64, 64], "dtype": "<u2", "offset": 0, '
        '"nav_ndim": 2}: shape in C order, dtype as a numpy type string with byte order, offset of the first '
        "byte in the file."
    )


def read_sidecar(repository: Repository, path: str) -> tuple[str, dict[str, Any]]:
    for candidate in sidecar_paths(path):
        if repository.exists(candidate):
            with repository.open(candidate, "rb") as handle:
                text = handle.read(SIDECAR_LIMIT + 1)
            if len(text) > SIDECAR_LIMIT:
                raise CorruptFile(f"The sidecar '{candidate}' is larger than 1 MiB.", hint=example(path))
            try:
                spec = json.loads(text)
            except (ValueError, UnicodeDecodeError) as error:
                raise CorruptFile(
                    f"The sidecar '{candidate}' is not valid JSON: {error}", hint=example(path)
                ) from error
            if not isinstance(spec, dict):
                raise CorruptFile(f"The sidecar '{candidate}' must hold a JSON object.", hint=example(path))
            return candidate, spec
    raise UnsupportedFormat(
        f"'{path}' is raw binary without a description of its layout.",
        hint=example(path),
    )


def _check(spec: dict[str, Any], sidecar: str, path: str) -> tuple[tuple[int, ...], np.dtype, int, int, int | None]:
    def bad(message: str) -> CorruptFile:
        return CorruptFile(f"The sidecar '{sidecar}' is invalid: {message}", hint=example(path))

    shape = spec.get("shape")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)
    ):
        raise bad('"shape" must be a non-empty list of positive integers.')
    try:
        dtype = np.dtype(spec.get("dtype"))
    except TypeError as error:
        raise bad(f'"dtype" {spec.get("dtype")!r} is not a numpy type ({error}).') from error
    if spec.get("dtype") is None or dtype.kind not in "biufc" or dtype.fields is not None:
        raise bad('"dtype" must name a numeric type such as "<u2" or "<f4".')
    offset = spec.get("offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise bad('"offset" must be a non-negative integer.')
    nav_ndim = spec.get("nav_ndim", default_nav_ndim(len(shape)))
    if not isinstance(nav_ndim, int) or isinstance(nav_ndim, bool) or not 0 <= nav_ndim <= len(shape):
        raise bad(f'"nav_ndim" must be an integer between 0 and {len(shape)}.')
    stride = spec.get("frame_stride")
    frame_bytes = int(np.prod(shape[nav_ndim:], dtype=np.int64)) * dtype.itemsize
    if stride is not None and (not isinstance(stride, int) or isinstance(stride, bool) or stride < frame_bytes):
        raise bad(f'"frame_stride" must be an integer of at least one frame ({frame_bytes} bytes).')
    return tuple(shape), dtype, offset, nav_ndim, stride


def _axes(spec: dict[str, Any], shape: tuple[int, ...], nav_ndim: int) -> list[Axis]:
    axes = axes_from_attrs({}, shape, nav_ndim)
    given = spec.get("axes")
    if isinstance(given, list) and len(given) == len(shape):
        calibrated = []
        for axis, raw in zip(axes, given):
            raw = raw if isinstance(raw, dict) else {}
            try:
                calibrated.append(
                    Axis(
                        name=str(raw.get("name", axis.name)),
                        size=axis.size,
                        scale=float(raw.get("scale", 1.0)),
                        offset=float(raw.get("offset", 0.0)),
                        units=str(raw.get("units", axis.units)),
                        navigate=axis.navigate,
                    )
                )
            except (TypeError, ValueError):
                calibrated.append(axis)
        return calibrated
    return axes


def open_raw(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    if dataset not in (None, "", "/"):
        raise BadParameter(f"'{path}' is a single-array raw file; it has no internal dataset '{dataset}'.")
    sidecar, spec = read_sidecar(repository, path)
    shape, dtype, offset, nav_ndim, stride = _check(spec, sidecar, path)
    reader = OffsetReader(
        ByteSource(repository, path), offset, shape, dtype, nav_ndim, frame_stride=stride, label="raw data"
    )
    extra = {key: value for key, value in spec.items() if key not in KNOWN_KEYS}
    return Dataset(
        shape=shape,
        dtype=reader.dtype,
        nav_ndim=nav_ndim,
        format="raw",
        reader=reader,
        axes=_axes(spec, shape, nav_ndim),
        metadata={"sidecar": sidecar, "raw": jsonable(extra)},
    )
