"""Interactive reductions: validate a request, estimate it, run it inline, bound its time.

The same request body later becomes a job (with an ``output``); here it must finish within the
interactive limit.  The estimate uses the bytes to read and the throughput measured for the
repository, so a slow cloud asks for a job sooner than the local disk does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BadParameter, TooLarge
from ..formats import open_dataset
from ..formats.dataset import Dataset
from ..formats.dataset_cache import DatasetCache
from ..kernels.fft import fft_magnitude
from ..storage.repository import Repository
from .executor import DatasetRef, dataset_ref_with_references, run_plan
from .operations import ReductionResult, get_operation
from .params import check_result_bytes, require_data
from .partitions import dataset_partitions
from .roi import roi_indices
from .views import COARSE_FRAMES, apply_pipeline, check_pipeline, coarse_step, source_frame_nbytes, subsampled

#: Assumed read speed when a repository has not been measured yet (bytes per second).
DEFAULT_THROUGHPUT = 1e9
#: Largest ``step``: beyond any scan axis a step reads one position anyway.
MAX_STEP = 1_000_000


@dataclass(frozen=True)
class ReductionRequest:
    repository: str
    path: str
    dataset: str | None
    operation: str
    params: dict[str, Any]
    roi: dict[str, Any] | None
    #: Crop/bin/cast steps applied lazily before the operation (see :mod:`.views`).
    pipeline: tuple[dict[str, Any], ...] = ()
    #: Read every ``step``-th scan position only; ``coarse`` lets the server choose the step.
    step: int = 1
    coarse: bool = False
    #: Answer the centred FFT magnitude of each result array instead (over its first two axes).
    fft: bool = False

    @classmethod
    def from_json(cls, body: Any) -> ReductionRequest:
        if not isinstance(body, dict):
            raise BadParameter("The request body must be a JSON object.")
        unknown = set(body) - {"repository", "path", "dataset", "operation", "params", "roi", "pipeline", "step",
                               "coarse", "fft"}
        if unknown:
            raise BadParameter(f"Unknown keys in the request: {', '.join(sorted(unknown))}.")
        for key in ("repository", "path", "operation"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise BadParameter(f"'{key}' is required and must be a string.")
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise BadParameter("'params' must be an object.")
        dataset = body.get("dataset")
        if dataset is not None and not isinstance(dataset, str):
            raise BadParameter("'dataset' must be a string (an internal path) or null.")
        step = body.get("step", 1)
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= MAX_STEP:
            raise BadParameter(f"'step' must be a positive integer, at most {MAX_STEP:,} (read every step-th scan "
                               "position).")
        for key in ("coarse", "fft"):
            if not isinstance(body.get(key, False), bool):
                raise BadParameter(f"'{key}' must be true or false.")
        return cls(body["repository"], body["path"], dataset, body["operation"], params, body.get("roi"),
                   tuple(check_pipeline(body.get("pipeline"))), step, body.get("coarse", False),
                   body.get("fft", False))

    def open(self, repository: Repository) -> Dataset:
        """The dataset the operation runs on: the file's array seen through the pipeline."""
        return apply_pipeline(open_dataset(repository, self.path, self.dataset), list(self.pipeline))

    @contextmanager
    def opened(self, repository: Repository, datasets: DatasetCache | None = None) -> Iterator[Dataset]:
        """As :meth:`open`, from ``datasets`` (kept warm between requests) when given; closed
        after the block unless the cache keeps the file's dataset."""
        if datasets is None:
            with self.open(repository) as dataset:
                yield dataset
            return
        base, kept = datasets.open(repository, self.path, self.dataset)
        try:
            # A view's close closes its base: harmless for kept datasets, whose readers hold no handle.
            yield apply_pipeline(base, list(self.pipeline)) if self.pipeline else base
        finally:
            if not kept:
                base.close()

    def to_json(self) -> dict[str, Any]:
        """The normalised request, as recorded in jobs and provenance."""
        body: dict[str, Any] = {"repository": self.repository, "path": self.path, "dataset": self.dataset,
                                "operation": self.operation, "params": self.params, "roi": self.roi}
        if self.pipeline:
            body["pipeline"] = list(self.pipeline)
        if self.fft:
            body["fft"] = True
        return body


@dataclass
class ReductionStats:
    frames: int
    bytes_read: int
    elapsed_s: float
    estimate_s: float
    step: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "bytes_read": self.bytes_read,
            "elapsed_s": round(self.elapsed_s, 4),
            "estimate_s": round(self.estimate_s, 4),
            "step": self.step,
            "throughput_gb_s": round(self.bytes_read / self.elapsed_s / 1e9, 3) if self.elapsed_s > 0 else None,
        }


