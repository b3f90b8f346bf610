"""jupyter_remotem: work on large remote scientific datasets from JupyterLab, next to the data."""

from __future__ import annotations

from typing import Any

try:
    from importlib.metadata import version as _version

    __version__ = _version("jupyter_remotem")
except Exception:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0.0.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-remotem"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import RemotemApp

    return [{"module": "jupyter_remotem", "app": RemotemApp}]
