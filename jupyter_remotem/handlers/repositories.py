"""``repositories``, ``tree``, ``meta`` and ``preview``: browsing and looking at data."""

from __future__ import annotations

from typing import Any

import numpy as np
from tornado import web

from ..compute.preview import PreviewRequest, kinds_for
from ..compute.views import apply_pipeline, check_pipeline
from ..encoding import npy_pieces
from ..errors import BadParameter, TooLarge, UnsupportedFormat
from ..formats import list_arrays, open_dataset
from ..formats.provenance import read_provenance
from ..formats.selection import normalise as normalise_selection
from ..formats.selection import parse as parse_selection
from ..storage import manage
from ..storage.paths import normalise
from ..storage.repository import Repository
from .base import RemotemHandler


class RepositoriesHandler(RemotemHandler):
    serves_reach = True  # confined repositories, and records filtered by place (auth/reach.py)

    @web.authenticated
    async def get(self) -> None:
        services = self.services
        visible = services.access.visible(self.current_user, self.registry.all())
        if self.reach is not None:  # a restricted token sees the repositories its places lie in
            visible = [repo for repo in visible if self.reach.prefixes(repo.name)]
        self.write_json(
            {
                "repositories": [
                    dict(repo.to_json(), speed=services.speed.current(repo).to_json()) for repo in visible
                ]
            }
        )


class TreeHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)

    @web.authenticated
    async def get(self, name: str, path: str | None = None) -> None:
        repo = self.repository(name)
        entries = await self.run_blocking(repo.list, path or "")
        results = await self.run_blocking(self.services.jobs.results_in, self.owner, repo.name)
        registered = await self.run_blocking(self.services.dataset_store.marks, self.person, repo.name, path or "")
        self.write_json(
            {
                "repository": repo.name,
                "path": normalise(path),
                "entries": [dict(entry.to_json(), result=results.get(entry.path), registered=registered.get(entry.path))
                            for entry in entries],
            }
        )


    @web.authenticated
    async def put(self, name: str, path: str | None = None) -> None:
        """New folder: ``PUT tree/{path}`` with ``{"type": "directory"}`` (as the contents API)."""
        repo = self.repository(name)
        body = self.json_body()
        if not isinstance(body, dict) or body.get("type") != "directory":
            raise BadParameter('PUT tree/{path} makes a folder; send {"type": "directory"}.',
                               hint="Files arrive by upload (POST remotem/api/uploads, tus) or by a copy job.")
        await self.refuse_closed(repo.name, path or "")
        entry = await self.run_blocking(manage.make_folder, repo, path or "")
        self.set_status(201)
        self.write_json(entry.to_json())

    @web.authenticated
    async def patch(self, name: str, path: str | None = None) -> None:
        """Rename or move: ``PATCH tree/{path}`` with ``{"path": "new/path"}``."""
        repo = self.repository(name)
        body = self.json_body()
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            raise BadParameter('PATCH tree/{path} renames or moves; send {"path": "new/path"}.')
        old = normalise(path)
        await self.refuse_closed(repo.name, old, normalise(body["path"]))
        entry = await self.run_blocking(manage.move, repo, old, body["path"])
        await self.run_blocking(self.services.jobs.move_written, repo.name, old, entry.path)
        await self.run_blocking(self.services.catalog.forget_under, repo.name, old)
        self.write_json(entry.to_json())

    @web.authenticated
    async def delete(self, name: str, path: str | None = None) -> None:
        """Delete a file or an empty folder; ``?recursive=1`` a folder with what is in it."""
        repo = self.repository(name)
        recursive = self.get_query_argument("recursive", "0").lower() in ("1", "true")
        await self.refuse_closed(repo.name, normalise(path))
        entry = await self.run_blocking(manage.delete, repo, path or "", recursive)
        # Files a job wrote and the quota counted are no longer there: the ledger forgets them.
        await self.run_blocking(self.services.jobs.forget_written_under, repo.name, entry.path)
        await self.run_blocking(self.services.catalog.forget_under, repo.name, entry.path)  # no longer found
        self.set_status(204)
        self.finish()


