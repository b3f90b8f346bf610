"""The notebook's entry point: one Jupyter server's repositories, datasets and jobs.

>>> import jupyter_remotem as remotem
>>> c = remotem.connect()                 # inside a kernel of the server: no arguments
>>> c.repositories                        # what this user may read, with speed lights
>>> ds = c.open("demo", "scan.h5")
>>> bf = ds.virtual_detector(remotem.disk(32, 32, 9))
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import files
from .advice import Thresholds
from .connection import Connection, path_in_url
from .datasets import Datasets
from .discovery import ServerAddress, find_server
from .errors import NotFound, RemotemError
from .jobs import Job, clear_finished
from .query import tree_of
from .search import SearchResults
from .storage import Storages

if TYPE_CHECKING:
    from .dataset import RemoteDataset
    from typing_extensions import Self


class Client:
    """A connection to one server's remotem API (see the module docstring)."""

    def __init__(self, address: ServerAddress, timeout: float = 120.0, parallel: int = 4) -> None:
        self.address = address
        self.connection = Connection(address, timeout=timeout, parallel=parallel)
        self.thresholds = Thresholds()
        self._repositories: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"<remotem Client {self.address.url}>"

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- browsing ----------------------------------------------------------------------------
    @property
    def repositories(self) -> list[dict[str, Any]]:
        """Repositories this user may read: ``name, description, writable, protocol, home, speed``."""
        self._repositories = self.connection.get_json("repositories")["repositories"]
        return self._repositories

    def _repository(self, name: str) -> dict[str, Any] | None:
        known = self._repositories if self._repositories is not None else self.repositories
        return next((r for r in known if r["name"] == name), None)

    def repository_bytes_s(self, name: str) -> float | None:
        """The repository's probed read speed in bytes/s (None when not measured yet)."""
        speed = (self._repository(name) or {}).get("speed") or {}
        value = speed.get("throughput_mb_s")
        return float(value) * 1e6 if value else None

    def home_repository(self, required: bool = False) -> str | None:
        """The repository next to the notebooks (``home: true``), where local copies go."""
        home = next((r["name"] for r in (self._repositories or self.repositories) if r.get("home")), None)
        if home is None and required:
            raise NotFound("This server has no home repository for results next to the notebooks.",
                           "Pass repository='<a writable repository>' explicitly.", code="no_home_repository")
        return home

    def local_path(self, repository: str, path: str) -> Path | None:
        """Where ``path`` of the home repository lies on this machine, when the kernel shares the
        server's disk (the server exported its root folder); else None."""
        root = self.address.root_dir or os.environ.get("REMOTEM_ROOT_DIR")
        if not root or repository != self.home_repository() or not Path(root).is_dir():
            return None
        return Path(root).joinpath(*[p for p in path.split("/") if p])

    def ls(self, repository: str, path: str = "") -> list[dict[str, Any]]:
        """Entries of a folder: ``name, path, type, size, mtime, modified, format``."""
        parts = ["repositories", repository, "tree"]
        if path.strip("/"):
            parts.append(path_in_url(path))
        return self.connection.get_json(*parts)["entries"]

    def meta(self, repository: str, path: str, dataset: str | None = None,
             pipeline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The server's description of one file (``GET meta``); with ``pipeline``, of the
        dataset seen through those steps (the server's own shape, dtype and axes rules)."""
        return self.connection.get_json("repositories", repository, "meta", path_in_url(path), dataset=dataset,
                                        pipeline=json.dumps(pipeline) if pipeline else None)

    def open(self, repository: str, path: str, dataset: str | None = None) -> RemoteDataset:
        """A dataset (lazy: only its description is read); ``dataset`` picks an array inside the file."""
        meta = self.meta(repository, path, dataset)
        if meta.get("dataset") is None:
            raise NotFound(f"'{path}' in '{repository}' is a folder, not a dataset.",
                           f"List it with client.ls({repository!r}, {path!r}).", code="not_a_dataset")
        from .dataset import RemoteDataset  # the array side, loaded by the first dataset

        return RemoteDataset(self, repository, path, meta)

    def operations(self, repository: str | None = None, path: str | None = None,
                   dataset: str | None = None) -> list[dict[str, Any]]:
        """Operations the server offers (for a dataset, with ``available`` and the ``reason`` why not).

        Empty when the server predates ``GET operations``: everything is then tried remotely."""
        try:
            return self.connection.get_json("operations", repository=repository, path=path,
                                            dataset=dataset)["operations"]
        except NotFound:
            return []

    # -- jobs --------------------------------------------------------------------------------
    def submit(self, body: dict[str, Any]) -> Job:
        """Submit a raw ``POST jobs`` body (datasets build it with ``ds.submit``)."""
        return Job(self, self.connection.post_json("jobs", body=body))

    def run_pipeline(self, handles: Any, store: str, *, path: str = "", cluster: str | None = None,
                     **options: Any) -> Job:
        """Run a pipeline's ``handles`` as a durable job of this server, writing its targets to the
        repository ``store`` (a folder ``path`` of it) or an fsspec URL; see
        :func:`jupyter_remotem.pipeline.submit`."""
        from ..pipeline.durable import submit

        return submit(handles, store, path=path, cluster=cluster, client=self, **options)

    def quota(self) -> dict[str, Any]:
        """Your storage and compute limits, what your jobs use and reserve, and what is left (with
        prices set, ``costs``: spent, reserved and the budget in the period)."""
        return self.connection.get_json("quota")

    def jobs(self, *phases: str) -> list[Job]:
        """This user's jobs, newest first; optionally only those in ``phases``."""
        params = {"PHASE": list(phases)} if phases else None
        answer = self.connection.request("GET", "jobs", params=params).json()
        return [Job(self, info) for info in answer["jobs"]]

    def job(self, job_id: str) -> Job:
        return Job(self, self.connection.get_json("jobs", job_id))

    def clear_finished_jobs(self, *kinds: str) -> list[str]:
        """Clear finished jobs (completed, failed, cancelled; optionally only of ``kinds``) from
        the list, as the lab's "Clear finished" does: their result and uploaded files stay.
        Answers the ids cleared; ``jobs(...)`` no longer lists them, ``job(id)`` still opens them."""
        return clear_finished(self, *kinds)

    def copy(self, repository: str, path: str, target_repository: str | None = None,
             target_path: str | None = None) -> Job:
        """Copy a file or folder between repositories as a job (default target: the home repository,
        same path)."""
        body = {"operation": "copy", "source": {"repository": repository, "path": path},
                "target": {"repository": target_repository or self.home_repository(required=True),
                           "path": target_path or path}}
        return self.submit(body)


    # -- the catalog (see :mod:`.search`) ----------------------------------------------------
    def search(self, query: Any = None, sort: str = "path", facets: tuple[str, ...] | list[str] = (),
               page_size: int = 100) -> SearchResults:
        """Entries of every repository you may read that match ``query``: a :class:`~.query.Query`
        (``Key("desc.beam_energy").between(150, 250, "keV") & Tag("good")``), its JSON tree, or
        the text syntax.  Lazy: pages are fetched as the results are iterated."""
        return SearchResults(self, query, sort, tuple(facets), page_size)

    def curated(self, repository: str, path: str, dataset: str | None = None) -> dict[str, Any]:
        """An entry's curated metadata: ``document``, ``revision`` and every revision."""
        return self.connection.get_json("search", "curated", repository=repository, path=path, dataset=dataset)

    def curate(self, repository: str, path: str, patch: dict[str, Any], dataset: str | None = None,
               revision: int | None = None) -> dict[str, Any]:
        """Change an entry's curated metadata with a JSON Merge Patch (None removes a key); with
        ``revision`` (the one you read), a change someone made since is a :class:`Conflict`."""
        body = {"repository": repository, "path": path, "dataset": dataset or "", "patch": patch,
                "revision": revision}
        return self.connection.request("PATCH", "search", "curated", body=body).json()

    def save_search(self, name: str, query: Any, visibility: str = "private", group: str | None = None,
                    overwrite: bool = False) -> dict[str, Any]:
        """Save a query under ``name``, for you or shared with one of your groups."""
        body = {"name": name, "query": tree_of(query), "visibility": visibility, "group": group,
                "overwrite": overwrite}
        return self.connection.post_json("search", "saved", body=body)

    def saved_searches(self) -> list[dict[str, Any]]:
        """Your saved searches and those your groups share (run one with ``c.search(saved["query"])``)."""
        return self.connection.get_json("search", "saved")["saved"]

    def index(self, repository: str, path: str = "") -> Job:
        """(Re-)index a repository, or a folder or file of it, as a job: only what changed is opened."""
        return Job(self, self.connection.post_json("search", "index", body={"repository": repository, "path": path}))

    def tag(self, repository: str, path: str, tag: str, visibility: str = "private", group: str | None = None,
            dataset: str | None = None) -> dict[str, Any]:
        """Tag an entry (``visibility`` "private", "group" with ``group``, or "readers")."""
        return self._annotate(repository, path, dataset, "tag", tag, visibility, group)

    def note(self, repository: str, path: str, text: str, visibility: str = "private", group: str | None = None,
             dataset: str | None = None) -> dict[str, Any]:
        """A note on an entry, seen as ``visibility`` says; change it with :meth:`annotation`."""
        return self._annotate(repository, path, dataset, "note", text, visibility, group)

    def _annotate(self, repository: str, path: str, dataset: str | None, kind: str, value: str, visibility: str,
                  group: str | None) -> dict[str, Any]:
        body = {"repository": repository, "path": path, "dataset": dataset or "", "kind": kind, "value": value,
                "visibility": visibility, "group": group}
        return self.connection.post_json("search", "annotations", body=body)

    def annotations(self, repository: str, path: str, dataset: str | None = None) -> list[dict[str, Any]]:
        """The tags and notes on an entry that you may see."""
        return self.connection.get_json("search", "annotations", repository=repository, path=path,
                                        dataset=dataset)["annotations"]

    def annotation(self, annotation_id: int, delete: bool = False, **changes: Any) -> dict[str, Any] | None:
        """Change one of your annotations (``value=``, ``visibility=``, ``group=``), or delete it."""
        if delete:
            self.connection.request("DELETE", "search", "annotations", str(int(annotation_id)))
            return None
        return self.connection.request("PATCH", "search", "annotations", str(int(annotation_id)),
                                       body=changes).json()

    # -- datasets (see :mod:`.datasets`) -----------------------------------------------------
    @property
    def datasets(self) -> Datasets:
        """Datasets you own or that are shared with you: register, share, close, verify, lineage."""
        return Datasets(self)

    # -- your own storages (see :mod:`.storage`) ---------------------------------------------
    @property
    def storage(self) -> Storages:
        """Storages of your own with your own credentials: add (tested first), list, remove."""
        return Storages(self)

    # -- clusters on demand (see :mod:`.clusters`) -------------------------------------------
    @property
    def clusters(self) -> Any:
        """Dask clusters of your own: options and limits, start, scale, adapt, watch, stop."""
        from .clusters import Clusters

        return Clusters(self)

    # -- sky-survey cutouts (see :mod:`.cutouts`) --------------------------------------------
    def surveys(self) -> list[dict[str, Any]]:
        """The sky surveys you may cut: name, bands, footprint, pixel scale."""
        from . import cutouts

        return cutouts.surveys(self)

    def cutout(self, survey: str, ra: float, dec: float, size: Any = None, **options: Any) -> Any:
        """A real-time cutout of ``survey`` at (``ra``, ``dec``) degrees: an astropy ``HDUList``
        (one image extension per band, with the cutout's WCS), or with ``format="png"`` a picture
        that shows inline.  ``size``: ``"64pix"``, ``"30arcsec"``, a Quantity, or arcsec; options
        as ``GET remotem/api/cutouts/parameters`` lists them (``bands``, ``mode``, ``fill_value``,
        ``width``, ``height``, ``stretch``, ...)."""
        from . import cutouts

        return cutouts.cutout(self, survey, ra, dec, size, **options)

    def cutouts(self, table_or_positions: Any, output: Any = None, notify: str | None = None,
                **options: Any) -> Job:
        """A batch of cutouts as a job: ``table_or_positions`` is a pandas DataFrame, an astropy
        Table, a list of ``{"id", "ra", "dec", ...}`` or of ``(ra, dec)``, or a table file in a
        repository (``"repository:path"``, CSV/VOTable/Parquet with id, ra, dec); keywords are the
        defaults (``survey``, ``size``, ``bands``, ``format``, ...) and any column naming a
        parameter overrides them per row.  ``output``: ``(repository, folder)`` (default: a folder
        in your home repository).  The handle's ``wait()`` shows progress, ``manifest()`` answers
        a pandas DataFrame and ``download(folder)`` unpacks every file with both manifests."""
        from . import cutouts

        return cutouts.cutouts(self, table_or_positions, output, notify, **options)

    # -- files where they live (see :mod:`.files`) ------------------------------------------
    def upload(self, local: str | os.PathLike[str], repository: str | None = None, path: str | None = None,
               overwrite: bool = False, checksum: str = "crc32", whole_file_checksum: bool = False,
               chunk_bytes: int = files.CHUNK_BYTES) -> Job:
        """Upload a local file (default target: the home repository, under its name); call it again
        after an interruption and only the rest is sent.  Answers the upload's job.  Each chunk is
        verified with ``checksum`` (``"crc32"``, or ``"sha256"``, ``"sha1"``, ``"md5"``);
        ``whole_file_checksum`` also verifies the whole file's SHA-256 at the end.  Smaller
        ``chunk_bytes`` lose less to an interruption on a poor link (each chunk takes two
        buffers of memory); larger ones lose less time between requests."""
        target = path or Path(local).name
        return Job(self, files.upload(self, local, repository or self.home_repository(required=True), target,
                                      overwrite, chunk_bytes=chunk_bytes, whole_file_checksum=whole_file_checksum,
                                      checksum=checksum))

    def download(self, repository: str, path: str, local: str | os.PathLike[str] | None = None,
                 size: int | None = None) -> Path:
        """Download a file (resuming a ``.part`` left by an interrupted one) or a folder as a zip
        (``size``: it is a file of that size, so it is not looked up)."""
        return files.download(self, repository, path, local, size)

    def mkdir(self, repository: str, path: str) -> dict[str, Any]:
        """Make a folder in a writable repository."""
        return files.make_folder(self, repository, path)

    def mv(self, repository: str, path: str, new_path: str) -> dict[str, Any]:
        """Rename or move a file or folder within its repository."""
        return files.move(self, repository, path, new_path)

    def rm(self, repository: str, path: str, recursive: bool = False) -> None:
        """Delete a file or an empty folder (``recursive=True``: a folder and all in it)."""
        files.remove(self, repository, path, recursive)


def connect(url: str | None = None, token: str | None = None, *, timeout: float = 120.0,
            parallel: int = 4) -> Client:
    """Connect to a Jupyter server running jupyter_remotem.

    Inside a kernel started by that server (alone or on JupyterHub) no arguments are needed;
    elsewhere pass its ``url`` (including any base URL, e.g. ``https://hub/user/alice/``) and
    ``token``.  Checks the connection once, so a wrong URL or token fails here, clearly.
    """
    client = Client(find_server(url, token), timeout=timeout, parallel=parallel)
    try:
        client.repositories  # noqa: B018 - the first request checks address and token
    except RemotemError:
        client.close()
        raise
    return client
