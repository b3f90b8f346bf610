"""Transformation jobs (crop, bin, cast) written back as new HDF5 datasets, and TIFF results.

Worker processes run the jobs from a real job database, as in ``test_jobs_worker``; every result
is compared with numpy applied to the demo scan's ground truth (``scan.npy``).  Slow jobs are
slowed with the worker's read-rate limit, so that there is time to kill or cancel them mid-way.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import tifffile
from _api import call, server_config
from _jobs import (  # noqa: F401  (fixtures and helpers)
    DETECTORS,
    SLOW,
    leftovers,
    phase_of,
    place,
    reference,
    sqlite_url,
    store_for,
    submit,
    wait_for,
    workers,
)
from _postgres import database_url, postgres_server_url  # noqa: F401  (fixtures)
from _services import S3_BUCKET, s3_repository, webdav_repository

from jupyter_remotem.formats import open_dataset
from jupyter_remotem.jobs.requests import JobRequest
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

#: One scan row (48 frames of 64 × 64 uint16) per slab: 32 slabs over the demo scan.
ROW_BYTES = 48 * 64 * 64 * 2
N_ROWS = 32
CROP = {"nav": [[3, 29], [5, 40]], "sig": [[8, 56], [0, 60]]}
BIN = {"nav": [3, 5], "sig": [2, 4]}


def transform(store: JobStore, output: str, operation: str, params: dict[str, Any], owner: str = "alice") -> str:
    body = {"repository": "demo", "path": "scan.h5", "operation": operation, "params": params,
            "output": {"repository": "out", "path": output}}
    request = JobRequest.from_json(body)
    assert request.kind == "transformation"
    return store.create(owner, "transformation", request.to_json()).id


def truth(place: dict[str, Any]) -> np.ndarray:
    return np.load(place["demo"] / "scan.npy")


def bin_reference(data: np.ndarray, factors: tuple[int, ...], reduce: str, dtype: str) -> np.ndarray:
    """Plain numpy: drop trailing remainders, sum boxes in float64 (or the output dtype), divide."""
    kept = data[tuple(slice(0, n - n % f) for n, f in zip(data.shape, factors))]
    shape = [x for n, f in zip(kept.shape, factors) for x in (n // f, f)]
    boxes = kept.reshape(shape)
    axes = tuple(range(1, 2 * data.ndim, 2))
    if reduce == "sum":
        return boxes.sum(axis=axes, dtype=dtype)
    return (boxes.sum(axis=axes, dtype=np.float64) / np.prod(factors)).astype(dtype)


def opened(place: dict[str, Any], name: str):
    repository = Repository(RepositoryConfig.from_dict({"name": "out", "url": str(place["out"])}))
    return open_dataset(repository, name)


def assert_dataset(path: Path, expected: np.ndarray) -> None:
    with h5py.File(path, "r") as f:
        data = f["data"]
        assert data.dtype == expected.dtype
        assert data.shape == expected.shape
        assert data.chunks == (1,) + expected.shape[1:], "one row of frames per chunk"
        assert data.compression is None
        assert data[()].tobytes() == np.ascontiguousarray(expected).tobytes()


def test_crop_bin_and_cast_equal_numpy_with_updated_calibration(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    jobs = {
        "crop.h5": transform(store, "crop.h5", "crop", CROP),
        "bin_mean.h5": transform(store, "bin_mean.h5", "bin", BIN),
        "bin_sum.h5": transform(store, "sub/bin_sum.h5", "bin", {"nav": [2, 2], "sig": None, "reduce": "sum"}),
        "cast.h5": transform(store, "cast.h5", "cast", {"dtype": "float32", "scale": 0.5, "offset": -3}),
        "clip.h5": transform(store, "clip.h5", "cast", {"dtype": "uint8", "clip": True}),
    }
    workers.run_once(sqlite_url, "w", "--partition-bytes", str(3 * ROW_BYTES))
    for name, job_id in jobs.items():
        job = store.get(job_id, "alice")
        assert job.phase == "COMPLETED", (name, job.error)
    data = truth(place)
    assert_dataset(place["out"] / "crop.h5", data[3:29, 5:40, 8:56, 0:60])
    assert_dataset(place["out"] / "bin_mean.h5", bin_reference(data, (3, 5, 2, 4), "mean", "float32"))
    assert_dataset(place["out"] / "sub" / "bin_sum.h5", bin_reference(data, (2, 2, 1, 1), "sum", "uint32"))
    assert_dataset(place["out"] / "cast.h5", (data.astype(np.float64) * 0.5 - 3).astype(np.float32))
    assert_dataset(place["out"] / "clip.h5", np.clip(data, 0, 255).astype(np.uint8))

    with opened(place, "crop.h5") as crop:
        assert crop.shape == (26, 35, 48, 60) and crop.nav_ndim == 2
        scan_y, scan_x, ky, kx = crop.axes
        assert (scan_y.offset, scan_x.offset) == pytest.approx((3 * 0.4, 5 * 0.4))
        assert (ky.offset, kx.offset) == pytest.approx((-8 + 8 * 0.25, -8.0))
        assert [a.scale for a in crop.axes] == pytest.approx([0.4, 0.4, 0.25, 0.25])
        assert [a.units for a in crop.axes] == ["nm", "nm", "mrad", "mrad"]
    with opened(place, "bin_mean.h5") as binned:
        assert binned.shape == (10, 9, 32, 16)
        assert [a.scale for a in binned.axes] == pytest.approx([1.2, 2.0, 0.5, 1.0])
        # a binned pixel sits at the centre of the pixels it gathers
        assert [a.offset for a in binned.axes] == pytest.approx([0.4, 0.8, -8 + 0.125, -8 + 0.375])
        assert binned.read_frames(np.array([0]))[0].tobytes() == bin_reference(
            data, (3, 5, 2, 4), "mean", "float32")[0, 0].tobytes()

    with h5py.File(place["out"] / "bin_mean.h5") as f:
        record = json.loads(f.attrs["remotem_provenance"])
    assert record["operation"] == "bin" and record["parameters"] == BIN
    assert record["job_id"] == jobs["bin_mean.h5"] and record["input"]["shape"] == [32, 48, 64, 64]
    [result] = store.get(jobs["crop.h5"], "alice").results
    assert result == {"repository": "out", "path": "crop.h5", "format": "hdf5", "dataset": "/data",
                      "shape": [26, 35, 48, 60], "dtype": "<u2",
                      "size": (place["out"] / "crop.h5").stat().st_size}
    assert leftovers(place["out"]) == []


@pytest.mark.timeout(120)
def test_transformation_survives_kill_9_and_writes_only_missing_slabs(database_url, place, workers, store_for):
    store = store_for(database_url)
    params = {"dtype": "float32", "scale": 2.0}
    job_id = transform(store, "scans/cast.h5", "cast", params)
    temporary = place["out"] / "scans" / f".cast.h5.partial-{job_id}"
    first = workers.start(database_url, "doomed", "--max-read-rate", str(SLOW), partition_bytes=ROW_BYTES)
    wait_for(lambda: len(store.checkpoints(job_id)) >= 5, "some slabs written")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id)}
    assert 5 <= len(before) < N_ROWS
    assert temporary.exists() and not (place["out"] / "scans" / "cast.h5").exists()
    with h5py.File(temporary) as f:
        write_id = f.attrs["remotem_write_id"]
    assert {c.data for c in store.checkpoints(job_id, with_data=True)} == {write_id.encode()}

    workers.start(database_url, "rescuer", "--stale-after", "1.5", partition_bytes=ROW_BYTES)
    wait_for(lambda: phase_of(store, job_id) == "COMPLETED", "the job to complete after the crash", 60)
    expected = (truth(place).astype(np.float64) * 2.0).astype(np.float32)
    assert_dataset(place["out"] / "scans" / "cast.h5", expected)
    after = {c.partition: (c.worker_id, c.created) for c in store.checkpoints(job_id)}
    assert sorted(after) == list(range(N_ROWS))
    assert {p: after[p] for p in before} == before, "finished slabs were written again"
    assert {after[p][0] for p in after if p not in before} == {"rescuer"}
    job = store.get(job_id, "alice")
    assert (job.attempts, job.progress["resumed"]) == (2, len(before) * 48)
    with h5py.File(place["out"] / "scans" / "cast.h5") as f:
        assert f.attrs["remotem_write_id"] == write_id, "the crashed attempt's file was finished, not redone"

    uninterrupted = transform(store, "again.h5", "cast", params)
    workers.run_once(database_url, "w2")
    assert phase_of(store, uninterrupted) == "COMPLETED"
    with h5py.File(place["out"] / "scans" / "cast.h5") as resumed, h5py.File(place["out"] / "again.h5") as fresh:
        assert resumed["data"][()].tobytes() == fresh["data"][()].tobytes()
        assert dict(resumed["data"].attrs).keys() == dict(fresh["data"].attrs).keys()
        for key in resumed["data"].attrs:
            assert np.array_equal(resumed["data"].attrs[key], fresh["data"].attrs[key]), key
    assert leftovers(place["out"]) == []


def test_cancel_leaves_neither_final_nor_temporary_file(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    job_id = transform(store, "binned.h5", "bin", {"sig": [2, 2]})
    workers.start(sqlite_url, "w", "--max-read-rate", str(SLOW), partition_bytes=ROW_BYTES)
    wait_for(lambda: len(store.checkpoints(job_id)) >= 3, "some slabs written")
    assert leftovers(place["out"]) == [f".binned.h5.partial-{job_id}"]
    store.request_action(job_id, "alice", "cancel")
    wait_for(lambda: phase_of(store, job_id) == "ABORTED", "the job to abort", 10)
    assert list(place["out"].iterdir()) == []
    assert store.get(job_id, "alice").results == []


def test_pause_keeps_the_temporary_file_and_resume_finishes_it(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    job_id = transform(store, "crop.h5", "crop", CROP)
    workers.start(sqlite_url, "w", "--max-read-rate", str(SLOW / 2), partition_bytes=ROW_BYTES)
    wait_for(lambda: len(store.checkpoints(job_id)) >= 3, "some slabs written")
    store.request_action(job_id, "alice", "pause")
    wait_for(lambda: phase_of(store, job_id) == "SUSPENDED", "the job to be suspended", 10)
    paused = {c.partition: c.created for c in store.checkpoints(job_id)}
    assert leftovers(place["out"]) == [f".crop.h5.partial-{job_id}"]
    store.request_action(job_id, "alice", "resume")
    wait_for(lambda: phase_of(store, job_id) == "COMPLETED", "the resumed job to complete", 60)
    after = {c.partition: c.created for c in store.checkpoints(job_id)}
    assert {p: after[p] for p in paused} == paused
    assert_dataset(place["out"] / "crop.h5", truth(place)[3:29, 5:40, 8:56, 0:60])
    assert leftovers(place["out"]) == []


def test_tiff_results_round_trip_with_their_provenance(sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    detectors = submit(store, "bf.tif")
    mean = submit(store, "mean.tiff", operation="frame_stats", params={}, array="mean")
    workers.run_once(sqlite_url, "w")
    expected = reference(place["demo"])
    with tifffile.TiffFile(place["out"] / "bf.tif") as tif:
        assert len(tif.pages) == len(DETECTORS["detectors"])
        description = json.loads(tif.pages[0].description)
        pages = [page.asarray() for page in tif.pages]
    for k, page in enumerate(pages):
        assert page.dtype == np.float32 and page.shape == (32, 48)
        assert np.array_equal(page, expected.arrays["intensity"][..., k].astype(np.float32))
    assert description["provenance"]["job_id"] == detectors
    assert description["provenance"]["operation"] == "virtual_detector"
    assert description["provenance"]["parameters"] == DETECTORS
    assert description["array"] == "intensity" and description["shape"] == [32, 48, 2]

    frame_mean = tifffile.imread(place["out"] / "mean.tiff")
    stats = reference(place["demo"], "frame_stats", {})
    assert np.array_equal(frame_mean, stats.arrays["mean"].astype(np.float32))
    assert store.get(mean, "alice").results[0]["format"] == "tiff"
    assert leftovers(place["out"]) == []


# -- REST API ------------------------------------------------------------------------------------
@pytest.fixture
def repositories(repositories, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    return repositories + [{"name": "results", "url": str(out), "description": "Results", "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories)


def job_body(operation: str, params: Any, output: str = "t.h5", **extra: Any) -> dict[str, Any]:
    return {"repository": "demo", "path": "scan.h5", "operation": operation, "params": params,
            "output": {"repository": "results", "path": output}, **extra}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (job_body("crop", {"nav": [[0, 40], [0, 10]]}), "scan_y (size 32)"),
        (job_body("crop", {"nav": [[5, 5], [0, 10]]}), "empty"),
        (job_body("crop", {"nav": [[0, 10]]}), "one entry per axis"),
        (job_body("crop", {"sig": [[0, 1.5], None]}), "integer"),
        (job_body("crop", {"navigation": [[0, 1], [0, 1]]}), "unknown parameter for crop: navigation"),
        (job_body("bin", {"nav": [0, 2]}), "between 1 and 32"),
        (job_body("bin", {"sig": [2, 2], "reduce": "median"}), "reduce"),
        (job_body("cast", {"dtype": "uint8"}), "clip"),
        (job_body("cast", {"dtype": "float16"}), "overflow"),
        (job_body("cast", {"dtype": "complex64"}), "dtype"),
        (job_body("cast", {"dtype": "float32"}, output="t.png"), "writes a new dataset, as hdf5, nexus"),
        (job_body("crop", {}, roi={"shape": "rectangle", "x": 0, "y": 0, "width": 4, "height": 4}), "roi"),
    ],
)
async def test_bad_transformation_parameters_answer_400(jp_fetch, body, fragment):
    code, error = await call(jp_fetch, "POST", "jobs", body=body)
    assert code == 400, error
    assert fragment.lower() in (error["error"]["message"] + " " + error["error"]["hint"]).lower()
    code, listing = await call(jp_fetch, "GET", "jobs")
    assert listing["jobs"] == []


async def test_transformations_are_jobs_not_interactive_reductions(jp_fetch, demo_dir):
    body = job_body("bin", {"sig": [2, 2]})
    code, error = await call(jp_fetch, "POST", "reductions", body={k: v for k, v in body.items() if k != "output"})
    assert code == 400
    assert "transformation" in error["error"]["message"] and "jobs" in error["error"]["hint"]

    crop = job_body("crop", {"nav": [[0, 16], None], "sig": [[0, 32], [0, 32]]})
    code, quoted = await call(jp_fetch, "POST", "jobs", body=crop, dry_run=1)
    assert code == 200, quoted
    assert quoted["kind"] == "transformation"
    assert quoted["quote"]["bytes_read"] == 16 * 48 * 64 * 64 * 2, "only the cropped rows are read"
    assert quoted["quote"]["bytes_written"] == 16 * 48 * 32 * 32 * 2

    code, job = await call(jp_fetch, "POST", "jobs", body=job_body("cast", {"dtype": "float32"}))
    assert code == 201, job
    assert (job["kind"], job["phase"]) == ("transformation", "QUEUED")
    assert job["quote"]["bytes_written"] == 2 * job["quote"]["bytes_read"]


@pytest.fixture(params=["s3", "webdav"])
def remote_output(request, tmp_path) -> dict:
    """A writable remote repository, "out", on a real moto S3 or wsgidav WebDAV server."""
    folder = f"results-{tmp_path.name}"
    if request.param == "s3":
        base = s3_repository(request.getfixturevalue("s3_endpoint"))
        return base | {"name": "out", "url": f"s3://{S3_BUCKET}/{folder}", "writable": True}
    base = webdav_repository(request.getfixturevalue("webdav_url"))
    return base | {"name": "out", "url": f"webdav://group/{folder}", "writable": True}


def _transform_to_remote(sqlite_url, place, workers, store_for, remote: dict, tmp_path, output: str):
    """Make ``remote`` the "out" repository, crop the demo scan into ``output`` there with one
    worker run (building in a scratch folder), and answer ``(job id, finished job, scratch)``."""
    config = json.loads(place["config"].read_text())
    config["repositories"] = [r for r in config["repositories"] if r["url"] != str(place["out"])]
    config["repositories"].append(remote)
    place["config"].write_text(json.dumps(config))
    store = store_for(sqlite_url)
    job_id = transform(store, output, "crop", CROP)
    scratch = tmp_path / "scratch-space"
    workers.run_once(sqlite_url, "w", "--scratch", str(scratch))
    job = store.get(job_id, "alice")
    assert job.phase == "COMPLETED", job.error
    return job_id, job, scratch


def test_output_to_remote_storage_is_built_in_scratch_and_uploaded_when_complete(
        sqlite_url, place, workers, store_for, remote_output, tmp_path):  # noqa: F811
    job_id, job, scratch = _transform_to_remote(sqlite_url, place, workers, store_for, remote_output, tmp_path,
                                                "cropped/crop.h5")
    out = Repository(RepositoryConfig.from_dict(remote_output))
    assert [entry.name for entry in out.list("cropped", include_hidden=True)] == ["crop.h5"], "no temporary file"
    out.fs.get_file(out.full_path("cropped/crop.h5"), str(tmp_path / "downloaded.h5"))
    assert_dataset(tmp_path / "downloaded.h5", truth(place)[3:29, 5:40, 8:56, 0:60])
    assert job.results[0]["size"] == (tmp_path / "downloaded.h5").stat().st_size
    assert not (scratch / job_id).exists(), "the local build is removed after the upload"


def _assert_zarr(root, expected: np.ndarray, frame_dims: int = 2) -> None:
    """The Zarr export as zarr itself reads it: /data equal, in chunks of whole frames, with the
    calibrated axes on it and the provenance on the group."""
    import zarr

    group = zarr.open_group(root, mode="r")
    data = group["data"]
    assert data.shape == expected.shape and data.dtype == expected.dtype
    assert data.chunks[-frame_dims:] == expected.shape[-frame_dims:], "chunks hold whole frames"
    np.testing.assert_array_equal(data[...], expected)
    assert len(data.attrs["axis_names"]) == expected.ndim and data.attrs["nav_ndim"] == expected.ndim - frame_dims
    assert json.loads(group.attrs["remotem_provenance"])["operation"] == "crop"


def test_a_zarr_export_is_a_folder_zarr_reads_reopened_here_and_recorded_file_by_file(
        sqlite_url, place, workers, store_for):
    store = store_for(sqlite_url)
    job_id = transform(store, "cropped/crop.zarr", "crop", CROP)
    workers.run_once(sqlite_url, "w")
    job = store.get(job_id, "alice")
    assert job.phase == "COMPLETED", job.error
    expected = truth(place)[3:29, 5:40, 8:56, 0:60]
    root = place["out"] / "cropped" / "crop.zarr"
    _assert_zarr(str(root), expected)
    assert sorted(p.name for p in (place["out"] / "cropped").iterdir()) == ["crop.zarr"], "no temporary folder"
    on_disk = {str(p.relative_to(place["out"])): p.stat().st_size for p in root.rglob("*") if p.is_file()}
    assert job.results[0]["format"] == "zarr" and job.results[0]["size"] == sum(on_disk.values())
    files = {row.path: row.size for row in store.written(job_id) if row.kind == "file"}
    assert files == on_disk, "the ledger holds every file of the folder, with its size"
    assert "cropped/crop.zarr" in {row.path for row in store.written(job_id) if row.kind == "folder"}
    # It opens here as the dataset it is, with the crop's geometry.
    with opened(place, "cropped/crop.zarr") as dataset:
        assert tuple(dataset.shape) == expected.shape and tuple(dataset.nav_shape) == expected.shape[:2]
    # Not over an existing one without "overwrite": the job fails, the first export is whole.
    again = transform(store, "cropped/crop.zarr", "bin", BIN)
    workers.run_once(sqlite_url, "w")
    failed = store.get(again, "alice")
    assert failed.phase == "ERROR" and "already exists" in failed.error["message"], failed.error
    _assert_zarr(str(root), expected)
    assert sorted(p.name for p in (place["out"] / "cropped").iterdir()) == ["crop.zarr"], "its temporary folder went"
    # With "overwrite": the new one replaces it whole (no chunk of the old one left behind).
    body = {"repository": "demo", "path": "scan.h5", "operation": "crop", "params": {"nav": [[0, 2], [0, 3]]},
            "output": {"repository": "out", "path": "cropped/crop.zarr", "overwrite": True}}
    replaced = store.create("alice", "transformation", JobRequest.from_json(body).to_json()).id
    workers.run_once(sqlite_url, "w")
    assert store.get(replaced, "alice").phase == "COMPLETED", store.get(replaced, "alice").error
    import zarr

    assert zarr.open_group(str(root), mode="r")["data"].shape == (2, 3, 64, 64)
    np.testing.assert_array_equal(zarr.open_group(str(root), mode="r")["data"][...], truth(place)[:2, :3])
    assert sorted(p.name for p in (place["out"] / "cropped").iterdir()) == ["crop.zarr"]
    chunks = [p for p in (root / "data").iterdir() if not p.name.startswith(".")]
    assert len(chunks) == zarr.open_group(str(root), mode="r")["data"].nchunks, "no chunk of the old one left"


def test_a_zarr_export_to_s3_is_uploaded_whole_when_complete(
        sqlite_url, place, workers, store_for, s3_endpoint, tmp_path):  # noqa: F811
    remote = s3_repository(s3_endpoint) | {"name": "out", "url": f"s3://{S3_BUCKET}/zarr-{tmp_path.name}",
                                           "writable": True}
    job_id, job, scratch = _transform_to_remote(sqlite_url, place, workers, store_for, remote, tmp_path, "crop.zarr")
    store = store_for(sqlite_url)
    out = Repository(RepositoryConfig.from_dict(remote))
    assert [entry.name for entry in out.list("", include_hidden=True)] == ["crop.zarr"], "no temporary folder"
    _assert_zarr(out.fs.get_mapper(out.full_path("crop.zarr")), truth(place)[3:29, 5:40, 8:56, 0:60])
    files = {row.path: row.size for row in store.written(job_id) if row.kind == "file"}
    listed = {out.relative(name): int(info["size"]) for name, info in
              out.fs.find(out.full_path("crop.zarr"), detail=True).items()}
    assert files == listed and job.results[0]["size"] == sum(listed.values())
    assert not (scratch / job_id).exists(), "the local build is removed after the upload"
