"""Deleting a job deletes every file it wrote — and nothing else; ``?keep_files=1`` keeps them,
counted.  A real server starts a real worker; files are checked on disk."""

from __future__ import annotations

import os

import pytest
from _api import call, server_config, stop_started_worker, wait_until
from _services import S3_BUCKET, s3_repository, webdav_repository
from _written import (
    WORKER,
    copy,
    crop,
    delete,
    due_for_checking,
    files_on_disk,
    folders_on_disk,
    reduction,
    repository,
    run,
    storage_usage,
)

from jupyter_remotem.jobs.copy_runner import manifest_path, save_manifest
from jupyter_remotem.jobs.models import Phase
from jupyter_remotem.storage.transfer import CopyItem, CopyManifest

FORMATS = {"hdf5": "h5", "hspy": "hspy", "npy": "npy", "tiff": "tif", "png": "png"}


@pytest.fixture
def results(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "mine.txt").write_text("the user's own file")
    return out


@pytest.fixture
def repositories(repositories, results):
    return repositories + [{"name": "results", "url": str(results), "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, start_worker=True, worker_arguments=WORKER, housekeeping_interval=0.2)


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)


def written_by_jobs(results) -> dict[str, int]:
    return {path: size for path, size in files_on_disk(repository({"name": "r", "url": str(results)})).items()
            if path != "mine.txt"}


async def test_deleting_removes_every_output_format_its_sidecar_and_the_folders_it_made(jp_fetch, results):
    jobs = [await run(jp_fetch, reduction(f"{fmt}/deep/bf.{ending}", fmt=fmt)) for fmt, ending in FORMATS.items()]
    jobs.append(await run(jp_fetch, crop("crops/crop.h5")))
    on_disk = written_by_jobs(results)
    assert "npy/deep/bf.npy.json" in on_disk and len(on_disk) == 7
    for job in jobs:
        written = job["written"]
        mine = {p: s for p, s in on_disk.items() if p.startswith(job["results"][0]["path"].split("/")[0] + "/")}
        assert written["files"] == len(mine) and written["bytes"] == sum(mine.values()), job
        assert {f"{s['repository']}:{s['path']}" for s in written["sample"]} == {f"results:{p}" for p in mine}
        assert written["folders"] == (1 if job["kind"] == "transformation" else 2)
    assert (await storage_usage(jp_fetch))["storage_bytes"] == sum(on_disk.values())

    for job in jobs:
        await delete(jp_fetch, job["id"])
    assert sorted(os.listdir(results)) == ["mine.txt"], "files, sidecar and created folders are gone"
    usage = await storage_usage(jp_fetch)
    assert (usage["storage_bytes"], usage["results"]) == (0, 0)


async def test_a_copy_into_a_folder_of_other_files_removes_only_its_own(jp_fetch, results):
    (results / "src" / "sub").mkdir(parents=True)
    for name in ("x.bin", "y.bin", "sub/z.bin"):
        (results / "src" / name).write_bytes(os.urandom(3000))
    shared = results / "shared"
    (shared / "sub").mkdir(parents=True)
    (shared / "a.txt").write_text("theirs")
    (shared / "sub" / "b.txt").write_text("theirs too")
    before = files_on_disk(repository({"name": "r", "url": str(results)}))

    into_shared = await run(jp_fetch, copy("src", "shared", source_repository="results"))
    into_new = await run(jp_fetch, copy("scan.zarr", "new/deeper/scan.zarr"))
    assert (shared / "sub" / "z.bin").read_bytes() == (results / "src" / "sub" / "z.bin").read_bytes()
    assert into_shared["written"]["files"] == 4, "three copied files and the manifest"
    assert into_shared["written"]["folders"] == 0, "shared/ and shared/sub/ were there already"
    assert into_new["written"]["folders"] == 4, "new/, new/deeper/, the .zarr folder and its array's"
    copied = {p: s for p, s in files_on_disk(repository({"name": "r", "url": str(results)})).items()
              if p not in before}
    assert (await storage_usage(jp_fetch))["storage_bytes"] == sum(copied.values())
    assert into_shared["written"]["bytes"] + into_new["written"]["bytes"] == sum(copied.values())

    await delete(jp_fetch, into_shared["id"])
    await delete(jp_fetch, into_new["id"])
    assert files_on_disk(repository({"name": "r", "url": str(results)})) == before
    assert not (results / "new").exists() and not (results / ".shared.remotem-manifest.json").exists()
    assert (await storage_usage(jp_fetch))["storage_bytes"] == 0


async def test_a_resubmitted_copy_adopts_what_the_failed_attempt_copied(jp_fetch, results):
    source = results / "day1"
    source.mkdir()
    for i in range(6):
        (source / f"frame{i}.bin").write_bytes(os.urandom(2000))
    (source / "broken.bin").symlink_to(results / "later.bin")  # unreadable until it exists
    body = copy("day1", "ingest/day1", source_repository="results")
    failed = await run(jp_fetch, body, phase="ERROR")
    assert failed["written"]["files"] == 7, "six copied files and the manifest"
    (results / "later.bin").write_bytes(b"now readable")
    done = await run(jp_fetch, body)
    code, failed = await call(jp_fetch, "GET", "jobs", failed["id"])
    assert failed["written"] == {"files": 0, "bytes": 0, "folders": 0, "sample": []}, "all adopted"
    assert done["written"]["files"] == 8 and done["written"]["folders"] == 2

    await delete(jp_fetch, failed["id"])
    target = results / "ingest" / "day1"
    assert len(list(target.iterdir())) == 7, "deleting the failed attempt leaves the complete copy whole"
    await delete(jp_fetch, done["id"])
    assert not (results / "ingest").exists()
    assert (await storage_usage(jp_fetch))["storage_bytes"] == 0


async def test_a_job_that_overwrites_another_s_result_takes_it_over(jp_fetch, results):
    first = await run(jp_fetch, reduction("bf.npy"))
    second = await run(jp_fetch, reduction("bf.npy", overwrite=True))
    code, first = await call(jp_fetch, "GET", "jobs", first["id"])
    assert first["written"]["files"] == 0 and second["written"]["files"] == 2
    size = (results / "bf.npy").stat().st_size + (results / "bf.npy.json").stat().st_size
    assert (await storage_usage(jp_fetch))["storage_bytes"] == size, "counted once"
    await delete(jp_fetch, first["id"])
    assert (results / "bf.npy").exists(), "the first job's file is no longer its own"
    await delete(jp_fetch, second["id"])
    assert not (results / "bf.npy").exists() and not (results / "bf.npy.json").exists()


async def test_keep_files_keeps_them_counted_until_they_are_removed_by_other_means(jp_fetch, jp_serverapp, results):
    job = await run(jp_fetch, reduction("kept/bf.npy"))
    size = job["written"]["bytes"]
    code, error = await call(jp_fetch, "DELETE", "jobs", job["id"], keep_files="maybe")
    assert code == 400 and "keep_files" in error["error"]["message"]
    await delete(jp_fetch, job["id"], keep_files=1)
    assert (await call(jp_fetch, "GET", "jobs", job["id"]))[0] == 404, "the job is gone"
    assert (results / "kept" / "bf.npy").exists() and (results / "kept" / "bf.npy.json").exists()
    usage = await storage_usage(jp_fetch)
    assert (usage["storage_bytes"], usage["kept_bytes"], usage["kept_files"]) == (size, size, 2)

    (results / "kept" / "bf.npy").unlink()  # the user removes one in the file browser
    due_for_checking(jp_serverapp.web_app.settings["remotem"].jobs)

    async def recounted():
        usage = await storage_usage(jp_fetch)
        return usage if usage["kept_files"] == 1 else None

    usage = await wait_until(recounted, "housekeeping to notice the removed file", timeout=30)
    assert usage["storage_bytes"] == (results / "kept" / "bf.npy.json").stat().st_size


async def test_files_changed_since_the_job_wrote_them_are_left_alone(jp_fetch, results, tmp_path):
    replaced = await run(jp_fetch, reduction("replaced.h5"))
    linked = await run(jp_fetch, reduction("linked.h5"))
    (results / "replaced.h5").write_bytes(b"the user's new content")
    outside = tmp_path / "outside.h5"
    outside.write_bytes(b"outside the repository")
    (results / "linked.h5").unlink()
    (results / "linked.h5").symlink_to(outside)

    await delete(jp_fetch, replaced["id"])
    await delete(jp_fetch, linked["id"])
    assert (results / "replaced.h5").read_bytes() == b"the user's new content"
    assert (results / "linked.h5").is_symlink() and outside.read_bytes() == b"outside the repository"
    assert (await storage_usage(jp_fetch))["storage_bytes"] == 0, "neither is the jobs' any more"


async def test_deleting_a_copy_that_stopped_midway_removes_its_partial_files(jp_fetch, jp_serverapp, results):
    """A copy stopped without its worker's clean-up (the worker died with a cancel pending)
    leaves a finished file, a half-written one and its manifest: deleting the job removes all."""
    services = jp_serverapp.web_app.settings["remotem"]
    store = services.jobs
    job = store.create(services.server_owner, "copy", copy("", "big"), phase=Phase.PENDING)
    target = repository({"name": "results", "url": str(results), "writable": True})
    (results / "big").mkdir()
    manifest = CopyManifest([CopyItem("scan.h5", "big/scan.h5", 5000), CopyItem("scan.npy", "big/done.npy", 4)])
    manifest.items[1].status = "done"
    (results / "big" / "done.npy").write_bytes(b"done")
    (results / "big" / ".scan.h5.remotem-partial").write_bytes(b"half")
    save_manifest(target, manifest_path("big"), manifest)
    store.record_written(job.id, [
        {"repository": "results", "path": "big", "kind": "folder"},
        {"repository": "results", "path": "big/done.npy", "format": "copy", "size": 4},
        {"repository": "results", "path": manifest_path("big"), "format": "manifest",
         "size": (results / manifest_path("big")).stat().st_size},
    ])
    assert store.request_action(job.id, job.owner, "cancel").phase == Phase.ABORTED.value

    await delete(jp_fetch, job.id)
    assert sorted(os.listdir(results)) == ["mine.txt"], "copied file, partial file, manifest and folder are gone"
    assert folders_on_disk(results) == set()


class TestRemoteRepositories:
    """The same on S3 (moto) and WebDAV (wsgidav): each file the job wrote goes, others stay."""

    @pytest.fixture(params=["s3", "webdav"])
    def remote(self, request, tmp_path):
        folder = f"deleting-{tmp_path.name}"
        if request.param == "s3":
            base = s3_repository(request.getfixturevalue("s3_endpoint"))
            return base | {"name": "remote", "url": f"s3://{S3_BUCKET}/{folder}", "writable": True}
        base = webdav_repository(request.getfixturevalue("webdav_url"))
        return base | {"name": "remote", "url": f"webdav://group/{folder}", "writable": True}

    @pytest.fixture
    def repositories(self, repositories, remote):
        repo = repository(remote)
        repo.fs.makedirs(repo.full_path("copies"), exist_ok=True)
        with repo.open("copies/user.txt", "wb") as out:
            out.write(b"the user's own file, in the folder copies go to")
        return repositories + [remote]

    async def test_deleting_removes_results_and_copies_from_remote_storage(self, jp_fetch, remote):
        repo = repository(remote)
        before = files_on_disk(repo)
        assert list(before) == ["copies/user.txt"]
        jobs = [await run(jp_fetch, reduction("r/deep/bf.npy", repository="remote")),
                await run(jp_fetch, crop("r/crop.h5", repository="remote")),
                await run(jp_fetch, copy("scan.zarr", "copies/scan.zarr", target_repository="remote"))]
        written = {p: s for p, s in files_on_disk(repo).items() if p not in before}
        assert ".r/deep/bf.npy.json" not in written and "r/deep/bf.npy.json" in written
        assert any(p.startswith("copies/scan.zarr/frames/") for p in written)
        assert "copies/.scan.zarr.remotem-manifest.json" in written
        assert sum(job["written"]["files"] for job in jobs) == len(written)
        assert (await storage_usage(jp_fetch))["storage_bytes"] == sum(written.values())

        for job in jobs:
            await delete(jp_fetch, job["id"])
        assert files_on_disk(repo) == before
        if remote["url"].startswith("webdav"):
            assert sorted(e.name for e in repo.list("", include_hidden=True)) == ["copies"], "made folders are gone"
        assert (await storage_usage(jp_fetch))["storage_bytes"] == 0
