"""Copies between repositories: verified, per-item, resumable, across local, S3 and WebDAV."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest
from _services import s3_repository, webdav_repository

from jupyter_remotem.errors import Forbidden
from jupyter_remotem.storage.repository import Repository, RepositoryConfig
from jupyter_remotem.storage.transfer import (
    CHUNK_BYTES,
    CopyCancelled,
    CopyManifest,
    mark_found,
    plan_copy,
    present_files,
    run_copy,
)


def repo(path, name="r", writable=True) -> Repository:
    return Repository(RepositoryConfig.from_dict({"name": name, "url": str(path), "writable": writable}))


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_tree(root, files: int, size: int = 100):
    for i in range(files):
        folder = root / f"d{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:04d}.bin").write_bytes(os.urandom(size))


def test_file_copy_is_verified_and_renamed_into_place(tmp_path, demo_dir):
    source, target = repo(demo_dir, "src", writable=False), repo(tmp_path, "dst")
    manifest = plan_copy(source, "scan.h5", target, "copies/scan.h5")
    seen = []
    run_copy(source, target, manifest, progress=lambda *p: seen.append(p))
    assert sha(tmp_path / "copies" / "scan.h5") == sha(demo_dir / "scan.h5")
    assert manifest.items[0].status == "done"
    assert manifest.items[0].checksum == sha(demo_dir / "scan.h5")
    assert seen[-1][1] == seen[-1][2] == (demo_dir / "scan.h5").stat().st_size
    assert not [p for p in (tmp_path / "copies").iterdir() if p.name.startswith(".")]


def test_read_only_target_is_refused(tmp_path, demo_dir):
    with pytest.raises(Forbidden):
        plan_copy(repo(demo_dir), "scan.h5", repo(tmp_path, writable=False), "x.h5")


def test_thousand_files_with_ten_failures_then_a_rerun_copies_only_those(tmp_path):
    src_dir, dst_dir = tmp_path / "src", tmp_path / "dst"
    make_tree(src_dir, 1000)
    source, target = repo(src_dir, "src"), repo(dst_dir, "dst")
    manifest = plan_copy(source, "", target, "all")
    assert len(manifest.items) == 1000
    vanished = manifest.items[::100][:10]
    stash = {}
    for item in vanished:  # unreadable: gone between planning and copying
        path = src_dir / item.source
        stash[path] = path.read_bytes()
        path.unlink()
    run_copy(source, target, manifest)
    counts = manifest.counts()
    assert counts == {"done": 990, "failed": 10}
    assert {item.source for item in manifest.items if item.status == "failed"} == {i.source for i in vanished}
    assert all("does not exist" in item.error for item in manifest.items if item.status == "failed")
    for path, data in stash.items():
        path.write_bytes(data)
    before = {p: p.stat().st_mtime_ns for p in dst_dir.rglob("*.bin")}
    saved = CopyManifest.from_json(manifest.to_json())  # as a job would store it
    run_copy(source, target, saved)
    assert saved.counts() == {"done": 1000}
    after = {p: p.stat().st_mtime_ns for p in dst_dir.rglob("*.bin")}
    assert len(after) == 1000
    assert all(after[p] == t for p, t in before.items()), "finished files were rewritten"
    for item in vanished:
        assert sha(dst_dir / item.target) == sha(src_dir / item.source)


def test_existing_target_is_a_failed_item_not_an_overwrite(tmp_path, demo_dir):
    (tmp_path / "scan.h5").write_bytes(b"precious")
    manifest = plan_copy(repo(demo_dir), "scan.h5", repo(tmp_path), "scan.h5")
    run_copy(repo(demo_dir), repo(tmp_path), manifest)
    assert manifest.items[0].status == "failed" and "exists" in manifest.items[0].error
    assert (tmp_path / "scan.h5").read_bytes() == b"precious"


def test_cancel_mid_file_leaves_no_final_name_and_resume_completes(tmp_path):
    src_dir, dst_dir = tmp_path / "src", tmp_path / "dst"
    src_dir.mkdir()
    (src_dir / "big.bin").write_bytes(os.urandom(CHUNK_BYTES * 3 + 17))
    source, target = repo(src_dir, "src"), repo(dst_dir, "dst")
    dst_dir.mkdir()
    manifest = plan_copy(source, "big.bin", target, "big.bin")
    cancel = threading.Event()

    def progress(items, done, total):
        if done >= CHUNK_BYTES:
            cancel.set()

    with pytest.raises(CopyCancelled):
        run_copy(source, target, manifest, progress=progress, cancel=cancel)
    assert not (dst_dir / "big.bin").exists()
    partial = dst_dir / ".big.bin.remotem-partial"
    assert partial.exists() and 0 < partial.stat().st_size < (src_dir / "big.bin").stat().st_size
    resumed_bytes = []
    run_copy(source, target, manifest, progress=lambda i, d, t: resumed_bytes.append(d))
    assert sha(dst_dir / "big.bin") == sha(src_dir / "big.bin")
    assert not partial.exists()
    assert resumed_bytes[0] >= CHUNK_BYTES, "resumed from the partial bytes instead of starting over"


@pytest.mark.parametrize("kind", ["s3", "webdav"])
def test_folder_copy_to_and_from_remote_repositories(tmp_path, s3_endpoint, webdav_url, kind):
    config = s3_repository(s3_endpoint) if kind == "s3" else webdav_repository(webdav_url)
    remote = Repository(RepositoryConfig.from_dict(dict(config, writable=True)))
    src_dir = tmp_path / "src"
    make_tree(src_dir, 12, size=1000)
    target_folder = f"upload-{kind}-{os.getpid()}"
    manifest = plan_copy(repo(src_dir), "d1", remote, f"{target_folder}/d1")
    run_copy(repo(src_dir), remote, manifest)
    assert manifest.counts() == {"done": 2}
    back = tmp_path / "back"
    back_manifest = plan_copy(remote, f"{target_folder}/d1", repo(back), "d1")
    run_copy(remote, repo(back), back_manifest)
    assert back_manifest.counts() == {"done": 2}
    for path in (src_dir / "d1").iterdir():
        assert sha(back / "d1" / path.name) == sha(path)


def test_a_target_that_already_holds_the_source_bytes_is_done_not_a_conflict(tmp_path):
    """A resumed copy whose files were put in place after the manifest's last save, and a
    resubmitted copy with no manifest, find them by size and SHA-256; only files this copy wrote
    are reported as written, and progress starts from what is done."""
    src_dir, dst_dir = tmp_path / "src", tmp_path / "dst"
    make_tree(src_dir, 20, size=1000)
    source, target = repo(src_dir, "src"), repo(dst_dir, "dst")
    manifest = plan_copy(source, "", target, "all")
    mark_found(manifest, present_files(target, manifest))
    assert not any(item.found for item in manifest.items)
    saved = CopyManifest.from_json(manifest.to_json())  # the manifest as saved before the crash
    run_copy(source, target, manifest)
    assert manifest.counts() == {"done": 20}

    wrote, seen = [], []
    run_copy(source, target, saved, on_written=wrote.append, progress=lambda i, d, t: seen.append(d))
    assert saved.counts() == {"done": 20}, "identical targets are done, not 'already exists'"
    assert len(wrote) == 20, "put in place by this copy before it could say so: its files"
    assert seen[0] == 20 * 1000, "they count as done from the start"

    fresh = plan_copy(source, "", target, "all")  # resubmitted, the manifest lost
    mark_found(fresh, present_files(target, fresh))
    assert all(item.found for item in fresh.items)
    wrote = []
    run_copy(source, target, fresh, on_written=wrote.append)
    assert fresh.counts() == {"done": 20} and wrote == [], "there before this copy: not its files"

    (dst_dir / fresh.items[3].target).write_bytes(os.urandom(1000))  # same size, other bytes
    again = plan_copy(source, "", target, "all")
    run_copy(source, target, again)
    assert again.counts() == {"done": 19, "failed": 1} and "exists" in again.items[3].error


def test_progress_of_a_resumed_copy_never_goes_backwards(tmp_path):
    src_dir, dst_dir = tmp_path / "src", tmp_path / "dst"
    make_tree(src_dir, 5, size=CHUNK_BYTES + 100)
    source, target = repo(src_dir, "src"), repo(dst_dir, "dst")
    manifest = plan_copy(source, "", target, "all")
    cancel = threading.Event()
    seen = []

    def progress(items, done, total):
        seen.append(done)
        if done >= 2.5 * CHUNK_BYTES:
            cancel.set()

    with pytest.raises(CopyCancelled):
        run_copy(source, target, manifest, progress=progress, cancel=cancel)
    stopped = seen[-1]
    resumed = []
    run_copy(source, target, manifest, progress=lambda i, d, t: resumed.append(d))
    sequence = seen + resumed
    assert resumed[0] == stopped, "the resumed copy starts where the first stopped, partial bytes included"
    assert all(b >= a for a, b in zip(sequence, sequence[1:])), sequence
    assert resumed[-1] == manifest.total_bytes


@pytest.mark.parametrize("name, target, companions", [
    ("scan.mib", "copies/run2.mib", {"scan.hdr": "copies/run2.hdr"}),
    ("scan.raw", "copies/run2.raw", {"scan.raw.json": "copies/run2.raw.json"}),
])
def test_a_data_file_is_copied_with_the_files_that_describe_it(tmp_path, demo_dir, name, target, companions):
    """A MIB file without its .hdr loses its scan shape, a raw file without its JSON is unreadable."""
    from jupyter_remotem.formats import open_dataset

    source, copy_target = repo(demo_dir, "src", writable=False), repo(tmp_path, "dst")
    manifest = plan_copy(source, name, copy_target, target)
    assert {item.source: item.target for item in manifest.items} == {name: target, **companions}
    run_copy(source, copy_target, manifest)
    assert all(item.status == "done" for item in manifest.items), manifest.to_json()
    for companion, where in companions.items():
        assert sha(tmp_path / where) == sha(demo_dir / companion)
    with open_dataset(source, name) as original, open_dataset(copy_target, target) as copied:
        assert copied.shape == original.shape and copied.nav_shape == original.nav_shape
