"""Users' own functions next to the data: ``ds.map(fn)`` and ``ds.apply(udf)``, through the REST
API, the client (remote and local alike), the job worker and the Dask cluster; refused for
personal tokens, for pickles from another environment, and when the function itself fails."""

from __future__ import annotations

import base64
import hashlib
import json
import warnings

import cloudpickle
import h5py
import numpy as np
import pytest
from _api import WithServerWorker, call, job_finished, server_config
from _client import client, in_thread, kernel_env, scan  # noqa: F401 - fixtures

import jupyter_remotem as remotem
from jupyter_remotem.client import BadRequest, RemotemWarning
from jupyter_remotem.compute.executor import DatasetRef, run_plan
from jupyter_remotem.compute.operations import OPERATIONS
from jupyter_remotem.compute.partitions import make_partitions
from jupyter_remotem.compute.user_functions import environment
from jupyter_remotem.formats import open_dataset
from jupyter_remotem.formats.provenance import PROVENANCE_KEY
from jupyter_remotem.kernels import from_spec
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

ROI = {"shape": "rectangle", "x": 5, "y": 3, "width": 10, "height": 6}


@pytest.fixture(scope="module")
def demo_repo(demo_dir):
    return Repository(RepositoryConfig.from_dict({"name": "demo", "url": str(demo_dir)}))


@pytest.fixture(scope="module")
def cluster_client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as made:
            yield made


def brightest_and_centre(frame: np.ndarray) -> np.ndarray:
    """A per-frame answer of two values (a notebook's function, pickled by value)."""
    return np.array([frame.max(), frame[28:36, 28:36].sum()], dtype=np.float64)


class Total:
    """A partition-wise reduction: the sum frame and the frame count, finished into the mean."""

    def process(self, frames):
        return frames.astype(np.float64).sum(axis=0), len(frames)

    def merge(self, a, b):
        return a[0] + b[0], a[1] + b[1]

    def finish(self, partial):
        return partial[0] / partial[1]


def packed(function, **environment_changes) -> dict:
    return {"function": base64.b64encode(cloudpickle.dumps(function)).decode(),
            "environment": dict(environment(), **environment_changes)}


def reduction(operation: str, params: dict, path: str = "scan.h5") -> dict:
    return {"repository": "demo", "path": path, "operation": operation, "params": params}


def per_frame(scan: np.ndarray, function) -> np.ndarray:
    return np.stack([function(frame) for frame in scan.reshape((-1,) + scan.shape[-2:])]).reshape(
        scan.shape[:-2] + np.shape(function(scan[0, 0])))