def describe(repo: Repository, path: str, dataset: str | None,
             pipeline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Metadata of one file: its listing entry, the arrays inside, the chosen array's geometry
    (seen through ``pipeline`` when given: what a chained dataset is, nothing read), the previews
    that apply to it (the default first), and for a saved result, the provenance that reopens it."""
    entry = repo.info(path)
    result: dict[str, Any] = {"repository": repo.name, "path": entry.path, "entry": entry.to_json(), "previews": []}
    if entry.type == "file":
        result["provenance"] = read_provenance(repo, entry.path)
    if entry.format is None and entry.type == "directory":
        result.update(arrays=None, dataset=None)
        return result
    try:
        result["arrays"] = list_arrays(repo, entry.path)
    except UnsupportedFormat:
        if not result.get("provenance"):
            raise
        result.update(arrays=None, dataset=None)  # a saved picture: its provenance is what matters
        return result
    with apply_pipeline(open_dataset(repo, entry.path, dataset), pipeline or []) as ds:
        result["dataset"] = ds.describe()
        result["previews"] = [kind.to_json() for kind in kinds_for(ds)]
    return result


class MetaHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)

    @web.authenticated
    async def get(self, name: str, path: str | None = None) -> None:
        repo = self.repository(name)
        dataset = self.get_query_argument("dataset", None) or None
        pipeline = check_pipeline(self.query_json("pipeline"))
        self.write_json(await self.run_blocking(describe, repo, path or "", dataset, pipeline))


class PreviewHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)

    @web.authenticated
    async def get(self, name: str, path: str | None = None) -> None:
        repo = self.repository(name)
        request = PreviewRequest(
            kind=self.get_query_argument("kind", None) or None,
            dataset=self.get_query_argument("dataset", None) or None,
            size=self.query_int("size"),
            cmap=self.get_query_argument("cmap", None) or None,
            scale=self.get_query_argument("scale", None) or None,
            y=self.query_int("y"),
            x=self.query_int("x"),
            cx=self.query_float("cx"),
            cy=self.query_float("cy"),
            r=self.query_float("r"),
            ri=self.query_float("ri"),
            ro=self.query_float("ro"),
        )
        png = await self.run_blocking(self.services.previews.render, repo, path or "", request)
        self.set_header("Cache-Control", "private, max-age=60")
        self.finish(png, set_content_type="image/png")


def read_slice(repo: Repository, path: str, dataset: str | None, text: str, max_bytes: int,
               pipeline: list[dict[str, Any]] | None = None, max_dims: int | None = None) -> np.ndarray:
    """The selected part of a dataset (seen through ``pipeline``), refused before reading when it
    would exceed ``max_bytes``."""
    parsed = parse_selection(text, max_dims)
    with apply_pipeline(open_dataset(repo, path, dataset), pipeline or []) as ds:
        selection = normalise_selection(parsed, ds.shape)
        shape = [len(range(*item.indices(size))) for item, size in zip(selection, ds.shape) if isinstance(item, slice)]
        nbytes = int(np.prod(shape, dtype=np.int64)) * ds.dtype.itemsize
        if nbytes > max_bytes:
            raise TooLarge(
                f"The slice holds {nbytes / 1e6:.1f} MB; at most {max_bytes / 1e6:.0f} MB are served at once.",
                hint="Ask for a smaller slice, a step (::4), or run a reduction or job instead.",
            )
        return ds.read(selection)


class DataHandler(RemotemHandler):
    """``GET repositories/{repo}/data/{path}?slice=...``: part of a dataset as an NPY file."""
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)

    @web.authenticated
    async def get(self, name: str, path: str | None = None) -> None:
        repo = self.repository(name)
        text = self.get_query_argument("slice", "...")
        dataset = self.get_query_argument("dataset", None) or None
        pipeline = check_pipeline(self.query_json("pipeline"))
        array = await self.run_blocking(read_slice, repo, path or "", dataset, text, self.services.max_data_bytes,
                                        pipeline, self.services.limits.max_slice_dims)
        self.set_header("Content-Disposition", "attachment; filename=slice.npy")
        self.set_header("Content-Type", "application/octet-stream")
        for piece in npy_pieces(array):  # the slice is held once, not copied whole into the body
            self.write(piece)
            await self.flush()
        self.finish()
