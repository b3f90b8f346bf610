"""The catalog's REST API: search (a query tree, or its text), indexing jobs, key completion, and
tags and notes on entries.

Every answer is limited to the repositories the caller may read: a hidden repository's entries
are never hits, never counted in ``total`` or a facet, and an annotation on one is a 404.
``total`` is counted up to 10,000 hits and estimated past it; ``total_exact`` says which.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tornado import web

from ..catalog.index_runner import index_request
from ..catalog.query import checked, operators_json
from ..catalog.sql import Caller
from ..catalog.store import PAGE, CatalogStore
from ..catalog.syntax import parse, to_text
from ..errors import BadParameter, Forbidden
from ..jobs.models import utcnow
from .base import RemotemHandler


class CatalogHandler(RemotemHandler):
    @property
    def catalog(self) -> CatalogStore:
        return self.services.catalog

    def caller(self) -> Caller:
        services = self.services
        readable = tuple(sorted(repo.name for repo in services.access.visible(self.current_user,
                                                                               services.registry.all())))
        return Caller(readable, services.owner_of(self.current_user) or "anonymous",
                      tuple(services.groups_of(self.current_user)))

    def entry_target(self, body: dict[str, Any] | None = None) -> tuple[str, str, str]:
        """``(repository, path, dataset)`` of the entry a request names, readable by the caller."""
        def given(name: str) -> Any:
            return body.get(name) if body is not None else self.get_query_argument(name, None)

        repository, path, dataset = given("repository"), given("path"), given("dataset") or ""
        if not isinstance(repository, str) or not isinstance(path, str) or not isinstance(dataset, str):
            raise BadParameter("Name the entry: 'repository' and 'path' (and 'dataset' for an array in a container).")
        repo = self.repository(repository)
        repo.ensure_inside(path)
        return repo.name, path.strip("/"), dataset

    async def answer_search(self, tree: dict[str, Any] | None, sort: str, cursor: str | None, limit: int,
                            facets: list[str]) -> None:
        caller = self.caller()
        page = await self.run_blocking(self.catalog.search, tree, caller, sort, cursor, limit, facets)
        self.write_json({"hits": page.hits, "cursor": page.cursor, "total": page.total,
                         "total_exact": page.total_exact, "facets": page.facets,
                         "query": tree, "text": to_text(tree) if tree is not None else ""})


def _facets(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise BadParameter("'facets' is a list of names, such as [\"format\", \"tag\"].")


class SearchHandler(CatalogHandler):
    required_scopes = {"POST": "read"}

    @web.authenticated
    async def get(self) -> None:
        """``?q=`` in the text syntax (for links), with ``sort``, ``cursor``, ``limit``, ``facets``."""
        text = self.get_query_argument("q", "")
        tree = parse(text) if text.strip() else None
        await self.answer_search(tree, self.get_query_argument("sort", "path"),
                                 self.get_query_argument("cursor", None) or None, self.query_int("limit", PAGE) or PAGE,
                                 _facets(self.get_query_argument("facets", None)))

    @web.authenticated
    async def post(self) -> None:
        """``{"query": tree | "text", "sort", "cursor", "limit", "facets"}``."""
        body = self.json_body() or {}
        if not isinstance(body, dict) or set(body) - {"query", "sort", "cursor", "limit", "facets"}:
            raise BadParameter("POST search takes {\"query\", \"sort\", \"cursor\", \"limit\", \"facets\"}.")
        query = body.get("query")
        tree = parse(query) if isinstance(query, str) and query.strip() else (
            checked(query) if query not in (None, "") else None)
        limit = body.get("limit", PAGE)
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise BadParameter("'limit' is an integer.")
        sort, cursor = body.get("sort", "path"), body.get("cursor")
        if not isinstance(sort, str) or not (cursor is None or isinstance(cursor, str)):
            raise BadParameter("'sort' is a field name (- for descending) and 'cursor' the text a page answered.")
        await self.answer_search(tree, sort, cursor, limit, _facets(body.get("facets")))


class SearchOperatorsHandler(CatalogHandler):
    @web.authenticated
    async def get(self) -> None:
        from ..catalog.indexer import STATISTICS

        self.write_json(dict(operators_json(), statistics=STATISTICS))


class SearchParseHandler(CatalogHandler):
    @web.authenticated
    async def get(self) -> None:
        """``?q=`` text → its tree and its text written back: the search box checks as one types."""
        tree = parse(self.get_query_argument("q", ""))
        self.write_json({"query": tree, "text": to_text(tree)})


class SearchKeysHandler(CatalogHandler):
    @web.authenticated
    async def get(self) -> None:
        prefix = self.get_query_argument("prefix", "")
        keys = await self.run_blocking(self.catalog.keys, self.caller(), prefix)
        self.write_json({"keys": keys})


class SearchIndexHandler(CatalogHandler):
    required_scopes = {"POST": "jobs"}

    @web.authenticated
    async def post(self) -> None:
        """Index a repository (or a folder or file of it) as a job; answers the job (201)."""
        request = index_request(self.json_body())
        repo = self.repository(request["repository"])
        await self.run_blocking(repo.info, request["path"])  # 404 now for a path that is not there
        services = self.services
        user = self.current_user
        job = await self.run_blocking(lambda: services.jobs.create(
            self.owner, "index", request, quote={"seconds": None, "bytes_read": 0, "bytes_written": 0,
                                                 "basis": "index"},
            destruction=utcnow() + timedelta(days=services.retention_days), groups=services.groups_of(user)))
        services.supervisor.ensure_running()
        self.set_status(201)
        self.write_json(job.to_json())


class AnnotationsHandler(CatalogHandler):
    @web.authenticated
    async def get(self) -> None:
        """The tags and notes on one entry that the caller may see."""
        target = self.entry_target()
        self.write_json({"annotations": await self.run_blocking(self.catalog.annotations, self.caller(), *target)})

    @web.authenticated
    async def post(self) -> None:
        """``{"repository", "path", "dataset"?, "kind": "tag" | "note", "value", "visibility", "group"?}``."""
        body = self.json_body()
        if not isinstance(body, dict) or set(body) - {"repository", "path", "dataset", "kind", "value",
                                                      "visibility", "group"}:
            raise BadParameter('POST search/annotations takes {"repository", "path", "dataset", "kind", "value", '
                               '"visibility", "group"}.')
        target = self.entry_target(body)
        made = await self.run_blocking(self.catalog.annotate, self.caller(), *target, body.get("kind", "tag"),
                                       body.get("value"), body.get("visibility", "private"), body.get("group"))
        self.set_status(201)
        self.write_json(made)


class AnnotationHandler(CatalogHandler):
    @web.authenticated
    async def patch(self, annotation_id: str) -> None:
        body = self.json_body()
        if not isinstance(body, dict):
            raise BadParameter('PATCH takes {"value", "visibility", "group"}: what changes.')
        self.write_json(await self.run_blocking(self.catalog.change_annotation, self.caller(), int(annotation_id),
                                                body))

    @web.authenticated
    async def delete(self, annotation_id: str) -> None:
        await self.run_blocking(self.catalog.change_annotation, self.caller(), int(annotation_id), None)
        self.set_status(204)
        self.finish()

    @web.authenticated
    async def get(self, annotation_id: str) -> None:
        """The annotation's history: who made and changed it, when, and what it was."""
        self.write_json({"history": await self.run_blocking(self.catalog.history, self.caller(), int(annotation_id))})


