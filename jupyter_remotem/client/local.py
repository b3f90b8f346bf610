"""Local data with the same methods as remote data, computed by the same kernels in this kernel.

``remotem.local(array)`` or ``remotem.open_local("scan.h5")`` gives a :class:`LocalDataset`;
``ds.to_local()`` brings a remote one over.  ``virtual_detector``, ``com``, ``frame_stats``,
``pick``, ``crop``/``bin``/``cast`` then run in-process through the project's own operations
(the server's code path, minus HTTP), so results are identical and a script works unchanged
whether its data is local or remote.  These imports happen on first use only: the remote
client itself needs none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .advice import warn_if_large
from .analysis import Analysis, Reduced
from .errors import BadRequest, Unavailable
from .geometry import Axis, Geometry
from .pipeline import Step, geometry_of, knows_geometry

if TYPE_CHECKING:
    from .dataset import RemoteDataset


class LocalDataset(Analysis):
    """An in-memory (or memory-mapped) array with calibrated axes and the dataset methods."""

    def __init__(self, array: Any, nav_ndim: int | None = None, *, axes: Any = None,
                 metadata: dict[str, Any] | None = None, name: str = "", pipeline: tuple[Step, ...] = ()) -> None:
        self.array = array
        self.source_geometry = Geometry.of_array(tuple(np.shape(array)), array.dtype, nav_ndim,
                                                 [a if isinstance(a, Axis) else Axis.from_json(a) for a in axes]
                                                 if axes is not None else None)
        self.pipeline = tuple(pipeline)
        self._geometry = (geometry_of(self.source_geometry, self.pipeline) if knows_geometry(self.pipeline)
                          else _viewed_geometry(self.array, self.source_geometry.nav_ndim, self.pipeline))
        self._metadata = dict(metadata or {})
        self.name = name

    @property
    def geometry(self) -> Geometry:
        return self._geometry

    @property
    def metadata(self) -> dict[str, Any]:
        if not self.pipeline:
            return dict(self._metadata)
        return dict(self._metadata, pipeline=list(self._metadata.get("pipeline", [])) + list(self.pipeline))

    def __repr__(self) -> str:
        chained = " → ".join(step["operation"] for step in self.pipeline)
        return f"<LocalDataset {self.name or 'array'} {self.shape} {self.dtype}{' via ' + chained if chained else ''}>"

    def _chained(self, step: Step) -> LocalDataset:
        return LocalDataset(self.array, self.source_geometry.nav_ndim, axes=self.source_geometry.axes,
                            metadata=self._metadata, name=self.name, pipeline=self.pipeline + (step,))

    def _declarations(self) -> list[dict[str, Any]]:
        """The same declarations the server serves: this process runs the server's kernels."""
        from ..compute.operations import OPERATIONS

        return [operation.availability(None) for operation in OPERATIONS.values()]

    # -- data --------------------------------------------------------------------------------
    def to_numpy(self) -> np.ndarray:
        """The array after the pipeline (computed by the transformation kernels when chained)."""
        if not self.pipeline:
            return np.asarray(self.array)
        return _transformed(np.asarray(self.array), self.source_geometry.nav_ndim, self.pipeline)

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.to_numpy()[key] if self.pipeline else np.asarray(self.array[key])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.to_numpy()
        return array if dtype is None else array.astype(dtype)

    def to_dask(self, chunks: Any = "auto") -> Any:
        import dask.array as da

        return da.from_array(self.to_numpy(), chunks=chunks)

    def to_xarray(self) -> Any:
        from .interop import array_to_xarray

        return array_to_xarray(self.to_numpy(), self.geometry, self.metadata)

    def to_hyperspy(self, lazy: bool = False) -> Any:
        """A HyperSpy signal with the calibrated axes (in memory unless ``lazy``)."""
        from .interop import hyperspy_signal

        return hyperspy_signal(self, lazy)

    def to_local(self, path: str | None = None, *, overwrite: bool = False) -> LocalDataset:
        """Already local: itself (saved as ``.npy`` at ``path`` when given)."""
        if path is not None:
            _save(self.to_numpy(), path, overwrite)
        return self

    # -- reductions --------------------------------------------------------------------------
    def _run(self, operation: str, params: dict[str, Any], roi: dict[str, Any] | None, *,
             field: str | None, step: int, coarse: bool, fft: bool) -> Reduced:
        arrays, primary, used_step = run_in_process(self.to_numpy(), self.geometry.nav_ndim, operation, params, roi,
                                                    step, coarse, fft)
        if field is not None and field not in arrays:
            raise BadRequest(f"This result has no field '{field}'.", f"Fields: {', '.join(arrays)}.")
        return Reduced(operation, arrays, primary, used_step, {}, fft)


