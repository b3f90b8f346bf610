"""Reductions from the notebook client: remote answers equal numpy, local answers equal remote ones."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest
from _api import server_config
from _client import client, in_thread, kernel_env, scan  # noqa: F401 - fixtures

import jupyter_remotem as remotem
from jupyter_remotem.client import BadRequest, LocalDataset, OperationUnavailable, RemotemWarning, TooLarge
from jupyter_remotem.kernels import from_spec

DISK = remotem.disk(32, 32, 9)
RING = remotem.ring(32, 32, 12, 30)


def masked_sums(frames: np.ndarray, detectors: list[dict]) -> np.ndarray:
    masks = np.stack([from_spec(d, frames.shape[-2:]) for d in detectors]).astype(np.float64)
    return np.einsum("...ij,kij->...k", frames.astype(np.float64), masks)


async def test_virtual_detectors_equal_numpy(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    both = await in_thread(ds.virtual_detector, [RING, DISK])
    assert both.shape == (32, 48, 2)
    np.testing.assert_allclose(both, masked_sums(scan, [RING, DISK]))
    single = await in_thread(ds.virtual_detector, DISK)
    assert single.shape == (32, 48)
    np.testing.assert_array_equal(single, both[..., 1])
    assert ds.last_stats["round_trip_s"] > 0


async def test_com_frame_stats_and_pick_equal_numpy(client, scan):
    ds = await in_thread(client.open, "demo", "scan.npy")
    com = await in_thread(ds.com, 32, 32)
    assert set(com) == {"magnitude", "com_y", "com_x", "shift_y", "shift_x", "divergence", "curl"}
    data = scan.astype(np.float64)
    ys = np.arange(64)[None, None, :, None]
    np.testing.assert_allclose(com["com_y"], (data * ys).sum(axis=(2, 3)) / data.sum(axis=(2, 3)))
    only = await in_thread(ds.com, 32, 32, field="shift_x")
    np.testing.assert_array_equal(only, com["shift_x"])
    roi = {"shape": "rectangle", "x": 5, "y": 3, "width": 10, "height": 6}
    stats = await in_thread(ds.frame_stats, roi)
    inside = from_spec(roi, scan.shape[:2])
    np.testing.assert_allclose(stats["mean"], data[inside].mean(axis=0))
    np.testing.assert_allclose(stats["max"], data[inside].max(axis=0))
    frame = await in_thread(ds.pick, 3, 7)
    np.testing.assert_array_equal(frame, scan[3, 7])
    assert frame.dtype == scan.dtype


async def test_results_as_xarray_carry_coordinates_and_units(client):
    ds = await in_thread(client.open, "demo", "scan.h5")
    image = await in_thread(ds.virtual_detector, [DISK, RING], as_xarray=True)
    assert image.dims == ("scan_y", "scan_x", "detector")
    np.testing.assert_allclose(image["scan_x"].values, 0.4 * np.arange(48))
    assert image["scan_y"].attrs["units"] == "nm"
    stats = await in_thread(ds.frame_stats, as_xarray=True)
    assert set(stats.data_vars) == {"mean", "sum", "std", "max", "min"}
    assert stats["mean"].dims == ("ky", "kx")
    np.testing.assert_allclose(stats["kx"].values, -8 + 0.25 * np.arange(64))
    assert stats["kx"].attrs["units"] == "mrad"
    com = await in_thread(ds.com, 32, 32, as_xarray=True)
    assert com["curl"].dims == ("scan_y", "scan_x")
    # Names and units as the server declares the outputs, the same for the data in this kernel.
    assert com["com_x"].attrs["units"] == "px" and "units" not in com["curl"].attrs
    from jupyter_remotem.client.local import local as in_kernel

    block = await in_thread(lambda: np.asarray(ds[:4, :5]))  # not on the server's own event loop
    local = in_kernel(block, 2)
    assert (await in_thread(local.virtual_detector, [DISK, RING], as_xarray=True)).dims == image.dims
    assert (await in_thread(local.com, 32, 32, as_xarray=True))["com_x"].attrs["units"] == "px"
    frame = await in_thread(ds.pick, 2, 5, as_xarray=True)
    assert frame.dims == ("ky", "kx") and frame.attrs["position"] == [2, 5]
    coarse = await in_thread(ds.virtual_detector, DISK, step=4, as_xarray=True)
    assert coarse.shape == (8, 12)
    np.testing.assert_allclose(coarse["scan_x"].values, 1.6 * np.arange(12))


async def test_a_chain_runs_remotely_and_equals_numpy_on_the_file(client, demo_dir):
    with h5py.File(demo_dir / "scan.h5") as f:
        frames = f["/entry/data/frames"][()]
    ds = await in_thread(client.open, "demo", "scan.h5")
    chained = ds.crop(nav=[(4, 20), (8, 40)], sig=(8, 56)).bin(2)
    assert chained.shape == (16, 32, 24, 24) and chained.dtype == np.float32
    assert chained.axes[2].offset == pytest.approx(-8 + 0.25 * 8 + 0.25 / 2)
    assert chained.axes[2].scale == pytest.approx(0.5)
    assert chained.axes[0].offset == pytest.approx(0.4 * 4)
    assert [step["operation"] for step in chained.metadata["pipeline"]] == ["crop", "bin"]
    detector = remotem.disk(12, 12, 6)
    got = await in_thread(chained.virtual_detector, [detector])
    cropped = frames[4:20, 8:40, 8:56, 8:56].astype(np.float32)
    binned = cropped.reshape(16, 32, 24, 2, 24, 2).mean(axis=(3, 5), dtype=np.float64).astype(np.float32)
    np.testing.assert_allclose(got, masked_sums(binned, [detector]), rtol=1e-6)
    summed = ds.bin(nav=2, reduce="sum")
    assert summed.shape == (16, 24, 64, 64) and summed.dtype == np.uint32
    total = await in_thread(summed.frame_stats, field="sum")
    np.testing.assert_array_equal(total, frames.astype(np.uint64).sum(axis=(0, 1)))


async def test_coarse_steps_and_fft(client, scan):
    from jupyter_remotem.kernels.fft import fft_magnitude

    ds = await in_thread(client.open, "demo", "scan.h5")
    sub = await in_thread(ds.virtual_detector, [DISK], step=3)
    np.testing.assert_allclose(sub, masked_sums(scan[::3, ::3], [DISK]))
    assert ds.last_stats["step"] == 3
    await in_thread(ds.virtual_detector, [DISK], coarse=True)
    assert ds.last_stats["step"] == 1, "1536 frames need no subsampling"
    spectrum = await in_thread(ds.reduce, "frame_stats", field="mean", fft=True)
    np.testing.assert_allclose(spectrum, fft_magnitude(scan.astype(np.float64).mean(axis=(0, 1))), rtol=1e-9)


async def test_local_data_gives_identical_results(client, scan, demo_dir):
    ds = await in_thread(client.open, "demo", "scan.h5")
    here = remotem.local(scan)
    from_file = remotem.open_local(demo_dir / "scan.h5")
    assert isinstance(from_file, LocalDataset) and from_file.axes == ds.axes
    roi = {"shape": "disk", "cx": 20, "cy": 10, "r": 6}
    for name, call in [
        ("virtual_detector", lambda d: d.virtual_detector([RING, DISK], roi)),
        ("com", lambda d: d.com(31, 33, 20, scan_rotation=10)),
        ("frame_stats", lambda d: d.frame_stats(roi)),
        ("pick", lambda d: d.pick(30, 47)),
        ("chain", lambda d: d.crop(sig=[(0, 60), (4, 64)]).bin(sig=[2, 4], nav=2).com(field="magnitude")),
        ("cast", lambda d: d.cast("float32", scale=0.5).virtual_detector(DISK, step=2)),
    ]:
        remote = await in_thread(call, ds)
        for local_result in (call(here), call(from_file)):
            if isinstance(remote, dict):
                assert remote.keys() == local_result.keys(), name
                for key in remote:
                    assert_same(remote[key], local_result[key], f"{name} {key}")
            else:
                assert_same(remote, local_result, name)


def assert_same(remote: np.ndarray, local: np.ndarray, what: str) -> None:
    """Same dtype and values: exact for integers and single frames; float sums over many frames
    may differ in the last bit, since the server merges partial sums in its file's partitions."""
    assert remote.dtype == local.dtype and remote.shape == local.shape, what
    if remote.dtype.kind in "iu":
        np.testing.assert_array_equal(remote, local, err_msg=what)
    else:
        np.testing.assert_allclose(remote, local, rtol=1e-12, atol=1e-12, err_msg=what)


