"""``GET views``: the view contract (:mod:`..view_contract`) — the schema of the ``view`` kept
with a result, the colormaps with their tables, and the scales — for the viewer and scripts."""

from __future__ import annotations

from tornado import web

from ..view_contract import contract
from .base import RemotemHandler


class ViewsHandler(RemotemHandler):
    serves_reach = True  # it answers nothing about places (see auth/reach.py)

    @web.authenticated
    async def get(self) -> None:
        self.set_header("Cache-Control", "private, max-age=3600")
        self.write_json(contract())
