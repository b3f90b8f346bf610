"""Shared by the tests of what jobs write: running jobs through the API, and what is on disk.

"On disk" means every file under a repository's root, hidden ones included (manifests,
partial files), local or remote — what the storage quota must agree with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from _api import call, wait_until

from jupyter_remotem.storage.repository import Repository, RepositoryConfig

FINISHED = ("COMPLETED", "ERROR", "ABORTED", "ARCHIVED")
DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}
#: Fast worker settings: jobs are picked up and reported within a fraction of a second.
WORKER = ["--poll", "0.1", "--report", "0.2"]


def reduction(output: str, repository: str = "results", fmt: str | None = None, **output_options: Any) -> dict:
    spec = {"repository": repository, "path": output, **output_options}
    if fmt:
        spec["format"] = fmt
    return {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
            "params": {"detectors": [DISK]}, "output": spec}


def crop(output: str, repository: str = "results") -> dict:
    return {"repository": "demo", "path": "scan.h5", "operation": "crop",
            "params": {"nav": [[0, 4], [0, 4]], "sig": None}, "output": {"repository": repository, "path": output}}


def copy(source: str, target: str, source_repository: str = "demo", target_repository: str = "results",
         **extra: Any) -> dict:
    return {"operation": "copy", "source": {"repository": source_repository, "path": source},
            "target": {"repository": target_repository, "path": target}, **extra}


async def submit(jp_fetch: Any, body: dict) -> dict:
    code, job = await call(jp_fetch, "POST", "jobs", body=body)
    assert code == 201, job
    return job


async def finished(jp_fetch: Any, job_id: str, timeout: float = 120) -> dict:
    async def done():
        code, job = await call(jp_fetch, "GET", "jobs", job_id)
        assert code == 200, job
        return job if job["phase"] in FINISHED else None

    return await wait_until(done, f"job {job_id} to finish", timeout=timeout, interval=0.1)


async def run(jp_fetch: Any, body: dict, phase: str | None = "COMPLETED") -> dict:
    job = await finished(jp_fetch, (await submit(jp_fetch, body))["id"])
    if phase is not None:
        assert job["phase"] == phase, job
    return job


async def delete(jp_fetch: Any, job_id: str, **params: Any) -> None:
    code, body = await call(jp_fetch, "DELETE", "jobs", job_id, **params)
    assert code == 204, body


async def storage_usage(jp_fetch: Any) -> dict:
    code, quota = await call(jp_fetch, "GET", "quota")
    assert code == 200, quota
    return quota["usage"]


def due_for_checking(store: Any) -> None:
    """Let housekeeping check every recorded file at its next round, as if ten minutes had passed
    since the last check (the test's way of moving time, as it does with destruction times)."""
    from sqlalchemy import update

    from jupyter_remotem.jobs.models import WrittenFile

    with store.engine.begin() as connection:
        connection.execute(update(WrittenFile).values(verified=None))


def repository(config: dict) -> Repository:
    return Repository(RepositoryConfig.from_dict(config))


def files_on_disk(repo: Repository) -> dict[str, int]:
    """Every file under the repository's root (hidden ones too) with its size; links are not followed."""
    if repo.is_local:
        found = {}
        for folder, _, names in os.walk(repo.root):
            for name in names:
                full = Path(folder) / name
                found[str(full.relative_to(repo.root))] = full.lstat().st_size
        return found
    repo.fs.invalidate_cache()
    try:
        listing = repo.fs.find(repo.root, detail=True)
    except FileNotFoundError:
        return {}
    return {repo.relative(name): int(info.get("size") or 0) for name, info in listing.items()
            if info.get("type") != "directory"}


def folders_on_disk(root: Path) -> set[str]:
    return {str(Path(folder).relative_to(root)) for folder, _, _ in os.walk(root) if Path(folder) != root}
