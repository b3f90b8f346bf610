"""Personal API tokens, made, listed and revoked by their owner.

A script on a laptop, or a pipeline acting on someone's behalf, should not hold their password
or the Jupyter server's own token (which also runs code in kernels).  A personal token opens
this API only — browse, read, reduce, submit jobs — with its owner's name and groups; it can be
revoked at any time and may expire.  Only a SHA-256 digest is stored: the secret is shown once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from ..errors import BadParameter, NotFound
from ..jobs.models import ApiToken, utcnow
from .scopes import checked_scopes

#: Every personal token starts with this, so it is told apart from Jupyter's own tokens at once.
PREFIX = "rmt_"
#: ``last_used`` is written at most this often per token (a busy script must not write on every call).
LAST_USED_RESOLUTION = timedelta(minutes=1)
#: Attempts at the ``last_used`` write before it is given up (it is a courtesy, never worth a failure).
LAST_USED_ATTEMPTS = 3

log = logging.getLogger(__name__)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def presented(authorization: str | None) -> str | None:
    """The personal token in an ``Authorization: token rmt_...`` (or ``Bearer``) header, if any."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() in ("token", "bearer") and value.startswith(PREFIX):
        return value
    return None


class TokenStore:
    """Tokens in the job database (the same one a hub's servers share)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(self, owner: str, name: Any, groups: list[str], expires_in_days: Any = None,
               scopes: Any = None, reach: list[dict[str, str]] | None = None) -> tuple[ApiToken, str]:
        """A new token and its secret (the only time the secret exists outside the caller)."""
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise BadParameter("A token needs a 'name' (what it is for), of at most 200 characters.",
                               hint='For example {"name": "laptop analysis", "expires_in_days": 30}.')
        if expires_in_days is not None and (isinstance(expires_in_days, bool)
                                            or not isinstance(expires_in_days, (int, float))
                                            or not 0 < expires_in_days <= 3650):
            raise BadParameter("'expires_in_days' must be a number of days between 0 and 3650, or null.")
        granted = checked_scopes(scopes)
        secret = PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        token = ApiToken(id=str(uuid.uuid4()), owner=owner, name=name.strip(), digest=digest(secret),
                         groups=sorted(groups), scopes=granted, reach=reach, created=now,
                         expires=now + timedelta(days=expires_in_days) if expires_in_days else None)
        with self._sessions() as session, session.begin():
            session.add(token)
        return token, secret

    def list(self, owner: str) -> list[ApiToken]:
        with self._sessions() as session:
            return list(session.scalars(select(ApiToken).where(ApiToken.owner == owner)
                                        .order_by(ApiToken.created.desc())))

    def revoke(self, owner: str, token_id: str) -> None:
        with self._sessions() as session, session.begin():
            token = session.get(ApiToken, token_id)
            if token is None or token.owner != owner:
                raise NotFound(f"There is no token '{token_id}'.", hint="GET remotem/api/tokens lists yours.")
            session.delete(token)

    def verify(self, secret: str, server_owner: str) -> ApiToken | None:
        """The token this secret belongs to, unless it was revoked, has expired, or belongs to someone
        other than this server's owner (on a hub, whose servers share the database, a token opens
        its owner's server only).

        Checking is a read only; the ``last_used`` stamp is a separate, short write that may fail
        without failing the request (see :meth:`_touch`)."""
        now = utcnow()
        with self._sessions() as session:
            token = session.scalars(select(ApiToken).where(ApiToken.digest == digest(secret))).first()
        if token is None or (token.expires is not None and token.expires <= now) or token.owner != server_owner:
            return None
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            self._touch(token.id, now)
            token.last_used = now
        return token

    def _touch(self, token_id: str, now: datetime) -> None:
        """Stamp ``last_used``, at most once per :data:`LAST_USED_RESOLUTION` however many requests
        race for it.

        The write takes SQLite's write lock up front (``BEGIN IMMEDIATE``, waiting out the busy
        timeout): a read transaction that upgrades to a write fails at once with "database is
        locked" when another connection wrote meanwhile, which is what concurrent first uses of a
        new token did.  The stamp is advisory, so after a few attempts it is given up with a
        warning instead of failing the request."""
        stale = or_(ApiToken.last_used.is_(None), ApiToken.last_used < now - LAST_USED_RESOLUTION)
        statement = (update(ApiToken).where(ApiToken.id == token_id, stale).values(last_used=now)
                     .execution_options(synchronize_session=False))
        for attempt in range(LAST_USED_ATTEMPTS):
            try:
                with self._sessions() as session, session.begin():
                    session.connection(execution_options={"remotem_write": True})
                    session.execute(statement)
                return
            except OperationalError as error:
                if attempt + 1 == LAST_USED_ATTEMPTS:
                    log.warning("jupyter_remotem: could not record the use of token %s: %s", token_id, error.orig)
                    return
                time.sleep(0.05 * (attempt + 1))
