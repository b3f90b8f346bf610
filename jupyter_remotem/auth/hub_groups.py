"""The server owner's groups as JupyterHub knows them now, for requests made with personal tokens.

A personal token stands for its owner, but a request made with one carries no hub session from
which the owner's groups could be read; the groups stored with the token are those of the day it
was made.  Under JupyterHub, when the server's own API token may read its owner's groups
(``c.Spawner.server_token_scopes`` including ``read:users:groups!user``), the hub is asked
instead, at most once per ``refresh_s`` seconds, so that leaving a group closes that group's
repositories to the owner's tokens as well.  Where the hub does not say (no hub, no such scope,
the hub unreachable), the stored groups stand.
"""

from __future__ import annotations

import json
import logging
import os
import time

from tornado.httpclient import AsyncHTTPClient


class OwnerGroups:
    """Asks the hub for the owner's groups; see the module docstring."""

    def __init__(self, api_url: str | None, api_token: str | None, refresh_s: float,
                 log: logging.Logger | None = None, tls: dict[str, str] | None = None) -> None:
        self.api_url = api_url.rstrip("/") if api_url else None
        self._api_token = api_token
        #: ``ca_certs``/``client_cert``/``client_key`` for a hub with ``internal_ssl``.
        self._tls = tls or {}
        self.refresh_s = refresh_s
        self._log = log or logging.getLogger(__name__)
        self._groups: list[str] | None = None
        self._asked_at: float | None = None

    @classmethod
    def from_environment(cls, refresh_s: float, log: logging.Logger | None = None) -> OwnerGroups:
        """The hub a single-user server was started by (JupyterHub's variables), if any, with the
        certificates the hub gives its servers when it runs with ``internal_ssl``."""
        names = {"ca_certs": "JUPYTERHUB_SSL_CLIENT_CA", "client_cert": "JUPYTERHUB_SSL_CERTFILE",
                 "client_key": "JUPYTERHUB_SSL_KEYFILE"}
        tls = {option: os.environ[name] for option, name in names.items() if os.environ.get(name)}
        return cls(os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN"), refresh_s, log, tls)

    async def current(self) -> list[str] | None:
        """The owner's groups now, or None when the hub cannot tell."""
        if not self.api_url or not self._api_token:
            return None
        now = time.monotonic()
        if self._asked_at is not None and now - self._asked_at < self.refresh_s:
            return self._groups
        self._groups = await self._ask()
        self._asked_at = now
        return self._groups

    async def _ask(self) -> list[str] | None:
        try:
            response = await AsyncHTTPClient().fetch(
                f"{self.api_url}/user", headers={"Authorization": f"token {self._api_token}"},
                raise_error=False, request_timeout=10, **self._tls)
        except OSError as error:
            self._log.warning("jupyter_remotem: the hub did not answer for the owner's groups: %s", error)
            return None
        if response.code != 200:
            self._log.warning("jupyter_remotem: the hub answered %s for the owner's groups", response.code)
            return None
        groups = json.loads(response.body).get("groups")
        if not isinstance(groups, list):  # the server's token may not read groups
            return None
        return sorted(str(group) for group in groups)
