"""The notebook client against a real server: browsing, metadata, slices, dask, xarray, HyperSpy."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from _api import PNG_SIGNATURE, server_config
from _client import client, in_thread, kernel_env, scan  # noqa: F401 - fixtures

import jupyter_remotem as remotem
from jupyter_remotem.client import (
    BadRequest,
    NotFound,
    RemotemWarning,
    Unsupported,
)
from jupyter_remotem.client.slicing import normalise_key, pieces


async def test_repositories_list_what_the_user_may_read_with_speed_and_home(client, jp_root_dir):
    repositories = await in_thread(lambda: client.repositories)
    names = [r["name"] for r in repositories]
    assert "demo" in names and "broken" in names
    assert "private" not in names, "a group-only repository stays invisible"
    assert all("speed" in r for r in repositories)
    assert await in_thread(client.home_repository) == "notebooks"
    assert client.local_path("notebooks", "sub/x.npy") == jp_root_dir / "sub" / "x.npy"
    assert client.local_path("demo", "scan.npy") is None


async def test_ls_lists_a_folder_and_a_subfolder(client):
    entries = await in_thread(client.ls, "demo")
    by_name = {e["name"]: e for e in entries}
    assert by_name["scan.h5"]["type"] == "file" and by_name["scan.h5"]["format"] == "hdf5"
    assert by_name["notes"]["type"] == "directory"
    inner = await in_thread(client.ls, "demo", "notes")
    assert sorted(e["name"] for e in inner) == ["acquisition.md", "regions.csv", "todo.txt"]


async def test_open_reads_shape_dtype_axes_and_metadata(client):
    ds = await in_thread(client.open, "demo", "scan.h5")
    assert ds.shape == (32, 48, 64, 64) and ds.dtype == np.uint16
    assert ds.nav_shape == (32, 48) and ds.sig_shape == (64, 64)
    assert ds.dataset == "/entry/data/frames"
    assert [a.name for a in ds.axes] == ["scan_y", "scan_x", "ky", "kx"]
    assert (ds.axes[0].scale, ds.axes[0].units) == (0.4, "nm")
    assert (ds.axes[2].offset, ds.axes[2].units) == (-8.0, "mrad")
    assert ds.metadata["hdf5_attributes"]["/entry"]["title"] == "synthetic 4D-STEM scan"
    assert {a["path"] for a in ds.arrays} == {"/entry/data/frames", "/entry/data/bright_field"}
    assert "scan.h5" in repr(ds)


async def test_open_another_array_of_the_file(client, demo_dir):
    import h5py

    bf = await in_thread(client.open, "demo", "scan.h5", "/entry/data/bright_field")
    assert bf.shape == (32, 48)
    with h5py.File(demo_dir / "scan.h5") as f:
        expected = f["/entry/data/bright_field"][()]
    np.testing.assert_array_equal(await in_thread(lambda: bf[...]), expected)


SELECTIONS = [
    (slice(10, 20), 5),
    (3, 7),
    (-1, -48),
    (slice(None, None, -3), slice(5, None, 7), slice(None, None, 16), 0),
    (Ellipsis, slice(-10, None), slice(None, -50, -1)),
    (slice(31, None, -1), slice(0, 1), 2, Ellipsis),
    (slice(5, 5),),
    (Ellipsis, 3),
]


@pytest.mark.parametrize("path", ["scan.h5", "scan.npy", "scan.zarr"])
async def test_slices_equal_numpy_on_the_file(client, scan, path):
    ds = await in_thread(client.open, "demo", path)
    for key in SELECTIONS:
        got = await in_thread(ds.__getitem__, key)
        expected = scan[key]
        assert got.shape == expected.shape and got.dtype == expected.dtype, key
        np.testing.assert_array_equal(got, expected, err_msg=str(key))


async def test_large_slices_come_in_bounded_parallel_pieces(client, scan):
    client.thresholds.piece_bytes = 64 * 1024  # 8 frames per request
    ds = await in_thread(client.open, "demo", "scan.h5")
    await in_thread(lambda: client.repositories)
    before = client.connection.measurements.requests
    got = await in_thread(ds.__getitem__, (slice(2, 30, 3), slice(None, None, -1)))
    np.testing.assert_array_equal(got, scan[2:30:3, ::-1])
    assert client.connection.measurements.requests - before == 10 * 6, "10 rows × 48 frames in 8-frame pieces"
    assert client.connection.measurements.throughput_bytes_s is not None
    assert client.connection.measurements.latency_s is not None


def test_piece_plan_covers_the_output_exactly_once():
    items = normalise_key((slice(None, None, -1), slice(3, 40, 2)), (32, 48, 64, 64))
    plan = pieces(items, 2, 3 * 64 * 64 * 2)
    covered = np.zeros((32, 19), dtype=int)
    for piece in plan:
        covered[piece.target[:2]] += 1
        assert np.prod([len(i) for i in piece.items]) * 2 <= 3 * 64 * 64 * 2
    assert (covered == 1).all()


@pytest.mark.parametrize(
    ("key", "error", "numpy_agrees"),
    [((32,), IndexError, True), ((0, -49), IndexError, True), ((0, 0, 0, 0, 0), IndexError, True),
     ((Ellipsis, Ellipsis), IndexError, True), ((slice(None, None, 0),), ValueError, True),
     ((1.5,), TypeError, False), ((None,), TypeError, False), (([1, 2],), TypeError, False)],
)
async def test_bad_indices_fail_before_any_request(client, scan, key, error, numpy_agrees):
    ds = await in_thread(client.open, "demo", "scan.npy")
    before = client.connection.measurements.requests
    with pytest.raises(error):
        ds[key]
    assert client.connection.measurements.requests == before
    if numpy_agrees:
        with pytest.raises(error):
            scan[key]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, max_data_bytes=1024 * 1024)


async def test_pieces_shrink_to_the_servers_limit(client, scan):
    """The server serves at most 1 MB per answer here; the client learns that from its 413 and
    fetches the whole 12.6 MB scan in smaller pieces."""
    assert client.thresholds.piece_bytes > 1024 * 1024
    ds = await in_thread(client.open, "demo", "scan.npy")
    np.testing.assert_array_equal(await in_thread(ds.to_numpy), scan)
    assert client.thresholds.piece_bytes <= 1024 * 1024


async def test_large_transfers_warn(client, scan):
    client.thresholds.large_transfer_bytes = 1024 * 1024
    ds = await in_thread(client.open, "demo", "scan.h5")
    with pytest.warns(RemotemWarning, match=r"moves 1\.50 MiB"):
        got = await in_thread(ds.__getitem__, (slice(0, 4),))
    np.testing.assert_array_equal(got, scan[:4])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemotemWarning)
        await in_thread(ds.__getitem__, (0, 0))


async def test_to_dask_fetches_chunks_from_the_server(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    array = ds.to_dask(chunks=(5, 48, 64, 64))
    assert array.shape == scan.shape and array.dtype == scan.dtype
    assert array.numblocks == (7, 1, 1, 1)
    np.testing.assert_array_equal(await in_thread(array.compute), scan)
    total = await in_thread(lambda: array[:, :, 30:34, 30:34].sum(axis=(2, 3)).compute())
    np.testing.assert_array_equal(total, scan[:, :, 30:34, 30:34].sum(axis=(2, 3)))
    assert ds.to_dask().chunks[0][0] % 1 == 0


async def test_to_xarray_has_calibrated_coordinates(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    data = await in_thread(ds.to_xarray)
    assert data.dims == ("scan_y", "scan_x", "ky", "kx")
    np.testing.assert_allclose(data["scan_x"].values, 0.4 * np.arange(48))
    np.testing.assert_allclose(data["kx"].values, -8.0 + 0.25 * np.arange(64))
    assert data["ky"].attrs["units"] == "mrad"
    np.testing.assert_array_equal(data.values, scan)


async def test_to_hyperspy_is_lazy_calibrated_and_equals_the_file(client, scan):
    import hyperspy.api as hs

    ds = await in_thread(client.open, "demo", "scan.hspy")
    signal = await in_thread(ds.to_hyperspy)
    assert isinstance(signal, hs.signals.Signal2D) and signal._lazy
    assert signal.axes_manager.navigation_shape == (48, 32)
    assert signal.axes_manager.signal_shape == (64, 64)
    nav_x = signal.axes_manager.navigation_axes[0]
    assert (nav_x.name, nav_x.scale, nav_x.units) == ("scan_x", 0.4, "nm")
    kx = signal.axes_manager.signal_axes[0]
    assert (kx.name, kx.scale, kx.offset, kx.units) == ("kx", 0.25, -8.0, "mrad")
    np.testing.assert_array_equal(await in_thread(lambda: np.asarray(signal.data[3:5].compute())), scan[3:5])
    summed = await in_thread(lambda: signal.inav[10, 4].data.compute())
    np.testing.assert_array_equal(summed, scan[4, 10])


async def test_preview_is_a_png(client):
    ds = await in_thread(client.open, "demo", "scan.h5")
    assert (await in_thread(ds.preview, "adf")).startswith(PNG_SIGNATURE)


async def test_server_errors_become_exceptions_with_code_message_and_hint(client):
    with pytest.raises(NotFound) as missing:
        await in_thread(client.open, "demo", "missing.h5")
    assert missing.value.status == 404 and missing.value.code == "not_found"
    assert "missing.h5" in missing.value.message and missing.value.hint
    assert str(missing.value) == f"{missing.value.message}\nHint: {missing.value.hint}"
    with pytest.raises(NotFound):
        await in_thread(client.ls, "private")
    with pytest.raises(BadRequest) as escape:
        await in_thread(client.ls, "demo", "../..")
    assert escape.value.status == 400 and escape.value.hint
    with pytest.raises(Unsupported) as unsupported:
        await in_thread(client.open, "broken", "notes.unknownformat")
    assert unsupported.value.status == 415
    with pytest.raises(NotFound, match="folder"):
        await in_thread(client.open, "demo", "notes")


async def test_slicing_a_chain_reads_through_it_next_to_the_data(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    chained = ds.crop(nav=[(2, 10), None]).bin(nav=2, reduce="sum")
    expected = scan[2:10].astype(np.int64).reshape(4, 2, 24, 2, 64, 64).sum(axis=(1, 3))
    assert chained.shape == expected.shape
    np.testing.assert_array_equal(await in_thread(chained.__getitem__, (1, slice(3, 7))), expected[1, 3:7])
    np.testing.assert_array_equal(await in_thread(chained.to_numpy), expected)
    np.testing.assert_array_equal(await in_thread(lambda: chained.to_dask().compute()), expected)


async def test_a_local_dataset_becomes_a_calibrated_hyperspy_signal(client, scan, demo_dir):
    import hyperspy.api as hs

    here = remotem.open_local(demo_dir / "scan.h5")
    signal = here.to_hyperspy()
    assert isinstance(signal, hs.signals.Signal2D) and not signal._lazy
    assert signal.axes_manager["ky"].offset == -8.0 and signal.axes_manager["scan_y"].units == "nm"
    np.testing.assert_array_equal(signal.data, scan)
    lazy = remotem.local(scan[:4]).bin(2).to_hyperspy(lazy=True)
    assert lazy._lazy and lazy.axes_manager.signal_shape == (32, 32)
    assert lazy.axes_manager["kx"].offset == 0.5, "a binned pixel sits at the centre of those it gathers"


def test_every_client_name_is_reachable_from_the_package():
    from jupyter_remotem import _CLIENT_NAMES, client

    assert _CLIENT_NAMES == set(client.__all__)
    assert remotem.TooLarge is client.TooLarge and remotem.connect is client.connect


def test_the_client_imports_nothing_of_the_server_side():
    """The client speaks HTTP; only its local half loads the kernels, on first use."""
    code = ("import sys, jupyter_remotem as r; r.connect; "
            "server = [m for m in sys.modules if m.split('.')[1:2] and m.split('.')[1] in "
            "('handlers','compute','jobs','formats','storage','kernels','app')]; "
            "print(','.join(server)); print('tornado' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "" and out[1] == "False", out
