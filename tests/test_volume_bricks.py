"""Volume bricks, refined boxes and planes, checked against plain numpy on random and odd data.

The readers are the real format openers over real files; the references below compute the same
block means and block modes the obvious way (pad, reshape, nanmean; count per block).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from _data import local_repository

from jupyter_remotem.compute import volume
from jupyter_remotem.datasets import types
from jupyter_remotem.errors import BadParameter, TooLarge
from jupyter_remotem.kernels import blocks
from jupyter_remotem.formats import open_dataset

RNG = np.random.default_rng(7)


def reference_mean(data: np.ndarray, factors: tuple[int, int, int]) -> np.ndarray:
    """Block means with NaN ignored: pad with NaN to whole blocks, reshape, nanmean."""
    padded_shape = [math.ceil(n / f) * f for n, f in zip(data.shape, factors)]
    padded = np.full(padded_shape, np.nan)
    padded[tuple(slice(0, n) for n in data.shape)] = data
    (bz, by, bx), (fz, fy, fx) = [n // f for n, f in zip(padded_shape, factors)], factors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "mean of empty slice" for an all-NaN block
        return np.nanmean(padded.reshape(bz, fz, by, fy, bx, fx), axis=(1, 3, 5))


def reference_mode(data: np.ndarray, factors: tuple[int, int, int]) -> np.ndarray:
    """The most frequent label of every block, the smallest on a tie, counted block by block."""
    out_shape = [math.ceil(n / f) for n, f in zip(data.shape, factors)]
    out = np.zeros(out_shape, dtype=data.dtype)
    for index in np.ndindex(*out_shape):
        block = data[tuple(slice(i * f, (i + 1) * f) for i, f in zip(index, factors))]
        values, counts = np.unique(block, return_counts=True)
        out[index] = values[np.argmax(counts)]
    return out


def blobs(shape: tuple[int, int, int], n_labels: int, seed: int) -> np.ndarray:
    """Integer labels in compact regions (nearest of random seeds), as a segmentation looks."""
    rng = np.random.default_rng(seed)
    seeds = rng.uniform(0, 1, (n_labels, 3)) * np.array(shape)
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1)
    distance = ((grid[..., None, :] - seeds) ** 2).sum(axis=-1)
    return (np.argmin(distance, axis=-1) * 7 + 3).astype(np.int32)  # labels 3, 10, 17...: not 0..n


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    root = tmp_path_factory.mktemp("volumes")
    arrays = {
        "odd.npy": RNG.normal(size=(13, 17, 19)).astype(np.float32),
        "cube.npy": RNG.uniform(0, 1000, size=(32, 32, 32)).astype(np.float64),
        "u16.npy": RNG.integers(0, 65535, size=(9, 31, 10), dtype=np.uint16),
        "labels.npy": blobs((21, 26, 23), 9, seed=3),
        "bool.npy": RNG.uniform(size=(11, 7, 9)) > 0.6,
        "plane.npy": RNG.normal(size=(5, 6)).astype(np.float32),
    }
    nan = RNG.normal(size=(12, 10, 14))
    nan[RNG.uniform(size=nan.shape) < 0.3] = np.nan
    nan[:4, :5, :7] = np.nan  # a whole block of NaN
    arrays["nan.npy"] = nan
    for name, array in arrays.items():
        np.save(root / name, array)
    import h5py

    with h5py.File(root / "chunked.h5", "w") as f:
        f.create_dataset("labels", data=arrays["labels.npy"].astype(np.uint16), chunks=(5, 8, 8))
    arrays["chunked.h5"] = arrays["labels.npy"].astype(np.uint16)
    return root, arrays


def brick(root: Path, name: str, tile_voxels: int = volume.TILE_VOXELS,
          **request) -> tuple[np.ndarray, volume.BrickPlan]:
    with open_dataset(local_repository(root), name) as ds:
        plan = volume.plan_brick(ds, volume.BrickRequest(**request))
        return volume.read_brick(ds, plan, tile_voxels=tile_voxels), plan


@pytest.mark.parametrize("factors", ["1", "2", "3", "2,3,4", "5,1,7", "13,17,19", "20"])
@pytest.mark.parametrize("tile_voxels", [volume.TILE_VOXELS, 50, 7])
def test_block_means_match_numpy_on_odd_shapes_whatever_the_tiling(volumes, factors, tile_voxels):
    root, arrays = volumes
    got, plan = brick(root, "odd.npy", tile_voxels=tile_voxels, factors=factors)
    steps = volume.sample_steps(plan.factors, tile_voxels)  # a block larger than a tile is sampled
    assert steps == (1, 1, 1) or math.prod(plan.factors) > tile_voxels
    sampled = arrays["odd.npy"][::steps[0], ::steps[1], ::steps[2]].astype(np.float64)
    expected = reference_mean(sampled, tuple(f // s for f, s in zip(plan.factors, steps)))
    assert got.dtype == np.float32 and got.shape == expected.shape == plan.brick_shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_nan_voxels_are_left_out_of_means_and_an_all_nan_block_stays_nan(volumes):
    root, arrays = volumes
    got, plan = brick(root, "nan.npy", factors="4,5,7", tile_voxels=150)  # one block a tile
    expected = reference_mean(arrays["nan.npy"], plan.factors)
    assert np.isnan(got[0, 0, 0])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got[~np.isnan(got)], expected[~np.isnan(expected)], rtol=1e-5)


@pytest.mark.parametrize("name", ["labels.npy", "chunked.h5"])
@pytest.mark.parametrize("factors", ["2", "3,4,5", "7", "21,26,23"])
@pytest.mark.parametrize("tile_voxels", [volume.TILE_VOXELS, 300])
def test_label_bricks_are_block_modes_never_averages(volumes, name, factors, tile_voxels):
    root, arrays = volumes
    data = arrays[name]
    got, plan = brick(root, name, labels=True, factors=factors, tile_voxels=tile_voxels)
    assert got.dtype == data.dtype
    steps = volume.sample_steps(plan.factors, tile_voxels)  # a block larger than a tile is sampled
    sampled = data[::steps[0], ::steps[1], ::steps[2]]
    np.testing.assert_array_equal(got, reference_mode(sampled, tuple(f // s for f, s in zip(plan.factors, steps))))
    assert set(np.unique(got)) <= set(np.unique(data))  # no label is invented
    mean, _ = brick(root, name, factors=factors)
    assert not set(np.unique(mean)) <= set(np.unique(data).astype(np.float32))  # a mean would invent some


def test_ties_go_to_the_smallest_label_and_bool_volumes_come_as_uint8(volumes):
    root, arrays = volumes
    got, plan = brick(root, "bool.npy", labels=True, factors="2")
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, reference_mode(arrays["bool.npy"], plan.factors).astype(np.uint8))
    tie = np.zeros((2, 2, 2), dtype=np.int16)
    tie[0] = 9
    tie[1] = 4  # four of each
    np.save(root / "tie.npy", tie)
    assert brick(root, "tie.npy", labels=True, factors="2")[0].item() == 4


def test_the_budget_chooses_factors_that_fit_and_keep_thin_axes(volumes):
    root, arrays = volumes
    got, plan = brick(root, "cube.npy", budget=4096)
    assert plan.factors == (2, 2, 2) and got.shape == (16, 16, 16)
    assert volume.fit_factors((10, 2000, 2000), 2_000_000) == (1, 5, 5)  # a thin slab keeps its z
    assert volume.fit_factors((96, 128, 128), 64**3) == (2, 2, 2)
    for extent in [(13, 17, 19), (1, 1, 500), (300, 301, 302)]:
        for budget in (1, 7, 1000, volume.MAX_BUDGET):
            factors = volume.fit_factors(extent, budget)
            assert math.prod(math.ceil(n / f) for n, f in zip(extent, factors)) <= budget
    assert np.ptp(volume.fit_factors((300, 301, 302), 128**3)) <= 1  # a cube keeps (nearly) cubic blocks


def test_a_box_comes_at_a_finer_level_and_matches_the_same_part_of_the_array(volumes):
    root, arrays = volumes
    data = arrays["cube.npy"]
    whole, whole_plan = brick(root, "cube.npy", budget=512)
    part, plan = brick(root, "cube.npy", budget=512, box="8:24,0:16,5:21")
    assert max(plan.factors) < max(whole_plan.factors)
    np.testing.assert_allclose(part, reference_mean(data[8:24, 0:16, 5:21], plan.factors), rtol=1e-6)
    labels, plan = brick(root, "labels.npy", labels=True, box="3:20,:,4:", factors="2")
    np.testing.assert_array_equal(labels, reference_mode(arrays["labels.npy"][3:20, :, 4:], (2, 2, 2)))


def test_big_blocks_are_read_on_a_sub_grid_within_the_tile_bound(volumes):
    root, arrays = volumes
    reads: list[int] = []
    with open_dataset(local_repository(root), "cube.npy") as ds:
        original = ds.reader.read

        def counted(selection):
            values = original(selection)
            reads.append(values.size)
            return values

        ds.reader.read = counted  # the real reader, with its reads counted
        plan = volume.plan_brick(ds, volume.BrickRequest(factors="16"))
        got = volume.read_brick(ds, plan, tile_voxels=64)
    assert len(reads) == 8 and max(reads) == 64  # each 16³ block alone, read every 4th voxel (4³)
    sampled = arrays["cube.npy"][::4, ::4, ::4]
    np.testing.assert_allclose(got, reference_mean(sampled, (4, 4, 4)), rtol=1e-6)


def test_a_box_beyond_the_read_bound_is_reduced_from_a_regular_sub_grid(volumes):
    root, arrays = volumes
    data = arrays["cube.npy"]
    with open_dataset(local_repository(root), "cube.npy") as ds:
        plan = volume.plan_brick(ds, volume.BrickRequest(factors="4"))
        assert volume.brick_steps(plan, read_voxels=data.size) == (1, 1, 1)
        assert volume.brick_steps(plan, read_voxels=data.size // 8) == (2, 2, 2)
        got = volume.read_brick(ds, plan, read_voxels=data.size // 8)
        np.testing.assert_allclose(got, reference_mean(data[::2, ::2, ::2], (2, 2, 2)), rtol=1e-6)
        # a prime block size has no step between: each block is then its first voxel
        plan = volume.plan_brick(ds, volume.BrickRequest(factors="5,4,4"))
        assert volume.brick_steps(plan, read_voxels=data.size // 8) == (5, 2, 2)


@pytest.mark.parametrize("axis", ["z", "y", "x"])
def test_planes_are_full_resolution_numpy_slices(volumes, axis):
    root, arrays = volumes
    data = arrays["u16.npy"]
    position = "zyx".index(axis)
    with open_dataset(local_repository(root), "u16.npy") as ds:
        for index in (0, data.shape[position] // 2, data.shape[position] - 1):
            plane = volume.read_plane(ds, axis, index, max_bytes=10**6)
            np.testing.assert_array_equal(plane, np.take(data, index, axis=position))
            assert plane.dtype == np.uint16
        with pytest.raises(BadParameter, match="outside 0 to"):
            volume.read_plane(ds, axis, data.shape[position], max_bytes=10**6)
        with pytest.raises(TooLarge):
            volume.read_plane(ds, axis, 0, max_bytes=10)


@pytest.mark.parametrize(
    ("name", "request_", "message"),
    [
        ("plane.npy", {}, "dimension"),
        ("odd.npy", {"box": "0:5,0:5"}, "one range per axis"),
        ("odd.npy", {"box": "5:5,:,:"}, "empty"),
        ("odd.npy", {"box": "0:14,:,:"}, "outside"),
        ("odd.npy", {"box": "a:b,:,:"}, "whole numbers"),
        ("odd.npy", {"factors": "0"}, "at least 1"),
        ("odd.npy", {"factors": "1", "budget": 100}, "at most 100"),
        ("odd.npy", {"budget": volume.MAX_BUDGET + 1}, "outside 1 to"),
        ("odd.npy", {"labels": True}, "integer labels"),
    ],
)
def test_bad_requests_are_refused_before_reading(volumes, name, request_, message):
    root, _ = volumes
    with open_dataset(local_repository(root), name) as ds:
        with pytest.raises(BadParameter, match=message):
            volume.plan_brick(ds, volume.BrickRequest(**request_))


def test_demo_volume_and_segmentation_are_recognised_as_their_types(tmp_path):
    from jupyter_remotem import demo_volume
    from jupyter_remotem.demo import generate

    generate(tmp_path)
    repo = local_repository(tmp_path)
    folder = {entry.path: entry for entry in repo.list("tomo")}
    kinds = {path: types.guess(types.facts_of(repo, entry)).name for path, entry in folder.items()}
    assert kinds == {demo_volume.RECONSTRUCTION: "volume", demo_volume.SEGMENTATION: "label-volume"}
    scan = next(entry for entry in repo.list("") if entry.path == "virtual_images.tif")
    assert types.guess(types.facts_of(repo, scan)).name == "image-stack"  # a stack of images stays one
    labels = demo_volume.segmentation()
    assert labels.dtype == np.uint8 and set(np.unique(labels)) == set(range(demo_volume.FIRST_PARTICLE
                                                                           + demo_volume.PARTICLES))


# Counted by sorting, or in a table of the numbered labels (the narrow-range table serves the tests above).
@pytest.mark.parametrize("cells", [0, 5_000, blocks.DENSE_MODE_CELLS])
def test_every_way_of_counting_labels_gives_the_same_modes(volumes, monkeypatch, cells):
    root, arrays = volumes
    wide = (arrays["labels.npy"].astype(np.int64) - 30) * 100_003  # negative and far apart
    np.save(root / "wide.npy", wide)
    monkeypatch.setattr(blocks, "DENSE_MODE_CELLS", cells)
    got, plan = brick(root, "wide.npy", labels=True, factors="3,2,4", tile_voxels=2_000)
    np.testing.assert_array_equal(got, reference_mode(wide, plan.factors))
    assert got.dtype == np.int64
