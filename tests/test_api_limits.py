"""Requests that would cost the server gigabytes or crash it are refused at once, with the way out.

Each limit is checked from what the request says before any work: the attack that motivated
them (a 10 MB body of 250,000 point detectors ran 22.6 s and grew the server by 6.6 GB; a
polygon of 10^6 vertices took 11.5 s) must answer within a second, the server's memory growing
by less than 256 MiB, and so must the largest request the limits allow.  pytest-jupyter runs the
server in this process, so its resident memory is the server's.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging

import numpy as np
import pytest
from _api import api_path, call, encoded, get, server_config
from _bounded import EMPTY_SHAPES, PeakMemory, write_empty_datasets

from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_remotem import limits
from jupyter_remotem.compute.reductions import MAX_STEP
from jupyter_remotem.errors import BadParameter, TooLarge
from jupyter_remotem.jobs.requests import PRIORITY_RANGE
from jupyter_remotem.limits import RequestLimits
from jupyter_remotem.storage.paths import MAX_PATH_BYTES

DEFAULTS = RequestLimits()
MiB = 1024**2
#: What one request may cost, answered or refused.
MAX_SECONDS = 1.0
MAX_GROWTH = 256 * MiB


def reduction(params=None, operation="virtual_detector", path="scan.h5", **extra):
    body = {"repository": "demo", "path": path, "operation": operation,
            "params": params if params is not None else {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 9}]}}
    body.update(extra)
    return body


async def post_raw(jp_fetch, body: bytes | str, *parts: str, **params):
    return await jp_fetch(*api_path(*(parts or ("reductions",))), method="POST", body=body, raise_error=False,
                          params={k: str(v) for k, v in params.items()})


def check_error(response, status: int) -> dict:
    assert response.code == status, (response.code, response.body[:400])
    error = json.loads(response.body)["error"]
    assert error["code"] and error["message"] and error["hint"], error
    return error


async def measured(jp_fetch, body: bytes, *parts: str, **params):
    """The answer to ``body``, asserting it came within the time and memory one request may take."""
    with PeakMemory() as memory:
        response = await post_raw(jp_fetch, body, *parts, **params)
    assert memory.elapsed < MAX_SECONDS, f"{memory.elapsed:.2f} s (status {response.code})"
    assert memory.growth < MAX_GROWTH, f"the server grew by {memory.growth / MiB:.0f} MiB"
    return response


async def warm_up(jp_fetch):
    """Compile the kernels (and fill the caches) first: numba's first call is not the request's cost."""
    points = [{"shape": "point", "cx": i % 64, "cy": i // 64} for i in range(300)]  # the "runs" kernel
    for detectors in (points, [{"shape": "point", "cx": 3, "cy": 4}] * 40,
                      [{"shape": "disk", "cx": 32, "cy": 32, "r": 9}],
                      [{"shape": "polygon", "vertices": [[1, 1], [30, 2], [9, 40]]}]):
        response = await post_raw(jp_fetch, json.dumps(reduction({"detectors": detectors})), format="npy")
        assert response.code == 200, response.body[:300]


# -- the attacks, and the largest requests the limits allow -----------------------------------
async def test_a_quarter_million_point_detectors_is_refused_at_once(jp_fetch):
    await warm_up(jp_fetch)
    detectors = [{"shape": "point", "cx": i % 64, "cy": (i // 64) % 64} for i in range(250_000)]
    body = json.dumps(reduction({"detectors": detectors})).encode()
    assert 8 * MiB < len(body) < DEFAULTS.max_body_bytes, "the body of the original attack, under the byte limit"
    error = check_error(await measured(jp_fetch, body), 413)
    assert "max_json_values" in error["message"] or "max_list_items" in error["message"], error
    assert "several requests" in error["hint"]


async def test_more_detectors_than_allowed_are_refused_naming_the_limit(jp_fetch):
    await warm_up(jp_fetch)
    detectors = [{"shape": "point", "cx": i % 64, "cy": i // 64} for i in range(DEFAULTS.max_detectors + 1)]
    error = check_error(await measured(jp_fetch, json.dumps(reduction({"detectors": detectors})).encode()), 413)
    assert "max_detectors" in error["message"] and f"{DEFAULTS.max_detectors:,}" in error["message"]
    assert error["hint"]
    code, body = await call(jp_fetch, "POST", "jobs", body=dict(reduction({"detectors": detectors}), output={
        "repository": "demo", "path": "never.h5"}), dry_run=1)
    assert code in (403, 413), body  # the demo repository is read-only; either way no masks are built


async def test_the_largest_allowed_number_of_detectors_answers_fast(jp_fetch, demo_dir):
    await warm_up(jp_fetch)
    detectors = [{"shape": "point", "cx": i % 64, "cy": i // 64} for i in range(DEFAULTS.max_detectors)]
    response = await measured(jp_fetch, json.dumps(reduction({"detectors": detectors})).encode(), format="npy")
    assert response.code == 200, response.body[:300]
    result = np.load(io.BytesIO(response.body))
    scan = np.load(demo_dir / "scan.npy")
    assert result.shape == scan.shape[:2] + (DEFAULTS.max_detectors,)
    expected = scan.reshape(scan.shape[:2] + (-1,))[..., : DEFAULTS.max_detectors]
    np.testing.assert_array_equal(result, expected)


def polygon_body(n: int, decimals: int = 3) -> bytes:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    vertices = np.round(np.stack([32 + 25 * np.cos(angles), 32 + 25 * np.sin(angles)], axis=1), decimals).tolist()
    return json.dumps(reduction({"detectors": [{"shape": "polygon", "vertices": vertices}]})).encode()


async def test_a_polygon_of_a_million_vertices_is_refused_at_once(jp_fetch):
    await warm_up(jp_fetch)
    error = check_error(await measured(jp_fetch, polygon_body(1_000_000, decimals=1)), 413)
    assert "limit max_list_items" in error["message"] or "limit max_json_values" in error["message"], error


async def test_a_polygon_over_the_vertex_limit_is_refused_with_the_way_out(jp_fetch):
    await warm_up(jp_fetch)
    error = check_error(await measured(jp_fetch, polygon_body(DEFAULTS.max_polygon_vertices + 1)), 413)
    assert "max_polygon_vertices" in error["message"] and "weights mask" in error["hint"]
    roi = {"shape": "polygon", "vertices": [[i % 48, i % 32] for i in range(DEFAULTS.max_polygon_vertices + 1)]}
    error = check_error(await measured(jp_fetch, json.dumps(reduction(operation="frame_stats", params={}, roi=roi))
                                    .encode()), 413)
    assert "ROI" in error["message"] and "max_polygon_vertices" in error["message"]


async def test_the_largest_allowed_polygon_answers_fast_and_right(jp_fetch, demo_dir):
    await warm_up(jp_fetch)
    body = polygon_body(DEFAULTS.max_polygon_vertices)
    response = await measured(jp_fetch, body, format="npy")
    assert response.code == 200, response.body[:300]
    vertices = np.array(json.loads(body)["params"]["detectors"][0]["vertices"])
    ys, xs = np.mgrid[:64, :64]
    centre_distance = np.hypot(xs - 32, ys - 32)
    scan = np.load(demo_dir / "scan.npy").astype(np.int64)
    inside, outside = centre_distance < 24.9, centre_distance > 25.1  # off the outline, either way
    result = np.load(io.BytesIO(response.body))[..., 0]
    assert len(vertices) == DEFAULTS.max_polygon_vertices
    assert (result >= scan[..., inside].sum(axis=-1)).all()
    assert (result <= scan.sum(axis=(2, 3)) - scan[..., outside].sum(axis=-1)).all()


async def test_a_body_over_the_byte_limit_is_not_kept(jp_fetch):
    await warm_up(jp_fetch)
    body = b'{"repository": "demo", "path": "' + b"a" * (DEFAULTS.max_body_bytes + 1024) + b'"}'
    error = check_error(await measured(jp_fetch, body), 413)
    assert "max_body_bytes" in error["message"]


async def test_the_largest_body_allowed_is_parsed_within_bounds(jp_fetch):
    await warm_up(jp_fetch)
    """A weights mask of 1024 x 1024 values just under the byte and value limits: refused only
    because the demo frames are 64 x 64, after it was parsed in bounded time and memory."""
    values = [[0.12345678901] * 1024] * 1024
    body = json.dumps(reduction({"detectors": [{"shape": "weights", "values": values}]})).encode()
    assert 12 * MiB < len(body) < DEFAULTS.max_body_bytes
    error = check_error(await measured(jp_fetch, body), 400)
    assert "shape" in error["message"]


@pytest.mark.parametrize("depth", [DEFAULTS.max_json_depth + 1, 100_000])
async def test_deeply_nested_json_is_a_400_not_a_crash(jp_fetch, depth):
    body = b"[" * depth + b"]" * depth
    for parts in (("reductions",), ("jobs",), ("tokens",)):
        error = check_error(await post_raw(jp_fetch, body, *parts), 400)
        assert "max_json_depth" in error["message"]
    query_depth = min(depth, 5000)  # a longer URL is refused by tornado's limit on the request line
    deep_pipeline = "[" * query_depth + "]" * query_depth
    response = await get(jp_fetch, "repositories", "demo", "data", "scan.h5", slice="0,0", pipeline=deep_pipeline)
    assert "max_json_depth" in check_error(response, 400)["message"]


async def test_a_json_body_of_too_many_values_is_refused_before_parsing(jp_fetch):
    await warm_up(jp_fetch)
    lists = ",".join(["[" + ",".join(["0"] * 1000) + "]"] * (DEFAULTS.max_json_values // 1000 + 1))
    error = check_error(await measured(jp_fetch, f'{{"x": [{lists}]}}'.encode()), 413)
    assert "max_json_values" in error["message"]


# -- pipelines, slices, numbers ----------------------------------------------------------------
def identity_crop():
    return {"operation": "crop", "params": {"nav": None, "sig": None}}


@pytest.mark.parametrize("steps", [DEFAULTS.max_pipeline_steps + 1, 400, 1000])
async def test_a_pipeline_over_the_step_limit_is_refused_everywhere(jp_fetch, steps):
    pipeline = [identity_crop()] * steps
    error = check_error(await post_raw(jp_fetch, json.dumps(reduction(pipeline=pipeline))), 413)
    assert "max_pipeline_steps" in error["message"] and f"{steps:,}" in error["message"]
    job = dict(reduction(pipeline=pipeline), output={"repository": "demo", "path": "x.h5"})
    assert "max_pipeline_steps" in check_error(await post_raw(jp_fetch, json.dumps(job), "jobs"), 413)["message"]
    if steps <= 400:  # longer ones do not fit in a URL
        response = await get(jp_fetch, "repositories", "demo", "data", "scan.h5", slice="0,0",
                             pipeline=json.dumps(pipeline, separators=(",", ":")))
        assert "max_pipeline_steps" in check_error(response, 413)["message"]


async def test_the_longest_allowed_pipeline_reads_what_numpy_reads(jp_fetch, demo_dir):
    """Views are a flat list of stages, not nested readers: the longest pipeline is no deeper
    for Python than one step, and reads the same values."""
    crops = [{"operation": "crop", "params": {"nav": [[0, 32], [1, 48 - i]], "sig": None}} for i in range(8)]
    bins = [{"operation": "bin", "params": {"nav": None, "sig": [1, 1], "reduce": "sum"}}] * 8
    casts = [{"operation": "cast", "params": {"dtype": "float64"}}] * 8
    pipeline = (crops + bins + casts + [identity_crop()] * DEFAULTS.max_pipeline_steps)[:DEFAULTS.max_pipeline_steps]
    response = await get(jp_fetch, "repositories", "demo", "data", "scan.h5", slice="2:5,...",
                         pipeline=json.dumps(pipeline))
    assert response.code == 200, response.body[:300]
    scan = np.load(demo_dir / "scan.npy")
    np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), scan[2:5, 8:48].astype(np.float64))


async def test_a_slice_of_too_many_indices_is_refused(jp_fetch):
    response = await get(jp_fetch, "repositories", "demo", "data", "scan.h5",
                         slice=",".join(["0"] * (DEFAULTS.max_slice_dims + 1)))
    assert "max_slice_dims" in check_error(response, 400)["message"]
    response = await get(jp_fetch, "repositories", "demo", "data", "scan.h5", slice=",".join(["0"] * 5))
    assert "Too many indices" in check_error(response, 400)["message"]


@pytest.mark.parametrize("priority", [2**63, -(2**63) - 1, 10**30, PRIORITY_RANGE[1] + 1])
async def test_a_priority_out_of_range_is_a_400_with_the_range(jp_fetch, priority):
    job = dict(reduction(), output={"repository": "demo", "path": "x.h5"}, priority=priority)
    error = check_error(await post_raw(jp_fetch, json.dumps(job), "jobs", dry_run=1), 400)
    assert f"{PRIORITY_RANGE[1]:,}" in error["message"]
    copy = {"operation": "copy", "source": {"repository": "demo", "path": "scan.h5"},
            "target": {"repository": "demo", "path": "copy.h5"}, "priority": priority}
    assert f"{PRIORITY_RANGE[1]:,}" in check_error(await post_raw(jp_fetch, json.dumps(copy), "jobs"), 400)["message"]


@pytest.mark.parametrize("step", [0, MAX_STEP + 1, 2**64, -(2**70)])
async def test_a_step_out_of_range_is_a_400_with_the_range(jp_fetch, step):
    error = check_error(await post_raw(jp_fetch, json.dumps(reduction(step=step))), 400)
    assert f"{MAX_STEP:,}" in error["message"]


async def test_huge_numbers_in_detectors_and_queries_are_400s(jp_fetch):
    for detector in ({"shape": "disk", "cx": 10**400, "cy": 1, "r": 1}, {"shape": "disk", "cx": 1e999, "cy": 1, "r": 1},
                     {"shape": "weights", "values": [[10**400] * 64] * 64},
                     {"shape": "polygon", "vertices": [[0, 0], [10**400, 1], [3, 9]]}):
        check_error(await post_raw(jp_fetch, json.dumps(reduction({"detectors": [detector]}))), 400)
    for params in ({"size": "9" * 5000}, {"kind": "frame", "y": "9" * 100}, {"cx": "1e999"}, {"size": 10**30}):
        response = await get(jp_fetch, "repositories", "demo", "preview", "scan.h5", **params)
        check_error(response, 400)


async def test_an_over_long_path_is_a_400_naming_the_limit(jp_fetch):
    path = "/".join(["a"] * 5000)
    for endpoint in ("tree", "meta", "preview", "data"):
        error = check_error(await get(jp_fetch, "repositories", "demo", endpoint, path), 400)
        assert f"{MAX_PATH_BYTES}" in error["message"] or "folders deep" in error["message"]
    error = check_error(await get(jp_fetch, "repositories", "demo", "meta", "x" * 300 + ".h5"), 400)
    assert "255" in error["message"]


# -- configured limits, served to clients ------------------------------------------------------
class TestConfiguredLimits:
    LIMITS = {"max_detectors": 3, "max_mask_pixels": 2 * 64 * 64, "max_result_bytes": 32 * 48 * 8 - 1,
              "max_body_bytes": 4096, "max_pipeline_steps": 2}

    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, **self.LIMITS)

    async def test_limits_come_from_the_configuration_and_are_served(self, jp_fetch):
        code, body = await call(jp_fetch, "GET", "operations")
        assert code == 200
        assert body["limits"] == dict(DEFAULTS.to_json(), **self.LIMITS)

    async def test_the_mask_stack_is_bounded_but_one_detector_always_fits(self, jp_fetch):
        disks = [{"shape": "disk", "cx": 32, "cy": 32, "r": 9}] * 3
        error = check_error(await post_raw(jp_fetch, json.dumps(reduction({"detectors": disks}))), 413)
        assert "max_mask_pixels" in error["message"] and "at most 2 detectors" in error["hint"]

    async def test_a_result_larger_than_allowed_asks_for_a_job(self, jp_fetch):
        error = check_error(await post_raw(jp_fetch, json.dumps(reduction())), 413)
        assert "max_result_bytes" in error["message"] and "job" in error["hint"]
        response = await post_raw(jp_fetch, json.dumps(reduction(step=2)), format="npy")
        assert response.code == 200, response.body[:300]

    async def test_a_configured_body_limit_and_step_limit_apply(self, jp_fetch):
        body = json.dumps(reduction({"detectors": [{"shape": "point", "cx": 1, "cy": 1}] * 200}))
        assert "4,096" in check_error(await post_raw(jp_fetch, body), 413)["message"]
        pipeline = [identity_crop()] * 3
        assert "max_pipeline_steps" in check_error(await post_raw(jp_fetch, json.dumps(reduction(pipeline=pipeline))),
                                                413)["message"]

    async def test_a_body_declared_too_large_still_gets_its_answer(self, jp_fetch):
        """The server drops what it will not keep but reads it, so the client hears 413, not a reset."""
        response = await post_raw(jp_fetch, b"[" + b"0," * 500_000 + b"0]")
        assert check_error(response, 413)["code"] == "too_large"
        code, _ = await call(jp_fetch, "GET", "operations")
        assert code == 200, "the server goes on answering"


# -- empty datasets ----------------------------------------------------------------------------
class TestEmptyDatasets:
    @pytest.fixture
    def jp_server_config(self, repositories, tmp_path):
        write_empty_datasets(tmp_path / "empty")
        return server_config(repositories + [{"name": "empty", "url": str(tmp_path / "empty"), "writable": True}])

    @staticmethod
    def places():
        for name, shape in EMPTY_SHAPES.items():
            yield name, None, shape
            yield "empty.h5", "/" + name.removesuffix(".npy"), shape

    async def test_every_endpoint_answers_an_empty_dataset_clearly(self, jp_fetch):
        for path, dataset, shape in self.places():
            where = {"dataset": dataset} if dataset else {}
            code, meta = await call(jp_fetch, "GET", "repositories", "empty", "meta", encoded(path), **where)
            assert code == 200 and meta["dataset"]["shape"] == list(shape), (path, dataset, meta)
            for kind in ("bf", "adf", "haadf", "com", "sum", "frame"):
                response = await get(jp_fetch, "repositories", "empty", "preview", encoded(path), kind=kind, **where)
                error = check_error(response, 400)
                assert "nothing to preview" in error["message"], (path, dataset, kind, error)
            response = await get(jp_fetch, "repositories", "empty", "data", encoded(path), slice="...", **where)
            assert response.code == 200, response.body[:300]
            assert np.load(io.BytesIO(response.body)).shape == shape
            body = {"repository": "empty", "path": path, "dataset": dataset}
            position = [0] * (len(shape) - 2)
            disk = {"shape": "disk", "cx": 1, "cy": 1, "r": 1}
            for operation, params in (("virtual_detector", {"detectors": [disk]}), ("com", {}), ("frame_stats", {}),
                                      ("pick", {"position": position})):
                code, answer = await call(jp_fetch, "POST", "reductions", body=dict(body, operation=operation,
                                                                                    params=params))
                assert code == 400 and "nothing to" in answer["error"]["message"], (path, operation, answer)
                job = dict(body, operation=operation, params=params,
                           output={"repository": "empty", "path": "out.h5"})
                if operation != "pick":
                    code, answer = await call(jp_fetch, "POST", "jobs", body=job, dry_run=1)
                    assert code == 400 and "nothing to" in answer["error"]["message"], (path, operation, answer)
            # A transformation of nothing would only write an empty file: refused at submission too.
            nav = [1] * (len(shape) - 2)
            for operation, params in (("crop", {"nav": [[0, 1]] + [None] * (len(nav) - 1)}), ("bin", {"nav": nav}),
                                      ("cast", {"dtype": "float32"})):
                job = dict(body, operation=operation, params=params, output={"repository": "empty", "path": "t.h5"})
                code, answer = await call(jp_fetch, "POST", "jobs", body=job)
                assert code == 400, (path, dataset, operation, answer)
                assert "nothing to transform" in answer["error"]["message"], (path, dataset, operation, answer)
            code, operations = await call(jp_fetch, "GET", "operations", repository="empty", path=path, **where)
            runnable = [op for op in operations["operations"] if op["name"] != "pick"]
            assert all(not op["available"] and "no " in op["reason"] for op in runnable), operations


# -- secrets in URLs ---------------------------------------------------------------------------
class TestTokensInUrls:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada")

    async def test_a_personal_token_in_the_url_is_refused_and_never_logged(self, jp_fetch, http_server_client,
                                                                          jp_base_url, caplog):
        caplog.set_level(logging.DEBUG)
        code, made = await call(jp_fetch, "POST", "tokens", body={"name": "leaky"})
        assert code == 201
        secret = made["token"]
        for query in (f"token={secret}", f"other=1&t={secret}", f"access_token={secret}"):
            response = await http_server_client.fetch(f"{jp_base_url}remotem/api/repositories?{query}",
                                                      raise_error=False)
            error = check_error(response, 401)
            assert "Authorization: token" in error["hint"], error
            assert secret not in response.body.decode()
        # With the server's own credentials too: a token in the URL is refused, whoever sends it.
        response = await jp_fetch(*api_path("repositories"), params={"token": secret}, raise_error=False)
        assert check_error(response, 401)["code"] == "unauthorized"
        # The header still works: the refusal is about the URL, not the token.
        response = await http_server_client.fetch(f"{jp_base_url}remotem/api/repositories",
                                                  headers={"Authorization": f"token {secret}"}, raise_error=False)
        assert response.code == 200
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert "remotem/api/repositories" in logged, "the requests were logged"
        assert secret not in logged and secret[4:] not in logged
        assert "[secret]" in logged, "the access log shows where the secret was"

    async def test_names_that_merely_start_like_a_token_are_not_refused(self, jp_fetch):
        code, _ = await call(jp_fetch, "GET", "operations", repository="demo", path="rmt_scan.h5")
        assert code != 401


def test_the_documented_defaults_are_the_declared_ones():
    """The README's configuration table names every limit with its default."""
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name, value in DEFAULTS.to_json().items():
        shown = f"{value // MiB} MiB" if name.endswith("_bytes") else f"{value:,}"
        assert f"| `{name}` | `{shown}` |" in readme, (name, shown)


