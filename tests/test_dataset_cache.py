"""Warm datasets between requests: kept, bounded, thread-safe, invalidated on change, never a way out."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from _api import api_path, server_config

from jupyter_remotem.compute.reductions import ReductionRequest, run_reduction
from jupyter_remotem.errors import NotFound, RemotemError
from jupyter_remotem.formats.dataset_cache import DatasetCache
from jupyter_remotem.kernels import from_spec
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

RING = {"shape": "ring", "cx": 3.5, "cy": 2.5, "ri": 1, "ro": 3}


def repository(root: Path, name: str = "lab") -> Repository:
    return Repository(RepositoryConfig(name=name, url=str(root)))


def scan(seed: int, shape=(3, 4, 6, 8), dtype=np.float32) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) * 1000).astype(dtype)


def write_raw(root: Path, name: str, data: np.ndarray) -> None:
    (root / name).write_bytes(data.tobytes())
    (root / f"{name}.json").write_text(json.dumps({"shape": list(data.shape), "dtype": data.dtype.str}))


def ring_image(data: np.ndarray) -> np.ndarray:
    mask = from_spec(RING, data.shape[2:])
    return (data.astype(np.float64) * mask).sum(axis=(2, 3))


def reduce(repo: Repository, path: str, cache: DatasetCache, detectors=None) -> np.ndarray:
    request = ReductionRequest.from_json({"repository": repo.name, "path": path, "operation": "virtual_detector",
                                          "params": {"detectors": detectors or [RING]}})
    result, _ = run_reduction(repo, request, None, 60.0, datasets=cache)
    return result.arrays["intensity"][..., 0]


def rewrite(path: Path, writer) -> None:
    """Rewrite a file in place; the pause keeps its new times apart from the old on coarse clocks."""
    time.sleep(0.02)
    writer()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    np.save(folder / "a.npy", scan(1))
    write_raw(folder, "b.raw", scan(2))
    with h5py.File(folder / "c.h5", "w") as f:
        f.create_dataset("data", data=scan(3), chunks=(1, 4, 6, 8))
    return folder


def test_a_second_request_reuses_the_opened_dataset_and_its_map(root):
    repo, cache = repository(root), DatasetCache()
    for name in ("a.npy", "b.raw", "c.h5"):
        first, kept = cache.open(repo, name)
        again, kept_again = cache.open(repo, name)
        assert kept and kept_again and again is first
    assert cache.hits == 3 and cache.misses == 3 and len(cache) == 3
    np.testing.assert_allclose(reduce(repo, "c.h5", cache), ring_image(scan(3)), rtol=1e-6)


@pytest.mark.parametrize("name", ["a.npy", "b.raw", "c.h5"])
def test_a_rewritten_file_gives_the_new_numbers(root, name):
    repo, cache = repository(root), DatasetCache()
    seed = {"a.npy": 1, "b.raw": 2, "c.h5": 3}[name]
    np.testing.assert_allclose(reduce(repo, name, cache), ring_image(scan(seed)), rtol=1e-6)
    new = scan(seed + 10, shape=(2, 5, 6, 8))  # another scan shape: a stale header would be wrong

    def write() -> None:
        if name == "a.npy":
            np.save(root / name, new)
        elif name == "b.raw":
            write_raw(root, name, new)
        else:
            with h5py.File(root / name, "w") as f:
                f.create_dataset("data", data=new, chunks=(1, 5, 6, 8))

    rewrite(root / name, write)
    np.testing.assert_allclose(reduce(repo, name, cache), ring_image(new), rtol=1e-6)


def test_same_size_rewrite_in_place_and_replacement_by_rename(root):
    repo, cache = repository(root), DatasetCache()
    reduce(repo, "a.npy", cache)
    same_shape = scan(21)
    rewrite(root / "a.npy", lambda: np.save(root / "a.npy", same_shape))
    np.testing.assert_allclose(reduce(repo, "a.npy", cache), ring_image(same_shape), rtol=1e-6)
    replacement = scan(22)
    np.save(root / "tmp.npy", replacement)
    os.replace(root / "tmp.npy", root / "a.npy")  # a new inode under the old name
    np.testing.assert_allclose(reduce(repo, "a.npy", cache), ring_image(replacement), rtol=1e-6)


def test_a_changed_or_new_sidecar_is_read_again(root):
    repo, cache = repository(root), DatasetCache()
    data = scan(2)
    first, _ = cache.open(repo, "b.raw")
    assert first.shape == data.shape
    # The preferred sidecar name appearing next to the one in use takes over, as it does on open.
    (root / "b.raw.json").rename(root / "b.json")
    assert cache.open(repo, "b.raw")[0].shape == data.shape
    (root / "b.raw.json").write_text(json.dumps({"shape": [12, 6, 8], "dtype": data.dtype.str, "nav_ndim": 1}))
    assert cache.open(repo, "b.raw")[0].shape == (12, 6, 8)


def test_a_deleted_file_is_not_found(root):
    repo, cache = repository(root), DatasetCache()
    cache.open(repo, "a.npy")
    (root / "a.npy").unlink()
    with pytest.raises(NotFound):
        cache.open(repo, "a.npy")


def test_a_cached_file_turned_into_a_link_out_is_refused(root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    np.save(outside / "secret.npy", scan(99))
    repo, cache = repository(root), DatasetCache()
    cache.open(repo, "a.npy")
    (root / "a.npy").unlink()
    (root / "a.npy").symlink_to(outside / "secret.npy")
    with pytest.raises(RemotemError) as caught:
        cache.open(repo, "a.npy")
    assert caught.value.status in (403, 404)


def test_a_retargeted_link_inside_the_repository_reads_its_new_target(root):
    np.save(root / "other.npy", scan(5))
    (root / "link.npy").symlink_to(root / "a.npy")
    repo, cache = repository(root), DatasetCache()
    np.testing.assert_allclose(reduce(repo, "link.npy", cache), ring_image(scan(1)), rtol=1e-6)
    (root / "link.npy").unlink()
    (root / "link.npy").symlink_to(root / "other.npy")
    np.testing.assert_allclose(reduce(repo, "link.npy", cache), ring_image(scan(5)), rtol=1e-6)


def test_entries_are_per_repository(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    np.save(one / "s.npy", scan(1))
    np.save(two / "s.npy", scan(2))
    cache = DatasetCache()
    # Same name, same path, another place: another entry (a repository a user added later, say).
    assert cache.open(repository(one, "x"), "s.npy")[0] is not cache.open(repository(two, "x"), "s.npy")[0]
    np.testing.assert_allclose(reduce(repository(two, "x"), "s.npy", cache), ring_image(scan(2)), rtol=1e-6)


def test_bounded_by_entries_and_by_mapped_bytes(root):
    repo = repository(root)
    cache = DatasetCache(max_entries=2)
    for name in ("a.npy", "b.raw", "c.h5"):
        cache.open(repo, name)
    assert len(cache) == 2 and cache.open(repo, "a.npy")[1]  # the oldest went, and comes back
    small = DatasetCache(max_bytes=100)
    dataset, kept = small.open(repo, "a.npy")
    assert not kept and len(small) == 0
    dataset.close()
    off = DatasetCache(max_entries=0)
    assert not off.open(repo, "a.npy")[1]


def test_compressed_and_linked_data_are_opened_afresh(root):
    with h5py.File(root / "z.h5", "w") as f:
        f.create_dataset("data", data=scan(4), chunks=(1, 4, 6, 8), compression="gzip")
    with h5py.File(root / "l.h5", "w") as f:
        f["data"] = h5py.ExternalLink("c.h5", "/data")
    repo, cache = repository(root), DatasetCache()
    for name in ("z.h5", "l.h5"):
        dataset, kept = cache.open(repo, name, "data")
        assert not kept
        dataset.close()
    np.testing.assert_allclose(reduce(repo, "z.h5", cache), ring_image(scan(4)), rtol=1e-6)


def test_concurrent_requests_share_entries_safely(root):
    repo = repository(root)
    cache = DatasetCache(max_entries=2)  # three files on two entries: evictions while others read
    expected = {"a.npy": ring_image(scan(1)), "b.raw": ring_image(scan(2)), "c.h5": ring_image(scan(3))}
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(30):
                name = list(expected)[(i + offset) % 3]
                np.testing.assert_allclose(reduce(repo, name, cache), expected[name], rtol=1e-6)
        except Exception as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[0]
    assert len(cache) <= 2


# -- through the REST API ------------------------------------------------------------------------
@pytest.fixture
def writable(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("warm")
    np.save(folder / "scan.npy", scan(1, shape=(4, 5, 16, 16)))
    return folder


@pytest.fixture
def jp_server_config(repositories, writable):
    return server_config(repositories + [{"name": "warm", "url": str(writable)},
                                         {"name": "hidden", "url": str(writable), "groups": ["nobody"]}])


async def post(jp_fetch, repository: str):
    body = {"repository": repository, "path": "scan.npy", "operation": "virtual_detector",
            "params": {"detectors": [{"shape": "disk", "cx": 8, "cy": 8, "r": 5}]}}
    return await jp_fetch(*api_path("reductions"), method="POST", body=json.dumps(body),
                          params={"format": "npy"}, raise_error=False)


async def test_rest_answers_follow_a_rewritten_file(jp_fetch, writable):
    disk = from_spec({"shape": "disk", "cx": 8, "cy": 8, "r": 5}, (16, 16))
    for seed in (1, 1, 2):
        data = scan(seed, shape=(4, 5, 16, 16))
        if seed == 2:
            rewrite(writable / "scan.npy", lambda data=data: np.save(writable / "scan.npy", data))
        response = await post(jp_fetch, "warm")
        assert response.code == 200, response.body[:300]
        np.testing.assert_allclose(np.load(io.BytesIO(response.body))[..., 0],
                                   (data.astype(np.float64) * disk).sum(axis=(2, 3)), rtol=1e-6)


async def test_rest_a_warm_file_stays_hidden_from_a_repository_the_user_may_not_read(jp_fetch):
    assert (await post(jp_fetch, "warm")).code == 200
    response = await post(jp_fetch, "hidden")  # same folder, same file, another repository
    assert response.code == 404
