"""The notebook client: remote datasets used like arrays, reductions next to the data, jobs.

>>> import jupyter_remotem as remotem
>>> c = remotem.connect()
>>> ds = c.open("demo", "scan.h5")
>>> ds.shape, ds.axes
>>> bf = ds.virtual_detector(remotem.disk(32, 32, 9), as_xarray=True)
>>> binned = ds.crop(nav=[(0, 16), None]).bin(2).virtual_detector([remotem.ring(16, 16, 6, 15)])
>>> job = ds.submit("com", {"cx": 32, "cy": 32}, output="com.hspy"); job.wait(); job.result()
>>> small = ds.to_local()          # same methods, run in this kernel

The client speaks HTTP only (``requests``); the in-process side of :mod:`.local` imports the
project's kernels on first use.
"""

from __future__ import annotations

from .dataset import RemoteDataset
from .detectors import disk, point, polygon, rectangle, ring, weights
from .discovery import kernel_environment
from .errors import (
    BadRequest,
    Conflict,
    Interrupted,
    NotFound,
    OperationUnavailable,
    PermissionDenied,
    RemotemError,
    RemotemWarning,
    TooLarge,
    Unauthorized,
    Unavailable,
    Unreadable,
    Unsupported,
)
from .interrupt import Interruptible
from .jobs import Job, JobFailed
from .local import LocalDataset, local, open_local
from .query import Format, Key, ModifiedBetween, Name, Owner, Query, Shape, Tag, Text
from .server import Client, connect


def open(repository: str, path: str, dataset: str | None = None) -> RemoteDataset:
    """``remotem.open("demo", "scan.h5")``: :func:`connect` with no arguments, then ``open``."""
    return connect().open(repository, path, dataset)


__all__ = [
    "BadRequest", "Client", "Conflict", "Format", "Interruptible", "Interrupted", "Job", "JobFailed", "Key",
    "LocalDataset", "ModifiedBetween", "Name", "NotFound", "OperationUnavailable", "Owner", "Query", "Shape", "Tag",
    "Text",
    "PermissionDenied", "RemoteDataset", "RemotemError", "RemotemWarning", "TooLarge", "Unauthorized",
    "Unavailable", "Unreadable", "Unsupported", "connect", "disk", "kernel_environment", "local", "open",
    "open_local", "point", "polygon", "rectangle", "ring", "weights",
]


def __dir__() -> list[str]:
    return sorted(__all__)

