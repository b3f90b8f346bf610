"""Where a user's job notices go: the address they set (``PUT me/email``), else the one the hub
gives (its user model's ``email``, or a user name that is an address, as with e-mail logins)."""

from __future__ import annotations

import json
import os
import re
import ssl
import urllib.request
from typing import Any

from sqlalchemy import delete, select

from ..errors import BadParameter
from ..jobs.models import UserAddress, utcnow

#: An address as mail servers accept it, without display name or comments: local@domain.tld.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def checked_address(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 320 or not _ADDRESS.match(value.strip()):
        raise BadParameter("'address' must be an e-mail address such as ada@example.org.",
                           hint='PUT remotem/api/me/email with {"address": "you@example.org"}.')
    return value.strip()


def from_user_model(model: Any) -> str | None:
    """The address a hub's user model gives, if any."""
    if not isinstance(model, dict):
        return None
    for candidate in (model.get("email"), model.get("name")):
        if isinstance(candidate, str) and _ADDRESS.match(candidate):
            return candidate
    return None


def stored(store: Any, owner: str) -> str | None:
    with store.reading() as session:
        return session.scalar(select(UserAddress.address).where(UserAddress.owner == owner))


def store_address(store: Any, owner: str, address: str) -> None:
    with store.writing() as session:
        row = session.get(UserAddress, owner)
        if row is None:
            session.add(UserAddress(owner=owner, address=address, updated=utcnow()))
        else:
            row.address, row.updated = address, utcnow()


def forget_address(store: Any, owner: str) -> None:
    with store.writing() as session:
        session.execute(delete(UserAddress).where(UserAddress.owner == owner))


def from_hub() -> str | None:
    """The server owner's address from the hub's user model (the server's own API token), or None
    without a hub or when the hub does not say."""
    url, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if not url or not token:
        return None
    context = None
    if os.environ.get("JUPYTERHUB_SSL_CLIENT_CA"):
        context = ssl.create_default_context(cafile=os.environ["JUPYTERHUB_SSL_CLIENT_CA"])
        if os.environ.get("JUPYTERHUB_SSL_CERTFILE"):
            context.load_cert_chain(os.environ["JUPYTERHUB_SSL_CERTFILE"], os.environ.get("JUPYTERHUB_SSL_KEYFILE"))
    request = urllib.request.Request(f"{url.rstrip('/')}/user", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:  # noqa: S310 - the hub's URL
            return from_user_model(json.loads(answer.read(1 << 20)))
    except (OSError, ValueError):
        return None


def address_of(store: Any, owner: str) -> tuple[str | None, str | None]:
    """(address, where it came from: "set" or "hub") for ``owner``'s notices."""
    address = stored(store, owner)
    if address:
        return address, "set"
    address = from_hub()
    return (address, "hub") if address else (None, None)
