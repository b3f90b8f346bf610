"""Nothing outside a repository is ever served, whatever a file inside it says.

Hostile files (HDF5 external links, external storage and virtual datasets, a Zarr chunk and a
MIB header that are symlinks) point outside the repository; controls of the same kinds point
inside and keep working.  Every endpoint, a job in the real worker, a copy, a remote (S3)
repository and the client's local mode are checked.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from _api import WithServerWorker, call, encoded, get
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _hostile_files import INSIDE, OUTSIDE, SECRET, SHAPE, expected_inside, write_outside, write_repository
from _services import S3_BUCKET, s3_repository

from jupyter_remotem.storage.containment import ContainedLocalFileSystem, OutsideRepository, resolve_reference
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

#: Four secret values in a row, as the outside files hold them: no answer may contain them.
SECRET_BYTES = np.full(4, SECRET, dtype="<f4").tobytes()
DISK = {"shape": "disk", "cx": 3, "cy": 3, "r": 2}


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hostile")
    write_outside(base / "outside")
    write_repository(base / "repo", base / "outside", demo_dir)
    return {"repo": base / "repo", "outside": base / "outside"}


@pytest.fixture
def repositories(repositories, hostile, tmp_path):
    (tmp_path / "results").mkdir()
    return repositories + [
        {"name": "hostile", "url": str(hostile["repo"]), "description": "files pointing elsewhere"},
        {"name": "results", "url": str(tmp_path / "results"), "writable": True},
    ]


def _params(dataset: str | None) -> dict[str, str]:
    return {"dataset": dataset} if dataset else {}


def _body(name: str, dataset: str | None, operation: str, params: dict) -> dict:
    body = {"repository": "hostile", "path": name, "operation": operation, "params": params}
    if dataset:
        body["dataset"] = dataset
    return body


def _assert_refused(code: int, body, what: str) -> None:
    assert code == 403, (what, code, str(body)[:300])
    assert body["error"]["code"] == "outside_repository", (what, body)
    assert "outside the repository" in body["error"]["message"] and body["error"]["hint"]


REDUCTIONS = [("frame_stats", {}), ("pick", {"y": 1, "x": 2}), ("virtual_detector", {"detectors": [DISK]})]


#: Where a store's piece is a link out, only the requests that read that piece are refused.
PIECEWISE = {"chunk_symlink.zarr": {"meta", "preview frame"}}


async def _answer(jp_fetch, method: str, *parts: str, body=None, **params) -> tuple[int, bytes]:
    response = await jp_fetch(*("remotem", "api", *parts), method=method, raise_error=False,
                              body=None if body is None else json.dumps(body), params=params)
    return response.code, response.body


@pytest.mark.parametrize("name", sorted(OUTSIDE))
async def test_no_endpoint_serves_data_from_outside(jp_fetch, name):
    dataset = OUTSIDE[name]
    path = encoded(name)
    answers = [("meta", await _answer(jp_fetch, "GET", "repositories", "hostile", "meta", path, **_params(dataset)))]
    for kind in ("bf", "sum", "frame"):
        answers.append((f"preview {kind}", await _answer(jp_fetch, "GET", "repositories", "hostile", "preview", path,
                                                         kind=kind, size="32", **_params(dataset))))
    answers.append(("data", await _answer(jp_fetch, "GET", "repositories", "hostile", "data", path,
                                          slice="0", **_params(dataset))))
    for operation, params in REDUCTIONS:
        answers.append((operation, await _answer(jp_fetch, "POST", "reductions",
                                                 body=_body(name, dataset, operation, params))))
    for what, (code, raw) in answers:
        assert SECRET_BYTES not in raw, f"{what} of {name} answered data from outside"
        if what in PIECEWISE.get(name, ()) and code == 200:
            continue  # it read only pieces inside
        _assert_refused(code, json.loads(raw), what)


@pytest.mark.parametrize("name", sorted(INSIDE))
async def test_references_inside_the_repository_keep_working(jp_fetch, name):
    dataset = INSIDE[name]
    expected = expected_inside(name)
    code, meta = await call(jp_fetch, "GET", "repositories", "hostile", "meta", encoded(name), **_params(dataset))
    assert code == 200, meta
    assert meta["dataset"]["shape"] == list(SHAPE)
    response = await get(jp_fetch, "repositories", "hostile", "data", encoded(name), slice="1", **_params(dataset))
    assert response.code == 200, response.body[:300]
    np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), expected[1])
    code, stats = await call(jp_fetch, "POST", "reductions", body=_body(name, dataset, "frame_stats", {}))
    assert code == 200, stats
    np.testing.assert_allclose(np.array(stats["arrays"]["sum"]["data"]), expected.sum(axis=(0, 1)), rtol=1e-6)
    preview = await get(jp_fetch, "repositories", "hostile", "preview", encoded(name), kind="bf", size=32,
                        **_params(dataset))
    assert preview.code == 200, preview.body[:300]


async def test_meta_lists_arrays_that_point_outside_without_reading_them(jp_fetch):
    code, meta = await call(jp_fetch, "GET", "repositories", "hostile", "meta", "mixed.h5")
    assert code == 200, meta
    arrays = {array["path"]: array for array in meta["arrays"]}
    assert arrays["/bad"]["outside_repository"] is True
    assert "outside the repository" in arrays["/bad"]["reason"] and arrays["/bad"]["shape"] is None
    assert meta["dataset"]["dataset"] == "/good", "the default array is never one that points outside"
    code, body = await call(jp_fetch, "GET", "repositories", "hostile", "meta", "mixed.h5", dataset="/bad")
    _assert_refused(code, body, "meta of the outside array")
    code, meta = await call(jp_fetch, "GET", "repositories", "hostile", "meta", "link_inside.h5")
    assert meta["arrays"][0]["file"] == "target.h5", "a linked array names the file it is in"


async def test_a_linked_dataset_is_read_from_the_file_it_lives_in(jp_fetch, hostile):
    """The byte-offset reader once read the *parent* file at the linked dataset's offset."""
    response = await get(jp_fetch, "repositories", "hostile", "data", "link_inside.h5", slice=":")
    np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), expected_inside("link_inside.h5"))


