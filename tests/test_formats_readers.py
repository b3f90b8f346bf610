"""Readers agree with numpy on awkward layouts: edge chunks, unwritten chunks, filters,
byte order, any dimensionality, local and remote."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import zarr
from _data import local_repository, memory_repository

from jupyter_remotem.formats import list_arrays, open_dataset
from jupyter_remotem.formats.readers import ChunkTableReader, H5pyReader, OffsetReader


def selections(shape):
    """Slices with steps of both signs, ints, ellipsis and a single element, valid for ``shape``."""
    ndim = len(shape)
    chosen = [(slice(None),), (Ellipsis, shape[-1] // 2), tuple(n - 1 for n in shape)]
    chosen.append((slice(None, None, -2),) + tuple(slice(1, n, 3) for n in shape[1:]))
    if ndim >= 2:
        chosen.append((shape[0] // 2, slice(None, None, -3)) + tuple(slice(n // 3, n) for n in shape[2:]))
    return chosen


def both(tmp_path, name):
    """The same file in a local and in a memory repository."""
    remote = memory_repository()
    remote.fs.pipe(remote.full_path(name), (tmp_path / name).read_bytes())
    return [local_repository(tmp_path), remote]


def check_against(ds, truth):
    for selection in selections(truth.shape):
        np.testing.assert_array_equal(ds.read(selection), truth[selection], err_msg=str(selection))
    frames = truth.reshape((-1,) + truth.shape[ds.nav_ndim :])
    picks = np.array([len(frames) - 1, 0, len(frames) // 2, min(1, len(frames) - 1), len(frames) - 1])
    np.testing.assert_array_equal(ds.read_frames(picks), frames[picks])
    run = np.arange(len(frames))[len(frames) // 3 : len(frames) // 3 + 13]  # crosses rows and chunks
    np.testing.assert_array_equal(ds.read_frames(run), frames[run])
    np.testing.assert_array_equal(ds.read_frames(run[::-1]), frames[run[::-1]])
    np.testing.assert_array_equal(ds.to_dask().compute(), truth)


def test_chunks_that_split_frames_and_overhang_edges(tmp_path):
    truth = np.arange(7 * 11 * 9 * 13, dtype="<i4").reshape(7, 11, 9, 13)
    with h5py.File(tmp_path / "odd.h5", "w") as f:
        f.create_dataset("data", data=truth, chunks=(3, 5, 4, 6))
    for repository in both(tmp_path, "odd.h5"):
        with open_dataset(repository, "odd.h5") as ds:
            assert isinstance(ds.reader, ChunkTableReader)
            check_against(ds, truth)


def test_unwritten_chunks_read_as_the_fill_value(tmp_path):
    truth = np.full((6, 4, 5, 5), 7.5, dtype="<f4")
    truth[:3] = np.arange(3 * 4 * 25, dtype="<f4").reshape(3, 4, 5, 5)
    with h5py.File(tmp_path / "sparse.h5", "w") as f:
        dset = f.create_dataset("data", shape=truth.shape, dtype="<f4", chunks=(1, 4, 5, 5), fillvalue=7.5)
        dset[:3] = truth[:3]
    for repository in both(tmp_path, "sparse.h5"):
        with open_dataset(repository, "sparse.h5") as ds:
            assert isinstance(ds.reader, ChunkTableReader)
            check_against(ds, truth)


def test_compressed_hdf5_goes_through_h5py(tmp_path):
    truth = np.random.default_rng(3).poisson(5, (5, 6, 8, 8)).astype("<u2")
    with h5py.File(tmp_path / "gz.h5", "w") as f:
        f.create_dataset("entry/data", data=truth, chunks=(1, 6, 8, 8), compression="gzip", shuffle=True)
    assert list_arrays(local_repository(tmp_path), "gz.h5")[0]["compression"] == "shuffle+gzip"
    for repository in both(tmp_path, "gz.h5"):
        with open_dataset(repository, "gz.h5") as ds:
            assert isinstance(ds.reader, H5pyReader)
            check_against(ds, truth)


def test_big_endian_data_is_returned_in_native_order(tmp_path):
    truth = np.arange(4 * 5 * 6 * 7, dtype=">f8").reshape(4, 5, 6, 7)
    with h5py.File(tmp_path / "be.h5", "w") as f:
        f.create_dataset("data", data=truth)
    np.save(tmp_path / "be.npy", truth)
    for name in ["be.h5", "be.npy"]:
        for repository in both(tmp_path, name):
            with open_dataset(repository, name) as ds:
                assert isinstance(ds.reader, OffsetReader)
                assert ds.dtype == np.dtype("<f8") and ds.read((0,)).dtype.isnative
                check_against(ds, truth.astype("<f8"))


@pytest.mark.parametrize(
    "shape,nav_ndim",
    [((50,), 0), ((9, 10), 0), ((4, 9, 10), 1), ((2, 3, 4, 9, 10), 3)],
)
def test_navigation_and_signal_split_by_dimension(tmp_path, shape, nav_ndim):
    truth = np.arange(int(np.prod(shape)), dtype="<u2").reshape(shape)
    np.save(tmp_path / "a.npy", truth)
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f.create_dataset("data", data=truth)
    for name in ["a.npy", "a.h5"]:
        for repository in both(tmp_path, name):
            with open_dataset(repository, name) as ds:
                assert ds.nav_ndim == nav_ndim
                assert ds.sig_shape == shape[nav_ndim:]
                assert [a.navigate for a in ds.axes] == [True] * nav_ndim + [False] * (len(shape) - nav_ndim)
                check_against(ds, truth)


def test_hdf5_attribute_convention_sets_calibration_and_split(tmp_path):
    with h5py.File(tmp_path / "cal.h5", "w") as f:
        f.attrs["facility"] = "ER-C"
        dset = f.create_dataset("entry/stack", data=np.zeros((3, 4, 5), dtype="<f4"))
        dset.attrs.update(
            {
                "axis_names": ["energy", "y", "x"],
                "axis_units": ["eV", "nm", "nm"],
                "axis_scales": [0.5, 2.0, 2.0],
                "axis_offsets": [100.0, 0.0, 0.0],
                "nav_ndim": 2,
            }
        )
    with open_dataset(local_repository(tmp_path), "cal.h5") as ds:
        assert ds.nav_ndim == 2 and ds.sig_shape == (5,)
        assert [(a.name, a.units, a.scale, a.offset) for a in ds.axes] == [
            ("energy", "eV", 0.5, 100.0),
            ("y", "nm", 2.0, 0.0),
            ("x", "nm", 2.0, 0.0),
        ]
        assert ds.metadata["hdf5_attributes"]["/"] == {"facility": "ER-C"}


def test_default_hdf5_array_is_the_largest_with_two_dimensions_first_by_name_on_ties(tmp_path):
    with h5py.File(tmp_path / "many.h5", "w") as f:
        f.create_dataset("a_long_1d", data=np.zeros(10_000))
        f.create_dataset("b/image", data=np.zeros((10, 10)))
        f.create_dataset("c/image", data=np.zeros((10, 10)))
        f.create_dataset("text", data="hello")
    repository = local_repository(tmp_path)
    with open_dataset(repository, "many.h5") as ds:
        assert ds.internal_path == "/b/image"
    assert [a["path"] for a in list_arrays(repository, "many.h5")] == ["/a_long_1d", "/b/image", "/c/image"]


def test_zarr_group_and_plain_array_work_remotely(tmp_path):
    truth = np.arange(6 * 5 * 4 * 3, dtype="<f4").reshape(6, 5, 4, 3)
    group = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    group.create_dataset("deep/data", data=truth, chunks=(4, 2, 4, 3))
    zarr.save_array(str(tmp_path / "plain.zarr"), truth[0])
    remote = memory_repository()
    for name in ["g.zarr", "plain.zarr"]:
        remote.fs.put(str(tmp_path / name), remote.full_path(name), recursive=True)
    for repository in [local_repository(tmp_path), remote]:
        with open_dataset(repository, "g.zarr") as ds:
            assert ds.internal_path == "/deep/data" and ds.chunks == (4, 2, 4, 3)
            check_against(ds, truth)
        with pytest.raises(Exception) as error:
            open_dataset(repository, "g.zarr", "/deep")
        assert error.value.status == 400
        with open_dataset(repository, "plain.zarr") as ds:
            check_against(ds, truth[0])
