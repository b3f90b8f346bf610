"""``GET formats``: the file formats the server knows (:mod:`..file_formats`) — how each is
recognised, what the lab does with it and how it is read on remote storage — and those a job
writes: a reduction's result (``results``) and a transformed or exported dataset (``datasets``)."""

from __future__ import annotations

from tornado import web

from ..file_formats import formats_json
from .base import RemotemHandler


class FormatsHandler(RemotemHandler):
    serves_reach = True  # it answers nothing about places (see auth/reach.py)

    @web.authenticated
    async def get(self) -> None:
        self.set_header("Cache-Control", "private, max-age=3600")
        from ..jobs.exports import EXPORT_FORMATS
        from ..jobs.requests import RESULT_FORMATS

        self.write_json({"formats": formats_json(), "outputs": {
            "results": [{"key": key, "endings": list(endings)} for key, endings in RESULT_FORMATS.items()],
            "datasets": [{"key": f.key, "endings": list(f.endings), "description": f.description}
                         for f in EXPORT_FORMATS.values()]}})
