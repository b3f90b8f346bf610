"""The datasets REST API: register, list, describe, share, close, verify and trace datasets.

``GET datasets/types`` serves the type registry; closing and verifying are jobs (``POST
datasets/{id}/close`` and ``.../verify`` answer 202 with the job), since hashing a large
dataset takes longer than a request may.  Every answer is the caller's view: a dataset they
may not see is a 404, and the grants of a dataset are shown to its owner and writers only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tornado import web

from ..datasets.manifest import listing as listing_of
from ..datasets.runner import dataset_request
from ..datasets.store import DatasetStore
from ..datasets.types import TYPES, facts_of, guess
from ..errors import BadParameter, TooLarge
from ..jobs.models import utcnow
from .base import RemotemHandler

REGISTER_KEYS = {"repository", "path", "name", "description", "type", "parents", "run"}
#: Files one ``GET datasets/{id}/files`` answers at most.
MAX_FILES = 100_000


class DatasetsBase(RemotemHandler):
    serves_reach = True  # confined repositories, and records filtered by place (auth/reach.py)
    #: Anything but looking changes who owns, sees or may change data: a token needs the admin scope.
    required_scopes = {method: "datasets:admin" for method in ("POST", "PUT", "PATCH", "DELETE")}

    @property
    def store(self) -> DatasetStore:
        return self.services.dataset_store

    async def prepare(self) -> None:
        """A dataset named in the URL must lie within a restricted token's reach."""
        await super().prepare()
        dataset_id = self.path_kwargs.get("dataset_id")
        if self.reach is not None and dataset_id:
            repository, path = await self.run_blocking(self.store.location, self.person, dataset_id)
            if not self.reach.allows(repository, path):
                raise self.reach.refusal(f"dataset '{dataset_id}' ({repository}:{path or '/'})")

    def reachable(self, datasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The datasets of a list (or of a lineage) a restricted token may see."""
        if self.reach is None:
            return datasets
        return [dataset for dataset in datasets if self.reach.allows(dataset["repository"], dataset["path"])]

    def body_object(self, allowed: set[str], example: str) -> dict[str, Any]:
        body = self.json_body()
        if not isinstance(body, dict) or set(body) - allowed:
            unknown = sorted(set(body) - allowed) if isinstance(body, dict) else None
            raise BadParameter(f"Unknown keys {unknown}." if unknown else "The body must be a JSON object.",
                               hint=f"For example {example}.")
        return body


class DatasetTypesHandler(DatasetsBase):
    @web.authenticated
    async def get(self) -> None:
        """The type registry; with ``repository`` and ``path``, also the type that file or folder
        would be given if it were registered now (``"guess"``), so the lab opens an unregistered
        3-D reconstruction in the volume view as it would a registered one."""
        answer: dict[str, Any] = {"types": [kind.to_json() for kind in TYPES]}
        name, path = self.get_query_argument("repository", None), self.get_query_argument("path", None)
        if (name is None) != (path is None):
            raise BadParameter("Name both 'repository' and 'path' to have a type guessed, or neither.",
                               hint="For example datasets/types?repository=demo&path=tomo/reconstruction.h5.")
        if name is not None and path is not None:
            repository = self.repository(name)
            entry = await self.run_blocking(repository.info, path)  # 404 for what is not there
            answer["guess"] = (await self.run_blocking(lambda: guess(facts_of(repository, entry)))).name
        self.write_json(answer)


class DatasetsHandler(DatasetsBase):
    @web.authenticated
    async def get(self) -> None:
        """The datasets the caller may see, newest first, filtered by the query's arguments."""
        argument = lambda name: self.get_query_argument(name, None) or None  # noqa: E731
        mine = argument("mine")
        if mine not in (None, "true", "false"):
            raise BadParameter("'mine' is true or false.")
        datasets = await self.run_blocking(lambda: self.store.list(
            self.person, owner=argument("owner"), state=argument("state"), repository=argument("repository"),
            type=argument("type"), under=argument("path"), mine=mine == "true"))
        self.write_json({"datasets": self.reachable(datasets)})

    @web.authenticated
    async def post(self) -> None:
        """Register a file or folder as a dataset: ``{"repository", "path", "name", "description"?,
        "type"?, "parents"?, "run"?}``; without a type, one is guessed from the format and the shape;
        ``run`` is what made it (a command's run record), kept with who registered it and when."""
        body = self.body_object(REGISTER_KEYS, '{"repository": "scratch", "path": "scan-7", "name": "Scan 7"}')
        if not isinstance(body.get("repository"), str) or not isinstance(body.get("path"), str):
            raise BadParameter("Name what to register: 'repository' and 'path'.",
                               hint='For example {"repository": "scratch", "path": "scan-7", "name": "Scan 7"}.')
        repository = self.repository(body["repository"])
        entry = await self.run_blocking(repository.info, body["path"])  # 404 for what is not there
        kind = body.get("type")
        if kind is None:
            kind = (await self.run_blocking(lambda: guess(facts_of(repository, entry)))).name
        dataset = await self.run_blocking(lambda: self.store.register(
            self.person, repository.name, entry.path, body.get("name"), body.get("description"), kind,
            body.get("parents") or [], body.get("run")))
        self.set_status(201)
        self.write_json(dataset)


class DatasetHandler(DatasetsBase):
    @web.authenticated
    async def get(self, dataset_id: str) -> None:
        self.write_json(await self.run_blocking(self.store.get, self.person, dataset_id))

    @web.authenticated
    async def patch(self, dataset_id: str) -> None:
        body = self.body_object({"name", "description", "type"}, '{"description": "Tilt series, 120 kV"}')
        self.write_json(await self.run_blocking(self.store.update, self.person, dataset_id, body))

    @web.authenticated
    async def delete(self, dataset_id: str) -> None:
        """Unregister (the files stay where they are)."""
        await self.run_blocking(self.store.unregister, self.person, dataset_id)
        self.set_status(204)
        self.finish()


class DatasetGrantsHandler(DatasetsBase):
    @web.authenticated
    async def put(self, dataset_id: str) -> None:
        """Replace who may read or write: ``{"grants": [{"user" | "group": name, "role": "read" | "write"}]}``."""
        body = self.body_object({"grants"}, '{"grants": [{"user": "bob", "role": "read"}]}')
        self.write_json(await self.run_blocking(self.store.share, self.person, dataset_id, body.get("grants")))


class DatasetJobHandler(DatasetsBase):
    def required_scope(self) -> str:
        """Closing changes what a dataset is (its owner's business); verifying only reads it."""
        return "datasets:admin" if self.path_kwargs.get("action") == "close" else "read"

    @web.authenticated
    async def post(self, dataset_id: str, action: str) -> None:
        """Close (record the manifest, then no more changes) or verify, as a job; 202 with the job."""
        request = dataset_request({"dataset": dataset_id, "action": action})
        dataset = await self.run_blocking(self.store.check_job, self.person, dataset_id, action)
        services = self.services
        groups = services.groups_of(self.current_user)
        job = await self.run_blocking(lambda: services.jobs.create(
            self.owner, "dataset", request,
            quote={"seconds": None, "bytes_read": 0, "bytes_written": 0, "basis": f"dataset-{action}"},
            destruction=utcnow() + timedelta(days=services.retention_days), groups=groups))
        services.supervisor.ensure_running()
        self.set_status(202)
        self.write_json({"dataset": dataset, "job": job.to_json()})


class DatasetLineageHandler(DatasetsBase):
    @web.authenticated
    async def get(self, dataset_id: str) -> None:
        lineage = await self.run_blocking(self.store.lineage, self.person, dataset_id)
        if self.reach is not None:
            lineage["nodes"] = self.reachable(lineage["nodes"])
            kept = {node["id"] for node in lineage["nodes"]}
            lineage["edges"] = [edge for edge in lineage["edges"] if {edge["parent"], edge["child"]} <= kept]
        self.write_json(lineage)


class DatasetFilesHandler(DatasetsBase):
    @web.authenticated
    async def get(self, dataset_id: str) -> None:
        """The files a dataset holds now, with their sizes and mtimes (what a working directory
        clones, and compares with what it remembers)."""
        repository_name, path = await self.run_blocking(self.store.location, self.person, dataset_id)
        repository = self.repository(repository_name)
        members = await self.run_blocking(listing_of, repository, path)
        if len(members) > MAX_FILES:
            raise TooLarge(f"This dataset holds {len(members):,} files, more than {MAX_FILES:,} in one answer.",
                           hint="Clone parts of it by path, or pack many small files into a container format.")
        self.write_json({"repository": repository_name, "path": path, "files": members})


class DatasetManifestHandler(DatasetsBase):
    @web.authenticated
    async def get(self, dataset_id: str) -> None:
        files = await self.run_blocking(self.store.manifest, self.person, dataset_id)
        self.write_json({"files": [file.to_json() for file in files]})