class TestJobsAndCopies(WithServerWorker):

    async def test_a_job_never_reads_outside_and_an_inside_job_completes(self, jp_fetch, tmp_path):
        output = {"repository": "results", "format": "npy"}
        body = dict(_body("link_absolute.h5", None, "frame_stats", {}), output=dict(output, path="out.npy"))
        code, job = await call(jp_fetch, "POST", "jobs", body=body)
        if code == 201:  # refused when the worker opens it
            done = await self.finished(jp_fetch, job["id"])
            assert done["phase"] == "ERROR", done
            assert "outside the repository" in json.dumps(done["error"]), done["error"]
        else:
            _assert_refused(code, job, "job submission")
        assert not any((tmp_path / "results").rglob("out*.npy"))
        body = dict(_body("link_inside.h5", None, "frame_stats", {}), output=dict(output, path="in.npy", array="sum"))
        code, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert code == 201, job
        done = await self.finished(jp_fetch, job["id"])
        assert done["phase"] == "COMPLETED", done
        written = [p for p in (tmp_path / "results").rglob("in*.npy")]
        assert written, list((tmp_path / "results").rglob("*"))
        sums = [np.load(p) for p in written]
        assert any(np.allclose(s, expected_inside("link_inside.h5").sum(axis=(0, 1))) for s in sums if s.shape == (6, 7))

    async def test_a_copy_never_follows_a_link_out(self, jp_fetch, tmp_path, hostile):
        body = {"operation": "copy", "source": {"repository": "hostile", "path": ""},
                "target": {"repository": "results", "path": "copied"}}
        code, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert code == 201, job
        done = await self.finished(jp_fetch, job["id"])
        # The link out is not left out unseen: the copy names it as a file it refused.
        assert done["phase"] == "ERROR", done
        assert "chunk_symlink.zarr/0.0.0.0" in done["error"]["message"], done["error"]
        copied = tmp_path / "results" / "copied"
        files = [p for p in copied.rglob("*") if p.is_file()]
        assert any(p.name == "target.h5" for p in files), "files inside are copied"
        for file in files:
            assert not file.is_symlink()
            assert SECRET_BYTES not in file.read_bytes(), f"{file} holds data from outside the repository"
        assert not (copied / "chunk_symlink.zarr" / "0.0.0.0").exists()
        assert (copied / "chunk_symlink_inside.zarr" / "0.0.0.0").read_bytes() == (
            hostile["repo"] / "chunk_symlink_inside.zarr" / "1.0.0.0").read_bytes()


class TestRemote:
    """A remote HDF5 file naming a path on the server's disks must not reach them (h5py would
    resolve it on the local filesystem); references inside the bucket are read through S3."""

    NAMES = ("target.h5", "inside.raw", "link_absolute.h5", "link_relative.h5", "link_inside.h5", "external_storage.h5",
             "external_storage_inside.h5", "virtual.h5", "virtual_inside.h5", "virtual_same_file.h5")

    @pytest.fixture
    def repositories(self, repositories, s3_endpoint, hostile):
        import s3fs

        repository = s3_repository(s3_endpoint)
        fs = s3fs.S3FileSystem(**{k: v for k, v in repository["storage_options"].items() if k != "endpoint_url"},
                               endpoint_url=s3_endpoint)
        for name in self.NAMES:
            fs.put_file(str(hostile["repo"] / name), f"{S3_BUCKET}/hostile/{name}")
        return repositories + [dict(repository, name="s3hostile", url=f"s3://{S3_BUCKET}/hostile")]

    @pytest.mark.parametrize("name", ["link_absolute.h5", "link_relative.h5", "external_storage.h5", "virtual.h5"])
    async def test_remote_references_outside_are_refused(self, jp_fetch, name):
        for answer in (await call(jp_fetch, "GET", "repositories", "s3hostile", "meta", name),
                       await call(jp_fetch, "GET", "repositories", "s3hostile", "data", name, slice="0",
                                  dataset="/data")):
            _assert_refused(*answer, f"{name} on S3")

    @pytest.mark.parametrize("name", ["link_inside.h5", "external_storage_inside.h5", "virtual_same_file.h5"])
    async def test_remote_references_inside_are_read_through_the_bucket(self, jp_fetch, name):
        response = await get(jp_fetch, "repositories", "s3hostile", "data", name, slice="2", dataset="/data")
        assert response.code == 200, response.body[:300]
        np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), expected_inside(name)[2])

    async def test_remote_virtual_dataset_of_other_files_is_refused_with_the_way_out(self, jp_fetch):
        code, body = await call(jp_fetch, "GET", "repositories", "s3hostile", "data", "virtual_inside.h5",
                                slice="0", dataset="/data")
        assert code == 415, body
        assert "local repository" in body["error"]["hint"]


