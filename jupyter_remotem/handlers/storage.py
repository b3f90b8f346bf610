"""``GET/POST storage``, ``DELETE storage/{name}``, ``GET storage/protocols``: the caller's own storages.

A storage is opened (its root listed with the credentials given) before it is saved; ``?dry_run=1``
only tests.  Answers say which secret fields are set, never their values; another user's storage
is not there (404).  A personal token needs the ``storage`` scope here (:mod:`..auth.scopes`).
"""

from __future__ import annotations

from tornado import web

from ..errors import NotFound
from .base import RemotemHandler

#: Personal tokens manage storages (and see which exist) only with this scope.
_STORAGE_SCOPE = {"GET": "storage", "POST": "storage", "DELETE": "storage"}


class StorageBase(RemotemHandler):
    required_scopes = _STORAGE_SCOPE

    @property
    def storages(self):  # noqa: ANN201 - the OwnStorages of this server
        storages = self.services.own_storages
        if storages is None:
            raise NotFound("Adding your own storage is not enabled on this server.",
                           hint="Ask the administrator (c.RemotemApp.user_storage_protocols).")
        return storages


class StoragesHandler(StorageBase):
    @web.authenticated
    async def get(self) -> None:
        storages = await self.run_blocking(self.storages.list, self.owner)
        self.write_json({"storages": storages})

    @web.authenticated
    async def post(self) -> None:
        storages = self.storages
        body = self.json_body()
        checked = await self.run_blocking(storages.check, self.owner, body)
        test = await self.run_blocking(storages.test, checked)
        if self.get_query_argument("dry_run", "0") not in ("", "0", "false"):
            self.write_json({"name": checked.name, "tested": True, "saved": False, "test": test})
            return
        saved = await self.run_blocking(storages.add, self.owner, checked)
        self.set_status(201)
        self.write_json(dict(saved, tested=True, saved=True, test=test))


class StorageHandler(StorageBase):
    @web.authenticated
    async def delete(self, name: str) -> None:
        await self.run_blocking(self.storages.remove, self.owner, name)
        self.set_status(204)
        self.finish()


class StorageProtocolsHandler(StorageBase):
    required_scopes: dict[str, str] = {}

    @web.authenticated
    async def get(self) -> None:
        self.write_json({"protocols": [protocol.to_json() for protocol in self.storages.protocols.values()]})
