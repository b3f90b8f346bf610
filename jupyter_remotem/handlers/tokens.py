"""``GET/POST tokens`` and ``DELETE tokens/{id}``: personal API tokens, managed by their owner."""

from __future__ import annotations

from tornado import web

from ..auth.reach import EXAMPLE as REACH_EXAMPLE
from ..auth.reach import checked_reach
from ..auth.scopes import NAMES, SCOPES
from ..errors import BadParameter, Forbidden
from ..storage.access import groups_of
from .base import RemotemHandler


class TokensBase(RemotemHandler):
    def require_session(self) -> None:
        """Tokens are made and revoked from a logged-in session, so a leaked token cannot make more."""
        if self.api_token is not None:
            raise Forbidden("A personal token cannot make or revoke tokens.",
                            hint="Manage tokens from JupyterLab or a notebook on the server.")


class TokensHandler(TokensBase):
    @web.authenticated
    async def get(self) -> None:
        tokens = await self.run_blocking(self.services.tokens.list, self.owner)
        self.write_json({"tokens": [token.to_json() for token in tokens]})

    @web.authenticated
    async def post(self) -> None:
        self.require_session()
        body = self.json_body()
        if not isinstance(body, dict) or set(body) - {"name", "expires_in_days", "scopes", "reach"}:
            raise BadParameter('The body must be {"name": ..., "expires_in_days": ..., "scopes": [...], '
                               '"reach": [...]}.',
                               hint=f"Scopes: {', '.join(NAMES)} (GET tokens/scopes says what each allows); "
                                    f"reach: for example {REACH_EXAMPLE}.")
        reach = checked_reach(body.get("reach"))
        if reach is not None:
            await self.run_blocking(self._check_places, reach)
        groups = sorted(groups_of(self.current_user, self.services.access.default_groups))
        token, secret = await self.run_blocking(self.services.tokens.create, self.owner, body.get("name"), groups,
                                                body.get("expires_in_days"), body.get("scopes"), reach)
        self.set_status(201)
        # The secret is answered this once; only its digest is kept.
        self.write_json(dict(token.to_json(), token=secret))


    def _check_places(self, reach: list[dict[str, str]]) -> None:
        """Every place must be one its maker may read (404 like any other invisible thing)."""
        for place in reach:
            if "dataset" in place:
                self.services.dataset_store.location(self.person, place["dataset"])
            else:
                self.repository(place["repository"])


class TokenHandler(TokensBase):
    @web.authenticated
    async def delete(self, token_id: str) -> None:
        self.require_session()
        await self.run_blocking(self.services.tokens.revoke, self.owner, token_id)
        self.set_status(204)
        self.finish()


class TokenScopesHandler(RemotemHandler):
    serves_reach = True  # it answers nothing about places (see auth/reach.py)

    @web.authenticated
    async def get(self) -> None:
        """The scopes a token may be given, and what each allows."""
        self.write_json({"scopes": [scope.to_json() for scope in SCOPES]})
