"""Results of a job on a closed dataset become datasets derived from it, with a run record.

Only a closed parent can promise that the run can be repeated on the same bytes, so results of
jobs on open datasets (or on files of no dataset) stay plain files.  The run record says what
DataLad's does: the operation and its parameters, the inputs with the digest of their manifest,
the outputs, the software, who and when.
"""

from __future__ import annotations

import logging
import posixpath
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from ..errors import RemotemError
from ..file_formats import detect_format
from ..jobs.models import Job
from ..jobs.provenance import software_versions
from ..jobs.store import JobStore
from ..storage import paths
from .manifest import digest_of
from .models import DatasetRecord
from .store import DatasetStore, Person
from .types import guess

log = logging.getLogger(__name__)


def source_of(job: Job) -> tuple[str, str] | None:
    """The repository and path a job read, from its request."""
    request = job.request or {}
    source = request.get("source") if job.kind == "copy" else request
    if isinstance(source, dict) and isinstance(source.get("repository"), str) and isinstance(source.get("path"), str):
        return source["repository"], paths.normalise(source["path"])
    return None


def closed_holder(store: JobStore, repository: str, path: str) -> DatasetRecord | None:
    """The closed dataset at ``path`` or holding it (the innermost, when datasets nest)."""
    parts = path.split("/") if path else []
    places = ["/".join(parts[:n]) for n in range(len(parts), -1, -1)]
    with store.reading() as session:
        found = {record.path: record for record in session.scalars(select(DatasetRecord).where(
            DatasetRecord.repository == repository, DatasetRecord.state == "closed", DatasetRecord.path.in_(places)))}
    return next((found[place] for place in places if place in found), None)


def manifest_digest(datasets: DatasetStore, dataset_id: str) -> str:
    return digest_of([(file.path, file.size, file.sha256) for file in datasets.recorded_files(dataset_id)])


def run_record(job: Job, parent: DatasetRecord, digest: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    request = {key: value for key, value in (job.request or {}).items() if key not in ("output", "target")}
    return {
        "operation": request.get("operation") or job.kind,
        "parameters": request,
        "inputs": [{"dataset": parent.id, "repository": parent.repository, "path": parent.path,
                    "manifest_sha256": digest}],
        "outputs": [{"repository": out["repository"], "path": out["path"]} for out in outputs],
        "software": software_versions(),
        "who": job.owner,
        "when": datetime.now(timezone.utc).isoformat(),
        "job_id": job.id,
    }


def derive_results(store: JobStore, job: Job, results: list[dict[str, Any]]) -> list[str]:
    """Register each result of ``job`` as a dataset derived from the closed dataset it read (best
    effort: the job succeeded either way).  The new datasets' ids."""
    source = source_of(job)
    if source is None or job.kind not in ("reduction", "transformation", "copy"):
        return []
    try:
        parent = closed_holder(store, *source)
        if parent is None:
            return []
        datasets = DatasetStore(store)
        outputs = [result for result in results
                   if isinstance(result.get("repository"), str) and isinstance(result.get("path"), str)]
        record = run_record(job, parent, manifest_digest(datasets, parent.id), outputs)
        owner = Person(job.owner, frozenset(job.groups or ()), frozenset({parent.repository}))
        made = []
        for output in outputs:
            facts = {"format": output.get("format") if output.get("format") != "copy" else None,
                     "folder": output.get("kind") == "folder" or output.get("format") == "copy",
                     "shape": output.get("shape")}
            if facts["format"] is None and not facts["folder"]:
                facts["format"] = detect_format(output["path"], False)
            operation = record["operation"]
            made.append(datasets.register_derived(
                owner, output["repository"], output["path"], f"{operation} of {parent.name}",
                f"Made by job {job.id} ({operation}) from '{parent.name}' ({posixpath.basename(parent.path)}).",
                guess(facts).name, parent.id, record, job.id))
        return made
    except (RemotemError, OSError, ValueError):
        log.warning("could not register the results of job %s as derived datasets", job.id, exc_info=True)
        return []

