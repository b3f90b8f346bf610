"""Every demo format opens lazily with the right geometry, calibration and values, from a
local folder and through fsspec byte ranges (an in-memory filesystem standing in for S3)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from _data import demo_dir, demo_memory_repository, demo_truth, local_repository

from jupyter_remotem import demo
from jupyter_remotem.formats import list_arrays, open_dataset
from jupyter_remotem.formats.readers import ChunkTableReader, OffsetReader, ZarrReader

SPEC = demo.SIZES["small"]
FORMATS = {
    # file: (format key, reader class, calibrated?)
    "scan.h5": ("hdf5", ChunkTableReader, True),
    "scan_contiguous.h5": ("hdf5", OffsetReader, True),
    "scan.npy": ("npy", OffsetReader, False),
    "scan.raw": ("raw", OffsetReader, True),
    "scan.zarr": ("zarr", ZarrReader, True),
    "scan.hspy": ("hspy", ChunkTableReader, True),
    "scan.zspy": ("zspy", ZarrReader, True),
    "scan.mib": ("mib", OffsetReader, False),
    "scan.blo": ("blo", OffsetReader, True),
    "scan.dm4": ("dm", OffsetReader, True),
}


def expected(name: str) -> np.ndarray:
    truth = demo_truth()
    return demo.to_uint8(truth) if name.endswith(".blo") else truth


CASES = [(name, where) for name in FORMATS for where in ("local", "memory")]


def opened(name: str, where: str):
    repository = local_repository(demo_dir()) if where == "local" else demo_memory_repository()
    return open_dataset(repository, name)


@pytest.mark.parametrize("name,where", CASES)
def test_demo_file_opens_with_scan_geometry(name, where):
    fmt, reader_class, _ = FORMATS[name]
    with opened(name, where) as ds:
        assert ds.format == fmt
        assert isinstance(ds.reader, reader_class)
        assert ds.shape == SPEC.shape
        assert ds.nav_shape == SPEC.scan_shape and ds.sig_shape == SPEC.frame_shape
        assert ds.dtype == (np.uint8 if name.endswith(".blo") else np.uint16)
        assert ds.dtype.isnative
        assert [axis.navigate for axis in ds.axes] == [True, True, False, False]
        assert [axis.size for axis in ds.axes] == list(SPEC.shape)
        json.dumps(ds.describe())


@pytest.mark.parametrize("name,where", CASES)
def test_slices_match_the_generator(name, where):
    truth = expected(name)
    with opened(name, where) as ds:
        for selection in [
            (5, 7),
            (slice(2, 9, 3), slice(None, None, -5)),
            (slice(None), 11, slice(10, 50, 7), slice(63, 0, -9)),
            (Ellipsis, 32, 31),
            (-1, slice(-3, None), slice(0, 64, 2)),
        ]:
            np.testing.assert_array_equal(ds.read(selection), truth[selection], err_msg=str(selection))


@pytest.mark.parametrize("name,where", CASES)
def test_scattered_frames_match_the_generator(name, where):
    truth = expected(name).reshape((-1,) + SPEC.frame_shape)
    indices = np.array([1535, 0, 47, 48, 700, 700, 3, 1200, 49])
    with opened(name, where) as ds:
        np.testing.assert_array_equal(ds.read_frames(indices), truth[indices])
        assert ds.read_frames(np.array([], dtype=np.int64)).shape == (0,) + SPEC.frame_shape


@pytest.mark.parametrize("name,where", CASES)
def test_dask_array_computes_the_whole_scan(name, where):
    with opened(name, where) as ds:
        array = ds.to_dask()
        assert array.shape == SPEC.shape
        np.testing.assert_array_equal(array.compute(scheduler="threads"), expected(name))


def test_calibrations_come_from_each_format():
    repository = local_repository(demo_dir())
    for name in ["scan.h5", "scan.raw", "scan.zarr", "scan.hspy", "scan.zspy", "scan.dm4"]:
        with open_dataset(repository, name) as ds:
            scales = [round(axis.scale, 4) for axis in ds.axes]
            units = [axis.units for axis in ds.axes]
            assert scales == [0.4, 0.4, 0.25, 0.25], name
            assert units == ["nm", "nm", "mrad", "mrad"], name
            assert ds.axes[3].offset == pytest.approx(-8.0), name
    with open_dataset(repository, "scan.blo") as ds:
        assert [axis.units for axis in ds.axes] == ["nm", "nm", "cm", "cm"]
        assert ds.axes[0].scale == pytest.approx(0.4)
    with open_dataset(repository, "scan.npy") as ds:
        assert {axis.units for axis in ds.axes} == {"px"}


def test_metadata_is_application_level_and_json_ready():
    repository = local_repository(demo_dir())
    with open_dataset(repository, "scan.h5") as ds:
        attributes = ds.metadata["hdf5_attributes"]
        assert attributes["/entry/data/frames"]["beam_energy_keV"] == 200.0
        assert attributes["/entry"]["NX_class"] == "NXentry"
        assert ds.internal_path == "/entry/data/frames"
    with open_dataset(repository, "scan.hspy") as ds:
        tem = ds.metadata["metadata"]["Acquisition_instrument"]["TEM"]
        assert tem["beam_energy"] == 200.0
    with open_dataset(repository, "scan.mib") as ds:
        header = ds.metadata["mib_header"]
        assert header["pixel_depth"] == "U16" and header["width"] == "0064"
        assert header["exposure_ns"] == "1000000"
    with open_dataset(repository, "scan.dm4") as ds:
        microscope = ds.metadata["image_tags"]["Microscope Info"]
        assert microscope["Voltage"] == 200000.0
        assert microscope["STEM Camera Length"] == pytest.approx(120.0)
        # DM stores no axis names: they follow the roles (rsciio would call a scan axis "z").
        assert [axis.name for axis in ds.axes] == ["scan_y", "scan_x", "ky", "kx"]
        assert [axis.units for axis in ds.axes] == ["nm", "nm", "mrad", "mrad"]
    with open_dataset(repository, "scan.raw") as ds:
        assert ds.metadata["raw"]["beam_energy_keV"] == 200.0
    with open_dataset(repository, "scan.blo") as ds:
        assert ds.metadata["blockfile_header"]["NX"] == 48
    for name in FORMATS:
        with open_dataset(repository, name) as ds:
            json.dumps(ds.metadata)


def test_hdf5_lists_arrays_and_opens_the_largest_by_default():
    repository = local_repository(demo_dir())
    arrays = list_arrays(repository, "scan.h5")
    assert [a["path"] for a in arrays] == ["/entry/data/bright_field", "/entry/data/frames"]
    frames = arrays[1]
    assert frames == {
        "path": "/entry/data/frames",
        "shape": list(SPEC.shape),
        "dtype": "<u2",
        "chunks": [1, 48, 64, 64],
        "compression": None,
    }
    with open_dataset(repository, "scan.h5", "/entry/data/bright_field") as ds:
        assert ds.shape == SPEC.scan_shape and ds.nav_ndim == 0


def test_zarr_lists_compression_and_single_formats_list_one_array():
    repository = local_repository(demo_dir())
    (zarr_array,) = list_arrays(repository, "scan.zarr")
    assert zarr_array["path"] == "/frames" and zarr_array["compression"].startswith("blosc")
    for name in ["scan.npy", "scan.raw", "scan.mib", "scan.dm4", "scan.blo"]:
        (only,) = list_arrays(repository, name)
        assert only["path"] == "/" and only["shape"] == list(SPEC.shape)
    (hspy,) = list_arrays(repository, "scan.hspy")
    assert hspy["path"].startswith("/Experiments/") and hspy["path"].endswith("/data")


def test_readers_survive_pickling_for_dask_workers():
    repository = local_repository(demo_dir())
    truth = demo_truth()
    for name in ["scan.h5", "scan_contiguous.h5", "scan.zarr"]:
        with open_dataset(repository, name) as ds:
            ds.read((0, 0))
            clone = pickle.loads(pickle.dumps(ds.reader))
            np.testing.assert_array_equal(clone.read((3, 4)), truth[3, 4])


def test_reads_from_many_threads_agree():
    from concurrent.futures import ThreadPoolExecutor

    truth = demo_truth().reshape((-1,) + SPEC.frame_shape)
    for name in ["scan.h5", "scan.zarr"]:
        with opened(name, "memory") as ds:
            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(lambda i: ds.read_frames(np.array([i, 1535 - i])), range(0, 1536, 97)))
            for i, frames in zip(range(0, 1536, 97), results):
                np.testing.assert_array_equal(frames, truth[[i, 1535 - i]])
