"""What the viewer and the notebook client ask of ``POST reductions`` and ``GET operations``:
lazy pipelines, coarse first answers, FFTs, and operations offered only where they can run."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import api_path, call, get_json, server_config

from jupyter_remotem.kernels import from_spec

RING = {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}


async def reduce(jp_fetch, body, **params):
    response = await jp_fetch(*api_path("reductions"), method="POST", body=json.dumps(body),
                              params={k: str(v) for k, v in params.items()}, raise_error=False)
    return response


def ring_request(**extra):
    body = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
            "params": {"detectors": [RING]}}
    body.update(extra)
    return body


def ring_image(scan):
    return np.einsum("yxij,ij->yx", scan, from_spec(RING, scan.shape[2:]).astype(np.float64))


@pytest.fixture(scope="module")
def scan(demo_dir):
    return np.load(demo_dir / "scan.npy").astype(np.float64)


async def test_pipeline_runs_crop_and_bin_before_the_reduction(jp_fetch, scan):
    pipeline = [{"operation": "crop", "params": {"nav": [[2, 30], None], "sig": None}},
                {"operation": "bin", "params": {"nav": [2, 2], "reduce": "sum"}}]
    response = await reduce(jp_fetch, ring_request(pipeline=pipeline), format="npy")
    assert response.code == 200, response.body[:300]
    got = np.load(io.BytesIO(response.body))[..., 0]
    cropped = scan[2:30, : scan.shape[1] // 2 * 2]
    binned = cropped.reshape(14, 2, cropped.shape[1] // 2, 2, *scan.shape[2:]).sum(axis=(1, 3))
    np.testing.assert_allclose(got, ring_image(binned))


async def test_coarse_pass_reads_a_subsampled_scan_and_says_its_step(jp_fetch, scan):
    response = await reduce(jp_fetch, ring_request(step=4), format="npy")
    assert response.code == 200
    assert response.headers["X-Remotem-Step"] == "4"
    np.testing.assert_allclose(np.load(io.BytesIO(response.body))[..., 0], ring_image(scan[::4, ::4]))
    code, body = await call(jp_fetch, "POST", "reductions", body=ring_request(coarse=True))
    assert code == 200
    assert body["stats"]["step"] == 1, "the small demo scan is read whole even when coarse is asked"
    assert body["stats"]["frames"] == scan.shape[0] * scan.shape[1]


async def test_fft_answers_the_centred_magnitude(jp_fetch, scan):
    response = await reduce(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "pick",
                                       "params": {"y": 3, "x": 5}, "fft": True}, format="npy")
    assert response.code == 200
    expected = np.abs(np.fft.fftshift(np.fft.fft2(scan[3, 5])))
    np.testing.assert_allclose(np.load(io.BytesIO(response.body)), expected, rtol=1e-9, atol=1e-6)
    nav = await reduce(jp_fetch, ring_request(fft=True), format="npy")
    image = np.load(io.BytesIO(nav.body))[..., 0]
    np.testing.assert_allclose(image, np.abs(np.fft.fftshift(np.fft.fft2(ring_image(scan)))), rtol=1e-9)


@pytest.mark.parametrize("extra, fragment", [
    ({"step": 0}, "'step' must be a positive integer"),
    ({"step": True}, "'step' must be a positive integer"),
    ({"fft": "yes"}, "'fft' must be true or false"),
    ({"pipeline": [{"operation": "com", "params": {}}]}, "cannot be chained"),
    ({"pipeline": [{"operation": "bin", "params": {"nav": [0, 1]}}]}, "must be between"),
])
async def test_bad_viewer_parameters_are_400(jp_fetch, extra, fragment):
    code, body = await call(jp_fetch, "POST", "reductions", body=ring_request(**extra))
    assert code == 400, body
    assert fragment in body["error"]["message"]
    assert body["error"]["hint"] is not None


async def test_operations_list_says_what_runs_where(jp_fetch):
    listed = {op["name"]: op for op in (await get_json(jp_fetch, "operations"))["operations"]}
    assert {"virtual_detector", "com", "frame_stats", "pick", "crop", "bin", "cast"} <= set(listed)
    assert all(op["available"] and op["reason"] is None and "contact" not in op for op in listed.values())
    assert listed["crop"]["kind"] == "transformation" and listed["com"]["kind"] == "reduction"
    on_scan = await get_json(jp_fetch, "operations", repository="demo", path="scan.h5")
    assert all(op["available"] for op in on_scan["operations"])


async def test_operations_on_a_dataset_without_frames_say_why(jp_fetch, demo_dir, tmp_path):
    spectra = tmp_path / "profile.npy"
    np.save(spectra, np.arange(12.0))
    code, body = await call(jp_fetch, "GET", "operations", repository="notebooks", path=spectra.name)
    assert code == 200, body
    by_name = {op["name"]: op for op in body["operations"]}
    assert not by_name["virtual_detector"]["available"]
    assert "2-D detector frames" in by_name["virtual_detector"]["reason"]
    assert by_name["virtual_detector"]["contact"] is None, "no support contact configured"
    code, error = await call(jp_fetch, "GET", "operations", repository="demo", path="missing.h5")
    assert code == 404 and error["error"]["code"] == "not_found"


class TestSupportContact:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, support_contact="https://help.example.org/remotem")

    async def test_operations_that_cannot_run_name_whom_to_ask(self, jp_fetch, tmp_path):
        np.save(tmp_path / "profile.npy", np.arange(12.0))
        body = await get_json(jp_fetch, "operations", repository="notebooks", path="profile.npy")
        by_name = {op["name"]: op for op in body["operations"]}
        assert by_name["virtual_detector"]["contact"] == "https://help.example.org/remotem"
        assert all(("contact" in op) == (not op["available"]) for op in body["operations"])


@pytest.fixture
def jp_root_dir(tmp_path):
    """The server's root folder: the 'notebooks' home repository."""
    return tmp_path