# -- the JSON check itself ---------------------------------------------------------------------
def reference_structure(text: bytes) -> bytes:
    """Structure bytes outside strings, by walking the text one byte at a time."""
    out, inside, escaped = bytearray(), False, False
    for byte in text:
        if inside:
            if escaped:
                escaped = False
            elif byte == ord("\\"):
                escaped = True
            elif byte == ord('"'):
                inside = False
        elif byte == ord('"'):
            inside = True
        elif byte in b"[]{},:":
            out.append(byte)
    return bytes(out)


def containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(children, max_size=5) | st.dictionaries(st.text(alphabet='a\\"[,}', max_size=4), children,
                                                            max_size=4)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(alphabet='ab\\"[]{},: é\n'),
    containers, max_leaves=30)


@contextlib.contextmanager
def chunks_of(size: int):
    """Tiny chunks, so that strings, escapes and runs of backslashes cross chunk edges."""
    saved = limits._CHUNK
    limits._CHUNK = size
    try:
        yield
    finally:
        limits._CHUNK = saved


@given(value=json_values, chunk=st.integers(1, 9), ascii_only=st.booleans())
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_the_structure_outside_strings_is_found_across_chunks(value, chunk, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only).encode()
    with chunks_of(chunk):
        assert limits._structure(text) == reference_structure(text)
    # Runs of backslashes (escaped ones, and the one escaping a quote) across chunk edges.
    backslashes = json.dumps(["\\" * chunk + '"[', "\\" * (chunk + 1) + '{"', [":"]]).encode()
    with chunks_of(chunk):
        assert limits._structure(backslashes) == reference_structure(backslashes)


