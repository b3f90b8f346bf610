"""Who is an administrator: a member of one of ``c.RemotemApp.admin_groups``.

Groups are the caller's as the rest of the API knows them (the hub's for a hub user, the
configured ``user_groups`` on a single-user server, the owner's current or stored groups for a
personal token).  A personal token must also carry the ``admin`` scope, and only one that names
it: a token made before scopes existed opens everything else, never this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The scope a personal token needs to reach ``remotem/api/admin`` (declared in :mod:`..auth.scopes`).
SCOPE = "admin"


def is_admin(groups: Iterable[str], admin_groups: Iterable[str], token: Any = None) -> bool:
    """Whether a caller with ``groups`` (and personal ``token``, if it came with one) administers."""
    if not set(groups) & set(admin_groups):
        return False
    if token is None:
        return True
    return token.scopes is not None and SCOPE in token.scopes
