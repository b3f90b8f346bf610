"""The same REST API over a real S3-compatible server (moto) and a real WebDAV server (wsgidav)."""

from __future__ import annotations

import io
import json

import pytest
from _api import get, get_error, get_json, wait_until
from _services import S3_SECRET, WEBDAV_PASSWORD, s3_repository, webdav_repository
from PIL import Image


@pytest.fixture
def repositories(repositories, s3_endpoint, webdav_url):
    return repositories + [s3_repository(s3_endpoint), webdav_repository(webdav_url)]


@pytest.mark.parametrize("repo", ["s3", "cloud"])
async def test_remote_repository_lists_and_describes(jp_fetch, repo, demo_dir):
    tree = await get_json(jp_fetch, "repositories", repo, "tree", "")
    entries = {entry["name"]: entry for entry in tree["entries"]}
    assert entries["scan.h5"]["size"] == (demo_dir / "scan.h5").stat().st_size
    assert entries["scan.h5"]["format"] == "hdf5"
    assert entries["scan.h5"]["mtime"] is not None
    local = await get_json(jp_fetch, "repositories", "demo", "meta", "scan.npy")
    for name in ("scan.h5", "scan.npy"):
        meta = await get_json(jp_fetch, "repositories", repo, "meta", name)
        assert meta["dataset"]["shape"] == local["dataset"]["shape"]


@pytest.mark.parametrize("repo", ["s3", "cloud"])
async def test_remote_previews_match_local_ones(jp_fetch, repo):
    for kind in ("bf", "sum"):
        remote = await get(jp_fetch, "repositories", repo, "preview", "scan.npy", kind=kind, size=64)
        local = await get(jp_fetch, "repositories", "demo", "preview", "scan.npy", kind=kind, size=64)
        assert remote.code == 200, remote.body[:300]
        assert Image.open(io.BytesIO(remote.body)).tobytes() == Image.open(io.BytesIO(local.body)).tobytes()


@pytest.mark.parametrize("repo", ["s3", "cloud"])
@pytest.mark.parametrize("name", ["scan.mib", "scan.dm4", "scan.blo"])
async def test_detector_formats_open_remotely_as_they_do_locally(jp_fetch, repo, name):
    """rsciio parses a stand-in holding the fetched headers; the frames come by byte range."""
    remote = await get_json(jp_fetch, "repositories", repo, "meta", name)
    local = await get_json(jp_fetch, "repositories", "demo", "meta", name)
    assert remote["dataset"] == local["dataset"]
    preview = await get(jp_fetch, "repositories", repo, "preview", name, kind="bf", size=64)
    expected = await get(jp_fetch, "repositories", "demo", "preview", name, kind="bf", size=64)
    assert preview.code == 200, preview.body[:300]
    assert Image.open(io.BytesIO(preview.body)).tobytes() == Image.open(io.BytesIO(expected.body)).tobytes()


async def test_zarr_on_s3_opens_through_the_store(jp_fetch):
    meta = await get_json(jp_fetch, "repositories", "s3", "meta", "scan.zarr")
    assert meta["dataset"]["format"] == "zarr"


@pytest.mark.parametrize("repo", ["s3", "cloud"])
async def test_remote_missing_files_and_escapes(jp_fetch, repo):
    missing = await get_error(jp_fetch, 404, "repositories", repo, "meta", "nothing.h5")
    escape = await get_error(jp_fetch, 400, "repositories", repo, "tree", "../..")
    assert (missing["code"], escape["code"]) == ("not_found", "bad_parameter")


async def test_credentials_never_appear_in_responses(jp_fetch):
    body = await get(jp_fetch, "repositories")
    text = body.body.decode()
    assert S3_SECRET not in text and WEBDAV_PASSWORD not in text
    protocols = {repo["name"]: repo["protocol"] for repo in json.loads(text)["repositories"]}
    assert protocols["s3"] in ("s3", "s3a")
    assert protocols["cloud"] in ("webdav", "dav")


async def speeds(jp_fetch):
    return {r["name"]: r["speed"] for r in (await get_json(jp_fetch, "repositories"))["repositories"]}


async def test_remote_speed_is_measured(jp_fetch):
    async def measured():
        current = await speeds(jp_fetch)
        return current if all(current[name]["class"] != "unknown" for name in ("s3", "cloud")) else None

    speeds_now = await wait_until(measured, "the speed probes of s3 and cloud")
    for name in ("s3", "cloud"):
        assert speeds_now[name]["latency_ms"] > 0
        assert speeds_now[name]["error"] is None


class TestUnreachable:
    @pytest.fixture
    def repositories(self, repositories):
        from _services import free_port

        return repositories + [
            {
                "name": "gone",
                "url": "s3://nobucket",
                "storage_options": {
                    "key": "k",
                    "secret": "hidden-secret",
                    "endpoint_url": f"http://127.0.0.1:{free_port()}",
                    "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1},
                },
            }
        ]

    async def test_unreachable_storage_is_red_and_answers_503(self, jp_fetch):
        async def measured():
            speed = (await speeds(jp_fetch))["gone"]
            return speed if speed["class"] != "unknown" else None

        speed = await wait_until(measured, "the speed probe of the unreachable store", timeout=60)
        assert speed["class"] == "red"
        assert "hidden-secret" not in json.dumps(speed)
        error = await get_error(jp_fetch, 503, "repositories", "gone", "tree", "")
        assert error["code"] == "storage_unavailable"
