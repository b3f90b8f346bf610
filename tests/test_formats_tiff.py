"""TIFF files open as lazy datasets: stacks, ImageJ hyperstacks, OME-TIFF, tiled and compressed
pages, single images and the results this product writes, each equal to ``tifffile.imread``,
locally and through fsspec byte ranges; broken, mixed and absurd files are 4xx, and nothing
outside the repository is ever read."""

from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import struct
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import tifffile
from _data import demo_dir, demo_truth, local_repository, memory_repository

from jupyter_remotem import demo
from jupyter_remotem.compute.preview import PreviewRequest, compute_preview, kinds_for
from jupyter_remotem.errors import BadParameter, CorruptFile, NotFound, RemotemError, UnsupportedFormat
from jupyter_remotem.formats import list_arrays, open_dataset, tiff
from jupyter_remotem.formats.provenance import read_provenance
from jupyter_remotem.formats.readers import ChunkTableReader, OffsetReader
from jupyter_remotem.jobs.result_formats import tiff_bytes

RNG = np.random.default_rng(20240517)
#: Odd sizes on purpose: 7 pages of 33×17.
STACK = RNG.integers(0, 65535, (7, 33, 17), dtype=np.uint16)
FLOATS = RNG.standard_normal((5, 33, 17)).astype(np.float32)
FLOATS[1, 2, 3] = np.nan
FLOATS[4, -1, -1] = np.nan
HYPER = RNG.integers(0, 255, (2, 3, 4, 10, 12), dtype=np.uint8)  # T, Z, C, Y, X


def _pages(path: Path) -> None:
    """Pages written one by one, each with its own IFD before its data (as cameras write)."""
    with tifffile.TiffWriter(path) as writer:
        for page in STACK:
            writer.write(page, contiguous=False, metadata=None)


def _spread(path: Path) -> None:
    """Pages between IFDs of different lengths: the data are at irregular offsets."""
    with tifffile.TiffWriter(path) as writer:
        for i, page in enumerate(STACK):
            writer.write(page, contiguous=False, metadata=None, description="x" * (37 * i + 1))


