"""Quota usage and the files on disk agree after any sequence of submits, cancels, deletes (with
and without ``keep_files``), retention sweeps and files removed by hand.

A seeded random sequence runs against a real server, its real worker, a local repository and an
S3 one (moto).  After every step, once no job is running, the files the jobs wrote (every file
on disk but the user's own) are exactly the files the ledger lists, and the quota's
``storage_bytes`` is exactly their size; no folder a job made is left empty (unless kept).
``REMOTEM_LEDGER_SEED`` replays another sequence.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from _api import call, server_config, stop_started_worker, wait_until
from _services import S3_BUCKET, s3_repository
from _written import (
    WORKER,
    copy,
    crop,
    due_for_checking,
    files_on_disk,
    finished,
    reduction,
    repository,
    storage_usage,
    submit,
)
from sqlalchemy import select, update

from jupyter_remotem.jobs.models import Job, WrittenFile, utcnow

SEED = int(os.environ.get("REMOTEM_LEDGER_SEED", "20261203"))
STEPS = 36
FORMATS = {"hdf5": "h5", "hspy": "hspy", "npy": "npy", "tiff": "tif", "png": "png"}
FOLDERS = ["", "a", "a/b", "shared", "c/d/e"]
#: Copy sources: a file, a folder of many files, the user's folder, and one with an unreadable file.
SOURCES = [("demo", "scan.npy"), ("demo", "scan.zarr"), ("results", "src"), ("results", "src_broken")]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    out = tmp_path / "results"
    (out / "shared").mkdir(parents=True)
    (out / "shared" / "user.txt").write_text("the user's own file")
    (out / "src" / "sub").mkdir(parents=True)
    for name in ("a.bin", "b.bin", "sub/c.bin"):
        (out / "src" / name).write_bytes(os.urandom(1500))
    (out / "src_broken").mkdir()
    (out / "src_broken" / "fine.bin").write_bytes(os.urandom(700))
    (out / "src_broken" / "broken.bin").symlink_to(out / "nowhere.bin")
    return out


@pytest.fixture
def remote(s3_endpoint: str, tmp_path: Path) -> dict[str, Any]:
    config = s3_repository(s3_endpoint) | {"name": "remote", "url": f"s3://{S3_BUCKET}/ledger-{tmp_path.name}",
                                           "writable": True}
    repo = repository(config)
    with repo.open("shared/user.txt", "wb") as out:
        out.write(b"the user's own remote file")
    return config


@pytest.fixture
def repositories(repositories, results, remote):
    return repositories + [{"name": "results", "url": str(results), "writable": True}, remote]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, start_worker=True, worker_arguments=WORKER, housekeeping_interval=0.2)


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)


class World:
    """The repositories, the user's own files in them, and the ledger, as the test sees them."""

    def __init__(self, services: Any, results: Path, remote: dict[str, Any]) -> None:
        self.services = services
        self.repos = {"results": repository({"name": "results", "url": str(results), "writable": True}),
                      "remote": repository(remote)}
        self.results = results
        self.users = {(name, path) for name, repo in self.repos.items() for path in files_on_disk(repo)}
        self.user_folders = {str(Path(folder).relative_to(results)) for folder, _, _ in os.walk(results)}

    def jobs_files(self) -> dict[tuple[str, str], int]:
        """Every file on disk that is not the user's own."""
        return {(name, path): size for name, repo in self.repos.items()
                for path, size in files_on_disk(repo).items() if (name, path) not in self.users}

    def ledger(self, kind: str = "file") -> list[WrittenFile]:
        with self.services.jobs._read() as session:
            return list(session.scalars(select(WrittenFile).where(WrittenFile.owner == self.services.server_owner,
                                                                  WrittenFile.kind == kind)))

    def empty_folders(self) -> set[str]:
        return {str(Path(folder).relative_to(self.results)) for folder, subfolders, names in os.walk(self.results)
                if not subfolders and not names} - self.user_folders

    def expire(self, job_id: str) -> None:
        with self.services.jobs.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job_id).values(destruction=utcnow() - timedelta(hours=1)))


