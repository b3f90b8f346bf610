"""Who may read which repository.

A repository with no ``groups`` is open to every user of this server; one with groups is visible
only to members.  Under JupyterHub the identity provider's user model carries the groups; a
standalone server can declare them in ``RemotemApp.user_groups``.  Repositories a user may not
read answer 404, exactly like repositories that do not exist, so names do not leak.
"""

from __future__ import annotations

from typing import Any

from .registry import unknown_repository
from .repository import Repository


def groups_of(user: Any, default: tuple[str, ...] = ()) -> frozenset[str]:
    """Groups of an authenticated jupyter_server user, from the hub's user model when present."""
    hub_user = getattr(user, "hub_user", None)
    if isinstance(hub_user, dict) and hub_user.get("groups") is not None:
        return frozenset(hub_user["groups"]) | frozenset(default)
    if isinstance(user, dict) and user.get("groups") is not None:
        return frozenset(user["groups"]) | frozenset(default)
    return frozenset(default)


class AccessPolicy:
    """Decides visibility of repositories for a user."""

    def __init__(self, default_groups: tuple[str, ...] = ()) -> None:
        self.default_groups = default_groups

    def can_read(self, user: Any, repository: Repository) -> bool:
        allowed = repository.config.groups
        return not allowed or bool(groups_of(user, self.default_groups) & set(allowed))

    def visible(self, user: Any, repositories: list[Repository]) -> list[Repository]:
        return [repo for repo in repositories if self.can_read(user, repo)]

    def check_read(self, user: Any, repository: Repository) -> Repository:
        if not self.can_read(user, repository):
            raise unknown_repository(repository.name)
        return repository
