"""A dataset on the server, used from a notebook like a (lazy) array.

``ds = client.open("demo", "scan.h5")`` reads the description only.  ``ds[10:20, 5]`` fetches
that slice; ``ds.virtual_detector(...)`` runs next to the data and returns the small answer;
``ds.crop(...).bin(2)`` chains transformations that run inside the next reduction or job;
``ds.submit(...)`` makes a durable job of it; ``ds.to_local()`` brings a small dataset over.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .advice import LocalAdvisor, warn_if_large
from .analysis import Analysis, Reduced
from .connection import npy_array, path_in_url
from .errors import BadRequest, OperationUnavailable, TooLarge
from .geometry import Geometry
from .pipeline import Step, geometry_of, knows_geometry
from .slicing import Piece, normalise_key, out_shape, pieces, split_piece

if TYPE_CHECKING:
    from .jobs import Job
    from .local import LocalDataset
    from .server import Client


class RemoteDataset(Analysis):
    """One array of one file in a repository (see the module docstring)."""

    def __init__(self, client: Client, repository: str, path: str, meta: dict[str, Any],
                 pipeline: tuple[Step, ...] = ()) -> None:
        self.client = client
        self.repository = repository
        self.path = meta.get("path", path)
        self.meta = meta
        self.pipeline = tuple(pipeline)
        self._source = Geometry.from_meta(meta["dataset"])
        if knows_geometry(self.pipeline):
            self._geometry = geometry_of(self._source, self.pipeline)
        else:  # the server's rules for its newer steps, and its 400 for a bad one, at once
            self._geometry = Geometry.from_meta(
                client.meta(repository, path, self.dataset, [dict(step) for step in self.pipeline])["dataset"])
        self._advisor = LocalAdvisor()
        self._operations: list[dict[str, Any]] | None = None
        #: Statistics of the last reduction as the server reported them, plus the round trip.
        self.last_stats: dict[str, Any] = {}

    # -- description -------------------------------------------------------------------------
    @property
    def geometry(self) -> Geometry:
        return self._geometry

    @property
    def dataset(self) -> str | None:
        """The array's internal path in its file (HDF5, Zarr), or None."""
        return self.meta["dataset"].get("dataset")

    @property
    def metadata(self) -> dict[str, Any]:
        """The file's own metadata (instrument, acquisition ...), and the pipeline when chained."""
        metadata = dict(self.meta["dataset"].get("metadata") or {})
        if self.pipeline:
            metadata["pipeline"] = list(metadata.get("pipeline", [])) + list(self.pipeline)
        return metadata

    @property
    def chunks(self) -> tuple[int, ...] | None:
        """Storage chunks of the file's array (None when it is contiguous or chained)."""
        chunks = self.meta["dataset"].get("chunks")
        return tuple(chunks) if chunks and not self.pipeline else None

    @property
    def arrays(self) -> list[Any]:
        """The arrays inside the file, for ``client.open(..., dataset=...)``."""
        return list(self.meta.get("arrays") or [])

    def __repr__(self) -> str:
        chained = " → ".join(step["operation"] for step in self.pipeline)
        inner = f"{self.dataset} " if self.dataset else ""
        return (f"<RemoteDataset {self.repository}:{self.path} {inner}{self.shape} {self.dtype}"
                f"{' via ' + chained if chained else ''}>")

    def _request(self, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"repository": self.repository, "path": self.path, "dataset": self.dataset}
        if self.pipeline:
            body["pipeline"] = [dict(step) for step in self.pipeline]
        body.update(extra)
        return body

    def _chained(self, step: Step) -> RemoteDataset:
        return RemoteDataset(self.client, self.repository, self.path, self.meta, self.pipeline + (step,))

    # -- operations available here -----------------------------------------------------------
    def operations(self) -> list[dict[str, Any]]:
        """What can run remotely on this dataset: ``{name, kind, description, available, reason}``,
        plus the facility's ``contact`` (when configured) beside operations that cannot."""
        if self._operations is None:
            self._operations = self.client.operations(self.repository, self.path, self.dataset)
        return self._operations

    def _declarations(self) -> list[dict[str, Any]]:
        return self.operations()

    def _check_available(self, name: str) -> None:
        entry = next((op for op in self.operations() if op.get("name") == name), None)
        if entry is not None and entry.get("available") is False:
            alternative = (f"Bring the data (or a reduced part of it) into this kernel with ds.to_local() and run "
                           f".{name}(...) there: the local dataset has the same methods.")
            if entry.get("contact"):
                alternative += f" To have it run remotely, ask {entry['contact']}."
            raise OperationUnavailable(
                name, entry.get("reason") or "the server does not offer it for this dataset.", alternative)

    # -- data --------------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> np.ndarray:
        """numpy basic indexing; fetches only the selected part, in bounded pieces, in parallel
        (through the crop/bin/cast chain, computed next to the data, when there is one)."""
        items = normalise_key(key, self.shape)
        shape = out_shape(items)
        nbytes = int(np.prod(shape, dtype=np.int64)) * self.dtype.itemsize
        out = np.empty(shape, dtype=self.dtype)
        if nbytes == 0:
            return out
        warn_if_large(nbytes, f"ds[{key!r}]", self.client.connection.measurements, self.client.thresholds,
                      self.client.repository_bytes_s(self.repository))
        url_path = path_in_url(self.path)
        thresholds = self.client.thresholds
        # A chained dataset is sliced through the same lazy pipeline its reductions use.
        pipeline = json.dumps(list(self.pipeline)) if self.pipeline else None

        def fetch(piece: Piece) -> None:
            try:
                out[piece.target] = self.client.connection.get_array(
                    "repositories", self.repository, "data", url_path, slice=piece.text, dataset=self.dataset,
                    pipeline=pipeline)
            except TooLarge:
                # Above the server's max_data_bytes: remember a smaller size and split this piece.
                smaller = max(self.dtype.itemsize, piece.nbytes(self.dtype.itemsize) // 4)
                if smaller >= piece.nbytes(self.dtype.itemsize):
                    raise
                thresholds.piece_bytes = min(thresholds.piece_bytes, smaller)
                for part in split_piece(piece, self.dtype.itemsize, smaller):
                    fetch(part)

        self.client.connection.map(fetch, pieces(items, self.dtype.itemsize, thresholds.piece_bytes))
        return out

    def to_numpy(self) -> np.ndarray:
        """The whole array (with a warning when that is large or slow)."""
        return self[...]

    def to_dask(self, chunks: Any = "auto") -> Any:
        """A dask array whose chunks are fetched from the server when computed."""
        from .interop import remote_dask_array

        return remote_dask_array(self, chunks)

    def to_hyperspy(self, lazy: bool = True) -> Any:
        """A HyperSpy signal (lazy by default: chunks come from the server) with calibrated axes."""
        from .interop import hyperspy_signal

        return hyperspy_signal(self, lazy)

    def to_xarray(self) -> Any:
        """The whole array as an ``xarray.DataArray`` with calibrated coordinates."""
        from .interop import array_to_xarray

        return array_to_xarray(self.to_numpy(), self.geometry, self.metadata)

    def preview(self, kind: str = "bf", **params: Any) -> bytes:
        """The server's PNG preview (``kind``: bf, adf, haadf, com, sum, frame)."""
        return self.client.connection.request(
            "GET", "repositories", self.repository, "preview", path_in_url(self.path),
            params={k: str(v) for k, v in dict(params, kind=kind, dataset=self.dataset).items() if v is not None},
        ).content

    # -- reductions --------------------------------------------------------------------------
    def _run(self, operation: str, params: dict[str, Any], roi: dict[str, Any] | None, *,
             field: str | None, step: int, coarse: bool, fft: bool) -> Reduced:
        self._check_available(operation)
        body = self._request(operation=operation, params=params, roi=roi)
        if step != 1:
            body["step"] = int(step)
        if coarse:
            body["coarse"] = True
        if fft:
            body["fft"] = True
        connection = self.client.connection
        started = time.perf_counter()
        try:
            wanted = field or self._single_array(operation)
            if wanted is not None:
                response = connection.request("POST", "reductions", params={"format": "npy", "field": wanted},
                                              body=body)
                arrays, stats = {wanted: npy_array(response)}, {"step": int(response.headers.get("X-Remotem-Step", step))}
                primary = wanted
            else:
                answer = connection.post_json("reductions", body=body)
                arrays = {name: json_array(value) for name, value in answer["arrays"].items()}
                stats, primary = dict(answer.get("stats") or {}), answer["primary"]
        except TooLarge as error:
            raise self._suggest_job(error, operation, params, roi) from None
        round_trip = time.perf_counter() - started
        self.last_stats = dict(stats, round_trip_s=round_trip)
        self._advisor.record(round_trip, self._source.nbytes, connection.measurements, self.client.thresholds,
                             self.client.repository_bytes_s(self.repository))
        return Reduced(operation, arrays, primary, int(stats.get("step") or 1), {}, fft)

    def _run_code(self, operation: str, params: dict[str, Any], roi: dict[str, Any] | None, *,
                  step: int, coarse: bool) -> Reduced:
        """Interactive when the server says it is quick; otherwise a durable job in the home
        repository, waited for (with its progress bar), whose result is returned."""
        try:
            return super()._run_code(operation, params, roi, step=step, coarse=coarse)
        except TooLarge as error:
            if step != 1 or coarse or self.client.home_repository() is None:
                raise
            import warnings

            from .errors import RemotemWarning
            from .functions import default_output

            output = default_output(params, operation)
            job = self.submit(operation, params, output=output, roi=roi)
            warnings.warn(f"{error.message} Running it as job {job.id} instead, writing {output} in "
                          f"'{self.client.home_repository()}'; "
                          "interrupting this cell leaves the job running (client.jobs() lists it).",
                          RemotemWarning, stacklevel=4)
            job.wait()
            answer = job.result()
            arrays = answer if isinstance(answer, dict) else {"result": answer}
            return Reduced(operation, {"result": np.asarray(arrays["result"])}, "result", 1, {}, False)

    def _suggest_job(self, error: TooLarge, operation: str, params: dict[str, Any],
                     roi: dict[str, Any] | None) -> TooLarge:
        """The server's 413, with the notebook way to run the same work as a job."""
        shown = repr(params) if len(repr(params)) <= 160 else "params"
        call = f"ds.submit({operation!r}, {shown}{', roi=roi' if roi else ''}, output='result.h5')"
        hint = f"Run it as a job: job = {call}; job.wait(); job.result(). Or restrict it with an roi or a step."
        return TooLarge(error.message, hint, code=error.code, status=error.status, details=error.details)

    # -- jobs --------------------------------------------------------------------------------
    def job_body(self, operation: str | None = None, params: dict[str, Any] | None = None, *, output: str,
                 repository: str | None = None, format: str | None = None, roi: dict[str, Any] | None = None,
                 priority: int = 0, overwrite: bool = False, array: str | None = None,
                 view: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``POST jobs`` body for this dataset; without ``operation`` the last pipeline step runs
        as a transformation writing ``output`` (earlier steps stay its pipeline)."""
        pipeline = list(self.pipeline)
        if operation is None:
            if not pipeline:
                raise BadRequest("Nothing to submit: name an operation, or chain a crop/bin/cast first.",
                                 "For example ds.submit('virtual_detector', {'detectors': [...]}, output='bf.h5') "
                                 "or ds.bin(2).submit(output='binned.h5').")
            last = pipeline.pop()
            operation, params = last["operation"], last["params"]
        body: dict[str, Any] = {"repository": self.repository, "path": self.path, "dataset": self.dataset,
                                "operation": operation, "params": dict(params or {}), "roi": roi}
        if pipeline:
            body["pipeline"] = pipeline
        target: dict[str, Any] = {"repository": repository or self.client.home_repository(required=True),
                                  "path": output, "overwrite": overwrite}
        if format is not None:
            target["format"] = format
        if array is not None:
            target["array"] = array
        body["output"] = target
        if priority:
            body["priority"] = int(priority)
        if view is not None:
            body["view"] = view
        return body

    def submit(self, operation: str | None = None, params: dict[str, Any] | None = None, *, output: str,
               repository: str | None = None, format: str | None = None, roi: dict[str, Any] | None = None,
               priority: int = 0, overwrite: bool = False, array: str | None = None,
               view: dict[str, Any] | None = None, cluster: Any = None) -> Job:
        """Run ``operation`` (or the chained transformation) as a durable job writing ``output`` in
        ``repository`` (default: the notebooks' home repository).  ``format``: hdf5, npy, tiff,
        hspy, png for a result; hdf5, nexus, tiff, hspy, zarr, csv for a dataset (default from the
        file name).  ``cluster``: one of your clusters (``c.clusters.start(...)``, or its id) to run
        on.  Returns the :class:`~.jobs.Job` at once."""
        body = self.job_body(operation, params, output=output, repository=repository, format=format, roi=roi,
                             priority=priority, overwrite=overwrite, array=array, view=view)
        if cluster is not None:
            body["cluster"] = str(getattr(cluster, "id", cluster))
        return self.client.submit(body)

    def export(self, output: str, *, repository: str | None = None, format: str | None = None,
               overwrite: bool = False, priority: int = 0) -> Job:
        """Write this dataset (through its chain, if any) as a new file, as a job: NeXus (``.nxs``),
        HDF5, a TIFF stack, HyperSpy (``.hspy``), Zarr (a ``.zarr`` folder) or CSV, as ``output``'s
        ending (or ``format``) says, with its calibrated axes and provenance."""
        operation = None if self.pipeline else "export"
        return self.submit(operation, {} if operation else None, output=output, repository=repository,
                           format=format, priority=priority, overwrite=overwrite)

    def save(self, operation: str, params: dict[str, Any] | None = None, *, output: str,
             repository: str | None = None, format: str | None = None, roi: dict[str, Any] | None = None,
             overwrite: bool = False, array: str | None = None, view: dict[str, Any] | None = None,
             fft: bool = False) -> Job:
        """Save the result of ``operation`` to ``output`` now when it is small (``POST saves``): a
        picked frame (``ds.save("pick", {"position": [y, x]}, output="frame.png")``), an image, or
        its FFT (``fft=True``).  Written as a job's result (same formats, provenance, quota and
        ledger); the returned :class:`~.jobs.Job` is COMPLETED at once, or, for work beyond the
        interactive limit, queued like :meth:`submit`.  ``view`` draws a PNG as the viewer shows
        it, ``view["picture"]`` sets its size, scale bar and colour bar (``GET views``)."""
        from .jobs import Job

        body = self.job_body(operation, params, output=output, repository=repository, format=format, roi=roi,
                             overwrite=overwrite, array=array, view=view)
        if fft:
            body["fft"] = True
        return Job(self.client, self.client.connection.post_json("saves", body=body))

    def quote(self, operation: str | None = None, params: dict[str, Any] | None = None, *, output: str,
              repository: str | None = None, format: str | None = None, roi: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the job would cost (seconds, bytes read and written) without creating it."""
        body = self.job_body(operation, params, output=output, repository=repository, format=format, roi=roi)
        return self.client.connection.post_json("jobs", body=body, dry_run=1)["quote"]

    # -- local -------------------------------------------------------------------------------
    def to_local(self, path: str | None = None, *, overwrite: bool = False) -> LocalDataset:
        """This dataset in this kernel, as a :class:`~.local.LocalDataset` with the same methods.

        Small arrays (see ``client.thresholds.direct_download_bytes``) are downloaded directly
        (and saved as ``.npy`` at ``path`` when given); larger files are copied next to the
        notebooks by a job into the home repository, then opened from there.  A chain is first
        written there by a transformation job.  Warns when the transfer is large or slow.
        """
        from .local import to_local

        return to_local(self, path, overwrite=overwrite)


def json_array(value: dict[str, Any]) -> np.ndarray:
    """An array from the JSON answer (``null`` stands for NaN)."""
    dtype = np.dtype(value["dtype"])
    data = value["data"]
    if dtype.kind in "fc":
        return np.array(data, dtype=np.float64).astype(dtype).reshape(value["shape"])
    return np.array(data, dtype=dtype).reshape(value["shape"])
