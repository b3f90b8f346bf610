"""Where a result came from: who asked, what ran on which input, with which software.

The record travels with every result file (HDF5 attributes, HyperSpy ``original_metadata``, a
TIFF description, a PNG text chunk, or a JSON sidecar for NPY), so a result copied away from the
job store still says how to reproduce it, and a viewer can reopen it with the view it was saved
from.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from ..compute.sent_code import without_code
from ..formats.dataset import Dataset
from ..formats.provenance import PROVENANCE_KEY
from ..storage.repository import Entry
from .requests import JobRequest

SOFTWARE = ("jupyter_remotem", "numpy", "numba", "h5py")


def software_versions() -> dict[str, str]:
    versions = {}
    for name in SOFTWARE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def provenance(
    request: JobRequest, owner: str, job_id: str, worker_id: str, source: Entry, dataset: Dataset,
    executor: str = "inline",
) -> dict[str, Any]:
    """The provenance record of one job's result."""
    reduction = request.reduction
    shown = without_code(reduction.to_json())  # a sent function only as its digest
    return {
        "executor": executor,
        "created": datetime.now(timezone.utc).isoformat(),
        "owner": owner,
        "job_id": job_id,
        "worker": worker_id,
        "operation": reduction.operation,
        "parameters": shown.get("params", reduction.params),
        "roi": reduction.roi,
        "pipeline": list(reduction.pipeline),
        #: The request as submitted (without output), enough to run it again or reopen it in a viewer.
        "request": shown,
        "view": request.view,
        "input": {
            "repository": reduction.repository,
            "path": reduction.path,
            "dataset": reduction.dataset,
            "size": source.size,
            "mtime": source.mtime,
            "format": dataset.format,
            "shape": list(dataset.shape),
            "dtype": dataset.dtype.str,
            "nav_ndim": dataset.nav_ndim,
            "axes": [axis.to_json() for axis in dataset.axes],
        },
        "software": software_versions(),
    }


def hdf5_attributes(record: dict[str, Any]) -> dict[str, str | int | float]:
    """Flat attributes for HDF5 readers that cannot parse JSON, plus the full record as JSON."""
    source = record["input"]
    attributes: dict[str, str | int | float] = {
        PROVENANCE_KEY: json.dumps(record, sort_keys=True),
        "owner": record["owner"],
        "created": record["created"],
        "job_id": record["job_id"],
        "operation": record["operation"],
        "parameters": json.dumps(record["parameters"], sort_keys=True),
        "roi": json.dumps(record["roi"], sort_keys=True),
        "input_repository": source["repository"],
        "input_path": source["path"],
        "input_dataset": source["dataset"] or "",
        "input_size": source["size"] if source["size"] is not None else -1,
        "input_mtime": source["mtime"] if source["mtime"] is not None else float("nan"),
    }
    for name, version in record["software"].items():
        attributes[f"version_{name}"] = version
    return attributes
