"""Property-based fuzzing of every endpoint against a real server: no input gives a 500.

Hypothesis draws paths, query arguments and bodies — mutations of valid requests, deep nesting,
huge numbers, wrong types, unicode, long strings, bytes that are not JSON — and sends them to a
server with the demo scans, broken and empty files.  Every answer must come within a deadline,
with a status below 500, and every 4xx with the JSON error body ``{"error": {"code", "message",
"hint"}}``.  The tests are synchronous functions that drive the server's event loop for each
request, so Hypothesis can shrink a failure to the smallest request that shows it.

Runs are derandomised (the same examples every run, so CI does not flake on a new one); set
``REMOTEM_FUZZ_EXAMPLES`` to run more, and ``REMOTEM_FUZZ_RANDOM=1`` to explore new ones.
"""

from __future__ import annotations

import copy
import json
import os
import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from _api import server_config
from _bounded import write_empty_datasets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: Seconds any answer may take (the demo files are small; interactive work is bounded far below).
DEADLINE = 10.0
EXAMPLES = int(os.environ.get("REMOTEM_FUZZ_EXAMPLES", "0")) or None

FUZZ = settings(
    deadline=None,
    derandomize=os.environ.get("REMOTEM_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)


def examples(n: int) -> settings:
    return settings(FUZZ, max_examples=EXAMPLES or n)


@pytest.fixture
def jp_server_config(repositories, tmp_path):
    write_empty_datasets(tmp_path / "empty")
    (tmp_path / "scratch").mkdir()
    return server_config(repositories + [
        {"name": "empty", "url": str(tmp_path / "empty")},
        {"name": "scratch", "url": str(tmp_path / "scratch"), "writable": True},
    ], owner="fuzzer")


class Api:
    """One server, driven from synchronous code: each request runs the event loop until answered."""

    def __init__(self, loop, client, base_url: str, auth: dict[str, str]) -> None:
        self.loop, self.client, self.base_url, self.auth = loop, client, base_url, auth

    def url(self, parts: list[str], params: list[tuple[str, str]] | None = None) -> str:
        path = "/".join(quote(part, safe="/") for part in parts)
        return f"{self.base_url}remotem/api/{path}" + (f"?{urlencode(params)}" if params else "")

    def check_send(self, method: str, parts: list[str], params=None, body: bytes | None = None, auth: bool = True,
             headers: dict[str, str] | None = None):
        headers = dict(self.auth if auth else {}, **(headers or {}))
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        started = time.perf_counter()
        response = self.loop.run_until_complete(self.client.fetch(
            self.url(parts, params), method=method, body=body, headers=headers, raise_error=False,
            allow_nonstandard_methods=True, request_timeout=DEADLINE * 3))
        elapsed = time.perf_counter() - started
        check(response, elapsed, method, parts, params, body)
        return response

    def json(self, method: str, parts: list[str], body: Any = None, **params) -> Any:
        response = self.check_send(method, parts, list(params.items()), None if body is None else json.dumps(body).encode())
        return response.code, json.loads(response.body) if response.body else None


def check(response, elapsed: float, *request: Any) -> None:
    what = f"{request[0]} {request[1]} {request[2]} {str(request[3])[:300]}"
    assert response.code != 599, f"no answer ({response.error}) to {what}"
    assert elapsed < DEADLINE, f"{elapsed:.1f} s for {what}"
    assert response.code < 500, f"{response.code} for {what}: {response.body[:500]}"
    if 400 <= response.code < 500:
        assert response.headers.get("Content-Type", "").startswith("application/json"), what
        error = json.loads(response.body)["error"]
        assert isinstance(error["code"], str) and error["code"], (what, error)
        assert isinstance(error["message"], str) and error["message"], (what, error)
        assert isinstance(error["hint"], str), (what, error)
        assert "Traceback" not in response.body.decode("utf-8", "replace")


@pytest.fixture
def api(jp_asyncio_loop, http_server_client, jp_base_url, jp_auth_header) -> Api:
    return Api(jp_asyncio_loop, http_server_client, jp_base_url, dict(jp_auth_header))


# -- strategies ---------------------------------------------------------------------------------
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
LONG_TEXT = st.builds(lambda s, n: s * n, st.text(st.characters(blacklist_categories=("Cs",)), min_size=1,
                                                  max_size=3), st.integers(1000, 3000))
NUMBERS = st.one_of(
    st.integers(-5, 100), st.integers(), st.sampled_from([2**31, 2**63, -(2**63) - 1, 2**64, 10**30, 10**300]),
    st.floats(), st.sampled_from([0.5, -0.0, 1e308, -1e308, 1e-320]),
)
KEYS = st.sampled_from([
    "repository", "path", "dataset", "operation", "params", "roi", "pipeline", "step", "coarse", "fft", "output",
    "priority", "view", "source", "target", "overwrite", "format", "array", "detectors", "shape", "cx", "cy", "r",
    "ri", "ro", "x", "y", "width", "height", "vertices", "values", "position", "nav", "sig", "reduce", "dtype",
    "scale", "offset", "clip", "name", "expires_in_days", "start", "stop", "scan_rotation", "flip_y",
]) | TEXT
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, st.sampled_from([
    "demo", "scan.h5", "scan.npy", "virtual_detector", "com", "frame_stats", "pick", "crop", "bin", "cast", "copy",
    "disk", "ring", "rectangle", "point", "polygon", "weights", "range", "float32", "uint8", "sum", "mean",
    "/entry/data/frames", "hdf5", "npy", "png", "results/x.h5", "scratch", "empty", "no_frames.npy",
]))
def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(children, max_size=6) | st.dictionaries(KEYS, children, max_size=6)


JSON = st.recursive(SCALARS, _containers, max_leaves=30)

DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}
TEMPLATES = [
    {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
     "params": {"detectors": [DISK, {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30},
                              {"shape": "polygon", "vertices": [[1, 1], [40, 3], [20, 50]]},
                              {"shape": "rectangle", "x": 1, "y": 2, "width": 5, "height": 6},
                              {"shape": "point", "cx": 3, "cy": 4}]},
     "roi": {"shape": "disk", "cx": 10, "cy": 8, "r": 4}},
    {"repository": "demo", "path": "scan.npy", "operation": "com", "params": {"cx": 32, "cy": 32, "r": 20},
     "step": 2, "fft": True},
    {"repository": "demo", "path": "scan.h5", "operation": "frame_stats", "params": {}, "coarse": True,
     "pipeline": [{"operation": "crop", "params": {"nav": [[0, 16], [0, 16]], "sig": None}},
                  {"operation": "bin", "params": {"nav": [2, 2], "sig": [2, 2], "reduce": "sum"}},
                  {"operation": "cast", "params": {"dtype": "float32", "scale": 2}}]},
    {"repository": "demo", "path": "scan.h5", "operation": "pick", "params": {"y": 3, "x": 7}},
    {"repository": "empty", "path": "no_frames.npy", "operation": "frame_stats", "params": {}},
    {"repository": "empty", "path": "empty.h5", "dataset": "/no_pixels", "operation": "virtual_detector",
     "params": {"detectors": [DISK]}},
    {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
     "params": {"detectors": [{"shape": "weights", "values": [[1.0] * 4] * 4}]},
     "roi": {"shape": "polygon", "vertices": [[0, 0], [10, 0], [5, 9]]}},
]
JOB_TEMPLATES = [
    dict(TEMPLATES[0], output={"repository": "scratch", "path": "results/vd.h5", "format": "hdf5"}, priority=3,
         view={"nav": {"cmap": "magma"}}),
    {"repository": "demo", "path": "scan.h5", "operation": "crop", "params": {"nav": [[0, 8], None], "sig": None},
     "output": {"repository": "scratch", "path": "crop.h5"}},
    {"repository": "demo", "path": "scan.npy", "operation": "cast", "params": {"dtype": "uint8", "clip": True},
     "output": {"repository": "scratch", "path": "cast.h5", "overwrite": True}},
    {"repository": "demo", "path": "scan.h5", "operation": "com", "params": {"cx": 32, "cy": 32},
     "output": {"repository": "scratch", "path": "com.png", "array": "magnitude"}},
    {"operation": "copy", "source": {"repository": "demo", "path": "scan.npy"},
     "target": {"repository": "scratch", "path": "copied/scan.npy"}, "priority": 1},
    {"repository": "empty", "path": "nothing.npy", "operation": "frame_stats", "params": {},
     "output": {"repository": "scratch", "path": "empty.npy"}},
]
TOKEN_TEMPLATES = [{"name": "fuzz", "expires_in_days": 3}]


