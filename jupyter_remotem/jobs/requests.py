"""What a job is asked to do: a reduction or transformation request plus where to write its result.

Validated once at submission (so a bad request is a 400, not a failed job) and again by the
worker, which must never trust what it reads from the database more than what a user sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..compute.operations import get_operation
from ..compute.reductions import ReductionRequest
from ..errors import BadParameter
from ..storage import paths
from ..view_contract import check_view
from .exports import EXPORT_FORMATS

#: Priorities a request may ask for (configured boosts come on top); the store keeps 64-bit integers.
PRIORITY_RANGE = (-1_000_000, 1_000_000)

#: Output formats and the file name endings they are recognised by.
#: What a reduction's result is written as (its arrays, or the one on screen).
RESULT_FORMATS = {"hdf5": (".h5", ".hdf5"), "hspy": (".hspy",), "npy": (".npy",), "tiff": (".tif", ".tiff"),
                  "png": (".png",)}
#: Every output format a job takes: a result's, or a transformed dataset's (:mod:`.exports`).
OUTPUT_FORMATS = {**RESULT_FORMATS, **{f.key: f.endings for f in EXPORT_FORMATS.values()}}


def check_priority(value: Any) -> int:
    """A job's ``priority``: an integer within :data:`PRIORITY_RANGE` (higher runs first)."""
    low, high = PRIORITY_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadParameter(f"'priority' must be an integer from {low:,} to {high:,} (higher runs first).",
                           hint="Leave it out for the default, 0.")
    return value


def check_cluster(value: Any) -> str | None:
    """A job's ``cluster``: the id of a cluster (``GET remotem/api/clusters``), or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{1,64}", value):
        raise BadParameter("'cluster' must be the id of one of your clusters.",
                           hint="GET remotem/api/clusters lists them; leave 'cluster' out to run on the worker.")
    return value


@dataclass(frozen=True)
class OutputSpec:
    repository: str
    path: str
    format: str
    overwrite: bool = False
    #: For single-array formats (all but HDF5), which named array of the result to write (default: the primary one).
    array: str | None = None

    @classmethod
    def from_json(cls, body: Any) -> OutputSpec:
        if not isinstance(body, dict):
            raise BadParameter(
                "A job needs 'output': {\"repository\", \"path\", \"format\"}.",
                hint='For example {"repository": "home", "path": "results/bf.h5", "format": "hdf5"}.',
            )
        unknown = set(body) - {"repository", "path", "format", "overwrite", "array"}
        if unknown:
            raise BadParameter(f"Unknown keys in 'output': {', '.join(sorted(unknown))}.")
        for key in ("repository", "path"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise BadParameter(f"'output.{key}' is required and must be a string.")
        path = paths.normalise(body["path"])
        name = path.rsplit("/", 1)[-1]
        if not name or name.startswith("."):
            raise BadParameter("'output.path' must name a file that is not hidden.")
        fmt = body.get("format") or next(
            (f for f, endings in OUTPUT_FORMATS.items() if name.lower().endswith(endings)), None
        )
        if fmt not in OUTPUT_FORMATS:
            raise BadParameter(
                f"Unknown output format {fmt!r}.",
                hint=f"One of {', '.join(OUTPUT_FORMATS)}, or a path ending in "
                     + ", ".join(e for endings in OUTPUT_FORMATS.values() for e in endings) + ".",
            )
        overwrite = body.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise BadParameter("'output.overwrite' must be true or false.")
        array = body.get("array")
        if array is not None and (fmt == "hdf5" or not isinstance(array, str)):
            raise BadParameter("'output.array' names the one result array to write; HDF5 holds them all.")
        return cls(body["repository"], path, fmt, overwrite, array)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"repository": self.repository, "path": self.path, "format": self.format,
                                "overwrite": self.overwrite}
        if self.array is not None:
            body["array"] = self.array
        return body


@dataclass(frozen=True)
class JobRequest:
    """The body of ``POST jobs`` for a reduction or a transformation."""

    reduction: ReductionRequest
    output: OutputSpec
    priority: int = 0
    #: Display state of the viewer that saved this result (colormap, scaling, drawn shapes), kept in
    #: the provenance so that reopening the result restores the view (:mod:`..view_contract`).
    view: dict[str, Any] | None = None
    #: One of the owner's clusters (``remotem/api/clusters``) to run on, whatever the input's size;
    #: None: the worker's own choice (inline, or its cluster for big inputs).
    cluster: str | None = None

    @staticmethod
    def parts(body: Any) -> tuple[ReductionRequest, OutputSpec, int, dict[str, Any] | None]:
        """The checked pieces of a body: what ``POST jobs`` and ``POST saves`` share."""
        if not isinstance(body, dict):
            raise BadParameter("The request body must be a JSON object.")
        body = dict(body)
        output = OutputSpec.from_json(body.pop("output", None))
        priority = check_priority(body.pop("priority", 0))
        view = check_view(body.pop("view", None))
        return ReductionRequest.from_json(body), output, priority, view

    @classmethod
    def from_json(cls, body: Any) -> JobRequest:
        cluster = check_cluster(body.get("cluster") if isinstance(body, dict) else None)
        if isinstance(body, dict):
            body = {key: value for key, value in body.items() if key != "cluster"}
        reduction, output, priority, view = cls.parts(body)
        if reduction.step != 1 or reduction.coarse:
            raise BadParameter("'step' and 'coarse' are for interactive previews; a job reads every frame.",
                               hint="Leave them out of the job, or use a crop/bin step in 'pipeline'.")
        operation = get_operation(reduction.operation)
        if reduction.fft and operation.kind == "transformation":
            raise BadParameter(f"'{operation.name}' writes a new dataset; 'fft' is for images the viewer shows.",
                               hint="Leave 'fft' out, or save the FFT of a reduction's image.")
        if operation.plan is None:
            raise BadParameter(f"'{reduction.operation}' answers at once; it needs no job.",
                               hint="Use POST remotem/api/reductions.")
        if operation.kind == "transformation":
            if output.format not in EXPORT_FORMATS or output.array is not None:
                raise BadParameter(f"'{operation.name}' writes a new dataset, as {', '.join(EXPORT_FORMATS)}; not "
                                   f"{output.format}.", hint="Give the output a path ending in "
                                   + ", ".join(e for f in EXPORT_FORMATS.values() for e in f.endings) + ".")
        elif output.format not in RESULT_FORMATS:
            raise BadParameter(f"A result of '{operation.name}' is written as {', '.join(RESULT_FORMATS)}; not "
                               f"{output.format}.",
                               hint="Write the result as HDF5, then export its arrays, or run a transformation.")
        if operation.kind == "transformation" and cluster is not None:
            raise BadParameter(f"'{operation.name}' writes a new dataset from the job worker; 'cluster' is for "
                               "reductions.", hint="Leave 'cluster' out.")
        if operation.kind == "transformation":
            if reduction.roi is not None:
                raise BadParameter(f"'{operation.name}' works on the whole scan; it takes no 'roi'.",
                                   hint='To keep part of the scan, use "crop" with a "nav" range.')
        return cls(reduction, output, priority, view, cluster)

    @property
    def kind(self) -> str:
        """The job kind: the operation's kind ("reduction" or "transformation")."""
        return get_operation(self.reduction.operation).kind

    def to_json(self) -> dict[str, Any]:
        """The normalised request, as stored with the job."""
        body = dict(self.reduction.to_json(), output=self.output.to_json(), priority=self.priority)
        if self.view is not None:
            body["view"] = self.view
        if self.cluster is not None:
            body["cluster"] = self.cluster
        return body
