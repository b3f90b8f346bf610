"""``me/email``: where the caller's job notices go (``"notify": "email"`` on a job).

The address set here wins; without one, the hub's (its user model's e-mail, or a user name that
is an address) is used.  ``GET`` says which, and whether this server can send mail at all.
"""

from __future__ import annotations

from tornado import web

from ..errors import BadParameter
from ..notify import addresses
from .base import RemotemHandler


class MeEmailHandler(RemotemHandler):
    required_scopes = {"PUT": "jobs", "DELETE": "jobs"}

    def _answer(self, address: str | None, source: str | None) -> None:
        self.write_json({"address": address, "source": source, "enabled": self.services.mailer is not None})

    @web.authenticated
    async def get(self) -> None:
        address = await self.run_blocking(addresses.stored, self.services.jobs, self.owner)
        if address:
            self._answer(address, "set")
            return
        hub = addresses.from_user_model(getattr(self.current_user, "hub_user", None))
        self._answer(hub, "hub" if hub else None)

    @web.authenticated
    async def put(self) -> None:
        """Set the address: ``{"address": "ada@example.org"}``."""
        body = self.json_body()
        if not isinstance(body, dict) or set(body) != {"address"}:
            raise BadParameter("The body must be {\"address\": \"you@example.org\"}.",
                                         hint="DELETE remotem/api/me/email goes back to the hub's address.")
        address = addresses.checked_address(body["address"])
        await self.run_blocking(addresses.store_address, self.services.jobs, self.owner, address)
        self._answer(address, "set")

    @web.authenticated
    async def delete(self) -> None:
        """Forget the address set here (the hub's, if any, is used again)."""
        await self.run_blocking(addresses.forget_address, self.services.jobs, self.owner)
        self.set_status(204)
        self.finish()
