"""Writers and readers: the formats' own libraries open what they write, with the right metadata, from
numpy and chunk by chunk from dask, locally and on S3."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import dask.array as da
import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr
from _services import S3_BUCKET, S3_SECRET

from jupyter_remotem.pipeline import PipelineError, Store, plan, run, step
from jupyter_remotem.pipeline.writers import (BY_SUFFIX, Csv, Hdf5, Hspy, Json, NeXus, Npy, OmeTiff, OmeZarr, Parquet,
                                              Png, writer_for)

RNG = np.random.default_rng(17)
KEY = "ab" * 32


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.from_spec(str(tmp_path / "store"))


@pytest.fixture
def s3_store(s3_endpoint: str) -> Store:
    options = {"key": "testing", "secret": S3_SECRET, "endpoint_url": s3_endpoint}
    return Store.from_spec(f"s3://{S3_BUCKET}/writers-{uuid.uuid4().hex[:8]}", options)


def test_ome_tiff_carries_axes_and_channel_names_from_numpy_and_dask(store: Store, tmp_path: Path):
    image = RNG.integers(0, 65535, size=(2, 5, 16, 12), dtype=np.uint16)
    writer = OmeTiff(dims="CZYX", channel_names=["DAPI", "GFP"])
    writer.write(image, store, "a.ome.tiff", KEY)
    writer.write(da.from_array(image, chunks=(1, 2, 16, 12)), store, "b.ome.tiff", KEY)
    root = tmp_path / "store"
    assert (root / "a.ome.tiff").read_bytes() == (root / "b.ome.tiff").read_bytes()
    with tifffile.TiffFile(root / "a.ome.tiff") as tif:
        assert tif.is_ome
        assert tif.series[0].axes == "CZYX"
        np.testing.assert_array_equal(tif.series[0].asarray(), image)
        ome = tif.ome_metadata
    assert 'Name="DAPI"' in ome and 'Name="GFP"' in ome and 'SizeC="2"' in ome and 'SizeZ="5"' in ome
    assert f'UUID="urn:uuid:{uuid.UUID(KEY[:32])}"' in ome  # from the key: equal products, equal bytes
    np.testing.assert_array_equal(writer.read(store, "a.ome.tiff"), image)
    with pytest.raises(PipelineError, match="channel names"):
        OmeTiff(dims="CZYX", channel_names=["one"]).write(image, store, "c.ome.tiff", KEY)
    with pytest.raises(PipelineError, match="names 3 axes"):
        OmeTiff(dims="ZYX").write(image, store, "c.ome.tiff", KEY)


def test_ome_zarr_has_ngff_multiscales_and_is_written_chunk_by_chunk(store: Store, tmp_path: Path):
    image = RNG.random((2, 3, 32, 40), dtype=np.float32)
    lazy = da.from_array(image, chunks=(1, 3, 16, 20))
    writer = OmeZarr(dims="CZYX", channel_names=["a", "b"], levels=2)
    writer.write(lazy, store, "cell.ome.zarr", KEY)
    group = zarr.open_group(str(tmp_path / "store" / "cell.ome.zarr"), mode="r")
    multiscales = group.attrs["multiscales"][0]
    assert multiscales["version"] == "0.4"
    assert [a["name"] for a in multiscales["axes"]] == ["c", "z", "y", "x"]
    assert [a["type"] for a in multiscales["axes"]] == ["channel", "space", "space", "space"]
    assert [d["path"] for d in multiscales["datasets"]] == ["0", "1"]
    assert multiscales["datasets"][1]["coordinateTransformations"][0]["scale"] == [1.0, 1.0, 2.0, 2.0]
    assert [c["label"] for c in group.attrs["omero"]["channels"]] == ["a", "b"]
    assert group["0"].chunks == (1, 3, 16, 20)  # the dask chunks, each written on its own
    np.testing.assert_array_equal(group["0"][:], image)
    expected = image.reshape(2, 3, 16, 2, 20, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(group["1"][:], expected, rtol=1e-6)
    np.testing.assert_array_equal(writer.read(store, "cell.ome.zarr").compute(), image)
    with pytest.raises(PipelineError, match="order"):
        OmeZarr(dims="ZCYX")


def test_every_writer_reads_back_what_it_wrote(store: Store):
    image = RNG.integers(0, 255, size=(9, 7), dtype=np.uint8)
    cube = RNG.normal(size=(4, 6, 5)).astype(np.float64)
    Png().write(image, store, "g.png", KEY)
    np.testing.assert_array_equal(Png().read(store, "g.png"), image)
    grey16 = RNG.integers(0, 65535, size=(5, 4), dtype=np.uint16)
    Png().write(grey16, store, "g16.png", KEY)
    np.testing.assert_array_equal(Png().read(store, "g16.png"), grey16)
    flat = np.full((3, 3), 2.5)  # a constant float image: no division by zero
    Png().write(flat, store, "flat.png", KEY)
    assert (Png().read(store, "flat.png") == 0).all()
    with pytest.raises(PipelineError, match="2-D"):
        Png().write(cube, store, "bad.png", KEY)
    for value in (cube, da.from_array(cube, chunks=(2, 3, 5))):
        Npy().write(value, store, "c.npy", KEY)
        np.testing.assert_array_equal(Npy().read(store, "c.npy"), cube)
        Hdf5(dataset="entry/data").write(value, store, "c.h5", KEY)
        np.testing.assert_array_equal(Hdf5(dataset="entry/data").read(store, "c.h5"), cube)
    with h5py.File(store.full("c.h5")) as f:
        assert f["entry/data"].chunks == (2, 3, 5)
    record = {"mean": np.float32(1.5), "counts": np.arange(3), "name": "x"}
    Json().write(record, store, "r.json", KEY)
    assert Json().read(store, "r.json") == {"mean": 1.5, "counts": [0, 1, 2], "name": "x"}
    with pytest.raises(PipelineError, match="not JSON compliant") as refused:
        Json().write({"x": float("nan")}, store, "n.json", KEY)
    assert "finite" in refused.value.hint
    table = {"cell_id": [1, 2, 3], "area": [10.5, 11.0, 9.25]}
    Csv().write(table, store, "t.csv", KEY)
    pd.testing.assert_frame_equal(Csv().read(store, "t.csv"), pd.DataFrame(table))


def test_nexus_has_nxdata_with_signal_and_calibrated_axes_from_numpy_and_dask(store: Store):
    cube = RNG.random((3, 4, 5)).astype(np.float32)
    writer = NeXus(axes=[{"name": "z", "units": "um", "scale": 2.0}, "y",
                         {"name": "x", "units": "nm", "scale": 0.5, "offset": 1.0}], title="cells")
    writer.write(cube, store, "a.nxs", KEY)
    writer.write(da.from_array(cube, chunks=(1, 2, 5)), store, "b.nxs", KEY)
    with h5py.File(store.full("b.nxs")) as f:
        assert f.attrs["NX_class"] == "NXroot" and f.attrs["default"] == "entry"
        assert f["entry"].attrs["NX_class"] == "NXentry" and f["entry"].attrs["default"] == "data"
        assert f["entry/title"][()].decode() == "cells"
        nxdata = f["entry/data"]
        assert nxdata.attrs["NX_class"] == "NXdata" and nxdata.attrs["signal"] == "data"
        assert list(nxdata.attrs["axes"]) == ["z", "y", "x"]
        assert [int(nxdata.attrs[f"{n}_indices"]) for n in "zyx"] == [0, 1, 2]
        np.testing.assert_allclose(nxdata["x"][()], 1.0 + 0.5 * np.arange(5))
        assert nxdata["x"].attrs["units"] == "nm" and "units" not in nxdata["y"].attrs
        assert nxdata["data"].chunks == (1, 2, 5)  # the dask chunks, each written on its own
        np.testing.assert_array_equal(nxdata["data"][()], cube)
    np.testing.assert_array_equal(writer.read(store, "a.nxs"), cube)
    # Another NeXus reader (rosettasciio's) finds the signal and its calibration from the attributes alone.
    from rsciio.nexus import file_reader

    [signal, *_] = file_reader(store.full("a.nxs"))
    assert signal["data"].shape == cube.shape
    assert [(a["name"], a["units"], a["scale"], a["offset"]) for a in signal["axes"]] == [
        ("z", "um", 2.0, 0.0), ("y", "", 1.0, 0.0), ("x", "nm", 0.5, 1.0)]
    with pytest.raises(PipelineError, match="2 axes for a 3-dimensional"):
        NeXus(axes=["y", "x"]).write(cube, store, "c.nxs", KEY)
    with pytest.raises(PipelineError, match="differ"):
        NeXus(axes=["a", "a", "data"]).write(cube, store, "c.nxs", KEY)


def test_hspy_opens_in_hyperspy_with_its_axes_from_numpy_and_dask(store: Store):
    hs = pytest.importorskip("hyperspy.api")
    stack = RNG.random((3, 4, 5)).astype(np.float32)
    writer = Hspy(axes=[{"name": "n", "units": "s", "scale": 0.1, "navigate": True},
                        {"name": "y", "units": "nm", "scale": 0.5, "offset": -1.0, "navigate": False},
                        {"name": "x", "units": "nm", "scale": 0.25, "navigate": False}], title="cells")
    writer.write(stack, store, "a.hspy", KEY)
    writer.write(stack, store, "again.hspy", KEY)
    assert Path(store.full("a.hspy")).read_bytes() == Path(store.full("again.hspy")).read_bytes()
    writer.write(da.from_array(stack, chunks=(1, 4, 5)), store, "b.hspy", KEY)
    with h5py.File(store.full("b.hspy")) as f:
        assert f["Experiments/cells/data"].chunks == (1, 4, 5)
    for name in ("a.hspy", "b.hspy"):
        signal = hs.load(store.full(name))
        assert type(signal).__name__ == "Signal2D" and signal.metadata.General.title == "cells"
        assert [(a.name, a.size, a.scale, a.offset, str(a.units), a.navigate) for a in signal.axes_manager._axes] == [
            ("n", 3, 0.1, 0.0, "s", True), ("y", 4, 0.5, -1.0, "nm", False), ("x", 5, 0.25, 0.0, "nm", False)]
        np.testing.assert_array_equal(signal.data, stack)
        np.testing.assert_array_equal(writer.read(store, name), stack)
    plain = Hspy()  # no axes: pixel axes, the last two the signal
    plain.write(stack, store, "p.hspy", KEY)
    assert hs.load(store.full("p.hspy")).axes_manager.signal_shape == (5, 4)
    with pytest.raises(PipelineError, match="come first"):
        Hspy(axes=[{"name": "a", "navigate": False}, {"name": "b", "navigate": True}, {"navigate": False}]).write(
            stack, store, "c.hspy", KEY)


def test_nexus_and_hspy_targets_go_to_s3_through_a_local_file(s3_store: Store):
    image = RNG.integers(0, 1000, size=(2, 6, 8), dtype=np.uint16)

    @step(target="nx/{n}.nxs", writer=NeXus(axes=["c", "y", "x"]))
    def nexus(n: int):
        return da.from_array(image + n, chunks=(1, 6, 8))

    @step(target="hs/{n}.hspy")
    def hspy(n: int, data):
        return np.asarray(data) * 2

    handles = [hspy(n, nexus(n)) for n in range(2)]
    assert len(run(handles, store=s3_store).executed()) == 4
    np.testing.assert_array_equal(run(handles, store=s3_store).value(handles[1]), (image + 1) * 2)
    with s3_store.open("nx/1.nxs") as handle, h5py.File(handle, "r") as f:
        assert list(f["entry/data"].attrs["axes"]) == ["c", "y", "x"]
        np.testing.assert_array_equal(f["entry/data/data"][()], image + 1)


def test_targets_pick_their_writer_from_the_suffix():
    assert {type(writer_for(f"x/y{suffix}")).__name__ for suffix, kind in BY_SUFFIX if kind is not Parquet} == {
        "OmeTiff", "OmeZarr", "Png", "Npy", "Hdf5", "NeXus", "Hspy", "Json", "Csv"}
    with pytest.raises(PipelineError, match="No writer"):
        writer_for("x.weird")


def test_writers_declare_how_they_reach_remote_stores():
    declared = {kind.__name__: kind.remote for _, kind in BY_SUFFIX}
    assert declared == {"OmeTiff": "local temporary", "OmeZarr": "direct", "Png": "direct", "Npy": "direct",
                        "Hdf5": "local temporary", "NeXus": "local temporary", "Hspy": "local temporary",
                        "Json": "direct", "Csv": "direct", "Parquet": "direct"}


def test_on_s3_single_files_and_directories_commit_by_their_manifest(s3_store: Store):
    cube = RNG.integers(0, 1000, size=(2, 8, 8), dtype=np.uint16)

    @step(target="z/{n}.ome.zarr", writer=OmeZarr(dims="CYX", channel_names=["p", "q"]))
    def stack(n: int):
        return da.from_array(cube + n, chunks=(1, 4, 8))

    @step(target="t/{n}.ome.tiff", writer=OmeTiff(dims="CYX"))
    def copy(n: int, image):
        return np.asarray(image)

    handles = [copy(n, stack(n)) for n in range(3)]
    result = run(handles, store=s3_store)
    assert len(result.executed()) == 6
    for n in range(3):
        np.testing.assert_array_equal(result.value(handles[n]), cube + n)
    fs = s3_store.fs
    group = zarr.open_group(fs.get_mapper(s3_store.full("z/1.ome.zarr")), mode="r")
    assert group.attrs["multiscales"][0]["axes"][0] == {"name": "c", "type": "channel"}
    assert fs.find(s3_store.full("z/1.ome.zarr/0")) != []
    # Without its manifest a directory target does not exist, even with every chunk present.
    fs.rm(s3_store.full("z/.1.ome.zarr.manifest.json"))
    reasons = {n.target: n.reasons for n in plan(handles, store=s3_store).nodes}
    assert reasons["z/1.ome.zarr"] == ["half-written"] and reasons["t/1.ome.tiff"] == []
    assert run(handles, store=s3_store).executed() == ["z/1.ome.zarr"]
    manifest = json.loads(fs.cat_file(s3_store.full("t/.2.ome.tiff.manifest.json")))
    assert manifest["data"]["size"] == fs.info(s3_store.full("t/2.ome.tiff"))["size"]
    assert manifest["writer"]["config"]["dims"] == "CYX"


def test_a_webdav_store_holds_targets_and_manifests(webdav_url: str):
    from _services import WEBDAV_PASSWORD, WEBDAV_USER

    options = {"base_url": webdav_url, "auth": [WEBDAV_USER, WEBDAV_PASSWORD]}
    store = Store.from_spec(f"webdav://group/pipeline-{uuid.uuid4().hex[:8]}", options)
    image = RNG.integers(0, 4000, size=(2, 3, 8, 8), dtype=np.uint16)

    @step(target="cells/{n}.ome.tiff", writer=OmeTiff(dims="CZYX", channel_names=["a", "b"]))
    def cell(n: int):
        return image + n

    @step(target="sums/{n}.json")
    def total(n: int, normed):
        return {"sum": int(np.asarray(normed, dtype=np.int64).sum())}

    handles = [total(n, cell(n)) for n in range(2)]
    assert len(run(handles, store=store).executed()) == 4
    assert run(handles, store=store).executed() == []
    assert Json().read(store, "sums/1.json") == {"sum": int(image.astype(np.int64).sum() + image.size)}
    with store.open("cells/1.ome.tiff") as handle, tifffile.TiffFile(handle) as tif:
        assert tif.series[0].axes == "CZYX" and 'Name="b"' in tif.ome_metadata
        np.testing.assert_array_equal(tif.series[0].asarray(), image + 1)