async def test_to_local_downloads_a_small_dataset_with_its_axes(client, scan, tmp_path):
    ds = await in_thread(client.open, "demo", "scan.hspy")
    target = tmp_path / "copy.npy"
    here = await in_thread(ds.to_local, str(target))
    assert isinstance(here, LocalDataset)
    np.testing.assert_array_equal(np.load(target), scan)
    assert here.axes == ds.axes and here.metadata == ds.metadata
    np.testing.assert_array_equal(here.virtual_detector(DISK), await in_thread(ds.virtual_detector, DISK))
    with pytest.raises(FileExistsError):
        await in_thread(ds.to_local, str(target))


async def test_repeated_round_trips_on_small_data_suggest_working_locally(client):
    ds = await in_thread(client.open, "demo", "scan.h5")
    client.thresholds.round_trips_before_advice = 2
    client.connection.measurements.throughput_bytes_s = 1e3  # as if the link were very slow
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemotemWarning)
        for _ in range(3):
            await in_thread(ds.virtual_detector, DISK)
    fast = await in_thread(client.open, "demo", "scan.npy")
    # Downloading is nearly free: no latency, a fast link (a loaded machine's slow earlier requests
    # must not decide this).
    client.connection.measurements.throughput_bytes_s = 1e12
    client.connection.measurements.latency_s = 0.0
    await in_thread(fast.virtual_detector, DISK)
    with pytest.warns(RemotemWarning, match=r"to_local\(\)") as advice:
        await in_thread(fast.virtual_detector, DISK)
    assert "Working locally would be faster" in str(advice[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemotemWarning)
        await in_thread(fast.virtual_detector, DISK)  # said once per dataset


async def test_bad_parameters_raise_bad_request_with_the_servers_hint(client):
    ds = await in_thread(client.open, "demo", "scan.h5")
    with pytest.raises(BadRequest) as caught:
        await in_thread(ds.virtual_detector, [{"shape": "disk", "cx": 1}])
    assert caught.value.status == 400 and "r" in caught.value.message and caught.value.hint
    with pytest.raises(BadRequest, match="outside"):
        await in_thread(ds.pick, 99, 0)
    with pytest.raises(BadRequest, match="crop"):
        ds.crop(nav=[(0, 40), None])
    with pytest.raises(BadRequest, match="one entry per axis"):
        ds.bin(sig=[2, 2, 2])
    local = remotem.local(np.zeros((4, 5, 8, 8)))
    with pytest.raises(BadRequest) as local_error:
        local.virtual_detector([{"shape": "disk", "cx": 1}])
    assert local_error.value.message == caught.value.message, "local and remote refuse alike"


class TestInteractiveLimit:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, interactive_limit=1e-7)

    async def test_work_beyond_the_limit_is_too_large_and_suggests_a_job(self, client):
        ds = await in_thread(client.open, "demo", "scan.h5")
        with pytest.raises(TooLarge) as caught:
            await in_thread(ds.virtual_detector, [DISK])
        error = caught.value
        assert error.status == 413 and error.code == "too_large"
        assert error.bytes == 32 * 48 * 64 * 64 * 2 and error.estimate_s > 0
        assert "ds.submit('virtual_detector'" in error.hint and "output=" in str(error)


