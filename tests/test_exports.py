"""Exports (``export``, and any transformation written as NeXus, a TIFF stack, HyperSpy or CSV):
each file opens in the format's own tool (h5py reading NeXus conventions, tifffile, HyperSpy,
numpy's CSV reader) with the same numbers and axes, and back in this project with the same
geometry; formats that cannot hold a dataset say so before any job runs."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import tifffile
from _api import call
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _results import jp_server_config, repositories, run_job, stop_worker  # noqa: F401 - fixtures


async def _axes(jp_fetch, repository: str, path: str, dataset: str | None = None) -> list[dict]:
    params = {"dataset": dataset} if dataset else {}
    code, meta = await call(jp_fetch, "GET", "repositories", repository, "meta", path, **params)
    assert code == 200, meta
    return meta["dataset"]


async def test_nexus_export_follows_nexus_and_reopens_here(jp_fetch, tmp_path, demo_dir):
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "export",
                             "output": {"repository": "results", "path": "scan.nxs"}})
    source = np.load(demo_dir / "scan.npy")
    axes = (await _axes(jp_fetch, "demo", "scan.h5"))["axes"]
    with h5py.File(tmp_path / "results" / "scan.nxs", "r") as f:
        assert f.attrs["NX_class"] == "NXroot" and f.attrs["default"] == "entry"
        entry = f[f.attrs["default"]]
        assert entry.attrs["NX_class"] == "NXentry"
        data = entry[entry.attrs["default"]]
        assert data.attrs["NX_class"] == "NXdata"
        signal = data[data.attrs["signal"]]
        np.testing.assert_array_equal(signal[()], source)
        names = list(data.attrs["axes"])
        assert names == [a["name"] for a in axes]
        for axis in axes:
            index = int(data.attrs[f"{axis['name']}_indices"])
            coordinate = data[axis["name"]]
            assert coordinate.shape == (source.shape[index],) and coordinate.attrs["units"] == axis["units"]
            np.testing.assert_allclose(coordinate[()], axis["offset"] + axis["scale"] * np.arange(axis["size"]))
        note = entry["provenance"]
        assert note.attrs["NX_class"] == "NXnote" and json.loads(note["data"][()])["operation"] == "export"
    back = await _axes(jp_fetch, "results", "scan.nxs", "/entry/data/data")
    assert back["shape"] == list(source.shape)
    assert [(a["name"], a["scale"], a["units"]) for a in back["axes"]] == [(a["name"], a["scale"], a["units"])
                                                                        for a in axes]


async def test_tiff_stack_of_a_cropped_scan(jp_fetch, tmp_path, demo_dir):
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "crop",
                             "params": {"nav": [[0, 3], [0, 5]]},
                             "output": {"repository": "results", "path": "crop.tif"}})
    source = np.load(demo_dir / "scan.npy")[:3, :5]
    with tifffile.TiffFile(tmp_path / "results" / "crop.tif") as tif:
        pages = tif.asarray()
        description = json.loads(tif.pages[0].description)
    np.testing.assert_array_equal(pages, source)  # tifffile reads the stack back as the scan
    assert description["remotem"]["scan_shape"] == [3, 5] and description["remotem_provenance"]["operation"] == "crop"
    back = await _axes(jp_fetch, "results", "crop.tif")
    assert back["shape"] == list(source.shape)


async def test_hspy_export_loads_in_hyperspy_with_its_axes(jp_fetch, tmp_path, demo_dir):
    import hyperspy.api as hs

    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "bin",
                             "params": {"sig": [2, 2]}, "output": {"repository": "results", "path": "binned.hspy"}})
    source = np.load(demo_dir / "scan.npy").astype(np.float32)
    expected = source.reshape(32, 48, 32, 2, 32, 2).mean(axis=(3, 5))
    signal = hs.load(tmp_path / "results" / "binned.hspy")
    np.testing.assert_allclose(signal.data, expected, rtol=1e-6)
    axes = (await _axes(jp_fetch, "demo", "scan.h5"))["axes"]
    assert [a.name for a in signal.axes_manager.navigation_axes[::-1]] == [axes[0]["name"], axes[1]["name"]]
    kx = signal.axes_manager.signal_axes[0]
    assert kx.scale == pytest.approx(axes[3]["scale"] * 2) and kx.units == axes[3]["units"]
    back = await _axes(jp_fetch, "results", "binned.hspy")
    assert back["shape"] == list(expected.shape)


async def test_csv_of_a_line_of_frames_and_refusals(jp_fetch, tmp_path, demo_dir):
    from jupyter_remotem.formats.axes import axes_attributes
    from jupyter_remotem.formats.dataset import Axis

    source = np.arange(6 * 5, dtype=np.float32).reshape(6, 5)  # a line scan of 5-channel spectra
    with h5py.File(tmp_path / "results" / "spectra.h5", "w") as f:
        f["data"] = source
        f["data"].attrs.update(axes_attributes([Axis("x", 6, 2.0, 0.0, "nm", True), Axis("E", 5, 0.5, 100.0, "eV")],
                                               1))
    await run_job(jp_fetch, {"repository": "results", "path": "spectra.h5", "operation": "export",
                             "output": {"repository": "results", "path": "spectra.csv"}})
    table = np.loadtxt(tmp_path / "results" / "spectra.csv", delimiter=",")
    np.testing.assert_array_equal(table, source)
    header = (tmp_path / "results" / "spectra.csv").read_text().splitlines()[0]
    assert header.startswith("# x [nm] from 0 by 2 ; E [eV] from 100 by 0.5") and "provenance" in header
    # A 4-D scan as CSV, or frames of one axis as a TIFF stack, are 400s before any job exists, as is
    # a format a transformation cannot write.
    code, refused = await call(jp_fetch, "POST", "jobs", body={
        "repository": "demo", "path": "scan.h5", "operation": "export",
        "output": {"repository": "results", "path": "scan.csv"}})
    assert code == 400 and "CSV holds 1-D and 2-D tables" in refused["error"]["message"], refused
    assert "nexus" in refused["error"]["hint"]
    code, refused = await call(jp_fetch, "POST", "jobs", body={
        "repository": "results", "path": "spectra.h5", "operation": "export",
        "output": {"repository": "results", "path": "spectra.tif"}})
    assert code == 400 and "2-D frames" in refused["error"]["message"], refused
    code, refused = await call(jp_fetch, "POST", "jobs", body={
        "repository": "demo", "path": "scan.h5", "operation": "export",
        "output": {"repository": "results", "path": "scan.png"}})
    assert code == 400 and "writes a new dataset" in refused["error"]["message"], refused
    code, refused = await call(jp_fetch, "POST", "jobs", body={
        "repository": "demo", "path": "scan.h5", "operation": "frame_stats",
        "output": {"repository": "results", "path": "stats.nxs"}})
    assert code == 400 and "A result of 'frame_stats'" in refused["error"]["message"], refused


async def test_the_client_exports_a_chain(jp_fetch, client, tmp_path, demo_dir):  # noqa: F811
    ds = await in_thread(client.open, "demo", "scan.npy")
    job = await in_thread(ds.crop(nav=[(0, 2), (0, 3)]).export, "small.nxs", repository="results")
    await in_thread(job.wait, progress=False)
    with h5py.File(tmp_path / "results" / "small.nxs", "r") as f:
        np.testing.assert_array_equal(f["entry/data/data"][()], np.load(demo_dir / "scan.npy")[:2, :3])
    whole = await in_thread(ds.export, "whole.tif", repository="results")
    await in_thread(whole.wait, progress=False)
    assert tifffile.imread(tmp_path / "results" / "whole.tif").shape == np.load(demo_dir / "scan.npy").shape
