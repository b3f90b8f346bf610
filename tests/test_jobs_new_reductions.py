"""The newer reductions (``radial_profile``, ``crystallinity``, ``fem``, ``blobs``, ``decomposition``) as durable jobs: the HDF5
result holds every declared array, equal to the interactive answer, and opens in h5py; the
``.hspy`` result holds the primary array and opens in HyperSpy."""

from __future__ import annotations

import numpy as np
import pytest
from _api import call
from _results import jp_server_config, repositories, run_job, stop_worker  # noqa: F401 - fixtures

from jupyter_remotem.compute.operations import OPERATIONS
from jupyter_remotem.compute.reductions import reduce_array

CASES = {
    "radial_profile": {"bins": 6, "sectors": 2},
    "crystallinity": {"r_in": 2, "r_out": 9, "beam_r": 4},
    "fem": {"ri": 4, "ro": 14},
    "blobs": {"radius": 3, "n_peaks": 6},
    "decomposition": {"components": 3},
}


async def _run(jp_fetch, operation: str, path: str, fmt: str) -> dict:
    return await run_job(jp_fetch, {"repository": "demo", "path": "scan.npy", "operation": operation,
                                    "params": CASES[operation],
                                    "output": {"repository": "results", "path": path, "format": fmt}})


@pytest.fixture(scope="module")
def answers(demo_dir):
    scan = np.load(demo_dir / "scan.npy")
    return {operation: reduce_array(scan, operation, params, nav_ndim=2) for operation, params in CASES.items()}


@pytest.mark.parametrize("operation", sorted(CASES))
async def test_the_hdf5_result_holds_every_declared_array(jp_fetch, tmp_path, answers, operation):
    import h5py

    await _run(jp_fetch, operation, f"{operation}.h5", "hdf5")
    expected = answers[operation]
    declared = [output.name for output in OPERATIONS[operation].outputs]
    with h5py.File(tmp_path / "results" / f"{operation}.h5", "r") as f:
        stored = {name: f[name][()] for name in f if isinstance(f[name], h5py.Dataset)}
        assert f.attrs["primary"] == expected.primary
    for name in declared:
        assert name in stored, (name, sorted(stored))
        np.testing.assert_allclose(stored[name], expected.arrays[name], rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("operation", sorted(CASES))
async def test_the_hspy_result_opens_in_hyperspy_as_the_primary_array(jp_fetch, tmp_path, answers, operation):
    hs = pytest.importorskip("hyperspy.api")
    await _run(jp_fetch, operation, f"{operation}.hspy", "hspy")
    signal = hs.load(tmp_path / "results" / f"{operation}.hspy")
    expected = answers[operation]
    primary = expected.arrays[expected.primary]
    if operation == "decomposition":  # one score image per component: the component navigates
        primary = np.moveaxis(primary, -1, 0)
        assert [axis.name for axis in signal.axes_manager.navigation_axes] == ["component"]
    np.testing.assert_allclose(signal.data, primary, rtol=1e-6, equal_nan=True)


async def test_a_radial_profile_in_hyperspy_is_a_profile_over_calibrated_radius_per_position_and_sector(
        jp_fetch, tmp_path, answers, demo_dir):
    hs = pytest.importorskip("hyperspy.api")
    import h5py

    await _run(jp_fetch, "radial_profile", "profile.hspy", "hspy")
    signal = hs.load(tmp_path / "results" / "profile.hspy")
    expected = answers["radial_profile"]
    radius = expected.arrays["radius"]
    (axis,) = signal.axes_manager.signal_axes
    assert (axis.name, axis.size, axis.units) == ("radius", 6, "px")
    np.testing.assert_allclose([axis.offset, axis.scale], [radius[0], radius[1] - radius[0]], rtol=1e-9)
    np.testing.assert_allclose(axis.axis, radius, rtol=1e-9)
    names = [a.name for a in signal.axes_manager.navigation_axes]
    # HyperSpy lists navigation axes fastest first: the sector, then the scan's x and y.
    assert names == ["sector", "scan_x", "scan_y"], names
    assert signal.axes_manager.navigation_shape == (2, 48, 32)
    np.testing.assert_allclose(signal.data, expected.arrays["profile"], rtol=1e-6, equal_nan=True)

    await _run(jp_fetch, "radial_profile", "profile.h5", "hdf5")
    with h5py.File(tmp_path / "results" / "profile.h5", "r") as f:
        labels = [dim.label for dim in f["profile"].dims]
        assert labels[2:] == ["sector", "radius"] and len(labels) == 4
        assert [dim.label for dim in f["radius"].dims] == ["radius"] and f["radius"].attrs["units"] == "px"


async def test_a_quote_of_a_decomposition_reads_the_data_twice(jp_fetch, demo_dir):
    """Components first, then each frame's scores: two passes, and the quote says so."""
    scan = np.load(demo_dir / "scan.npy", mmap_mode="r")
    body = {"repository": "demo", "path": "scan.npy", "operation": "decomposition", "params": {"components": 3},
            "output": {"repository": "results", "path": "pca.h5", "format": "hdf5"}}
    code, quoted = await call(jp_fetch, "POST", "jobs", body=body, dry_run=1)
    assert code == 200, quoted
    assert quoted["quote"]["bytes_read"] == 2 * scan.nbytes
    job = await run_job(jp_fetch, body)
    assert job["progress"]["done"] == job["progress"]["total"] == 2 * scan.shape[0] * scan.shape[1]