async def check_agreement(jp_fetch: Any, world: World, step: str) -> None:
    on_disk = world.jobs_files()
    listed = {(row.repository, row.path): row.size for row in world.ledger()}
    assert listed == on_disk, f"{step}: the ledger lists exactly the files the jobs left on disk"
    usage = await storage_usage(jp_fetch)
    assert usage["storage_bytes"] == sum(on_disk.values()), f"{step}: quota and disk agree"
    assert usage["reserved_bytes"] == 0, step
    kept_folders = {row.path for row in world.ledger("folder") if row.job_id is None and row.repository == "results"}
    assert world.empty_folders() <= kept_folders, f"{step}: no folder a job made is left empty"


async def test_quota_and_disk_agree_after_a_random_sequence_of_jobs_deletes_and_sweeps(
        jp_fetch, jp_serverapp, results, remote):
    rng = random.Random(SEED)
    world = World(jp_serverapp.web_app.settings["remotem"], results, remote)
    alive: list[dict[str, Any]] = []  # finished jobs not deleted nor archived
    outputs: list[dict[str, Any]] = []  # reduction outputs, to overwrite now and then
    history = []

    async def settle(job_ids: list[str]) -> list[dict[str, Any]]:
        return [await finished(jp_fetch, job_id) for job_id in job_ids]

    for step in range(STEPS):
        action = rng.choices(["reduction", "overwrite", "crop", "copy", "cancel", "delete", "keep", "expire",
                              "remove_kept"], weights=[5, 1, 2, 4, 1, 4, 2, 2, 1])[0]
        repo = rng.choice(["results", "remote"])
        folder = rng.choice(FOLDERS)
        where = f"{folder}/" if folder else ""
        history.append(f"{step}:{action}")
        label = f"seed {SEED}, steps {' '.join(history)}"
        if action in ("reduction", "overwrite"):
            if action == "overwrite" and outputs:
                body = rng.choice(outputs) | {}
                body["output"] = body["output"] | {"overwrite": True}
            else:
                fmt = rng.choice(list(FORMATS))
                body = reduction(f"{where}r{step}.{FORMATS[fmt]}", repository=repo, fmt=fmt)
                outputs.append(body)
            alive += await settle([(await submit(jp_fetch, body))["id"]])
        elif action == "crop":
            alive += await settle([(await submit(jp_fetch, crop(f"{where}t{step}.h5", repository=repo)))["id"]])
        elif action in ("copy", "cancel"):
            source_repository, source = rng.choice(SOURCES)
            job = await submit(jp_fetch, copy(source, f"{where}c{step}", source_repository=source_repository,
                                              target_repository=repo))
            if action == "cancel":
                await call(jp_fetch, "POST", "jobs", job["id"], "cancel")
            alive += await settle([job["id"]])
        elif action in ("delete", "keep") and alive:
            job = alive.pop(rng.randrange(len(alive)))
            code, body = await call(jp_fetch, "DELETE", "jobs", job["id"], keep_files=int(action == "keep"))
            assert code == 204, (label, body)
        elif action == "expire" and alive:
            chosen = [alive.pop(rng.randrange(len(alive))) for _ in range(min(len(alive), rng.randint(1, 2)))]
            for job in chosen:
                world.expire(job["id"])

            async def archived():
                phases = [(await call(jp_fetch, "GET", "jobs", job["id"]))[1]["phase"] for job in chosen]
                return all(phase == "ARCHIVED" for phase in phases)

            await wait_until(archived, f"{label}: the retention sweep", timeout=30)
        elif action == "remove_kept":
            kept = [row for row in world.ledger() if row.job_id is None]
            if kept:
                row = rng.choice(kept)
                target = world.repos[row.repository]
                target.fs.rm(target.full_path(row.path))
                due_for_checking(world.services.jobs)

                async def noticed():
                    return all(r.id != row.id for r in world.ledger())

                await wait_until(noticed, f"{label}: housekeeping to notice a kept file removed by hand", timeout=30)
        await check_agreement(jp_fetch, world, label)

    for job in alive:  # the end: everything deleted; only the user's files and kept ones remain
        code, body = await call(jp_fetch, "DELETE", "jobs", job["id"])
        assert code == 204, body
    await check_agreement(jp_fetch, world, f"seed {SEED}, all deleted")
    usage = await storage_usage(jp_fetch)
    assert usage["storage_bytes"] == usage["kept_bytes"], "only kept files are left"
    assert set(history) & {f"{s}:{a}" for s in range(STEPS) for a in ("delete", "keep", "expire")}, \
        "the sequence deleted and swept"