@given(value=json_values)
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
def test_counted_depth_and_items_match_the_parsed_value(value):
    def depth(v):
        children = list(v.values()) if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if children is None else 1 + max((depth(c) for c in children), default=0)

    def longest(v):
        children = list(v.values()) if isinstance(v, dict) else v if isinstance(v, list) else []
        own = len(children) if isinstance(v, (dict, list)) else 0
        return max([own] + [longest(c) for c in children])

    text = json.dumps(value).encode()
    deepest, most = depth(value), longest(value)
    limits.check_json_text(text, RequestLimits(max_json_depth=max(deepest, 1), max_list_items=max(most, 1)))
    if deepest > 1:
        with pytest.raises(BadParameter):
            limits.check_json_text(text, RequestLimits(max_json_depth=deepest - 1))
    if most > 1:
        with pytest.raises(TooLarge):
            limits.check_json_text(text, RequestLimits(max_list_items=most - 1))


# -- the largest slice served ------------------------------------------------------------------
class TestLargestSlice:
    """The largest slice ``data`` serves is held once: read into memory, then sent in pieces,
    never copied whole into a response body beside it."""

    LIMIT = 96 * MiB

    @pytest.fixture
    def jp_server_config(self, tmp_path):
        folder = tmp_path / "big"
        folder.mkdir()
        rng = np.random.default_rng(7)
        np.save(folder / "stack.npy", rng.random((48, 256, 256, 4), dtype=np.float32))  # 48 MiB
        np.save(folder / "large.npy", np.zeros((self.LIMIT // 4 // 1024, 1024), np.float32))  # exactly the limit
        return server_config([{"name": "big", "url": str(folder)}], max_data_bytes=self.LIMIT)

    async def test_the_largest_allowed_slice_is_served_within_bounded_memory(self, jp_fetch, tmp_path):
        expected = np.load(tmp_path / "big" / "stack.npy")
        response = await get(jp_fetch, "repositories", "big", "data", "stack.npy", slice="1:47:2,...")
        assert response.code == 200, response.body[:300]
        np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), expected[1:47:2])
        del response, expected
        with PeakMemory() as memory:
            response = await get(jp_fetch, "repositories", "big", "data", "large.npy", slice="...")
        assert response.code == 200, response.body[:300]
        assert len(response.body) > self.LIMIT
        # The slice, the test client's copy of the body as it arrives, and pieces in flight: well
        # under three copies (a whole-body copy on the server side would make it three and more).
        assert memory.growth < 2.6 * self.LIMIT, f"the server grew by {memory.growth / MiB:.0f} MiB"
        assert not np.load(io.BytesIO(response.body)).any()
