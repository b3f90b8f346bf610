"""REST behaviour of repository listing, browsing, metadata and previews on local storage."""

from __future__ import annotations

import io
import json

import pytest
from _api import PNG_SIGNATURE, get, get_error, get_json, server_config, wait_until
from PIL import Image


async def raw_get(http_server_client, jp_base_url, jp_auth_header, raw_path: str, auth: bool = True):
    """A request whose path is sent byte for byte (no client-side escaping)."""
    headers = jp_auth_header if auth else {}
    return await http_server_client.fetch(f"{jp_base_url}remotem/api/{raw_path}", headers=headers, raise_error=False)


async def test_listing_shows_configured_repositories_without_secrets(jp_fetch):
    body = await get_json(jp_fetch, "repositories")
    names = [repo["name"] for repo in body["repositories"]]
    assert names == ["demo", "broken", "notebooks"]  # "private" needs a group this user lacks
    demo, home = body["repositories"][0], body["repositories"][2]
    assert demo["home"] is False
    assert home["home"] is True and home["writable"] is True  # the server's root folder
    assert demo["description"] == "Demo scans"
    assert demo["writable"] is False
    assert demo["protocol"] == "local"
    assert "url" not in demo and "storage_options" not in demo
    assert demo["speed"]["class"] in {"unknown", "green", "yellow", "red"}


async def test_speed_probe_fills_in_without_blocking_the_listing(jp_fetch):
    async def measured():
        speed = (await get_json(jp_fetch, "repositories"))["repositories"][0]["speed"]
        return speed if speed["class"] != "unknown" else None

    speed = await wait_until(measured, "the speed probe", timeout=20)
    assert speed["class"] == "green"  # a local folder in the page cache
    assert speed["latency_ms"] >= 0
    assert speed["throughput_mb_s"] > 0
    assert speed["measured_at"]


async def test_unauthenticated_requests_are_refused(http_server_client, jp_base_url, jp_auth_header):
    for path in ("repositories", "repositories/demo/tree/", "repositories/demo/meta/scan.npy",
                 "repositories/demo/preview/scan.npy?kind=bf", "formats", "views", "operations", "nothing/here"):
        response = await raw_get(http_server_client, jp_base_url, jp_auth_header, path, auth=False)
        assert response.code == 403, path
        error = json.loads(response.body)["error"]
        assert error["code"] == "forbidden"
        assert error["hint"]


async def test_tree_lists_files_with_size_mtime_and_format(jp_fetch, demo_dir):
    body = await get_json(jp_fetch, "repositories", "demo", "tree", "")
    assert body["repository"] == "demo"
    assert body["path"] == ""
    entries = {entry["name"]: entry for entry in body["entries"]}
    assert entries["scan.h5"]["format"] == "hdf5"
    assert entries["scan.h5"]["type"] == "file"
    assert entries["scan.h5"]["size"] == (demo_dir / "scan.h5").stat().st_size
    assert entries["scan.h5"]["mtime"] == pytest.approx((demo_dir / "scan.h5").stat().st_mtime)
    assert entries["scan.npy"]["format"] == "npy"
    assert entries["scan.zarr"]["type"] == "directory" and entries["scan.zarr"]["format"] == "zarr"
    kinds = [entry["type"] for entry in body["entries"]]
    assert kinds == sorted(kinds)  # folders first
    notes = [e for e in body["entries"] if e["type"] == "directory" and e["format"] is None]
    assert notes, "the demo tree has plain folders to expand"
    sub = await get_json(jp_fetch, "repositories", "demo", "tree", notes[0]["path"])
    assert sub["path"] == notes[0]["path"]
    assert all(entry["path"].startswith(notes[0]["path"] + "/") for entry in sub["entries"])


