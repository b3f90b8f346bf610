"""Batch cutouts over REST: ``POST cutouts/jobs`` submits, ``GET cutouts/jobs[/{id}]`` follows,
``GET cutouts/jobs/{id}/manifest`` (``?format=json|csv``), ``.../zip`` (every file and both
manifests, streamed) and ``.../files/{name}`` (one file) fetch the results.

The jobs are the product's durable jobs (kind ``cutouts``): ``GET jobs/{id}``, cancel, pause and
delete work on them as on every job, and the Jobs panel shows them.  Someone else's job is 404,
exactly like a missing one.
"""

from __future__ import annotations

import posixpath
import zipfile
from typing import Any
from urllib.parse import quote

from tornado import web

from ..cutouts import batch_submit, manifest
from ..errors import BadParameter, Conflict, NotFound
from ..jobs.models import Phase
from .base import RemotemHandler

#: Bytes read from storage per step of a streamed answer.
CHUNK = 1024 * 1024


def cutout_job(services: Any, job_id: str, owner: str) -> Any:
    """The caller's batch job (404 for a missing one, another kind, or someone else's)."""
    job = services.jobs.get(job_id, owner)
    if job.kind != "cutouts":
        raise NotFound(f"There is no batch of cutouts '{job_id}'.", hint="GET remotem/api/cutouts/jobs lists yours.")
    return job


def made_files(job_id: str, repository: Any, folder: str) -> frozenset[str]:
    """Names of the files the batch's manifest lists as made (:func:`.cutouts.manifest.made`)."""
    return frozenset(row["file"] for row in manifest.made(job_id, repository, folder))


class CutoutJobsBase(RemotemHandler):
    serves_reach = True  # a job's places are checked (within_reach), repositories confined

    def job(self, job_id: str) -> Any:
        return self.within_reach(cutout_job(self.services, job_id, self.owner))

    def output_of(self, job: Any) -> tuple[Any, str]:
        output = job.request["output"]
        return self.repository(output["repository"]), str(output.get("path") or "")

    def finished_rows(self, job: Any) -> tuple[Any, str]:
        if job.phase != Phase.COMPLETED.value:
            raise Conflict(f"The batch is {job.phase}; its manifest is written when it has COMPLETED.",
                           hint=f"GET remotem/api/jobs/{job.id} follows it.")
        return self.output_of(job)

    async def stream_file(self, repository: Any, path: str) -> None:
        handle = await self.run_blocking(repository.open, path, "rb")
        try:
            while True:
                chunk = await self.run_blocking(handle.read, CHUNK)
                if not chunk:
                    break
                self.write(chunk)
                await self.flush()
        finally:
            handle.close()


class CutoutJobsHandler(CutoutJobsBase):
    required_scopes = {"POST": "jobs"}

    @web.authenticated
    async def get(self) -> None:
        jobs = await self.run_blocking(self.services.jobs.list, self.owner, None, ["cutouts"], False)
        self.write_json({"jobs": [job.to_listing_json() for job in jobs]})

    @web.authenticated
    async def post(self) -> None:
        """Submit a batch (201 with the job); ``?dry_run=1`` answers the quote and the quota verdict."""
        body = self.json_body()
        services, user = self.services, self.current_user
        checked, target = await self.run_blocking(batch_submit.prepare, services, user, body, self.repository)
        await self.refuse_closed(target.name, checked.request["output"]["path"])
        quote_ = await self.run_blocking(batch_submit.quote_of, services, checked)
        if self.get_query_argument("dry_run", "0") not in ("0", "", "false"):
            verdict = await self.run_blocking(services.quota_of, user, quote_)
            self.write_json({"quote": quote_, "quota": verdict, "count": checked.count,
                             "output": checked.request["output"]})
            return
        job = await self.run_blocking(batch_submit.create, services, user, checked, quote_)
        self.set_status(201)
        self.write_json(job.to_json())


class CutoutJobHandler(CutoutJobsBase):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        self.write_json((await self.run_blocking(self.job, job_id)).to_json())


class CutoutRenewHandler(CutoutJobsBase):
    required_scopes = {"POST": "jobs"}

    @web.authenticated
    async def post(self, job_id: str) -> None:
        """Keep the batch's files for another retention period from now (its new ``destruction``)."""
        job = await self.run_blocking(self.job, job_id)
        self.write_json((await self.run_blocking(batch_submit.renew, self.services, job)).to_json())


class CutoutManifestHandler(CutoutJobsBase):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        fmt = self.get_query_argument("format", "json").lower()
        if fmt not in ("json", "csv"):
            raise BadParameter(f"A manifest is json or csv, not '{fmt}'.", hint="?format=json or ?format=csv.")
        job = await self.run_blocking(self.job, job_id)
        repository, folder = self.finished_rows(job)
        name = manifest.JSON_NAME if fmt == "json" else manifest.CSV_NAME
        path = posixpath.join(folder, name) if folder else name
        self.set_header("Content-Type", "application/json" if fmt == "json" else "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f"inline; filename={name}")
        await self.stream_file(repository, path)
        self.finish()


class CutoutFileHandler(CutoutJobsBase):
    @web.authenticated
    async def get(self, job_id: str, name: str) -> None:
        """One file the batch made (a name its manifest lists)."""
        job = await self.run_blocking(self.job, job_id)
        repository, folder = self.finished_rows(job)
        files = await self.run_blocking(made_files, job.id, repository, folder)
        if name not in files | {manifest.JSON_NAME, manifest.CSV_NAME}:
            raise NotFound(f"The batch made no file '{name}'.", hint="Its manifest lists the files.")
        kind = {"fits": "application/fits", "png": "image/png", "jpg": "image/jpeg", "json": "application/json",
                "csv": "text/csv"}.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        self.set_header("Content-Type", kind)
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        await self.stream_file(repository, posixpath.join(folder, name) if folder else name)
        self.finish()


class _Sink:
    """Where ``zipfile`` writes: bytes collected until the handler sends them (not seekable, so
    the archive is written as a stream, with data descriptors)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.buffer.extend(data)
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


class CutoutZipHandler(CutoutJobsBase):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        """Every file of the batch and both manifests as one zip, streamed: memory holds one
        chunk of one file, never the archive."""
        job = await self.run_blocking(self.job, job_id)
        repository, folder = self.finished_rows(job)
        names = sorted(await self.run_blocking(made_files, job.id, repository, folder))
        names += [manifest.JSON_NAME, manifest.CSV_NAME]
        stem = posixpath.basename(folder) or f"cutouts-{job.id[:8]}"
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(stem)}.zip")
        sink = _Sink()
        archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True)  # type: ignore[arg-type]
        for name in names:
            path = posixpath.join(folder, name) if folder else name
            try:
                handle = await self.run_blocking(repository.open, path, "rb")
            except NotFound:
                continue  # removed since the manifest was written: the manifest still says what was made
            try:
                with archive.open(f"{stem}/{name}", "w", force_zip64=True) as entry:
                    while True:
                        chunk = await self.run_blocking(handle.read, CHUNK)
                        if not chunk:
                            break
                        entry.write(chunk)
                        if len(sink.buffer) >= CHUNK:
                            self.write(sink.take())
                            await self.flush()
            finally:
                handle.close()
            self.write(sink.take())
            await self.flush()
        archive.close()
        self.write(sink.take())
        self.finish()