async def test_npz_answers_every_array_of_a_result_without_the_json_limit(jp_fetch, scan):
    response = await reduce(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "frame_stats"},
                            format="npz")
    assert response.code == 200
    assert response.headers["X-Remotem-Primary"] == "mean"
    with np.load(io.BytesIO(response.body), allow_pickle=False) as arrays:
        assert set(arrays.files) == {"sum", "mean", "std", "max", "min"}
        np.testing.assert_allclose(arrays["mean"], scan.mean(axis=(0, 1)))
        np.testing.assert_array_equal(arrays["max"], scan.max(axis=(0, 1)))


def test_local_arrays_take_the_same_request_keys(scan):
    from jupyter_remotem.compute.reductions import reduce_array

    pipeline = [{"operation": "crop", "params": {"nav": [[0, 16], None], "sig": None}}]
    local = reduce_array(scan, "virtual_detector", {"detectors": [RING]}, pipeline=pipeline, step=2, fft=True)
    expected = np.abs(np.fft.fftshift(np.fft.fft2(ring_image(scan[0:16][::2, ::2]))))
    np.testing.assert_allclose(local.arrays["intensity"][..., 0], expected, rtol=1e-9)
    frame = reduce_array(scan, "pick", {"y": 2, "x": 7}).arrays["frame"]
    np.testing.assert_array_equal(frame, scan[2, 7])


async def test_data_slices_read_through_a_pipeline(jp_fetch, scan):
    pipeline = [{"operation": "bin", "params": {"nav": None, "sig": [4, 4], "reduce": "mean"}}]
    response = await jp_fetch(*api_path("repositories", "demo", "data", "scan.h5"), raise_error=False,
                              params={"slice": "3,5:9", "pipeline": json.dumps(pipeline)})
    assert response.code == 200, response.body[:300]
    expected = scan[3, 5:9].reshape(4, 16, 4, 16, 4).mean(axis=(2, 4))
    np.testing.assert_allclose(np.load(io.BytesIO(response.body)), expected, rtol=1e-6)
    for bad, fragment in (("{not json", "not valid JSON"), ('[{"operation": "pick"}]', "cannot be chained")):
        code, body = await call(jp_fetch, "GET", "repositories", "demo", "data", "scan.h5", slice="0",
                                pipeline=bad)
        assert code == 400 and fragment in body["error"]["message"], body