async def test_the_client_raises_with_the_reason_and_reads_inside_links(client):
    from jupyter_remotem.client import PermissionDenied

    with pytest.raises(PermissionDenied) as refused:
        await in_thread(client.open, "hostile", "link_absolute.h5")
    assert refused.value.code == "outside_repository" and "outside the repository" in str(refused.value)
    dataset = await in_thread(client.open, "hostile", "link_inside.h5")
    np.testing.assert_array_equal(await in_thread(dataset.__getitem__, (slice(1, 3), 2)),
                                  expected_inside("link_inside.h5")[1:3, 2])


def test_the_client_local_mode_keeps_to_the_files_folder(hostile):
    import jupyter_remotem as remotem

    with pytest.raises(OutsideRepository):
        remotem.open_local(hostile["repo"] / "link_relative.h5")
    with pytest.raises(OutsideRepository):
        remotem.open_local(hostile["repo"] / "external_storage.h5")
    local = remotem.open_local(hostile["repo"] / "link_inside.h5")
    np.testing.assert_array_equal(local.to_numpy(), expected_inside("link_inside.h5"))


def test_references_resolve_as_the_operating_system_would(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (root / "a").mkdir(parents=True)
    (elsewhere / "deep").mkdir(parents=True)
    (root / "a" / "x.h5").write_bytes(b"")
    (root / "b.h5").write_bytes(b"")
    (elsewhere / "b.h5").write_bytes(b"")
    os.symlink(elsewhere / "deep", root / "a" / "jump")
    repository = Repository(RepositoryConfig(name="r", url=str(root)))
    assert resolve_reference(repository, "a/x.h5", "../b.h5", "link") == "b.h5"
    assert resolve_reference(repository, "a/x.h5", str(root / "b.h5"), "link") == "b.h5"
    assert resolve_reference(repository, "a/x.h5", ".", "link") == "a/x.h5"
    with pytest.raises(OutsideRepository):  # lexically root/a/b.h5, really elsewhere/b.h5
        resolve_reference(repository, "a/x.h5", "jump/../b.h5", "link")
    with pytest.raises(OutsideRepository):
        resolve_reference(repository, "a/x.h5", str(elsewhere / "b.h5"), "link")
    with pytest.raises(OutsideRepository):
        resolve_reference(repository, "a/x.h5", "../../elsewhere/b.h5", "link")


def test_the_repository_filesystem_opens_copies_and_moves_nothing_through_a_link_out(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (elsewhere / "secret").write_bytes(b"secret")
    os.symlink(elsewhere / "secret", root / "link")
    os.symlink(elsewhere, root / "folder")
    fs = ContainedLocalFileSystem(str(root))
    with pytest.raises(OutsideRepository):
        fs.cat_file(str(root / "link"))
    with pytest.raises(OutsideRepository):
        fs.cp_file(str(root / "link"), str(root / "copy"))
    with pytest.raises(OutsideRepository):
        fs.open(str(root / "folder" / "new"), "wb")
    with pytest.raises(OutsideRepository):
        fs.mv(str(root / "link"), str(root / "folder" / "moved"))
    fs.pipe_file(str(root / "inside"), b"ok")
    assert fs.cat_file(str(root / "inside")) == b"ok"
    assert not (elsewhere / "new").exists() and (elsewhere / "secret").read_bytes() == b"secret"


def test_a_folder_copy_walks_a_symlink_loop_once(tmp_path):
    from jupyter_remotem.storage.transfer import plan_copy, run_copy

    source, target = tmp_path / "source", tmp_path / "target"
    (source / "scans").mkdir(parents=True)
    target.mkdir()
    (source / "scans" / "a.npy").write_bytes(b"a")
    os.symlink(source / "scans", source / "scans" / "again")  # a loop: scans/again/again/...
    os.symlink(tmp_path, source / "scans" / "out")  # a link out: planned, so the copy can refuse it by name
    repositories = (Repository(RepositoryConfig(name="s", url=str(source))),
                    Repository(RepositoryConfig(name="t", url=str(target), writable=True)))
    manifest = plan_copy(repositories[0], "scans", repositories[1], "copy")
    assert [item.source for item in manifest.items] == ["scans/a.npy", "scans/out"]
    run_copy(*repositories, manifest)
    assert [item.status for item in manifest.items] == ["done", "failed"]
    assert "outside" in manifest.items[1].error
    assert sorted(p.name for p in (target / "copy").iterdir()) == ["a.npy"]
