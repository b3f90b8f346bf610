"""``GET quota``: the caller's storage and compute limits, what is used, and what is left."""

from __future__ import annotations

from tornado import web

from .base import RemotemHandler


class QuotaHandler(RemotemHandler):
    serves_reach = True  # it answers nothing about places (see auth/reach.py)

    @web.authenticated
    async def get(self) -> None:
        self.write_json(await self.run_blocking(self.services.quota_of, self.current_user))
