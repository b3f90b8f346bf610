"""Shared fixtures: demo data, broken files, real S3 and WebDAV servers, and a configured server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from _api import server_config
from _processes import stop_workers
from _services import S3_BUCKET, S3_SECRET, moto_server, webdav_server

#: Detector formats whose readers parse headers from a local file (a stand-in when remote).
DETECTOR_FILES = ("scan.mib", "scan.hdr", "scan.dm4", "scan.blo")

pytest_plugins = ("pytest_jupyter.jupyter_server",)



@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small generated demo scans, made once per test session."""
    from jupyter_remotem.demo import generate

    directory = tmp_path_factory.mktemp("demo")
    generate(directory, size="small")
    return directory


@pytest.fixture(scope="session")
def broken_dir(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    """Files that must be refused cleanly: truncated, corrupt, misnamed, escaping symlinks."""
    directory = tmp_path_factory.mktemp("broken")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text("not yours")
    good = (demo_dir / "scan.h5").read_bytes()
    (directory / "truncated.h5").write_bytes(good[: len(good) // 3])
    (directory / "garbage.h5").write_bytes(os.urandom(4096))
    (directory / "empty.npy").write_bytes(b"")
    npy = (demo_dir / "scan.npy").read_bytes()
    (directory / "truncated.npy").write_bytes(npy[: len(npy) // 2])
    (directory / "notes.unknownformat").write_text("hello")
    (directory / "orphan.raw").write_bytes(b"\0" * 1024)
    np.save(directory / "small4d.npy", np.arange(2 * 3 * 4 * 5, dtype=np.uint16).reshape(2, 3, 4, 5))
    import h5py

    with h5py.File(directory / "groups_only.h5", "w") as f:
        f.create_group("entry/instrument")
        f["entry"].attrs["title"] = "no arrays here"
    os.symlink(outside / "secret.txt", directory / "escape.txt")
    os.symlink(outside, directory / "escape_dir")
    os.symlink(demo_dir / "scan.npy", directory / "escape_scan.npy")
    return directory


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path):
    """A moto S3 server holding a copy of some demo files in bucket ``scans`` under ``lab1/``."""
    workdir = tmp_path_factory.mktemp("moto")
    with moto_server(workdir) as endpoint:
        import s3fs

        fs = s3fs.S3FileSystem(key="testing", secret=S3_SECRET, endpoint_url=endpoint)
        fs.mkdir(S3_BUCKET)
        for name in ("scan.h5", "scan.npy", *DETECTOR_FILES):
            fs.put_file(str(demo_dir / name), f"{S3_BUCKET}/lab1/{name}")
        fs.put(str(demo_dir / "scan.zarr"), f"{S3_BUCKET}/lab1/scan.zarr", recursive=True)
        yield endpoint


@pytest.fixture(scope="session")
def webdav_url(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path):
    """A wsgidav server (basic auth) over a folder with a copy of some demo files."""
    root = tmp_path_factory.mktemp("davroot")
    (root / "group").mkdir()
    for name in ("scan.h5", "scan.npy", *DETECTOR_FILES):
        shutil.copy(demo_dir / name, root / "group" / name)
    with webdav_server(root, tmp_path_factory.mktemp("dav")) as url:
        yield url


@pytest.fixture(autouse=True)
def workers_end_with_their_test(request: pytest.FixtureRequest):
    """A job worker a test's server started outlives that server on purpose (it finishes its job,
    then waits ``idle_exit_s`` for more): ended here, after the test's server, so that workers of
    finished tests do not poll their databases for minutes while later tests run."""
    tmp_path = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if tmp_path is not None:
        stop_workers(tmp_path)


@pytest.fixture
def repositories(demo_dir: Path, broken_dir: Path) -> list[dict]:
    """Local repositories every server test gets; remote ones are added by tests that need them."""
    return [
        {"name": "demo", "url": str(demo_dir), "description": "Demo scans"},
        {"name": "broken", "url": str(broken_dir), "description": "Bad files"},
        {"name": "private", "url": str(demo_dir), "description": "Group only", "groups": ["microscopy"]},
    ]


@pytest.fixture
def jp_server_config(repositories: list[dict]) -> dict:
    return server_config(repositories)


@pytest.fixture
def results_dir(tmp_path):
    """The folder of a test's writable ``results`` repository (see ``_results.repositories``)."""
    out = tmp_path / "results"
    out.mkdir()
    return out
