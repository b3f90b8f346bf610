"""URL routes of the REST API, all under ``{base_url}remotem/api/``."""

from __future__ import annotations

from typing import Any

from .base import NotFoundHandler
from .reductions import ReductionsHandler
from .repositories import MetaHandler, PreviewHandler, RepositoriesHandler, TreeHandler

API = "remotem/api"
_REPO = r"(?P<name>[^/]+)"
_PATH = r"(?:/(?P<path>.*))?"


def routes() -> list[tuple[str, Any]]:
    return [
        (rf"{API}/repositories/?", RepositoriesHandler),
        (rf"{API}/repositories/{_REPO}/tree{_PATH}", TreeHandler),
        (rf"{API}/repositories/{_REPO}/meta{_PATH}", MetaHandler),
        (rf"{API}/repositories/{_REPO}/preview{_PATH}", PreviewHandler),
        (rf"{API}/reductions/?", ReductionsHandler),
        (rf"{API}(?:/.*)?", NotFoundHandler),
    ]
