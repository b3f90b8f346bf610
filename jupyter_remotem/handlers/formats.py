"""``GET formats``: the file formats the server knows (:mod:`..file_formats`) — how each is
recognised, what the lab does with it and how it is read on remote storage."""

from __future__ import annotations

from tornado import web

from ..file_formats import formats_json
from .base import RemotemHandler


class FormatsHandler(RemotemHandler):
    @web.authenticated
    async def get(self) -> None:
        self.set_header("Cache-Control", "private, max-age=3600")
        self.write_json({"formats": formats_json()})
