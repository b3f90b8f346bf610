"""What a personal token may do, declared once: its scopes, and the scope each request needs.

A program acting for someone (a beamline's ingest daemon, a pipeline deriving datasets) should
hold a token that can do its job and nothing else.  A request needs ``read`` when it only
looks (GET, a search, an interactive reduction), ``write`` when it changes files, ``jobs``
when it submits or steers work, ``datasets:admin`` when it registers, closes, shares or
unregisters datasets, ``storage`` when it lists, adds or removes the user's own storages.  Tokens made before scopes existed have every scope, as they always had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BadParameter


@dataclass(frozen=True)
class Scope:
    name: str
    description: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description}


SCOPES: tuple[Scope, ...] = (
    Scope("read", "Browse repositories, read data and previews, search, compute interactive reductions."),
    Scope("write", "Upload, make folders, rename and delete files; tags and notes."),
    Scope("jobs", "Submit, pause, resume, cancel and delete jobs; save results."),
    Scope("datasets:admin", "Register, describe, share, close, verify and unregister datasets."),
    Scope("storage", "List, add and remove your own storages (which hold your credentials for them)."),
    Scope("admin", "Administer (members of the admin groups only): every user's jobs, the queue and workers; "
                   "cancel, pause, resume, re-prioritise and requeue anyone's job."),
)
NAMES: tuple[str, ...] = tuple(scope.name for scope in SCOPES)

#: The scope a request needs by its method, unless its handler says otherwise (``required_scopes``).
BY_METHOD = {"GET": "read", "HEAD": "read", "OPTIONS": "read"}
DEFAULT = "write"


def checked_scopes(value: Any) -> list[str]:
    """A token's scopes as asked for (None: every scope)."""
    if value is None:
        return list(NAMES)
    if not isinstance(value, list) or not value or not all(isinstance(name, str) for name in value) \
            or set(value) - set(NAMES):
        raise BadParameter(f"'scopes' must be a non-empty list of {list(NAMES)}.",
                           hint='For example {"name": "ingest daemon", "scopes": ["read", "datasets:admin"]}.')
    return [name for name in NAMES if name in value]


def required(method: str, declared: dict[str, str]) -> str:
    """The scope a request with ``method`` needs, given its handler's ``required_scopes``."""
    return declared.get(method, BY_METHOD.get(method, DEFAULT))
