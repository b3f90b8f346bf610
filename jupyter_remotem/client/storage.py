"""``c.storage``: add, list and remove storages of your own, with your own credentials.

>>> c.storage.add("my-bucket", "s3://my-bucket/raw", options={"endpoint_url": "https://s3.example.org"},
...               secrets={"key": "AKIA...", "secret": "..."})
>>> c.storage.list()            # which secrets are set, never their values
>>> c.ls("my-bucket")           # then it is a repository like any other, for you only
>>> c.storage.remove("my-bucket")

The server opens the storage (lists its root) before it saves it, so a mistyped key is refused at
once (:class:`~.errors.RemotemError` with code ``connection_failed``); ``test_only=True`` only
tries.  The secrets travel once, in the body of that request, and are never sent back.

An SFTP server gets them only once its host key is trusted.  The first ``add`` of a server the
administrator has not listed is refused with code ``host_key_unknown``, ``error.details`` holding
the server's ``host_key`` and its ``fingerprint``: compare the fingerprint with the one the
server's administrator gives, then add again with ``options={"username": ..., "host_key": ...}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import Client


class Storages:
    """Your own storages on one server (see the module docstring)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @property
    def _connection(self) -> Any:
        return self.client.connection

    def protocols(self) -> list[dict[str, Any]]:
        """What may be added: each protocol's URL, options, secret fields and an example."""
        return self._connection.get_json("storage", "protocols")["protocols"]

    def list(self) -> list[dict[str, Any]]:
        """Your storages: name, protocol, URL, options, which secret fields are set, whether they open."""
        return self._connection.get_json("storage")["storages"]

    def add(self, name: str, url: str, *, protocol: str | None = None, options: dict[str, Any] | None = None,
            secrets: dict[str, str] | None = None, description: str = "", writable: bool = False,
            test_only: bool = False) -> dict[str, Any]:
        """Add the storage at ``url`` (``s3://bucket/prefix``, ``webdav://folder`` with
        ``options={"base_url": ..., "username": ...}``) as the repository ``name``; the protocol is
        the URL's unless given.  Refused before saving when it cannot be listed with ``secrets``."""
        body = {"name": name, "protocol": protocol or url.split("://", 1)[0], "url": url,
                "options": dict(options or {}), "secrets": dict(secrets or {}), "description": description,
                "writable": writable}
        return self._connection.post_json("storage", body=body, dry_run="1" if test_only else None)

    def remove(self, name: str) -> None:
        """Forget your storage ``name`` (its files stay where they are)."""
        self._connection.request("DELETE", "storage", name)

    def __repr__(self) -> str:
        return f"<your storages: {', '.join(s['name'] for s in self.list()) or 'none'}>"