class TestUnavailableOperations:
    @pytest.fixture
    def repositories(self, repositories, tmp_path):
        folder = tmp_path / "spectra"
        folder.mkdir()
        with h5py.File(folder / "eels.h5", "w") as f:
            f["data"] = np.ones((4, 5, 16), dtype=np.float32)
            f["data"].attrs["nav_ndim"] = 2
        return repositories + [{"name": "spectra", "url": str(folder)}]

    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, support_contact="stem-support@example.org")

    async def test_an_operation_that_cannot_run_names_itself_the_reason_and_an_alternative(self, client):
        ds = await in_thread(client.open, "spectra", "eels.h5")
        assert ds.nav_shape == (4, 5) and ds.sig_shape == (16,)
        available = {op["name"]: op["available"] for op in await in_thread(ds.operations)}
        assert available["virtual_detector"] is False and available["frame_stats"] is True
        with pytest.raises(OperationUnavailable) as caught:
            await in_thread(ds.virtual_detector, [DISK])
        error = caught.value
        assert error.operation == "virtual_detector" and error.reason
        assert "to_local()" in error.alternative and error.reason in str(error)
        assert "ask stem-support@example.org" in error.alternative, "the facility's contact is named"
        stats = await in_thread(ds.frame_stats, field="sum")
        np.testing.assert_array_equal(stats, np.full(16, 20.0))


