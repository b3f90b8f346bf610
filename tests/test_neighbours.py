"""``neighbour_correlation`` against a plain numpy loop over every scan position and its
neighbours: odd scans cut into partitions mid-row, 1-D and 3-D scans, NaN and constant frames,
an ROI, a step, the Dask cluster, and through REST and the client."""

from __future__ import annotations

import numpy as np
import pytest
from _client import client, in_thread, kernel_env, scan  # noqa: F401 - fixtures

import jupyter_remotem as remotem
from jupyter_remotem.compute.executor import DatasetRef, run_plan
from jupyter_remotem.compute.operations import OPERATIONS
from jupyter_remotem.compute.partitions import make_partitions
from jupyter_remotem.compute.reductions import reduce_array
from jupyter_remotem.compute.roi import roi_indices
from jupyter_remotem.formats import open_dataset
from jupyter_remotem.formats.memory import array_dataset
from jupyter_remotem.storage.repository import Repository, RepositoryConfig


def reference(frames: np.ndarray, nav_ndim: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean correlation (np.corrcoef) and RMS difference with the 4 (or 2) neighbours, by loops."""
    nav = frames.shape[:nav_ndim]
    pixels = int(np.prod(frames.shape[nav_ndim:]))
    grid = frames.reshape((-1,) + nav[-2:] + (pixels,)) if nav_ndim >= 2 else frames.reshape(1, 1, nav[0], pixels)
    correlation = np.full(grid.shape[:3], np.nan)
    difference = np.full(grid.shape[:3], np.nan)
    planes, height, width = grid.shape[:3]
    for p in range(planes):
        for y in range(height):
            for x in range(width):
                here = grid[p, y, x].astype(np.float64)
                if not np.isfinite(here).all():
                    continue
                rs, ds = [], []
                for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0)):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < height and 0 <= nx < width:
                        there = grid[p, ny, nx].astype(np.float64)
                        if not np.isfinite(there).all():
                            continue
                        ds.append(np.sqrt(np.mean((here - there) ** 2)))
                        if here.std() > 0 and there.std() > 0:
                            rs.append(np.corrcoef(here, there)[0, 1])
                correlation[p, y, x] = np.mean(rs) if rs else np.nan
                difference[p, y, x] = np.mean(ds) if ds else np.nan
    return correlation.reshape(nav), difference.reshape(nav)


def grains(nav: tuple[int, ...], sig: tuple[int, int], seed: int) -> np.ndarray:
    """Two grains (left and right of a slanted boundary), each its own pattern, plus noise."""
    rng = np.random.default_rng(seed)
    patterns = rng.gamma(2.0, 10.0, (2,) + sig)
    yy, xx = np.indices(nav[-2:]) if len(nav) >= 2 else (np.zeros(nav, int), np.arange(nav[0]))
    which = (xx + 0.4 * yy > nav[-1] / 2).astype(int)
    frames = patterns[np.broadcast_to(which, nav)] + rng.normal(0, 3, nav + sig)
    return frames.astype(np.float32)


def run(frames, nav_ndim, per_partition, roi=None):
    dataset = array_dataset(frames, nav_ndim)
    plan = OPERATIONS["neighbour_correlation"].plan_for(dataset, {})
    visited = roi_indices(roi, dataset.nav_shape)
    parts = make_partitions(dataset.n_frames, dataset.frame_nbytes, visited,
                            target_bytes=per_partition * dataset.frame_nbytes)
    return run_plan(dataset, plan, parts, visited), len(parts)


@pytest.mark.parametrize(("nav", "sig", "per_partition"), [
    ((7, 9), (5, 6), 4),  # partitions cut mid-row, shorter than a row
    ((6, 5), (8, 8), 13),
    ((23,), (4, 7), 5),  # a line scan: the frames before and after
    ((2, 3, 4), (3, 3), 5),  # a stack of scans: neighbours within each plane
    ((1, 1), (6, 6), 1),  # one frame, no neighbour
])
def test_the_maps_are_numpys_over_any_partitions(nav, sig, per_partition):
    frames = grains(nav, sig, seed=len(nav) + sig[0])
    result, parts = run(frames, len(nav), per_partition)
    assert parts >= 1
    correlation, difference = reference(frames, len(nav))
    np.testing.assert_allclose(result.arrays["correlation"], correlation, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.arrays["difference"], difference, rtol=1e-5)


def test_the_boundary_between_grains_stands_out():
    frames = grains((16, 20), (12, 12), seed=3)
    result = reduce_array(frames, "neighbour_correlation", {}, nav_ndim=2)
    correlation = result.arrays["correlation"]
    yy, xx = np.indices((16, 20))
    side = xx + 0.4 * yy > 10
    boundary = np.zeros_like(side)
    boundary[:, 1:] |= side[:, 1:] != side[:, :-1]
    boundary[:, :-1] |= side[:, 1:] != side[:, :-1]
    assert correlation[~boundary].min() > correlation[boundary].max()


def test_nan_constant_and_integer_frames():
    frames = grains((5, 6), (6, 6), seed=9).astype(np.uint16)
    frames = frames.astype(np.float64)
    frames[2, 3, 1, 1] = np.nan
    frames[4, 0] = 7.0  # constant: no correlation, but a difference
    result, _ = run(frames, 2, 7)
    correlation, difference = reference(frames, 2)
    assert np.isnan(result.arrays["correlation"][2, 3]) and np.isnan(result.arrays["difference"][2, 3])
    assert np.isnan(result.arrays["correlation"][4, 0]) and np.isfinite(result.arrays["difference"][4, 0])
    np.testing.assert_allclose(result.arrays["correlation"], correlation, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.arrays["difference"], difference, rtol=1e-5)
    wide = np.full((3, 4, 2, 2), np.iinfo(np.uint16).max, np.uint16)
    wide[1, 1] = 0
    assert np.isfinite(reduce_array(wide, "neighbour_correlation", {}, nav_ndim=2).arrays["difference"]).all()


def test_an_roi_answers_only_its_positions_comparing_them_with_every_neighbour():
    frames = grains((8, 9), (5, 5), seed=4)
    roi = {"shape": "rectangle", "x": 2, "y": 1, "width": 4, "height": 3}
    result, _ = run(frames, 2, 5, roi)
    correlation, _ = reference(frames, 2)
    inside = np.zeros(72, bool)
    inside[roi_indices(roi, (8, 9))] = True
    inside = inside.reshape(8, 9)
    np.testing.assert_allclose(result.arrays["correlation"][inside], correlation[inside], rtol=1e-5, atol=1e-6)
    assert np.isnan(result.arrays["correlation"][~inside]).all()
    empty, _ = run(frames, 2, 5, {"shape": "rectangle", "x": 50, "y": 50, "width": 1, "height": 1})
    assert np.isnan(empty.arrays["correlation"]).all()


def test_on_the_cluster_as_inline(demo_dir):
    from distributed import Client, LocalCluster

    repository = Repository(RepositoryConfig.from_dict({"name": "demo", "url": str(demo_dir)}))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as cluster_client, open_dataset(repository, "scan.h5") as ds:
        plan = OPERATIONS["neighbour_correlation"].plan_for(ds, {})
        parts = make_partitions(ds.n_frames, ds.frame_nbytes, target_bytes=ds.frame_nbytes * 70)
        assert len(parts) > 3
        inline = run_plan(ds, plan, parts)
        distributed = run_plan(ds, plan, parts, client=cluster_client, ref=DatasetRef(repository.config, "scan.h5"))
        for name in ("correlation", "difference"):
            np.testing.assert_array_equal(distributed.arrays[name], inline.arrays[name])


async def test_through_rest_and_the_client_remotely_and_locally(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    remote = await in_thread(ds.neighbour_correlation, field=None)
    correlation, difference = reference(scan, 2)
    np.testing.assert_allclose(remote["correlation"], correlation, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(remote["difference"], difference, rtol=1e-5)
    local = remotem.local(scan).neighbour_correlation(field=None)
    np.testing.assert_allclose(local["correlation"], remote["correlation"], rtol=1e-6)
    stepped = await in_thread(ds.neighbour_correlation, step=2)
    expected, _ = reference(scan[::2, ::2], 2)
    np.testing.assert_allclose(stepped, expected, rtol=1e-5, atol=1e-6)