async def test_tree_errors(jp_fetch):
    error = await get_error(jp_fetch, 404, "repositories", "nope", "tree", "")
    assert error["code"] == "not_found"
    await get_error(jp_fetch, 404, "repositories", "demo", "tree", "missing-folder")
    error = await get_error(jp_fetch, 400, "repositories", "demo", "tree", "scan.npy")
    assert error["code"] == "bad_parameter"
    # A repository restricted to a group is indistinguishable from one that does not exist.
    private = await get_error(jp_fetch, 404, "repositories", "private", "tree", "")
    missing = await get_error(jp_fetch, 404, "repositories", "missing", "tree", "")
    assert private["message"].replace("private", "X") == missing["message"].replace("missing", "X")


@pytest.mark.parametrize(
    "raw_path",
    [
        "repositories/demo/tree/..",
        "repositories/demo/tree/../..",
        "repositories/demo/tree/notes/../../",
        "repositories/demo/tree/%2e%2e",
        "repositories/demo/tree/%2E%2E/%2e%2e",
        "repositories/demo/tree/%252e%252e",
        "repositories/demo/tree/notes%2f..%2f..",
        "repositories/demo/tree//etc",
        "repositories/demo/tree/%2fetc%2fpasswd",
        "repositories/demo/meta/..%2fscan.npy",
        "repositories/demo/tree/a%5c..%5c..",
        "repositories/demo/tree/a%00b",
        "repositories/demo/preview/%2e%2e/%2e%2e/etc/passwd?kind=frame",
    ],
)
async def test_paths_cannot_escape_the_repository(http_server_client, jp_base_url, jp_auth_header, raw_path):
    response = await raw_get(http_server_client, jp_base_url, jp_auth_header, raw_path)
    assert 400 <= response.code < 500, (raw_path, response.code)
    assert "error" in json.loads(response.body)


async def test_symlinks_out_of_the_root_are_invisible(jp_fetch):
    body = await get_json(jp_fetch, "repositories", "broken", "tree", "")
    names = {entry["name"] for entry in body["entries"]}
    assert "truncated.h5" in names
    assert not names & {"escape.txt", "escape_dir", "escape_scan.npy"}
    for path in ("escape.txt", "escape_dir", "escape_scan.npy"):
        await get_error(jp_fetch, 404, "repositories", "broken", "meta", path)
    await get_error(jp_fetch, 404, "repositories", "broken", "tree", "escape_dir")
    await get_error(jp_fetch, 404, "repositories", "broken", "preview", "escape_scan.npy", kind="bf")


async def test_meta_describes_each_demo_format(jp_fetch):
    tree = await get_json(jp_fetch, "repositories", "demo", "tree", "")
    datasets = [entry for entry in tree["entries"] if entry["format"] not in (None, "json", "tiff")]
    assert {entry["format"] for entry in datasets} >= {"hdf5", "npy", "raw", "zarr", "hspy", "zspy", "mib", "blo"}
    # The TIFF is a stack of images made from the scan (bright field, dark field, total).
    images = (await get_json(jp_fetch, "repositories", "demo", "meta", "virtual_images.tif"))["dataset"]
    shapes = {}
    for entry in datasets:
        body = await get_json(jp_fetch, "repositories", "demo", "meta", entry["path"])
        assert body["entry"]["path"] == entry["path"]
        dataset = body["dataset"]
        assert len(dataset["nav_shape"]) == 2 and len(dataset["sig_shape"]) == 2, entry["name"]
        assert dataset["shape"] == dataset["nav_shape"] + dataset["sig_shape"]
        assert dataset["nbytes"] > 0
        assert len(dataset["axes"]) in (0, 4)
        shapes[entry["name"]] = tuple(dataset["shape"])
    assert len(set(shapes.values())) == 1, shapes  # every demo file holds the same scan
    scan = next(iter(shapes.values()))
    assert (images["frame_kind"], images["shape"]) == ("image", [3, *scan[:2]])