async def test_local_datasets_slice_save_and_convert_like_remote_ones(client, scan, tmp_path):
    here = remotem.local(scan, nav_ndim=2, axes=(await in_thread(client.open, "demo", "scan.h5")).axes)
    np.testing.assert_array_equal(here[3, 4:6], scan[3, 4:6])
    chained = here.crop(nav=[(0, 8), (0, 8)]).bin(4)
    assert chained.shape == (8, 8, 16, 16)
    np.testing.assert_array_equal(chained[1, 2], chained.to_numpy()[1, 2])
    np.testing.assert_array_equal(np.asarray(chained), chained.to_numpy())
    assert chained.to_dask(chunks=(4, 8, 16, 16)).sum().compute() == pytest.approx(float(chained.to_numpy().sum()))
    data = chained.to_xarray()
    np.testing.assert_allclose(data["ky"].values, -8 + 0.375 + np.arange(16))
    assert chained.to_local(tmp_path / "chained") is chained
    np.testing.assert_array_equal(np.load(tmp_path / "chained.npy"), chained.to_numpy())
    assert "crop → bin" in repr(chained)


async def test_remotem_open_connects_from_the_kernel_environment(kernel_env, scan):
    ds = await in_thread(remotem.open, "demo", "scan.npy")
    try:
        np.testing.assert_array_equal(await in_thread(ds.pick, 1, 2), scan[1, 2])
    finally:
        ds.client.close()


async def test_decomposition_through_the_client_is_numpys_pca_remotely_and_locally(client, scan):
    """The leading components of the demo scan, remote and local: numpy's SVD of the centred
    frames (up to the sign convention: each component's largest entry is positive)."""
    ds = await in_thread(client.open, "demo", "scan.h5")
    remote = await in_thread(ds.decomposition, 3, field=None)
    local = remotem.local(scan).decomposition(3, field=None)
    frames = scan.reshape(-1, scan.shape[2] * scan.shape[3]).astype(np.float64)
    centred = frames - frames.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    ratio = singular**2 / (singular**2).sum()
    for result in (remote, local):
        assert set(result) == {"scores", "rgb", "components", "mean", "variance", "variance_ratio"}
        assert result["scores"].shape == (*scan.shape[:2], 3) and result["rgb"].dtype == np.uint8
        components = result["components"].reshape(-1, 3).T
        for k in range(3):
            expected = vt[k] * np.sign(vt[k][np.argmax(np.abs(vt[k]))])
            assert abs(components[k] @ expected) > 0.999, k
        np.testing.assert_allclose(result["variance_ratio"], ratio[:3], rtol=1e-3)
        np.testing.assert_allclose(result["mean"], frames.mean(axis=0).reshape(scan.shape[2:]), rtol=1e-5)
    np.testing.assert_allclose(remote["scores"], local["scores"], rtol=1e-4, atol=1e-4 * np.abs(local["scores"]).max())
    named = await in_thread(ds.decomposition, 2, field="scores", as_xarray=True)
    assert named.dims[-1] == "component" and named.shape[-1] == 2


async def test_nmf_through_the_client_answers_alike_remotely_and_locally_and_fits_the_frames(client, scan):
    """NMF of the demo scan: non-negative scores and components that rebuild the frames better
    than their mean does, the same next to the data as in this process."""
    ds = await in_thread(client.open, "demo", "scan.h5")
    remote = await in_thread(ds.decomposition, 3, method="nmf", iterations=4, field=None)
    local = remotem.local(scan).decomposition(3, method="nmf", iterations=4, field=None)
    frames = scan.reshape(-1, scan.shape[2] * scan.shape[3]).astype(np.float64)
    for result in (remote, local):
        scores, components = result["scores"].reshape(-1, 3), result["components"].reshape(-1, 3).T
        assert (scores >= 0).all() and (components >= 0).all()
        fitted = np.linalg.norm(frames - scores @ components)
        assert fitted < np.linalg.norm(frames - frames.mean(axis=0)), "three parts fit better than the mean"
    for name in ("scores", "components"):
        np.testing.assert_allclose(remote[name], local[name], rtol=1e-6, atol=1e-6 * np.abs(local[name]).max())
