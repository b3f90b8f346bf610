"""``c.datasets``: register, share, close, verify and trace datasets from a notebook or a script.

>>> run = c.datasets.register("scratch", "2026-12-06/run-1", "Run 1", description="120 kV")
>>> c.datasets.share(run["id"], [{"group": "microscopy", "role": "read"}])
>>> c.datasets.close(run["id"])           # a job: every file's SHA-256 goes in the manifest
>>> c.datasets.verify(run["id"])["intact"]
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .jobs import Job

if TYPE_CHECKING:
    from .server import Client


class Datasets:
    """The datasets this user may see, on one server (see the module docstring)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @property
    def _connection(self) -> Any:
        return self.client.connection

    def types(self) -> list[dict[str, Any]]:
        """The dataset types (name, label, preview, description)."""
        return self._connection.get_json("datasets", "types")["types"]

    def list(self, *, mine: bool = False, owner: str | None = None, state: str | None = None,
             repository: str | None = None, path: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
        """Datasets you may see, newest first (``path``: those at or under it, with ``repository``)."""
        return self._connection.get_json("datasets", mine="true" if mine else None, owner=owner, state=state,
                                         repository=repository, path=path, type=type)["datasets"]

    def get(self, dataset_id: str) -> dict[str, Any]:
        return self._connection.get_json("datasets", dataset_id)

    def register(self, repository: str, path: str, name: str, *, description: str = "", type: str | None = None,
                 parents: list[str] | tuple[str, ...] = (), run: dict[str, Any] | None = None) -> dict[str, Any]:
        """Make the file or folder at ``repository``/``path`` a dataset of yours (the type is guessed
        when not given; ``parents``: closed datasets it was derived from; ``run``: what made it)."""
        body = {"repository": repository, "path": path, "name": name, "description": description,
                "parents": list(parents), **({"type": type} if type else {}), **({"run": run} if run else {})}
        return self._connection.post_json("datasets", body=body)

    def update(self, dataset_id: str, **changes: Any) -> dict[str, Any]:
        """Change ``name``, ``description`` or ``type``."""
        return self._connection.request("PATCH", "datasets", dataset_id, body=changes).json()

    def share(self, dataset_id: str, grants: list[dict[str, str]]) -> dict[str, Any]:
        """Replace who may read or write: ``[{"user": "bob", "role": "read"}, {"group": "lab", "role": "write"}]``."""
        return self._connection.request("PUT", "datasets", dataset_id, "grants", body={"grants": grants}).json()

    def _job(self, dataset_id: str, action: str, wait: bool, timeout: float | None) -> Any:
        answer = self._connection.post_json("datasets", dataset_id, action)
        job = Job(self.client, answer["job"])
        if not wait:
            return job
        job.wait(timeout=timeout, progress=False)
        return job.results[0]

    def close(self, dataset_id: str, *, wait: bool = True, timeout: float | None = None) -> Any:
        """Close: record every file's size and SHA-256, then refuse changes (a job; with ``wait``
        its summary, else the job)."""
        return self._job(dataset_id, "close", wait, timeout)

    def verify(self, dataset_id: str, *, wait: bool = True, timeout: float | None = None) -> Any:
        """Compare a closed dataset with its manifest: ``intact``, ``changed``, ``missing``, ``added``."""
        return self._job(dataset_id, "verify", wait, timeout)

    def files(self, dataset_id: str) -> dict[str, Any]:
        """The files the dataset holds now: ``repository``, ``path`` and ``files`` (path, size)."""
        return self._connection.get_json("datasets", dataset_id, "files")

    def manifest(self, dataset_id: str) -> list[dict[str, Any]]:
        return self._connection.get_json("datasets", dataset_id, "manifest")["files"]

    def lineage(self, dataset_id: str) -> dict[str, Any]:
        """Ancestors and descendants you may see: ``nodes`` and ``edges`` (parent → child)."""
        return self._connection.get_json("datasets", dataset_id, "lineage")

    def unregister(self, dataset_id: str) -> None:
        """Forget the dataset; its files stay."""
        self._connection.request("DELETE", "datasets", dataset_id)
