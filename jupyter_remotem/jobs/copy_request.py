"""What a copy job is asked to do: a file or folder from one repository to another."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BadParameter
from ..storage import paths


@dataclass(frozen=True)
class Location:
    repository: str
    path: str

    @classmethod
    def from_json(cls, body: Any, name: str) -> Location:
        if not isinstance(body, dict) or not isinstance(body.get("repository"), str):
            raise BadParameter(
                f"A copy needs '{name}': {{\"repository\", \"path\"}}.",
                hint='For example {"source": {"repository": "cloud", "path": "2026-11-21"}, '
                '"target": {"repository": "cluster", "path": "ingest/2026-11-21"}}.',
            )
        return cls(body["repository"], paths.normalise(body.get("path") or ""))


@dataclass(frozen=True)
class CopyRequest:
    source: Location
    target: Location
    priority: int = 0
    overwrite: bool = False

    @classmethod
    def from_json(cls, body: Any) -> CopyRequest:
        if not isinstance(body, dict):
            raise BadParameter("The request body must be a JSON object.")
        from ..compute.operations import OPERATIONS

        declared = {parameter.name for parameter in OPERATIONS["copy"].parameters}  # GET operations serves them
        unknown = set(body) - {"operation"} - declared
        if unknown:
            raise BadParameter(f"Unknown keys in the copy request: {', '.join(sorted(unknown))}.",
                               hint=f"A copy takes: {', '.join(sorted(declared))}.")
        from .requests import check_priority

        priority = check_priority(body.get("priority", 0))
        overwrite = body.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise BadParameter("'overwrite' must be true or false.")
        request = cls(Location.from_json(body.get("source"), "source"), Location.from_json(body.get("target"), "target"),
                      priority, overwrite)
        if not request.target.path:
            raise BadParameter("The copy target needs a path inside the target repository.")
        return request

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": "copy",
            "source": {"repository": self.source.repository, "path": self.source.path},
            "target": {"repository": self.target.repository, "path": self.target.path},
            "priority": self.priority,
            "overwrite": self.overwrite,
        }