def _places(value: Any, trail: tuple = ()) -> list[tuple]:
    """Every (container, key) in a JSON value, so a mutation can reach any depth."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((value, key))
            found += _places(child, trail + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.append((value, index))
            found += _places(child, trail + (index,))
    return found


@st.composite
def mutated(draw, templates: list[dict]) -> Any:
    """A valid request with a few of its values replaced, removed or joined by random ones."""
    body = copy.deepcopy(draw(st.sampled_from(templates)))
    for _ in range(draw(st.integers(0, 2))):
        places = _places(body)
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "replace":
            container[key] = draw(st.one_of(SCALARS, SCALARS, NUMBERS, JSON))
        elif action == "delete":
            del container[key]
        elif isinstance(container, dict):
            container[draw(KEYS)] = draw(JSON)
        else:
            container.append(draw(JSON))
    return body


def deep(n: int, opening: str = "[", closing: str = "]") -> bytes:
    return (opening * n + "1" + closing * n).encode()


RAW_BODIES = st.one_of(
    st.binary(max_size=64),
    st.builds(deep, st.integers(20, 100_000)),
    st.builds(lambda n: ('{"a":' * n + "1" + "}" * n).encode(), st.integers(20, 20_000)),
    st.builds(lambda digits: ('{"repository": "demo", "path": "scan.h5", "operation": "pick", "params": '
                              '{"y": ' + "9" * digits + ', "x": 1}}').encode(), st.integers(4000, 6000)),
    st.sampled_from([b"", b"null", b"[]", b"{}", b'"x"', b"1e999", b"NaN", b"{", b'{"a": "\xff\xfe"}', b"\xff" * 8,
                     b'{"repository": "demo"', b"[" * 40 + b"]" * 39]),
    st.builds(lambda s: json.dumps({"repository": s, "path": s, "operation": s}).encode(), LONG_TEXT),
)


def bodies(templates: list[dict]) -> st.SearchStrategy[bytes]:
    as_json = st.one_of(mutated(templates), mutated(templates), JSON).map(
        lambda value: json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return st.one_of(as_json, as_json, RAW_BODIES)


FILES = st.sampled_from([
    "", "scan.h5", "scan.npy", "scan.zarr", "scan.mib", "scan.hdr", "scan.dm4", "scan.blo", "scan.raw", "scan.json",
    "truncated.h5", "garbage.h5", "empty.npy", "truncated.npy", "notes.unknownformat", "orphan.raw", "small4d.npy",
    "groups_only.h5", "escape.txt", "escape_dir", "escape_dir/secret.txt", "escape_scan.npy", "no_frames.npy",
    "no_pixels.npy", "nothing.npy", "no_frames_line.npy", "empty.h5", "no_columns.npy",
])
PATHS = st.one_of(
    FILES, FILES, FILES, FILES, TEXT,
    st.lists(st.sampled_from(["..", ".", "%2e%2e", "%252e%252e", "a", "", "scan.h5", "\\", "~", "é"]), max_size=6)
    .map("/".join),
    st.builds(lambda n: "/".join(["a"] * n), st.integers(200, 3000)),
    st.builds(lambda n: "x" * n, st.integers(250, 3000)),
)
_REAL = st.sampled_from(["demo", "broken", "empty"])
REPOSITORIES = st.one_of(_REAL, _REAL, _REAL, st.sampled_from(["private", "scratch", "nope"]), TEXT.filter(bool))
QUERY_NAMES = st.sampled_from([
    "dataset", "kind", "size", "cmap", "scale", "y", "x", "cx", "cy", "r", "ri", "ro", "slice", "pipeline", "format",
    "field", "index", "repository", "path", "PHASE", "phase", "dry_run", "token", "keep_files",
]) | TEXT
QUERY_VALUES = st.one_of(
    TEXT, NUMBERS.map(str), JSON.map(json.dumps),
    st.sampled_from(["bf", "adf", "haadf", "com", "sum", "frame", "...", "0", "0,0", "::-1,5", "1:2:0", ":,:,:,:,:",
                     "-1", "nan", "inf", "1e999", "/entry/data/frames", "/no_frames", "npz", "png", "npy", "json",
                     "viridis", "log", "percentile", "QUEUED", "1", "true", "magnitude", "9" * 5000]),
    st.builds(lambda n: ",".join(["0"] * n), st.integers(30, 2000)),
    st.builds(lambda n: "[" * n + "]" * n, st.integers(30, 3000)),
)
QUERIES = st.lists(st.tuples(QUERY_NAMES, QUERY_VALUES), max_size=5)
METHODS = st.sampled_from(["GET"] * 8 + ["POST", "DELETE", "PUT", "PATCH"])


# -- the fuzz tests ------------------------------------------------------------------------------
@examples(300)
@given(method=METHODS, repository=REPOSITORIES, endpoint=st.sampled_from(["tree", "meta", "preview", "data"]),
       path=PATHS, query=QUERIES)
def test_browsing_any_path_with_any_query_never_fails(api, method, repository, endpoint, path, query):
    api.check_send(method, ["repositories", repository, endpoint, path], query)


@examples(100)
@given(method=METHODS, endpoint=st.sampled_from(["repositories", "operations", "quota", "tokens", "jobs", "", "nowhere",
                                                  "repositories/", "jobs/x/y/z", "tokens/zz", "operations/extra"]),
       query=QUERIES)
def test_every_other_endpoint_with_any_query_never_fails(api, method, endpoint, query):
    api.check_send(method, [endpoint], query)


@examples(300)
@given(body=bodies(TEMPLATES), query=QUERIES, fmt=st.sampled_from([None, "json", "npy", "npz", "png", "tiff"]))
def test_reductions_with_any_body_never_fail(api, body, query, fmt):
    params = query + ([("format", fmt)] if fmt else [])
    api.check_send("POST", ["reductions"], params, body)


@examples(200)
@given(body=bodies(JOB_TEMPLATES), dry_run=st.booleans(), query=QUERIES)
def test_jobs_with_any_body_never_fail(api, body, dry_run, query):
    api.check_send("POST", ["jobs"], query + ([("dry_run", "1")] if dry_run else []), body)


@examples(60)
@given(body=bodies(TOKEN_TEMPLATES), token_id=st.one_of(TEXT, st.uuids().map(str)))
def test_tokens_with_any_body_and_id_never_fail(api, body, token_id):
    api.check_send("POST", ["tokens"], None, body)
    api.check_send("DELETE", ["tokens", token_id])


@pytest.fixture
def finished_job(api) -> str:
    """A job that reached a final phase (cancelled before any worker took it), so its event
    stream ends at once."""
    code, job = api.json("POST", ["jobs"], body=JOB_TEMPLATES[0])
    assert code == 201, job
    code, job = api.json("POST", ["jobs", job["id"], "cancel"])
    assert code == 200 and job["phase"] == "ABORTED", job
    return job["id"]


@examples(120)
@given(method=METHODS, which=st.sampled_from(["real", "random", "uuid"]), random_id=TEXT,
       uuid=st.uuids().map(str), action=st.one_of(st.sampled_from(["", "results", "events", "cancel", "pause",
                                                                    "resume", "delete", "zzz"]), TEXT),
       query=QUERIES)
def test_steering_any_job_never_fails(api, finished_job, method, which, random_id, uuid, action, query):
    job_id = {"real": finished_job, "random": random_id, "uuid": uuid}[which]
    api.check_send(method, ["jobs", job_id] + ([action] if action else []), query)


@examples(60)
@given(authorization=st.one_of(TEXT, st.sampled_from(["token rmt_", "token rmt_" + "A" * 43, "Bearer rmt_x",
                                                        "token ", "Basic abc", "token rmt_\u00e9"])),
       endpoint=st.sampled_from(["repositories", "reductions", "jobs", "tokens", "quota", "nowhere"]),
       query=QUERIES)
def test_any_authorization_and_token_in_the_url_never_fails(api, authorization, endpoint, query):
    # What a header line can hold (tornado itself refuses control characters, before any handler).
    authorization = "".join(c if " " <= c != "\x7f" else " " for c in authorization.encode("utf-8").decode("latin-1"))
    api.check_send("GET", [endpoint], query, auth=False, headers={"Authorization": authorization})
    api.check_send("GET", [endpoint], query + [("token", "rmt_" + "B" * 43)], auth=False)