#: file name → (writer, expected shape, expected reader class or None for the decoding reader)
FILES = {
    "plain.tif": (lambda p: tifffile.imwrite(p, STACK), STACK.shape, OffsetReader),
    "big_endian.tif": (lambda p: tifffile.imwrite(p, STACK, byteorder=">"), STACK.shape, OffsetReader),
    "pages.tif": (_pages, STACK.shape, OffsetReader),
    "spread.tif": (_spread, STACK.shape, ChunkTableReader),
    "imagej.tif": (lambda p: tifffile.imwrite(p, STACK, imagej=True, resolution=(1 / 0.25, 1 / 0.5),
                                              metadata={"axes": "ZYX", "spacing": 1.5, "unit": "um"}),
                   STACK.shape, OffsetReader),
    "hyperstack.tif": (lambda p: tifffile.imwrite(p, HYPER, imagej=True,
                                                  metadata={"axes": "TZCYX", "finterval": 0.5}),
                       HYPER.shape, OffsetReader),
    "cells.ome.tif": (lambda p: tifffile.imwrite(p, STACK, ome=True, metadata={
        "axes": "ZYX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.5, "PhysicalSizeZ": 1.5}), STACK.shape, OffsetReader),
    "tiled_zlib.tif": (lambda p: tifffile.imwrite(p, STACK, compression="zlib", tile=(16, 16)), STACK.shape, None),
    "predicted.tif": (lambda p: tifffile.imwrite(p, STACK, compression="zlib", predictor=True), STACK.shape, None),
    "lzma.tif": (lambda p: tifffile.imwrite(p, STACK, compression="lzma", rowsperstrip=5), STACK.shape, None),
    "floats.tif": (lambda p: tifffile.imwrite(p, FLOATS), FLOATS.shape, OffsetReader),
    "floats_zlib.tif": (lambda p: tifffile.imwrite(p, FLOATS, compression="zlib"), FLOATS.shape, None),
    "image.tif": (lambda p: tifffile.imwrite(p, STACK[0]), STACK.shape[1:], OffsetReader),
    "image_tiled.tif": (lambda p: tifffile.imwrite(p, STACK[0], compression="zlib", tile=(16, 16)),
                        STACK.shape[1:], None),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiff")
    for name, (write, _, _) in FILES.items():
        write(root / name)
    return root


@pytest.fixture(scope="module")
def remote(folder: Path):
    repository = memory_repository()
    for path in folder.iterdir():
        repository.fs.pipe(repository.full_path(path.name), path.read_bytes())
    return repository


def repository_for(where: str, folder: Path, remote):
    return local_repository(folder) if where == "local" else remote


CASES = [(name, where) for name in FILES for where in ("local", "memory")]


@pytest.mark.parametrize("name,where", CASES)
def test_every_kind_of_tiff_reads_as_tifffile_does(folder, remote, name, where):
    _, shape, reader_class = FILES[name]
    truth = tifffile.imread(folder / name)
    with open_dataset(repository_for(where, folder, remote), name) as ds:
        assert ds.format == "tiff"
        assert ds.shape == shape and ds.dtype == truth.dtype and ds.dtype.isnative
        assert isinstance(ds.reader, reader_class or tiff.TiffPageReader)
        np.testing.assert_array_equal(ds.read((Ellipsis,)), truth)
        json.dumps(ds.describe())


@pytest.mark.parametrize("name,where", CASES)
def test_slices_and_scattered_frames(folder, remote, name, where):
    truth = tifffile.imread(folder / name)
    frames = truth.reshape((-1,) + truth.shape[-2:])
    with open_dataset(repository_for(where, folder, remote), name) as ds:
        for selection in [(Ellipsis, 5, slice(None, None, -3)), (slice(None, None, 2),) if truth.ndim > 2 else (3,),
                          (-1, slice(30, 3, -4)), (Ellipsis, slice(2, 15, 6))]:
            np.testing.assert_array_equal(ds.read(selection), truth[selection], err_msg=str(selection))
        indices = np.array([len(frames) - 1, 0, len(frames) // 2, 0])
        np.testing.assert_array_equal(ds.read_frames(indices), frames[indices])
        assert ds.read_frames(np.array([], dtype=np.int64)).shape == (0,) + truth.shape[-2:]


def test_stacks_are_pages_by_images_and_a_single_page_is_an_image(folder):
    repository = local_repository(folder)
    with open_dataset(repository, "plain.tif") as ds:
        assert ds.nav_shape == (7,) and ds.sig_shape == (33, 17)
        assert [a.name for a in ds.axes] == ["page", "y", "x"] and [a.navigate for a in ds.axes] == [True, False, False]
        assert [k.kind for k in kinds_for(ds)] == ["first", "middle"], "a stack previews as images, no BF or ADF"
    with open_dataset(repository, "image.tif") as ds:
        assert ds.nav_ndim == 0 and ds.shape == (33, 17)
        assert [k.kind for k in kinds_for(ds)] == ["image"]
    with open_dataset(repository, "hyperstack.tif") as ds:
        assert [a.name for a in ds.axes] == ["time", "z", "channel", "y", "x"] and ds.nav_ndim == 3
        assert (ds.axes[0].scale, ds.axes[0].units) == (0.5, "s")


def test_imagej_and_ome_calibrations_are_kept(folder):
    repository = local_repository(folder)
    for name in ["imagej.tif", "cells.ome.tif"]:
        with open_dataset(repository, name) as ds:
            assert [(a.name, a.scale, a.units) for a in ds.axes] == [
                ("z", 1.5, "µm"), ("y", 0.5, "µm"), ("x", 0.25, "µm")], name
    with open_dataset(repository, "imagej.tif") as ds:
        assert ds.metadata["imagej"]["spacing"] == 1.5 and ds.metadata["tiff"]["series"] == "imagej"
    with open_dataset(repository, "plain.tif") as ds:
        assert {a.units for a in ds.axes[1:]} == {"px"}


def test_a_calibrated_origin_and_a_micrometre_resolution_unit(tmp_path):
    tifffile.imwrite(tmp_path / "origin.tif", STACK, imagej=True, resolution=(2.0, 2.0),
                     metadata={"axes": "ZYX", "unit": "micron", "xorigin": 4, "yorigin": 8})
    tifffile.imwrite(tmp_path / "dng.tif", STACK[0], resolution=(10.0, 20.0), resolutionunit="MICROMETER")
    tifffile.imwrite(tmp_path / "print.tif", STACK[0], resolution=(300.0, 300.0), resolutionunit="INCH")
    repository = local_repository(tmp_path)
    with open_dataset(repository, "origin.tif") as ds:
        assert [(a.scale, a.offset, a.units) for a in ds.axes[1:]] == [(0.5, -4.0, "µm"), (0.5, -2.0, "µm")]
    with open_dataset(repository, "dng.tif") as ds:
        assert [(a.scale, a.units) for a in ds.axes] == [(0.05, "µm"), (0.1, "µm")]
    with open_dataset(repository, "print.tif") as ds:
        assert {a.units for a in ds.axes} == {"px"}, "dots per inch are for printers, not a calibration"


def test_compressed_pages_are_decoded_only_when_read(folder, monkeypatch):
    decoded: list[int] = []
    page = tiff.TiffPageReader._page
    monkeypatch.setattr(tiff.TiffPageReader, "_page", lambda self, number: decoded.append(number) or page(self, number))
    truth = tifffile.imread(folder / "tiled_zlib.tif")
    with open_dataset(local_repository(folder), "tiled_zlib.tif") as ds:
        assert decoded == [], "opening decodes nothing"
        np.testing.assert_array_equal(ds.read((4, slice(3, 9))), truth[4, 3:9])
        assert decoded == [4]
        decoded.clear()
        compute_preview(ds, PreviewRequest(kind="middle"), 64 << 20, 64)
        assert decoded == [3], "a preview of a stack decodes the one page it shows"


def test_remote_stacks_fetch_the_frames_asked_for(folder, remote, monkeypatch):
    from jupyter_remotem.formats import sources

    fetched: list[int] = []
    read_ranges = sources.ByteSource.read_ranges
    monkeypatch.setattr(sources.ByteSource, "read_ranges", lambda self, starts, ends: fetched.append(
        int(np.sum(np.asarray(ends) - np.asarray(starts)))) or read_ranges(self, starts, ends))
    for name in ["plain.tif", "spread.tif", "imagej.tif"]:
        fetched.clear()
        with open_dataset(remote, name) as ds:
            np.testing.assert_array_equal(ds.read((2,)), STACK[2])
        assert sum(fetched) == STACK[2].nbytes, name


def test_decoding_reader_is_thread_safe_picklable_and_daskable(folder):
    truth = tifffile.imread(folder / "tiled_zlib.tif")
    with open_dataset(local_repository(folder), "tiled_zlib.tif") as ds:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda i: ds.read_frames(np.array([i % 7, 6 - i % 7])), range(28)))
        for i, frames in enumerate(results):
            np.testing.assert_array_equal(frames, truth[[i % 7, 6 - i % 7]])
        clone = pickle.loads(pickle.dumps(ds.reader))
        np.testing.assert_array_equal(clone.read((5,)), truth[5])
        clone.close()
        np.testing.assert_array_equal(ds.to_dask().compute(scheduler="threads"), truth)
        assert ds.chunks == (1, 33, 17)


def test_nan_survives_both_readers(folder):
    for name in ["floats.tif", "floats_zlib.tif"]:
        with open_dataset(local_repository(folder), name) as ds:
            data = ds.read((Ellipsis,))
            assert np.isnan(data[1, 2, 3]) and np.isnan(data[4, -1, -1]) and np.isnan(data).sum() == 2
            np.testing.assert_array_equal(data, FLOATS)


def test_colour_pages_keep_their_samples(tmp_path):
    rgb = RNG.integers(0, 255, (4, 10, 12, 3), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    tifffile.imwrite(tmp_path / "planar.tif", np.moveaxis(rgb, -1, 1), photometric="rgb", planarconfig="separate")
    with open_dataset(local_repository(tmp_path), "rgb.tif") as ds:
        assert ds.shape == (4, 10, 12, 3) and ds.nav_ndim == 1
        np.testing.assert_array_equal(ds.read((2,)), rgb[2])
    with open_dataset(local_repository(tmp_path), "planar.tif") as ds:
        assert ds.shape == (4, 3, 10, 12) and ds.sig_shape == (10, 12), "separate planes are frames"
        np.testing.assert_array_equal(ds.read_frames(np.array([7])), np.moveaxis(rgb, -1, 1)[2, 1][None])


@pytest.mark.parametrize("shape", [(6, 5), (6, 5, 3), (9,)])
def test_results_this_product_writes_as_tiff_open_again(tmp_path, shape):
    array = RNG.standard_normal(shape)
    (tmp_path / "result.tif").write_bytes(tiff_bytes(array, {"provenance": {"operation": "virtual_detector"}}))
    repository = local_repository(tmp_path)
    expected = {2: array, 3: np.moveaxis(array, -1, 0), 1: array[None, :]}[len(shape)].astype(np.float32)
    with open_dataset(repository, "result.tif") as ds:
        assert ds.shape == expected.shape and ds.dtype == np.float32
        np.testing.assert_array_equal(ds.read((Ellipsis,)), expected)
        assert [k.kind for k in kinds_for(ds)] == (["first", "middle"] if len(shape) == 3 else ["image"])
    assert read_provenance(repository, "result.tif") == {"operation": "virtual_detector"}


def test_declared_images_are_arrays_of_their_own(tmp_path):
    with tifffile.TiffWriter(tmp_path / "two.tif") as writer:
        writer.write(STACK[:3], photometric="minisblack")
        writer.write(FLOATS[:2, :20], photometric="minisblack")
    repository = local_repository(tmp_path)
    arrays = list_arrays(repository, "two.tif")
    assert [(a["path"], a["shape"], a["dtype"]) for a in arrays] == [
        ("/series/0", [3, 33, 17], "<u2"), ("/series/1", [2, 20, 17], "<f4")]
    with open_dataset(repository, "two.tif") as first:
        np.testing.assert_array_equal(first.read((Ellipsis,)), STACK[:3])
        assert first.internal_path == "/series/0"
    with open_dataset(repository, "two.tif", "/series/1") as second:
        np.testing.assert_array_equal(second.read((Ellipsis,)), FLOATS[:2, :20])
    with pytest.raises(NotFound):
        open_dataset(repository, "two.tif", "/series/2")
    with pytest.raises(BadParameter):
        open_dataset(repository, "two.tif", "/entry/data")


def test_the_demo_stack_holds_images_of_the_scan():
    with open_dataset(local_repository(demo_dir()), "virtual_images.tif") as ds:
        assert ds.shape == (3,) + demo.SIZES["small"].scan_shape
        assert [(a.name, a.units) for a in ds.axes] == [("channel", ""), ("y", "nm"), ("x", "nm")]
        assert ds.axes[1].scale == pytest.approx(demo.SIZES["small"].scan_step_nm)
        np.testing.assert_allclose(ds.read((Ellipsis,)), demo.virtual_images(demo_truth(), demo.SIZES["small"]))
        assert ds.metadata["imagej"]["Labels"] == list(demo.VIRTUAL_IMAGES)


# -- hostile files -------------------------------------------------------------------------
def _bytes(array: np.ndarray = STACK, **options) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, **options)
    return buffer.getvalue()


def _patched(blob: bytes, **tags: int) -> bytes:
    """``blob`` with the first page's tags (by code) set to other values."""
    data = bytearray(blob)
    with tifffile.TiffFile(io.BytesIO(blob)) as tif:
        for code, value in tags.items():
            tag = tif.pages[0].tags[int(code[1:])]
            fmt = {3: "<H", 4: "<I"}[tag.dtype]
            data[tag.valueoffset : tag.valueoffset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return bytes(data)


def _mixed(path: Path) -> None:
    with tifffile.TiffWriter(path) as writer:
        writer.write(STACK[0], metadata=None)
        writer.write(STACK[1, :20], metadata=None)
        writer.write(STACK[2].astype(np.float32), metadata=None)
        writer.write(STACK[3], metadata=None)


BROKEN = {
    # name: (bytes or writer, error class, words the message must have)
    "empty.tif": (b"", CorruptFile, "not a tiff"),
    "noise.tif": (RNG.bytes(3000), CorruptFile, "not a tiff"),
    "noise_after_header.tif": (b"II*\x00" + RNG.bytes(3000), CorruptFile, "no readable image"),
    "header_cut.tif": (_bytes()[:100], CorruptFile, "ifd"),
    "half.tif": (_bytes()[: len(_bytes()) // 2], CorruptFile, "damaged"),
    "imagej_half.tif": (_bytes(imagej=True)[:5000], CorruptFile, "imagej"),
    "zlib_half.tif": (_bytes(compression="zlib", tile=(16, 16))[:5000], CorruptFile, "damaged"),
    "mixed.tif": (_mixed, UnsupportedFormat,
                  "pages 0, 3: 33×17 uint16; page 1: 20×17 uint16; page 2: 33×17 float32"),
    # Data that say they are LZW but are not: the codec (imagecodecs) finds them damaged.
    "lzw.tif": (_patched(_bytes(STACK[0], metadata=None), t259=5), CorruptFile, "could not read"),
    # A compression no codec of this server knows: refused before any read, by its number.
    "unknown_codec.tif": (_patched(_bytes(STACK[0], metadata=None), t259=60001), UnsupportedFormat, "60001"),
    "huge.tif": (_patched(_bytes(STACK[0], metadata=None), t256=2**32 - 1, t257=2**32 - 1, t278=2**32 - 1),
                 CorruptFile, "no file holds"),
    "bomb.tif": (_patched(_bytes(STACK[0], compression="zlib", metadata=None), t256=200_000, t257=200_000,
                          t278=200_000), CorruptFile, "decompress"),
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("broken_tiff")
    for name, (content, _, _) in BROKEN.items():
        if callable(content):
            content(root / name)
        else:
            (root / name).write_bytes(content)
    return root


@pytest.mark.parametrize("name", BROKEN)
@pytest.mark.parametrize("where", ["local", "memory"])
def test_broken_mixed_and_absurd_tiffs_are_client_errors(broken, name, where):
    _, error_class, words = BROKEN[name]
    if where == "local":
        repository = local_repository(broken)
    else:
        repository = memory_repository()
        repository.fs.pipe(repository.full_path(name), (broken / name).read_bytes())
    with pytest.raises(error_class) as error:
        with open_dataset(repository, name) as ds:
            ds.read((Ellipsis,))  # some damage shows only when the data are read
    assert 400 <= error.value.status < 500 and name in error.value.message
    assert words.lower() in error.value.message.lower(), error.value.message
    assert error.value.hint


def test_compressed_data_cut_short_is_refused(tmp_path):
    blob = _bytes(compression="zlib", tile=(16, 16))
    (tmp_path / "cut.tif").write_bytes(blob[:-600])  # the IFDs are whole, the last page's tiles are not
    with pytest.raises(CorruptFile, match="truncated: page 6"):
        open_dataset(local_repository(tmp_path), "cut.tif")
    (tmp_path / "shrinks.tif").write_bytes(blob)
    with open_dataset(local_repository(tmp_path), "shrinks.tif") as ds:
        np.testing.assert_array_equal(ds.read((0,)), STACK[0])
        (tmp_path / "shrinks.tif").write_bytes(blob[:-600])  # cut while open: the decoder meets the end
        with pytest.raises(CorruptFile, match="shrinks.tif"):
            ds.read((6,))


def test_mixed_pages_are_refused_when_listed_too(broken):
    with pytest.raises(UnsupportedFormat) as error:
        list_arrays(local_repository(broken), "mixed.tif")
    assert "one shape and type" in error.value.hint


def _ome_pointing_at(other: str, root_uuid: str, other_uuid: str) -> str:
    """OME-XML of two planes: the first in this file, the second in ``other``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" UUID="urn:uuid:{root_uuid}">'
        '<Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint16" SizeX="17" SizeY="33" '
        'SizeC="1" SizeZ="2" SizeT="1"><Channel ID="Channel:0:0" SamplesPerPixel="1"/>'
        '<TiffData FirstZ="0" IFD="0" PlaneCount="1">'
        f'<UUID FileName="inside.ome.tif">urn:uuid:{root_uuid}</UUID></TiffData>'
        '<TiffData FirstZ="1" IFD="0" PlaneCount="1">'
        f'<UUID FileName="{other}">urn:uuid:{other_uuid}</UUID></TiffData>'
        "</Pixels></Image></OME>"
    )


def test_multi_file_ome_never_reads_outside_the_repository(tmp_path, monkeypatch):
    secret = np.full((1, 33, 17), 31337, dtype=np.uint16)
    outside, inside = tmp_path / "outside", tmp_path / "repo"
    outside.mkdir()
    inside.mkdir()
    tifffile.imwrite(outside / "secret.ome.tif", secret, ome=True)
    other_uuid = str(uuid.uuid4())
    description = _ome_pointing_at("../outside/secret.ome.tif", str(uuid.uuid4()), other_uuid)
    tifffile.imwrite(inside / "inside.ome.tif", STACK[:1], description=description, metadata=None)
    os.symlink(outside / "secret.ome.tif", inside / "link.ome.tif")
    opened: list[str] = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda file, *a, **k: opened.append(str(file)) or real_open(file, *a, **k))
    repository = local_repository(inside)
    with open_dataset(repository, "inside.ome.tif") as ds:
        data = ds.read((Ellipsis,))
    assert not (data == 31337).any()
    np.testing.assert_array_equal(data.reshape(-1, 33, 17)[0], STACK[0])
    with pytest.raises(RemotemError) as error:
        open_dataset(repository, "link.ome.tif")
    assert 400 <= error.value.status < 500
    assert any(path.endswith("inside.ome.tif") for path in opened), "the spy sees the files opened"
    assert not [path for path in opened if os.path.realpath(path).startswith(str(outside))], opened


@pytest.mark.parametrize("service", ["s3", "webdav"])
def test_real_remote_storage_reads_both_ways(request, folder, service):
    """Through s3fs and webdav4 (in a folder of their own, so other tests' listings are untouched):
    the byte-offset reader by ranged reads, the decoding reader through tifffile's reads."""
    from _services import s3_repository, webdav_repository

    from jupyter_remotem.storage.repository import Repository, RepositoryConfig

    if service == "s3":
        config = dict(s3_repository(request.getfixturevalue("s3_endpoint")), url="s3://scans/tiff-tests")
    else:
        config = dict(webdav_repository(request.getfixturevalue("webdav_url")), url="webdav://tiff-tests")
    repository = Repository(RepositoryConfig.from_dict(config))
    repository.fs.makedirs(repository.full_path(""), exist_ok=True)
    for name in ["imagej.tif", "tiled_zlib.tif"]:
        repository.fs.pipe(repository.full_path(name), (folder / name).read_bytes())
    with open_dataset(repository, "imagej.tif") as ds:
        assert isinstance(ds.reader, OffsetReader) and ds.axes[0].scale == 1.5
        np.testing.assert_array_equal(ds.read_frames(np.array([6, 1])), STACK[[6, 1]])
    with open_dataset(repository, "tiled_zlib.tif") as ds:
        assert isinstance(ds.reader, tiff.TiffPageReader)
        np.testing.assert_array_equal(ds.read((slice(2, 5), slice(20, 33))), STACK[2:5, 20:33])