def run_in_process(array: np.ndarray, nav_ndim: int, operation: str, params: dict[str, Any],
                   roi: dict[str, Any] | None, step: int, coarse: bool, fft: bool) -> tuple[dict[str, np.ndarray], str, int]:
    """One reduction as the server runs it (subsample, operation, optional FFT), in this process.

    Server-side refusals (:class:`jupyter_remotem.errors.RemotemError`) become the client's
    exceptions of the same status, so local and remote failures read alike.
    """
    from ..compute.reductions import reduce_array
    from ..compute.views import coarse_step
    from ..errors import RemotemError as ServerError
    from .errors import BY_STATUS

    try:
        result = reduce_array(array, operation, params, nav_ndim=nav_ndim, roi=roi, step=step, coarse=coarse,
                              fft=fft)
    except ServerError as error:
        cls = BY_STATUS.get(error.status, BadRequest)
        raise cls(error.message, error.hint, code=error.code, status=error.status, details=error.details) from None
    used_step = coarse_step(array.shape[:nav_ndim]) if coarse else step
    return dict(result.arrays), result.primary, used_step


def _transformed(array: np.ndarray, nav_ndim: int, pipeline: tuple[Step, ...]) -> np.ndarray:
    """``array`` through a crop/bin/cast chain, by the same views the server reduces through."""
    from ..compute.views import apply_pipeline
    from ..formats.memory import array_dataset

    with apply_pipeline(array_dataset(array, nav_ndim), list(pipeline)) as view:
        return view.read((slice(None),) * len(view.shape))


def _viewed_geometry(array: Any, nav_ndim: int, pipeline: tuple[Step, ...]) -> Geometry:
    """The geometry of ``array`` through ``pipeline`` as the server's views make it (nothing read)."""
    from ..compute.views import apply_pipeline
    from ..errors import RemotemError
    from ..formats.memory import array_dataset

    try:
        with apply_pipeline(array_dataset(array, nav_ndim), list(pipeline)) as view:
            return Geometry.from_meta(view.describe())
    except RemotemError as error:
        raise BadRequest(error.message, error.hint) from None


def local(array: Any, nav_ndim: int | None = None, *, axes: Any = None,
          metadata: dict[str, Any] | None = None) -> LocalDataset:
    """An array in this kernel with the dataset methods (last two axes are the frame by default)."""
    return LocalDataset(np.asarray(array) if not hasattr(array, "dtype") else array, nav_ndim, axes=axes,
                        metadata=metadata)


def open_local(path: str | Path, dataset: str | None = None, nav_ndim: int | None = None) -> LocalDataset:
    """A file on this machine (any format the server reads), loaded with its calibrated axes."""
    from ..formats import open_dataset
    from ..storage.repository import Repository, RepositoryConfig

    file = Path(path).expanduser().resolve()
    if not file.exists():
        raise FileNotFoundError(f"No such file: {file}")
    repository = Repository(RepositoryConfig.from_dict({"name": "local", "url": str(file.parent)}))
    with open_dataset(repository, file.name, dataset) as opened:
        description = opened.describe()
        array = opened.read((slice(None),) * len(opened.shape))
    geometry = Geometry.from_meta(description)
    if nav_ndim is not None and nav_ndim != geometry.nav_ndim:
        return LocalDataset(array, nav_ndim, metadata=description.get("metadata"), name=file.name)
    return LocalDataset(array, geometry.nav_ndim, axes=geometry.axes, metadata=description.get("metadata"),
                        name=file.name)


def _save(array: np.ndarray, path: str | Path, overwrite: bool) -> Path:
    target = Path(path)
    if target.suffix != ".npy":
        target = target.with_suffix(target.suffix + ".npy") if target.suffix else target.with_suffix(".npy")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it.")
    np.save(target, array, allow_pickle=False)
    return target


def to_local(remote: RemoteDataset, path: str | None, overwrite: bool = False) -> LocalDataset:
    """See :meth:`RemoteDataset.to_local`."""
    client = remote.client
    thresholds = client.thresholds
    if not remote.pipeline and remote.nbytes <= thresholds.direct_download_bytes:
        array = remote[...]
        if path is not None:
            _save(array, path, overwrite)
        return LocalDataset(array, remote.geometry.nav_ndim, axes=remote.axes, metadata=remote.metadata,
                            name=Path(remote.path).name)
    home = client.home_repository(required=True)
    warn_if_large(remote.nbytes, f"Copying {remote.path} next to the notebooks", client.connection.measurements,
                  thresholds, client.repository_bytes_s(remote.repository))
    if remote.pipeline:
        target = path or f"{Path(remote.path).stem}-{remote.pipeline[-1]['operation']}.h5"
        job = remote.submit(output=target, repository=home, overwrite=overwrite)
    else:
        target = path or remote.path
        job = client.copy(remote.repository, remote.path, home, target)
    job.wait()
    local_file = client.local_path(home, target)
    if local_file is None or not local_file.exists():
        raise Unavailable(
            f"{remote.path} is now in the '{home}' repository as {target}, but this kernel cannot see that folder.",
            f"Open it remotely with client.open({home!r}, {target!r}), or run the kernel on the server's machine.",
            code="not_local")
    return open_local(local_file, remote.dataset if not remote.pipeline else None)
