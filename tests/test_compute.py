"""Reductions over partitions agree with plain numpy, inline and on a Dask LocalCluster."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from jupyter_remotem.compute.executor import Cancelled, DatasetRef, run_plan
from jupyter_remotem.compute.operations import CenterOfMassPlan, FrameStatsPlan, VirtualDetectorPlan
from jupyter_remotem.compute.partitions import make_partitions
from jupyter_remotem.compute.roi import roi_indices
from jupyter_remotem.errors import BadParameter
from jupyter_remotem.formats import open_dataset
from jupyter_remotem.kernels import from_spec
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

DETECTORS = [
    {"shape": "disk", "cx": 31.5, "cy": 30.0, "r": 9},
    {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30},
    {"shape": "rectangle", "x": 50, "y": -5, "width": 40, "height": 20},
]


@pytest.fixture(scope="module")
def demo_repo(demo_dir):
    return Repository(RepositoryConfig.from_dict({"name": "demo", "url": str(demo_dir)}))


@pytest.fixture(scope="module")
def scan(demo_dir):
    return np.load(demo_dir / "scan.npy")


@pytest.mark.parametrize("n_frames", [0, 1, 7, 100])
@pytest.mark.parametrize("target", [1, 3 * 64, 10**9])
def test_partitions_cover_every_frame_once(n_frames, target):
    parts = make_partitions(n_frames, 64, target_bytes=target)
    covered = np.concatenate([np.arange(p.start, p.stop) for p in parts]) if parts else np.zeros(0)
    assert np.array_equal(covered, np.arange(n_frames))


def test_partitions_with_roi_keep_only_selected_frames():
    roi = np.array([0, 1, 5, 6, 7, 40, 99])
    parts = make_partitions(100, 8, roi, target_bytes=8 * 10)
    assert np.array_equal(np.concatenate([p.selected if p.selected is not None else np.arange(p.start, p.stop)
                                          for p in parts]), roi)
    assert make_partitions(100, 8, np.zeros(0, np.int64)) == []


def test_roi_rectangle_and_errors():
    idx = roi_indices({"shape": "rectangle", "x": 1, "y": 2, "width": 2, "height": 1}, (4, 5))
    assert idx.tolist() == [11, 12, 13, 16, 17, 18]  # LiberTEM's inclusive rectangle
    assert roi_indices(None, (4, 5)) is None
    with pytest.raises(BadParameter):
        roi_indices({"shape": "blob"}, (4, 5))
    with pytest.raises(BadParameter):
        roi_indices([1, 2], (4, 5))


@pytest.mark.parametrize("name", ["scan.npy", "scan.h5", "scan_contiguous.h5", "scan.zarr", "scan.mib"])
def test_virtual_detectors_match_numpy(demo_repo, scan, name):
    with open_dataset(demo_repo, name) as ds:
        plan = VirtualDetectorPlan(ds, {"detectors": DETECTORS})
        parts = make_partitions(ds.n_frames, ds.frame_nbytes, target_bytes=ds.frame_nbytes * 7)
        result = run_plan(ds, plan, parts)
    masks = np.stack([from_spec(d, scan.shape[2:]) for d in DETECTORS]).astype(np.float64)
    expected = np.einsum("yxij,kij->yxk", scan.astype(np.float64), masks)
    got = result.arrays["intensity"]
    assert got.shape == scan.shape[:2] + (3,)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_roi_restricts_a_reduction(demo_repo, scan):
    roi = {"shape": "rectangle", "x": 3, "y": 2, "width": 5, "height": 4}
    with open_dataset(demo_repo, "scan.npy") as ds:
        visited = roi_indices(roi, ds.nav_shape)
        plan = FrameStatsPlan(ds, {})
        result = run_plan(ds, plan, make_partitions(ds.n_frames, ds.frame_nbytes, visited, target_bytes=1), visited)
    block = scan[2:7, 3:9].reshape(-1, *scan.shape[2:]).astype(np.float64)  # inclusive edges
    np.testing.assert_allclose(result.arrays["sum"], block.sum(0))
    np.testing.assert_allclose(result.arrays["mean"], block.mean(0))
    np.testing.assert_allclose(result.arrays["std"], block.std(0), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(result.arrays["max"], block.max(0))
    assert result.attributes["count"] == 30


def test_empty_roi_gives_empty_results(demo_repo):
    roi = {"shape": "rectangle", "x": 100, "y": 100, "width": 2, "height": 2}
    with open_dataset(demo_repo, "scan.npy") as ds:
        visited = roi_indices(roi, ds.nav_shape)
        assert visited.size == 0
        result = run_plan(ds, FrameStatsPlan(ds, {}), make_partitions(ds.n_frames, ds.frame_nbytes, visited), visited)
        assert result.attributes["count"] == 0
        vd = run_plan(ds, VirtualDetectorPlan(ds, {"detectors": DETECTORS[:1]}), [], visited)
        assert vd.arrays["intensity"].shape == ds.nav_shape + (1,)
        assert not vd.arrays["intensity"].any()


def test_center_of_mass_matches_numpy(demo_repo, scan):
    with open_dataset(demo_repo, "scan.h5") as ds:
        result = run_plan(ds, CenterOfMassPlan(ds, {"cx": 32, "cy": 32}), make_partitions(ds.n_frames, ds.frame_nbytes))
    frames = scan.astype(np.float64)
    total = frames.sum(axis=(2, 3))
    ys, xs = np.mgrid[: scan.shape[2], : scan.shape[3]]
    com_y = (frames * ys).sum(axis=(2, 3)) / total
    com_x = (frames * xs).sum(axis=(2, 3)) / total
    np.testing.assert_allclose(result.arrays["com_y"], com_y, rtol=1e-9)
    np.testing.assert_allclose(result.arrays["com_x"], com_x, rtol=1e-9)
    np.testing.assert_allclose(result.arrays["shift_y"], com_y - 32, atol=1e-9)
    assert np.nanstd(result.arrays["magnitude"]) > 0.05, "the demo beam shift gives a real CoM signal"


def test_cancel_stops_between_partitions(demo_repo):
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append(p.frames_done)
        cancel.set()

    with open_dataset(demo_repo, "scan.npy") as ds:
        parts = make_partitions(ds.n_frames, ds.frame_nbytes, target_bytes=ds.frame_nbytes * 10)
        with pytest.raises(Cancelled):
            run_plan(ds, FrameStatsPlan(ds, {}), parts, progress=progress, cancel=cancel)
    assert seen == [10]


@pytest.fixture(scope="module")
def cluster_client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


@pytest.mark.parametrize("name", ["scan.npy", "scan.h5"])
def test_local_cluster_gives_the_same_answer_as_inline(demo_repo, cluster_client, name):
    with open_dataset(demo_repo, name) as ds:
        parts = make_partitions(ds.n_frames, ds.frame_nbytes, target_bytes=ds.frame_nbytes * 100)
        ref = DatasetRef(demo_repo.config, name)
        for plan in (VirtualDetectorPlan(ds, {"detectors": DETECTORS}), FrameStatsPlan(ds, {}),
                     CenterOfMassPlan(ds, {})):
            inline = run_plan(ds, plan, parts)
            progress = []
            distributed = run_plan(ds, plan, parts, client=cluster_client, ref=ref, progress=progress.append)
            again = run_plan(ds, plan, parts, client=cluster_client, ref=ref)  # the same plan twice
            assert progress[-1].frames_done == ds.n_frames
            for key, value in inline.arrays.items():
                np.testing.assert_array_equal(distributed.arrays[key], value, err_msg=key)
                np.testing.assert_array_equal(again.arrays[key], value, err_msg=key)


@pytest.mark.parametrize(("params", "passes"), [({"components": 3}, 2),
                                                ({"components": 3, "method": "nmf", "iterations": 2}, 4)])
def test_a_plan_of_several_passes_on_the_cluster_answers_as_inline_and_counts_every_pass(demo_repo, cluster_client,
                                                                                         params, passes):
    """A decomposition reads every frame twice (sketch, then scores), an NMF once more per
    iteration: the cluster's answer is the inline one (the same seeded sketch), and progress
    ends at the frames times the passes."""
    from jupyter_remotem.compute.operations import OPERATIONS

    with open_dataset(demo_repo, "scan.h5") as ds:
        parts = make_partitions(ds.n_frames, ds.frame_nbytes, target_bytes=ds.frame_nbytes * 100)
        ref = DatasetRef(demo_repo.config, "scan.h5")
        plan = OPERATIONS["decomposition"].plan_for(ds, params)
        assert plan.passes == passes
        inline_progress, distributed_progress = [], []
        inline = run_plan(ds, plan, parts, progress=inline_progress.append)
        distributed = run_plan(ds, plan, parts, client=cluster_client, ref=ref, progress=distributed_progress.append)
        for progress in (inline_progress, distributed_progress):
            assert progress[-1].frames_done == progress[-1].frames_total == passes * ds.n_frames
            assert [p.frames_done for p in progress] == sorted(p.frames_done for p in progress)
        assert set(distributed.arrays) == set(inline.arrays)
        for key, value in inline.arrays.items():
            np.testing.assert_allclose(distributed.arrays[key], value, rtol=1e-5, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", ["scan.npy", "scan.raw", "scan_contiguous.h5", "scan.h5"])
def test_partitions_of_uncompressed_local_files_are_zero_copy_views(demo_repo, scan, name):
    from jupyter_remotem.compute.executor import read_partition
    from jupyter_remotem.compute.partitions import dataset_partitions

    with open_dataset(demo_repo, name) as ds:
        parts = dataset_partitions(ds, target_bytes=ds.frame_nbytes * 50)
        assert len(parts) > 2
        for partition in parts:
            block = read_partition(ds, partition)
            assert np.shares_memory(block, ds.reader.source.memmap()), "a copy was made"
            flat = scan.reshape(-1, *scan.shape[2:])
            np.testing.assert_array_equal(block, flat[partition.start : partition.stop])


def test_partitions_of_chunked_hdf5_never_cross_a_gap_between_chunks(tmp_path):
    import h5py

    from jupyter_remotem.compute.executor import read_partition
    from jupyter_remotem.compute.partitions import dataset_partitions

    data = np.random.default_rng(1).random((600, 3, 8, 8)).astype(np.float32)
    with h5py.File(tmp_path / "rows.h5", "w") as f:
        dset = f.create_dataset("data", shape=data.shape, dtype=data.dtype, chunks=(1, 3, 8, 8))
        for row in range(data.shape[0]):  # written row by row, as a detector would
            dset[row] = data[row]
    repo = Repository(RepositoryConfig.from_dict({"name": "t", "url": str(tmp_path)}))
    with open_dataset(repo, "rows.h5") as ds:
        spans = ds.reader.frame_spans()
        assert len(spans) > 1, "HDF5 put index nodes between chunks; the test needs such gaps"
        parts = dataset_partitions(ds, target_bytes=ds.frame_nbytes * 97)
        for partition in parts:
            block = read_partition(ds, partition)
            assert np.shares_memory(block, ds.reader.source.memmap()), "a copy was made"
            np.testing.assert_array_equal(block, data.reshape(-1, 8, 8)[partition.start:partition.stop])
        assert parts[-1].stop == ds.n_frames
