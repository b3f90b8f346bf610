"""Entry points: open one array of a file as a :class:`~.dataset.Dataset`, or list its arrays.

Dispatch is by name, through the declarations of :mod:`..file_formats`; every format module runs inside
:func:`~.boundary.converted_errors`, so a bad file yields 404/415/422, never a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UnsupportedFormat
from .boundary import converted_errors
from .dataset import Dataset
from ..file_formats import BY_KEY, detect_format, lister_of, opener_of

if TYPE_CHECKING:
    from ..storage.repository import Repository


def format_of(repository: Repository, path: str) -> str:
    """The format key of ``path``; :class:`NotFound` if missing, :class:`UnsupportedFormat` if unknown."""
    entry = repository.info(path)
    fmt = detect_format(entry.name, is_directory=entry.type == "directory")
    if fmt is None or opener_of(fmt) is None:
        kind = "folder" if entry.type == "directory" else "file"
        raise UnsupportedFormat(f"'{entry.path or path}' is not a {kind} format that can be opened as an array.")
    return fmt  # type: ignore[return-value]


def open_dataset(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    """Open one array of a file lazily: reads headers and indexes, never the whole data."""
    fmt = format_of(repository, path)
    with converted_errors(path, BY_KEY[fmt].label, "open"):
        return opener_of(fmt)(repository, path, dataset)


def list_arrays(repository: Repository, path: str) -> list[dict[str, Any]]:
    """Every array of a container file, or the one array of a single-array file."""
    fmt = format_of(repository, path)
    lister = lister_of(fmt)
    with converted_errors(path, BY_KEY[fmt].label, "list"):
        if lister is not None:
            arrays = lister(repository, path)
            if not arrays:
                raise UnsupportedFormat(f"'{path}' contains no numeric arrays.")
            return arrays
        with opener_of(fmt)(repository, path, None) as opened:
            return [
                {
                    "path": "/",
                    "shape": list(opened.shape),
                    "dtype": opened.dtype.str,
                    "chunks": list(opened.chunks) if opened.chunks else None,
                    "compression": None,
                }
            ]


__all__ = ["open_dataset", "list_arrays", "format_of"]
