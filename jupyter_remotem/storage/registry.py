"""The configured repositories, looked up by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import NotFound
from .repository import Repository, RepositoryConfig


class RepositoryRegistry:
    """Holds one :class:`Repository` per configured name, in configuration order."""

    def __init__(self, repositories: Iterable[Repository]) -> None:
        self._repositories = {repo.name: repo for repo in repositories}

    @classmethod
    def from_dicts(cls, raw: Iterable[dict[str, Any]]) -> RepositoryRegistry:
        return cls(Repository(RepositoryConfig.from_dict(item)) for item in raw)

    def all(self) -> list[Repository]:
        return list(self._repositories.values())

    def get(self, name: str) -> Repository:
        try:
            return self._repositories[name]
        except KeyError:
            raise unknown_repository(name) from None


def unknown_repository(name: str) -> NotFound:
    """The answer for a repository that is missing or not visible: the two look the same."""
    return NotFound(
        f"There is no repository named '{name}'.",
        hint="GET remotem/api/repositories lists the repositories you can read.",
    )
