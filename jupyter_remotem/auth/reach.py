"""Where a personal token may reach: the places (a repository, or a folder or file in one) and
the datasets it was restricted to when it was made.

A beamline's ingest daemon needs to write one folder; a pipeline needs to read one dataset and
derive another.  Scopes (:mod:`.scopes`) say *what* a token may do; its reach says *where*.  A
token without a reach goes wherever its owner may (as tokens always did).

There is one gate, not a check per handler: a restricted request gets its repositories through
:meth:`Reach.confine`, which makes each one refuse every path outside the token's places in
:meth:`~..storage.repository.Repository.full_path` — the method every read, listing, write and
reference inside a file already goes through.  Answers that are not about one place (job lists,
dataset lists) are filtered with :meth:`Reach.allows_places` over the places a record names;
endpoints whose answers cannot be confined to places (searches across repositories, saved
searches, annotations) refuse a restricted token outright.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import BadParameter, Forbidden
from ..storage import paths

#: The most places one token may name (a token is for one program's job, not a catalogue).
MAX_PLACES = 100
EXAMPLE = '{"name": "ingest", "scopes": ["read", "write"], "reach": [{"repository": "raw", "path": "beamline-7"}]}'


class OutsideReach(Forbidden):
    """A restricted token asked for something beyond its places."""

    code = "outside_token_reach"


@dataclass(frozen=True)
class Place:
    """A repository, or a path in one ("" is the whole repository)."""

    repository: str
    path: str = ""

    def covers(self, repository: str, path: str) -> bool:
        return repository == self.repository and paths.under(path, self.path)

    def to_json(self) -> dict[str, str]:
        return {"repository": self.repository, "path": self.path}

    def __str__(self) -> str:
        return f"{self.repository}:{self.path or '/'}"


def checked_reach(value: Any) -> list[dict[str, str]] | None:
    """A token's reach as asked for: None (no restriction) or a list of ``{"repository",
    "path"?}`` and ``{"dataset": id}`` entries, normalised (paths may not leave the repository)."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > MAX_PLACES:
        raise BadParameter(f"'reach' must be a non-empty list of at most {MAX_PLACES} places, or null.",
                           hint=f"For example {EXAMPLE}.")
    checked: list[dict[str, str]] = []
    for entry in value:
        if isinstance(entry, dict) and set(entry) == {"dataset"} and isinstance(entry["dataset"], str) \
                and 0 < len(entry["dataset"]) <= 64:
            checked.append({"dataset": entry["dataset"]})
            continue
        if not isinstance(entry, dict) or not set(entry) <= {"repository", "path"} \
                or not isinstance(entry.get("repository"), str) or not entry["repository"] \
                or not isinstance(entry.get("path", ""), str):
            raise BadParameter("Every place of 'reach' is {\"repository\": name, \"path\": folder or file} "
                               "or {\"dataset\": id}.", hint=f"For example {EXAMPLE}.")
        checked.append({"repository": entry["repository"], "path": paths.normalise(entry.get("path", ""))})
    return checked


class Reach:
    """The places one request of a restricted token may touch."""

    def __init__(self, token_name: str, places: Iterable[Place]) -> None:
        self.token_name = token_name
        self.places = tuple(places)

    def __repr__(self) -> str:
        return f"Reach({self.token_name!r}, {[str(place) for place in self.places]})"

    def described(self) -> str:
        return ", ".join(str(place) for place in self.places) or "nothing (its datasets are gone)"

    def refusal(self, what: str) -> OutsideReach:
        return OutsideReach(f"This personal token ('{self.token_name}') reaches only {self.described()}; "
                            f"{what} is outside that.",
                            hint="Use a token made for that place, or make one (POST remotem/api/tokens with "
                                 "\"reach\") from a logged-in session.")

    def allows(self, repository: str, path: str) -> bool:
        return any(place.covers(repository, path) for place in self.places)

    def allows_places(self, places: Iterable[tuple[str, str]]) -> bool:
        """Whether every place a record names (a job's source and output) is within reach."""
        return all(self.allows(repository, paths.normalise(path)) for repository, path in places)

    def prefixes(self, repository: str) -> tuple[str, ...]:
        return tuple(place.path for place in self.places if place.repository == repository)

    def confine(self, repository: Any) -> Any:
        """``repository`` refusing every path outside this reach (the gate: its ``full_path``)."""
        prefixes = self.prefixes(repository.name)
        if not prefixes:
            raise self.refusal(f"repository '{repository.name}'")
        return repository.confined(prefixes, self.refusal)


def places_named(document: Any) -> Iterator[tuple[str, str]]:
    """Every ``{"repository": name, "path": path}`` pair anywhere in a request or record (a job's
    source, output and copy target take many shapes; this finds them all)."""
    if isinstance(document, dict):
        repository, path = document.get("repository"), document.get("path")
        if isinstance(repository, str) and isinstance(path, (str, type(None))):
            yield repository, path or ""
        for value in document.values():
            yield from places_named(value)
    elif isinstance(document, list):
        for value in document:
            yield from places_named(value)
