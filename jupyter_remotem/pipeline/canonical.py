"""Canonical JSON of step parameters and the content identity of input files.

Keys must be the same on every machine and every run, so parameters are hashed as canonical JSON
(sorted keys, no whitespace, numpy scalars as Python numbers, arrays by dtype, shape and a hash of
their bytes), never as pickles (which change between library versions and runs). A value with no
canonical form is refused by name rather than hashed by ``repr`` (which may contain an address).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np

from .errors import PipelineError


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def canonical(value: Any, where: str = "parameter") -> Any:
    """``value`` as plain JSON data, the same for equal values on any machine."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            return {"$float": repr(number)}
        return number
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, PurePath):
        return {"$path": value.as_posix()}
    if isinstance(value, bytes):
        return {"$bytes": sha256(value)}
    if isinstance(value, np.ndarray):
        contiguous = np.ascontiguousarray(value)
        return {"$array": sha256(contiguous.tobytes()), "dtype": contiguous.dtype.str, "shape": list(value.shape)}
    if isinstance(value, (list, tuple)):
        return [canonical(item, where) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise PipelineError(f"The {where} is a dict with keys that are not strings.",
                                hint="Use string keys: they are hashed as JSON.")
        return {key: canonical(item, f"{where}[{key!r}]") for key, item in sorted(value.items())}
    identity = getattr(value, "pipeline_identity", None)
    if callable(identity):
        return canonical(identity(), where)
    raise PipelineError(f"The {where} is a {type(value).__name__}, which has no canonical form to hash.",
                        hint="Pass numbers, strings, lists, dicts, numpy arrays or File(...), or give the "
                             "object a pipeline_identity() method returning plain data.")


def dumps(value: Any) -> str:
    """Canonical JSON text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(value: Any) -> str:
    return sha256(dumps(value))


#: Files up to this size get a full content checksum; larger ones rely on size, mtime and etag.
FULL_CHECKSUM_BYTES = 256 * 1024 * 1024
_checksums: dict[tuple, str] = {}


@dataclass(frozen=True)
class File:
    """An input file of a step: passed to it as its URL, hashed by its content identity.

    ``File("s3://bucket/fov.czi", key=..., secret=...)`` or ``File("data/fov.tiff")``. Its identity
    is size + modification time or etag + a checksum (computed once per process for a given size
    and time), so an overwritten input redoes the targets made from it.
    """

    url: str
    storage_options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __fspath__(self) -> str:
        return self.url

    def __str__(self) -> str:
        return self.url

    def open(self, mode: str = "rb"):
        import fsspec

        return fsspec.open(self.url, mode, **self.storage_options)

    def pipeline_identity(self) -> dict[str, Any]:
        import fsspec

        fs, path = fsspec.core.url_to_fs(self.url, **self.storage_options)
        try:
            info = fs.info(path)
        except FileNotFoundError:
            raise PipelineError(f"The input file {self.url!r} does not exist.",
                                hint="Check the path, or make it with an earlier step.") from None
        size = int(info.get("size") or 0)
        mtime = info.get("mtime") or info.get("LastModified") or info.get("last_modified")
        etag = info.get("ETag") or info.get("etag")
        identity: dict[str, Any] = {"size": size, "mtime": str(mtime) if mtime is not None else None,
                                    "etag": str(etag).strip('"') if etag else None}
        local = getattr(fs, "protocol", None) in ("file", ("file", "local"))
        if local or not etag:
            cache_key = (self.url, size, identity["mtime"])
            if cache_key not in _checksums:
                _checksums[cache_key] = _content_checksum(fs, path, size)
            identity["sha256"] = _checksums[cache_key]
        return {"$file": os.path.basename(path.rstrip("/")), **identity}


def _content_checksum(fs, path: str, size: int) -> str | None:
    if size > FULL_CHECKSUM_BYTES:
        return None
    hasher = hashlib.sha256()
    with fs.open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()
