"""``POST reductions``: the REST answers agree with numpy and with the compute layer."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import PNG_SIGNATURE, api_path, server_config
from PIL import Image

from jupyter_remotem.kernels import from_spec

RING = {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}
DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}


async def post(jp_fetch, body, **params):
    return await jp_fetch(
        *api_path("reductions"),
        method="POST",
        body=body if isinstance(body, (str, bytes)) else json.dumps(body),
        params={k: str(v) for k, v in params.items()},
        raise_error=False,
    )


def request(path="scan.h5", operation="virtual_detector", params=None, **extra):
    body = {"repository": "demo", "path": path, "operation": operation,
            "params": params if params is not None else {"detectors": [RING, DISK]}}
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def scan(demo_dir):
    return np.load(demo_dir / "scan.npy").astype(np.float64)


async def test_virtual_detector_npy_has_nav_by_detector_shape(jp_fetch, scan):
    response = await post(jp_fetch, request(), format="npy")
    assert response.code == 200, response.body[:300]
    result = np.load(io.BytesIO(response.body))
    masks = np.stack([from_spec(d, scan.shape[2:]) for d in (RING, DISK)]).astype(np.float64)
    expected = np.einsum("yxij,kij->yxk", scan, masks)
    assert result.shape == scan.shape[:2] + (2,)
    np.testing.assert_allclose(result, expected)


async def test_json_answer_carries_arrays_and_stats(jp_fetch, scan):
    response = await post(jp_fetch, request(operation="com", params={"cx": 32, "cy": 32}))
    assert response.code == 200, response.body[:300]
    body = json.loads(response.body)
    assert body["primary"] == "magnitude"
    assert set(body["arrays"]) >= {"com_y", "com_x", "shift_y", "shift_x", "magnitude", "divergence", "curl"}
    com_y = np.array(body["arrays"]["com_y"]["data"], dtype=float)
    ys = np.arange(scan.shape[2])[None, None, :, None]
    np.testing.assert_allclose(com_y, (scan * ys).sum(axis=(2, 3)) / scan.sum(axis=(2, 3)))
    assert body["stats"]["frames"] == scan.shape[0] * scan.shape[1]
    assert body["stats"]["bytes_read"] > 0


async def test_frame_stats_over_an_roi(jp_fetch, scan):
    roi = {"shape": "disk", "cx": 10, "cy": 8, "r": 4}
    response = await post(jp_fetch, request(operation="frame_stats", params={}, roi=roi), format="npy", field="std")
    assert response.code == 200, response.body[:300]
    inside = from_spec(roi, scan.shape[:2])
    expected = scan[inside].std(axis=0)
    np.testing.assert_allclose(np.load(io.BytesIO(response.body)), expected, atol=1e-9)


async def test_pick_returns_the_frame(jp_fetch, scan):
    response = await post(jp_fetch, request(operation="pick", params={"y": 3, "x": 7}), format="npy")
    np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), scan[3, 7])


async def test_png_of_a_reduction(jp_fetch):
    response = await post(jp_fetch, request(), format="png", index=1, cmap="magma")
    assert response.code == 200
    assert response.body.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(response.body)).size == (48, 32)


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ("not json", 400, "json"),
        ([1, 2], 400, "object"),
        ({"repository": "demo"}, 400, "path"),
        (request(operation="explode"), 400, "operation"),
        (request(params={"detectors": []}), 400, "detectors"),
        (request(params={"detectors": [{"shape": "disk", "cx": 1}]}), 400, "r"),
        (request(operation="pick", params={"y": 99, "x": 0}), 400, "outside"),
        (request(operation="com", params={"r": -2}), 400, "must be a number > 0"),
        (request(roi={"shape": "hexagon"}), 400, "hexagon"),
        (request(path="missing.h5"), 404, "missing"),
        (dict(request(), repository="private"), 404, "private"),
        (dict(request(), colour="red"), 400, "colour"),
    ],
)
async def test_bad_requests_answer_4xx_json(jp_fetch, body, status, fragment):
    response = await post(jp_fetch, body)
    assert response.code == status, response.body[:300]
    error = json.loads(response.body)["error"]
    assert fragment in (error["message"] + error["hint"]).lower()


async def test_unknown_format_and_field_are_400(jp_fetch):
    assert (await post(jp_fetch, request(), format="xml")).code == 400
    response = await post(jp_fetch, request(), field="nonsense")
    assert response.code == 400
    assert "intensity" in json.loads(response.body)["error"]["hint"]


class TestInteractiveLimit:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, interactive_limit=1e-7)

    async def test_work_beyond_the_interactive_limit_is_413_with_a_hint_to_submit_a_job(self, jp_fetch):
        response = await post(jp_fetch, request())
        assert response.code == 413
        error = json.loads(response.body)["error"]
        assert error["code"] == "too_large"
        assert "job" in error["hint"]
        assert error["details"]["bytes"] > 0