class SavedSearchesHandler(CatalogHandler):
    @web.authenticated
    async def get(self) -> None:
        """Your saved searches and those your groups share."""
        self.write_json({"saved": await self.run_blocking(self.catalog.saved, self.caller())})

    @web.authenticated
    async def post(self) -> None:
        """``{"name", "query": tree | text, "visibility": "private" | "group", "group", "overwrite"}``."""
        body = self.json_body()
        if not isinstance(body, dict) or set(body) - {"name", "query", "visibility", "group", "overwrite"}:
            raise BadParameter('POST search/saved takes {"name", "query", "visibility", "group", "overwrite"}.')
        query = body.get("query")
        tree = parse(query) if isinstance(query, str) else checked(query)
        saved = await self.run_blocking(self.catalog.save, self.caller(), body.get("name"), tree,
                                        body.get("visibility", "private"), body.get("group"),
                                        bool(body.get("overwrite", False)))
        self.set_status(201)
        self.write_json(saved)


class SavedSearchHandler(CatalogHandler):
    @web.authenticated
    async def get(self, saved_id: str) -> None:
        """Run a saved search: its hits as ``POST search`` answers them (``?cursor=``, ``?facets=``)."""
        saved = await self.run_blocking(self.catalog.saved_one, self.caller(), int(saved_id))
        await self.answer_search(saved["query"], self.get_query_argument("sort", "path"),
                                 self.get_query_argument("cursor", None) or None, self.query_int("limit", PAGE) or PAGE,
                                 _facets(self.get_query_argument("facets", None)))

    @web.authenticated
    async def delete(self, saved_id: str) -> None:
        await self.run_blocking(self.catalog.unsave, self.caller(), int(saved_id))
        self.set_status(204)
        self.finish()


class CuratedHandler(CatalogHandler):
    @web.authenticated
    async def get(self) -> None:
        """``?repository=&path=&dataset=``: the entry's curated document, revision and history."""
        target = self.entry_target()
        self.write_json(await self.run_blocking(self.catalog.curated, *target))

    @web.authenticated
    async def patch(self) -> None:
        """``{"repository", "path", "dataset", "patch": {...}, "revision"}``: a JSON Merge Patch
        (RFC 7396) as a new revision, by those who may write the repository (others: 403);
        ``revision``, the one last read, makes a change made since a 409."""
        body = self.json_body()
        if not isinstance(body, dict) or set(body) - {"repository", "path", "dataset", "patch", "revision"}:
            raise BadParameter('PATCH search/curated takes {"repository", "path", "dataset", "patch", "revision"}.')
        target = self.entry_target(body)
        repo = self.repository(target[0])
        if not repo.config.writable:
            raise Forbidden(f"Repository '{repo.name}' is read-only: its metadata is curated where it is written.",
                            hint="Curate entries of a writable repository, or tag or note this one.")
        revision = body.get("revision")
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            raise BadParameter("'revision' is the integer a GET search/curated answered.")
        self.write_json(await self.run_blocking(self.catalog.curate, self.caller(), *target, body.get("patch"),
                                                revision))
