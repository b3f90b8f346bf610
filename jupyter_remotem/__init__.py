"""jupyter_remotem: work on large remote scientific datasets from JupyterLab, next to the data."""

from __future__ import annotations

from typing import Any


def _package_version() -> str:
    """The installed version; importlib.metadata is looked up on first use (a command line
    tool that never asks does not pay for importing it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jupyter_remotem")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        return "0.0.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-remotem"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import RemotemApp

    return [{"module": "jupyter_remotem", "app": RemotemApp}]


#: Client names importable from the package itself (``remotem.connect()``), loaded on first use so
#: that the server extension does not import the client, nor the client the server.
_CLIENT_NAMES = frozenset({
    "connect", "open", "local", "open_local", "Client", "RemoteDataset", "LocalDataset", "Job", "JobFailed",
    "RemotemError", "RemotemWarning", "OperationUnavailable", "NotFound", "BadRequest", "TooLarge",
    "PermissionDenied", "Unsupported", "Unavailable", "Unauthorized", "Unreadable", "Conflict", "kernel_environment",
    "Interrupted", "Interruptible",
    "disk", "ring", "rectangle", "point", "polygon", "weights",
    "Query", "Key", "Name", "Tag", "Format", "Checksum", "Owner", "Shape", "Text", "ModifiedBetween",
})


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = _package_version()
        return globals()["__version__"]
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'jupyter_remotem' has no attribute {name!r}")