def _pick(dataset: Dataset, params: dict[str, Any]) -> ReductionResult:
    require_data(dataset.shape, dataset.nav_ndim, "pick")
    position = params.get("position")
    if position is None and "y" in params and "x" in params:
        position = [params["y"], params["x"]]
    if not isinstance(position, list) or len(position) != len(dataset.nav_shape):
        raise BadParameter(
            f"pick needs 'position': a list of {len(dataset.nav_shape)} scan indices.",
            hint='For example {"position": [10, 20]} or {"y": 10, "x": 20}.',
        )
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n for i, n in zip(position, dataset.nav_shape)):
        raise BadParameter(f"Position {position} is outside the scan of shape {list(dataset.nav_shape)}.")
    flat = int(np.ravel_multi_index(tuple(position), dataset.nav_shape)) if dataset.nav_shape else 0
    return ReductionResult({"frame": dataset.read_frames(np.array([flat]))[0]}, "frame", {"position": position})


def run_reduction(
    repository: Repository,
    request: ReductionRequest,
    throughput: float | None,
    interactive_limit_s: float,
    cancel: threading.Event | None = None,
    coarse_frames: int = COARSE_FRAMES,
    datasets: DatasetCache | None = None,
) -> tuple[ReductionResult, ReductionStats]:
    """Open (from ``datasets``, warm, when given), plan, estimate and run one reduction inline."""
    with request.opened(repository, datasets) as dataset:
        return reduce_dataset(dataset, request, throughput, interactive_limit_s, cancel, coarse_frames)


def reduce_dataset(
    full: Dataset,
    request: ReductionRequest,
    throughput: float | None = None,
    interactive_limit_s: float = math.inf,
    cancel: threading.Event | None = None,
    coarse_frames: int = COARSE_FRAMES,
) -> tuple[ReductionResult, ReductionStats]:
    """Run ``request``'s operation on an opened dataset (already seen through its pipeline): the
    server's interactive path and a notebook's local arrays share every step from here on."""
    operation = get_operation(request.operation)
    if operation.kind == "transformation":
        raise BadParameter(
            f"'{operation.name}' is a transformation: it writes a new dataset as large as its input, so it "
            "runs as a job, not interactively.",
            hint="Submit it with POST remotem/api/jobs and an 'output' (an .h5 file in a writable repository).",
        )
    step = coarse_step(full.nav_shape, coarse_frames) if request.coarse else request.step
    dataset = subsampled(full, step)
    started = time.perf_counter()
    if operation.name == "pick":
        result = _pick(dataset, operation.validate(request.params))
        stats = ReductionStats(1, dataset.frame_nbytes, time.perf_counter() - started, 0.0, step)
    else:
        plan = operation.plan_for(dataset, request.params)
        check_result_bytes(plan.bytes_out(), operation.name)
        visited = roi_indices(request.roi, dataset.nav_shape)
        frames = dataset.n_frames if visited is None else len(visited)
        bytes_read = frames * bytes_per_frame(dataset) * plan.passes
        estimate = max(bytes_read / (throughput or DEFAULT_THROUGHPUT), frames * plan.passes * plan.seconds_per_frame)
        if estimate > interactive_limit_s:
            raise TooLarge(
                f"This {operation.name} reads {bytes_read / 1e9:.1f} GB, about {math.ceil(estimate)} s at "
                f"this repository's speed; the interactive limit is {interactive_limit_s:.0f} s.",
                hint="Submit it as a job (POST remotem/api/jobs), or restrict it with an ROI.",
                estimate_s=estimate,
                bytes=bytes_read,
            )
        partitions = dataset_partitions(dataset, visited)
        result = run_plan(dataset, plan, partitions, visited=visited, cancel=cancel)
        stats = ReductionStats(frames, bytes_read, time.perf_counter() - started, estimate, step)
    if request.fft:
        result = fft_result(result)
    return result, stats


def bytes_per_frame(dataset: Dataset) -> int:
    """Bytes read from storage for one frame of ``dataset``: views read whole source frames,
    a box of them per frame when they bin the scan."""
    return source_frame_nbytes(dataset)


def fft_result(result: ReductionResult) -> ReductionResult:
    """Each array replaced by its centred FFT magnitude over the first two axes."""
    arrays = {name: fft_magnitude(array) for name, array in result.arrays.items() if array.ndim >= 2}
    if not arrays:
        raise BadParameter("An FFT needs a 2-D result (an image or a frame); this result has none.")
    primary = result.primary if result.primary in arrays else next(iter(arrays))
    return ReductionResult(arrays, primary, dict(result.attributes, fft=True))


def dataset_ref(repository: Repository, request: ReductionRequest) -> DatasetRef:
    return dataset_ref_with_references(repository.config, request.path, request.dataset, tuple(request.pipeline))


def reduce_array(array: np.ndarray, operation: str, params: dict[str, Any], nav_ndim: int | None = None,
                 roi: dict[str, Any] | None = None, pipeline: list[dict[str, Any]] | None = None,
                 step: int = 1, coarse: bool = False, fft: bool = False) -> ReductionResult:
    """The same request on an in-memory array (sampled frames, a notebook's local data)."""
    from ..formats.memory import array_dataset

    request = ReductionRequest.from_json({
        "repository": "local", "path": "array", "operation": operation, "params": params, "roi": roi,
        "pipeline": pipeline, "step": step, "coarse": coarse, "fft": fft,
    })
    dataset = apply_pipeline(array_dataset(array, nav_ndim), list(request.pipeline))
    return reduce_dataset(dataset, request)[0]