async def test_map_and_apply_through_the_client_equal_numpy_remotely_and_locally(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    local = remotem.local(scan)
    expected = per_frame(scan, brightest_and_centre)
    remote = await in_thread(ds.map, brightest_and_centre)
    assert remote.shape == (32, 48, 2) and remote.dtype == np.float64
    np.testing.assert_array_equal(remote, expected)
    np.testing.assert_array_equal(local.map(brightest_and_centre), remote)

    # A scalar per frame, as xarray over the calibrated scan; NaN outside the ROI.
    image = await in_thread(ds.map, lambda frame: float(frame.std()), roi=ROI, as_xarray=True)
    assert image.dims == ("scan_y", "scan_x") and image.attrs["operation"] == "map"
    inside = from_spec(ROI, scan.shape[:2])
    np.testing.assert_allclose(image.values[inside], scan[inside].std(axis=(1, 2)))
    assert np.isnan(image.values[~inside]).all()

    mean = await in_thread(ds.apply, Total())
    np.testing.assert_allclose(mean, scan.astype(np.float64).mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(local.apply(Total()), mean, rtol=1e-12)
    only_roi = await in_thread(ds.apply, Total(), roi=ROI)
    np.testing.assert_allclose(only_roi, scan[inside].astype(np.float64).mean(axis=0), rtol=1e-12)


async def test_a_failing_function_is_refused_before_any_work_with_its_own_error(client, scan, jp_fetch):
    ds = await in_thread(client.open, "demo", "scan.h5")
    with pytest.raises(BadRequest, match="ZeroDivisionError") as caught:
        await in_thread(ds.map, lambda frame: 1 // 0)
    assert caught.value.status == 400 and caught.value.code == "function_failed"
    assert "first frame" in caught.value.message and caught.value.hint
    with pytest.raises(BadRequest, match="must answer numbers"):
        await in_thread(ds.map, lambda frame: "bright")
    with pytest.raises(BadRequest, match="process.*merge|merge"):
        await in_thread(ds.apply, object())
    # Locally the same refusals, in the same words.
    with pytest.raises(BadRequest, match="ZeroDivisionError") as local_error:
        remotem.local(scan).map(lambda frame: 1 // 0)
    assert local_error.value.code == "function_failed"

    for params, code, fragment in (
            ({"function": "not base64!", "environment": environment()}, "bad_parameter", "base64"),
            ({"function": base64.b64encode(b"not a pickle").decode(), "environment": environment()},
             "function_failed", "unpickled"),
            ({"function": packed(len)["function"]}, "bad_parameter", "environment")):
        status, answer = await call(jp_fetch, "POST", "reductions", body=reduction("map", params))
        assert status == 400 and answer["error"]["code"] == code, answer
        assert fragment in answer["error"]["message"] + answer["error"]["hint"], answer


async def test_a_pickle_from_another_environment_is_a_409_naming_both_sides(jp_fetch):
    for change in ({"python": "3.7"}, {"numpy": "1.26.4"}, {"cloudpickle": "2.2.1"}):
        params = packed(brightest_and_centre, **change)
        if params["environment"] == environment():
            continue
        status, answer = await call(jp_fetch, "POST", "reductions", body=reduction("map", params))
        assert status == 409 and answer["error"]["code"] == "environment_mismatch", answer
        (name, theirs), = change.items()
        assert f"{name} {theirs} in the notebook, {environment()[name]} on the server" in answer["error"]["message"]
        assert "kernel" in answer["error"]["hint"]


async def test_a_personal_token_may_not_send_code_but_may_run_declared_operations(jp_fetch, http_server_client,
                                                                                  jp_base_url):
    status, token = await call(jp_fetch, "POST", "tokens", body={"name": "script"})
    assert status == 201, token

    async def with_token(path, body):
        return await http_server_client.fetch(
            f"{jp_base_url}remotem/api/{path}", method="POST", raise_error=False,
            headers={"Authorization": f"token {token['token']}"}, body=json.dumps(body))

    for operation, function in (("map", brightest_and_centre), ("apply", Total())):
        answer = await with_token("reductions", reduction(operation, packed(function)))
        assert answer.code == 403, answer.body
        error = json.loads(answer.body)["error"]
        assert error["code"] == "forbidden" and "personal token" in error["message"] and error["hint"]
        job = await with_token("jobs", dict(reduction(operation, packed(function)),
                                            output={"repository": "demo", "path": "never.h5"}))
        assert job.code == 403, job.body
    declared = await with_token("reductions", reduction("frame_stats", {}))
    assert declared.code == 200, declared.body
    # The same code from the logged-in session runs.
    status, answer = await call(jp_fetch, "POST", "reductions", body=reduction("map", packed(brightest_and_centre)))
    assert status == 200 and answer["primary"] == "result", answer


async def test_operations_declare_which_take_code(jp_fetch):
    status, answer = await call(jp_fetch, "GET", "operations")
    assert status == 200
    by_name = {operation["name"]: operation for operation in answer["operations"]}
    assert by_name["map"]["takes_code"] is True and by_name["apply"]["takes_code"] is True
    assert not any(operation["takes_code"] for name, operation in by_name.items() if name not in ("map", "apply"))
    assert by_name["map"]["parameters"]["required"] == ["function", "environment"]


def test_a_map_on_the_cluster_loads_the_function_on_the_workers_and_answers_as_inline(demo_repo, cluster_client,
                                                                                      scan):
    with open_dataset(demo_repo, "scan.h5") as ds:
        parts = make_partitions(ds.n_frames, ds.frame_nbytes, target_bytes=ds.frame_nbytes * 200)
        assert len(parts) > 2
        plan = OPERATIONS["map"].plan_for(ds, packed(brightest_and_centre))
        distributed = run_plan(ds, plan, parts, client=cluster_client, ref=DatasetRef(demo_repo.config, "scan.h5"))
        np.testing.assert_array_equal(distributed.arrays["result"], per_frame(scan, brightest_and_centre))
        merged = run_plan(ds, OPERATIONS["apply"].plan_for(ds, packed(Total())), parts, client=cluster_client,
                          ref=DatasetRef(demo_repo.config, "scan.h5"))
        np.testing.assert_allclose(merged.arrays["result"], scan.astype(np.float64).mean(axis=(0, 1)), rtol=1e-12)


class TestSlowFunctions(WithServerWorker):
    """Beyond the interactive limit a map becomes a durable job in the home repository."""

    @pytest.fixture
    def jp_server_config(self, repositories, tmp_path):
        (tmp_path / "home").mkdir()
        return server_config(repositories + [{"name": "home", "url": str(tmp_path / "home"), "writable": True,
                                              "home": True}], start_worker=True, interactive_limit=1e-7)

    async def test_a_slow_map_runs_as_a_job_and_answers_the_same(self, client, scan, tmp_path):
        ds = await in_thread(client.open, "demo", "scan.h5")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answer = await in_thread(ds.map, brightest_and_centre, name="bright")
        np.testing.assert_array_equal(answer, per_frame(scan, brightest_and_centre))
        told = [str(w.message) for w in caught if issubclass(w.category, RemotemWarning)]
        assert any("as job" in text for text in told), told
        written = sorted((tmp_path / "home").glob("map-bright-*.h5"))
        assert len(written) == 1, written
        with h5py.File(written[0]) as f:
            np.testing.assert_array_equal(f["result"][()], answer)

    async def test_an_apply_job_checkpoints_any_partial_and_writes_its_result(self, jp_fetch, scan, tmp_path):
        body = dict(reduction("apply", packed(Total())), output={"repository": "home", "path": "mean.h5"})
        status, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert status == 201, job
        ended = await job_finished(jp_fetch, job["id"])
        assert ended["phase"] == "COMPLETED", ended
        with h5py.File(tmp_path / "home" / "mean.h5") as f:
            np.testing.assert_allclose(f["result"][()], scan.astype(np.float64).mean(axis=(0, 1)), rtol=1e-12)

    async def test_the_sent_code_is_kept_as_its_digest_in_job_answers_and_provenance(self, jp_fetch, tmp_path):
        """What a function closes over may be anything (here a password): job answers, lists and
        the result's provenance carry the pickle's SHA-256 and size, never the pickle."""
        password = "hunter2-" + "x" * 40

        def scaled(frame):
            return float(frame.mean()) * (len(password) > 0)

        sent = packed(scaled)
        body = dict(reduction("map", sent), output={"repository": "home", "path": "scaled.h5"})
        status, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert status == 201, job
        ended = await job_finished(jp_fetch, job["id"])
        assert ended["phase"] == "COMPLETED", ended
        expected = {"sha256": hashlib.sha256(sent["function"].encode()).hexdigest(), "bytes": len(sent["function"])}
        assert ended["request"]["params"]["function"] == expected
        status, listed = await call(jp_fetch, "GET", "jobs")
        text = json.dumps(listed)
        assert sent["function"] not in text and expected["sha256"] in text
        with h5py.File(tmp_path / "home" / "scaled.h5") as f:
            record = json.loads(f.attrs[PROVENANCE_KEY])
            raw = b"".join(bytes(str(value), "utf-8") for value in f.attrs.values())
        assert record["request"]["params"]["function"] == expected == record["parameters"]["function"]
        assert sent["function"].encode() not in raw and b"hunter2" not in raw

    async def test_a_function_failing_midway_ends_its_job_in_error_and_writes_nothing(self, jp_fetch, scan,
                                                                                       tmp_path):
        threshold = float(np.sort(scan.reshape(len(scan) * scan.shape[1], -1).max(axis=1))[-3])

        def picky(frame):
            if frame.max() >= threshold:  # a few frames, not the first
                raise ValueError("too bright")
            return float(frame.mean())

        assert scan[0, 0].max() < threshold
        body = dict(reduction("map", packed(picky)), output={"repository": "home", "path": "picky.h5"})
        status, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert status == 201, job
        ended = await job_finished(jp_fetch, job["id"])
        assert ended["phase"] == "ERROR", ended
        assert ended["error"]["code"] == "function_failed" and "too bright" in ended["error"]["message"], ended
        assert not (tmp_path / "home" / "picky.h5").exists()
