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

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dataset import RemoteDataset
    from .server import Client

#: Where each public name lives, imported on first use: a command that only moves files
#: (``remotem``) does not pay for the array side (numpy and the dataset machinery).
_WHERE = {
    "RemoteDataset": "dataset", "disk": "detectors", "point": "detectors", "polygon": "detectors",
    "rectangle": "detectors", "ring": "detectors", "weights": "detectors", "kernel_environment": "discovery",
    **{name: "errors" for name in ("BadRequest", "Conflict", "Interrupted", "NotFound", "OperationUnavailable",
                                   "PermissionDenied", "RemotemError", "RemotemWarning", "TooLarge",
                                   "Unauthorized", "Unavailable", "Unreadable", "Unsupported")},
    "Interruptible": "interrupt", "Job": "jobs", "JobFailed": "jobs",
    "LocalDataset": "local", "local": "local", "open_local": "local",
    **{name: "query" for name in ("Checksum", "Format", "Key", "ModifiedBetween", "Name", "Owner", "Query", "Shape",
                                  "Tag", "Text")},
    "Client": "server", "connect": "server",
}


class _Package(ModuleType):
    """This package, where a submodule named like a public function (``local``) leaves the
    name to the function when it is imported (the import would otherwise bind the module)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WHERE and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open(repository: str, path: str, dataset: str | None = None) -> RemoteDataset:
    """``remotem.open("demo", "scan.h5")``: :func:`connect` with no arguments, then ``open``."""
    from .server import connect

    return connect().open(repository, path, dataset)


__all__ = [
    "BadRequest", "Checksum", "Client", "Conflict", "Format", "Interruptible", "Interrupted", "Job", "JobFailed",
    "Key",
    "LocalDataset", "ModifiedBetween", "Name", "NotFound", "OperationUnavailable", "Owner", "Query", "Shape", "Tag",
    "Text",
    "PermissionDenied", "RemoteDataset", "RemotemError", "RemotemWarning", "TooLarge", "Unauthorized",
    "Unavailable", "Unreadable", "Unsupported", "connect", "disk", "kernel_environment", "local", "open",
    "open_local", "point", "polygon", "rectangle", "ring", "weights",
]


def __dir__() -> list[str]:
    return sorted(__all__)