async def test_meta_lists_hdf5_arrays_and_opens_one_by_internal_path(jp_fetch):
    body = await get_json(jp_fetch, "repositories", "demo", "meta", "scan.h5")
    paths = [array["path"] for array in body["arrays"]]
    assert body["dataset"]["dataset"] in paths
    chosen = body["dataset"]["dataset"]
    again = await get_json(jp_fetch, "repositories", "demo", "meta", "scan.h5", dataset=chosen)
    assert again["dataset"]["shape"] == body["dataset"]["shape"]
    assert again["dataset"]["metadata"], "HDF5 attributes are reported"
    error = await get_error(jp_fetch, 404, "repositories", "demo", "meta", "scan.h5", dataset="/no/such/array")
    assert error["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("truncated.h5", 422, "unreadable_file"),
        ("garbage.h5", 422, "unreadable_file"),
        ("empty.npy", 422, "unreadable_file"),
        ("truncated.npy", 422, "unreadable_file"),
        ("notes.unknownformat", 415, "unsupported_format"),
        ("groups_only.h5", 415, "unsupported_format"),
        ("missing.h5", 404, "not_found"),
    ],
)
async def test_bad_files_answer_clear_errors(jp_fetch, path, status, code):
    error = await get_error(jp_fetch, status, "repositories", "broken", "meta", path)
    assert error["code"] == code
    preview = await get_error(jp_fetch, status, "repositories", "broken", "preview", path, kind="bf")
    assert preview["code"] == code


async def test_raw_file_without_sidecar_says_what_to_write(jp_fetch):
    error = await get_error(jp_fetch, 415, "repositories", "broken", "meta", "orphan.raw")
    assert "json" in (error["message"] + error["hint"]).lower()


def _png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(PNG_SIGNATURE)
    return Image.open(io.BytesIO(body)).size


@pytest.mark.parametrize("kind", ["bf", "adf", "haadf", "com", "sum", "frame"])
async def test_preview_kinds_are_pngs(jp_fetch, kind):
    response = await get(jp_fetch, "repositories", "demo", "preview", "scan.h5", kind=kind, size=128)
    assert response.code == 200, response.body[:300]
    assert response.headers["Content-Type"] == "image/png"
    width, height = _png_size(response.body)
    assert max(width, height) == 128


async def test_bright_and_dark_field_previews_differ(jp_fetch):
    images = {}
    for kind in ("bf", "adf"):
        response = await get(jp_fetch, "repositories", "demo", "preview", "scan.npy", kind=kind, size=64)
        images[kind] = Image.open(io.BytesIO(response.body)).convert("L")
    assert images["bf"].tobytes() != images["adf"].tobytes()


async def test_previews_are_cached(jp_fetch, jp_serverapp):
    previews = jp_serverapp.web_app.settings["remotem"].previews
    await get(jp_fetch, "repositories", "demo", "preview", "scan.npy", kind="haadf")
    misses = previews.misses
    again = await get(jp_fetch, "repositories", "demo", "preview", "scan.npy", kind="haadf")
    assert again.code == 200
    assert previews.misses == misses and previews.hits >= 1


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"kind": "xray"}, "kind"),
        ({"kind": "frame", "y": 10_000}, "outside"),
        ({"kind": "bf", "size": 5}, "size"),
        ({"kind": "bf", "cx": "abc"}, "cx"),
        ({"kind": "bf", "cmap": "nonsense"}, "colormap"),
    ],
)
async def test_bad_preview_parameters_are_400(jp_fetch, params, fragment):
    error = await get_error(jp_fetch, 400, "repositories", "demo", "preview", "scan.npy", **params)
    assert fragment in error["message"].lower()


async def test_unknown_api_urls_answer_json_404(jp_fetch):
    error = await get_error(jp_fetch, 404, "nothing", "here")
    assert error["code"] == "not_found"


class TestGroups:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, user_groups=["microscopy"])

    async def test_members_of_a_group_see_its_repository(self, jp_fetch):
        body = await get_json(jp_fetch, "repositories")
        assert "private" in [repo["name"] for repo in body["repositories"]]
        tree = await get_json(jp_fetch, "repositories", "private", "tree", "")
        assert tree["entries"]
