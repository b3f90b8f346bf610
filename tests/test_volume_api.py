"""``GET repositories/{repo}/volume/{path}`` over a real server, locally and on S3 (moto)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from _api import get, get_error
from _services import S3_BUCKET, S3_SECRET, s3_repository

RNG = np.random.default_rng(11)
LABELS = RNG.integers(0, 6, size=(10, 12, 14)).astype(np.uint16) * 3  # labels 0, 3, ..., 15
INTENSITY = RNG.normal(size=(10, 12, 14)).astype(np.float32)


@pytest.fixture(scope="module")
def volume_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("volume-api")
    np.save(root / "labels.npy", LABELS)
    np.save(root / "intensity.npy", INTENSITY)
    np.save(root / "four.npy", np.zeros((2, 3, 4, 5), dtype=np.uint8))
    return root


@pytest.fixture
def repositories(repositories, volume_dir, s3_endpoint):
    import s3fs

    fs = s3fs.S3FileSystem(key="testing", secret=S3_SECRET, endpoint_url=s3_endpoint)
    fs.put_file(str(volume_dir / "labels.npy"), f"{S3_BUCKET}/lab1/volumes/labels.npy")
    return repositories + [{"name": "vol", "url": str(volume_dir)}, s3_repository(s3_endpoint)]


async def fetch_volume(jp_fetch, repo: str, path: str, **params) -> tuple[np.ndarray, dict]:
    response = await get(jp_fetch, "repositories", repo, "volume", path, **params)
    assert response.code == 200, response.body[:500]
    assert response.headers["Content-Type"] == "application/octet-stream"
    return np.load(io.BytesIO(response.body)), json.loads(response.headers["X-Remotem-Volume"])


def modes(data: np.ndarray, f: int) -> np.ndarray:
    out = np.zeros([-(-n // f) for n in data.shape], dtype=data.dtype)
    for index in np.ndindex(*out.shape):
        values, counts = np.unique(data[tuple(slice(i * f, (i + 1) * f) for i in index)], return_counts=True)
        out[index] = values[np.argmax(counts)]
    return out


async def test_brick_of_labels_comes_with_its_header_and_holds_only_real_labels(jp_fetch):
    brick, header = await fetch_volume(jp_fetch, "vol", "labels.npy", labels=1, budget=5 * 6 * 7)
    assert header["shape"] == [10, 12, 14] and header["factors"] == [2, 2, 2] and header["method"] == "mode"
    assert header["array_shape"] == [5, 6, 7] and header["box"] == [[0, 10], [0, 12], [0, 14]]
    assert header["steps"] == [1, 1, 1]  # every voxel read
    assert brick.dtype == np.uint16
    np.testing.assert_array_equal(brick, modes(LABELS, 2))
    assert header["range"] == [float(brick.min()), float(brick.max())]


async def test_the_same_brick_comes_from_s3(jp_fetch):
    local, _ = await fetch_volume(jp_fetch, "vol", "labels.npy", labels=1, factors=3)
    remote, header = await fetch_volume(jp_fetch, "s3", "volumes/labels.npy", labels=1, factors=3)
    np.testing.assert_array_equal(remote, local)
    np.testing.assert_array_equal(remote, modes(LABELS, 3))
    plane, _ = await fetch_volume(jp_fetch, "s3", "volumes/labels.npy", view="slice", axis="y", index=11)
    np.testing.assert_array_equal(plane, LABELS[:, 11, :])


async def test_a_refined_box_and_full_resolution_planes_match_numpy(jp_fetch):
    part, header = await fetch_volume(jp_fetch, "vol", "intensity.npy", box="2:8,3:12,0:14", factors=1)
    assert header["method"] == "mean" and part.dtype == np.float32
    np.testing.assert_allclose(part, INTENSITY[2:8, 3:12, 0:14], rtol=1e-6)
    for axis, index, expected in [("z", 9, INTENSITY[9]), ("y", 0, INTENSITY[:, 0]), ("x", 13, INTENSITY[:, :, 13])]:
        plane, header = await fetch_volume(jp_fetch, "vol", "intensity.npy", view="slice", axis=axis, index=index)
        np.testing.assert_array_equal(plane, expected)
        assert header["view"] == "slice" and header["axis"] == axis


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("four.npy", {}, "dimension"),
        ("intensity.npy", {"view": "slice", "axis": "z", "index": 10}, "outside 0 to 9"),
        ("intensity.npy", {"view": "slice", "axis": "w", "index": 0}, "not one of z, y, x"),
        ("intensity.npy", {"view": "slice"}, "needs index"),
        ("intensity.npy", {"box": "3:3,:,:"}, "empty"),
        ("intensity.npy", {"box": "0:11,:,:"}, "outside"),
        ("intensity.npy", {"factors": 1, "budget": 10}, "at most 10"),
        ("intensity.npy", {"budget": 256**3 + 1}, "outside 1 to"),
        ("intensity.npy", {"labels": 1}, "integer labels"),
        ("intensity.npy", {"labels": "maybe"}, "not 0 or 1"),
        ("intensity.npy", {"view": "cube"}, "not one of brick, slice"),
        ("intensity.npy", {"budget": "many"}, "must be an integer"),
    ],
)
async def test_bad_requests_get_precise_400s(jp_fetch, path, params, words):
    error = await get_error(jp_fetch, 400, "repositories", "vol", "volume", path, **params)
    assert error["code"] == "bad_parameter" and words in error["message"], error


async def test_missing_files_hidden_repositories_and_escapes_are_refused(jp_fetch):
    assert (await get_error(jp_fetch, 404, "repositories", "vol", "volume", "nothing.npy"))["code"] == "not_found"
    assert (await get_error(jp_fetch, 404, "repositories", "private", "volume", "scan.npy"))["code"] == "not_found"
    assert (await get_error(jp_fetch, 404, "repositories", "nowhere", "volume", "x.npy"))["code"] == "not_found"
    escape = await get_error(jp_fetch, 400, "repositories", "vol", "volume", "../volume-api0/labels.npy")
    assert escape["code"] == "bad_parameter"
    link = await get(jp_fetch, "repositories", "broken", "volume", "escape_scan.npy")
    assert link.code in (403, 404) and b"error" in link.body
