"""Bad files and bad requests become 4xx errors with clear messages, never crashes."""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
from _data import demo_dir, local_repository, memory_repository

from jupyter_remotem import demo
from jupyter_remotem.errors import BadParameter, CorruptFile, NotFound, UnsupportedFormat
from jupyter_remotem.formats import list_arrays, open_dataset


@pytest.fixture
def local(tmp_path):
    return local_repository(tmp_path)


def write_h5(path, **datasets):
    with h5py.File(path, "w") as f:
        for name, data in datasets.items():
            f.create_dataset(name, data=data)


def test_truncated_hdf5_is_corrupt(local, tmp_path):
    write_h5(tmp_path / "full.h5", data=np.arange(200_000, dtype="<f4").reshape(100, 2000))
    blob = (tmp_path / "full.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CorruptFile) as error:
        with open_dataset(local, "cut.h5") as ds:
            ds.read((slice(None),))
    assert "cut.h5" in error.value.message and error.value.status == 422


def test_a_chunk_that_does_not_decompress_is_corrupt_with_what_to_do(local, tmp_path):
    frames = np.random.default_rng(4).poisson(2, (4, 5, 16, 16)).astype("uint16")
    with h5py.File(tmp_path / "damaged.h5", "w") as f:
        chunk = f.create_dataset("data", data=frames, chunks=(1, 5, 16, 16), compression="gzip").id.get_chunk_info(2)
    with open(tmp_path / "damaged.h5", "r+b") as raw:
        raw.seek(chunk.byte_offset + 8)
        raw.write(bytes(range(32)))
    with open_dataset(local, "damaged.h5") as ds:
        assert np.array_equal(ds.read((slice(0, 2),)), frames[:2])  # the sound chunks still read
        with pytest.raises(CorruptFile) as error:
            ds.read((slice(2, 3),))
    assert "damaged.h5" in error.value.message and error.value.status == 422
    assert "copy it again" in error.value.hint


def test_truncated_hdf5_is_corrupt_remotely_too(tmp_path):
    write_h5(tmp_path / "full.h5", data=np.arange(200_000, dtype="<f4").reshape(100, 2000))
    repository = memory_repository()
    blob = (tmp_path / "full.h5").read_bytes()
    repository.fs.pipe(repository.full_path("cut.h5"), blob[: len(blob) - 1000])
    with pytest.raises(CorruptFile):
        with open_dataset(repository, "cut.h5") as ds:
            ds.read((slice(None),))


def test_garbage_with_h5_suffix_is_corrupt(local, tmp_path):
    (tmp_path / "noise.h5").write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(CorruptFile) as error:
        open_dataset(local, "noise.h5")
    assert "HDF5" in error.value.message
    with pytest.raises(CorruptFile):
        list_arrays(local, "noise.h5")


def test_hdf5_with_only_groups_or_scalars_is_not_an_array(local, tmp_path):
    with h5py.File(tmp_path / "groups.h5", "w") as f:
        f.create_group("entry/sample")
        f.create_dataset("entry/temperature", data=293.0)
        f.create_dataset("entry/name", data="sample A")
    with pytest.raises(UnsupportedFormat):
        open_dataset(local, "groups.h5")
    with pytest.raises(UnsupportedFormat):
        list_arrays(local, "groups.h5")
    with pytest.raises(BadParameter, match="scalar"):
        open_dataset(local, "groups.h5", "/entry/temperature")
    with pytest.raises(BadParameter, match="group"):
        open_dataset(local, "groups.h5", "/entry/sample")


def test_missing_internal_dataset_is_not_found(local, tmp_path):
    write_h5(tmp_path / "a.h5", data=np.zeros((4, 4)))
    with pytest.raises(NotFound) as error:
        open_dataset(local, "a.h5", "/entry/nothing")
    assert error.value.status == 404
    repository = local_repository(demo_dir())
    with pytest.raises(NotFound):
        open_dataset(repository, "scan.zarr", "/nothing")
    with pytest.raises(NotFound):
        open_dataset(repository, "scan.hspy", "/Experiments/other/data")


def test_internal_path_on_single_array_formats_is_a_bad_parameter():
    repository = local_repository(demo_dir())
    for name in ["scan.npy", "scan.raw", "scan.mib", "scan.dm4", "scan.blo"]:
        with pytest.raises(BadParameter):
            open_dataset(repository, name, "/entry/data")
    with open_dataset(repository, "scan.npy", "/") as ds:
        assert ds.shape == (32, 48, 64, 64)


def test_missing_file_is_not_found(local):
    with pytest.raises(NotFound):
        open_dataset(local, "nowhere.h5")
    with pytest.raises(NotFound):
        open_dataset(memory_repository(), "nowhere.npy")


def test_unknown_suffix_and_plain_folders_are_unsupported(local, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "folder").mkdir()
    (tmp_path / "picture.json").write_text("{}")
    for name in ["notes.txt", "folder", "picture.json"]:
        with pytest.raises(UnsupportedFormat) as error:
            open_dataset(local, name)
        assert error.value.status == 415


def test_npy_with_broken_header_is_corrupt(local, tmp_path):
    np.save(tmp_path / "good.npy", np.arange(24, dtype="<u2").reshape(2, 3, 4))
    blob = bytearray((tmp_path / "good.npy").read_bytes())
    blob[12:30] = b"{'descr': <garbage"
    (tmp_path / "broken.npy").write_bytes(bytes(blob))
    (tmp_path / "nomagic.npy").write_bytes(b"not numpy at all" * 10)
    for name in ["broken.npy", "nomagic.npy"]:
        with pytest.raises(CorruptFile):
            open_dataset(local, name)


def test_npy_shorter_than_its_header_says_is_corrupt(local, tmp_path):
    np.save(tmp_path / "good.npy", np.arange(4096, dtype="<f4").reshape(4, 32, 32))
    blob = (tmp_path / "good.npy").read_bytes()
    (tmp_path / "short.npy").write_bytes(blob[:-100])
    with pytest.raises(CorruptFile, match="truncated"):
        open_dataset(local, "short.npy")


def test_fortran_and_object_npy_are_refused_with_a_hint(local, tmp_path):
    np.save(tmp_path / "fortran.npy", np.asfortranarray(np.zeros((4, 5, 6))))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(UnsupportedFormat) as error:
        open_dataset(local, "fortran.npy")
    assert "ascontiguousarray" in error.value.hint
    with pytest.raises(UnsupportedFormat):
        open_dataset(local, "objects.npy")


def test_raw_without_sidecar_says_what_to_write(local, tmp_path):
    (tmp_path / "frames.raw").write_bytes(bytes(64))
    with pytest.raises(UnsupportedFormat) as error:
        open_dataset(local, "frames.raw")
    assert "frames.raw.json" in error.value.hint and '"shape"' in error.value.hint and '"dtype"' in error.value.hint


@pytest.mark.parametrize(
    "sidecar",
    [
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"dtype": "<u2"}),
        json.dumps({"shape": [2, -4], "dtype": "<u2"}),
        json.dumps({"shape": [4, 4], "dtype": "banana"}),
        json.dumps({"shape": [4, 4], "dtype": "<u2", "offset": -1}),
        json.dumps({"shape": [4, 4], "dtype": "<u2", "nav_ndim": 3}),
        json.dumps({"shape": [4, 4], "dtype": "<U4"}),
    ],
)
def test_raw_with_a_wrong_sidecar_is_corrupt_with_a_hint(local, tmp_path, sidecar):
    (tmp_path / "frames.raw").write_bytes(bytes(64))
    (tmp_path / "frames.raw.json").write_text(sidecar)
    with pytest.raises(CorruptFile) as error:
        open_dataset(local, "frames.raw")
    assert "frames.raw.json" in error.value.message and '"shape"' in error.value.hint


def test_raw_shorter_than_its_sidecar_says_is_corrupt(local, tmp_path):
    (tmp_path / "frames.bin").write_bytes(bytes(100))
    (tmp_path / "frames.json").write_text(json.dumps({"shape": [2, 3, 4, 5], "dtype": "<u2", "offset": 8}))
    with pytest.raises(CorruptFile, match="truncated"):
        open_dataset(local, "frames.bin")


def test_raw_sidecar_named_after_the_stem_and_frame_stride_work(local, tmp_path):
    frames = np.arange(6 * 4 * 4, dtype="<u2").reshape(2, 3, 4, 4)
    with open(tmp_path / "strided.bin", "wb") as f:
        f.write(b"HEAD")
        for frame in frames.reshape(6, 4, 4):
            f.write(b"\xaa" * 8 + frame.tobytes())
    (tmp_path / "strided.json").write_text(
        json.dumps({"shape": [2, 3, 4, 4], "dtype": "<u2", "offset": 12, "frame_stride": 40, "operator": "kim"})
    )
    with open_dataset(local, "strided.bin") as ds:
        np.testing.assert_array_equal(ds.read((slice(None),)), frames)
        np.testing.assert_array_equal(ds.read_frames(np.array([5, 0])), frames.reshape(6, 4, 4)[[5, 0]])
        assert ds.metadata["raw"] == {"operator": "kim"}


def test_corrupt_zarr_is_a_client_error(tmp_path):
    local = local_repository(tmp_path)
    (tmp_path / "empty.zarr").mkdir()
    with pytest.raises(CorruptFile):
        open_dataset(local, "empty.zarr")


def test_remote_headers_are_fetched_not_the_frames(monkeypatch):
    """MIB, DM and blockfile readers parse a local stand-in holding only the header ranges."""
    from jupyter_remotem.formats import sources

    fetched: list[int] = []
    read_ranges = sources.ByteSource.read_ranges

    def counting(self, starts, ends):
        fetched.append(int(np.sum(np.asarray(ends) - np.asarray(starts))))
        return read_ranges(self, starts, ends)

    monkeypatch.setattr(sources.ByteSource, "read_ranges", counting)
    remote = memory_repository()
    for name in ["scan.mib", "scan.blo"]:
        remote.fs.pipe(remote.full_path(name), (demo_dir() / name).read_bytes())
        fetched.clear()
        with open_dataset(remote, name) as ds:
            assert ds.shape == demo.SIZES["small"].shape
        assert 0 < sum(fetched) < 0.1 * remote.info(name).size, name


def test_a_line_triggered_remote_mib_needs_only_its_first_frame_header(monkeypatch):
    """With a .hdr saying several frames per trigger, rsciio takes the scan's rows from it and
    reads no timestamps: the first header is all that is fetched of the data file."""
    from jupyter_remotem.formats import sources

    fetched: list[int] = []
    read_ranges = sources.ByteSource.read_ranges
    monkeypatch.setattr(sources.ByteSource, "read_ranges", lambda self, starts, ends: fetched.append(
        int(np.sum(np.asarray(ends) - np.asarray(starts)))) or read_ranges(self, starts, ends))
    remote = memory_repository()
    for name in ["scan.mib", "scan.hdr"]:
        remote.fs.pipe(remote.full_path(name), (demo_dir() / name).read_bytes())
    with open_dataset(remote, "scan.mib") as ds, open_dataset(local_repository(demo_dir()), "scan.mib") as truth:
        assert ds.shape == truth.shape and ds.metadata == truth.metadata
        np.testing.assert_array_equal(ds.read((slice(5, 7),)), truth.read((slice(5, 7),)))
    assert sum(fetched[:2]) <= 2 * 768, "the first header (read twice: to plan, then for rsciio)"


def test_a_remote_parse_is_remembered_until_the_file_changes(monkeypatch):
    from jupyter_remotem.formats import sources

    fetches: list[int] = []
    read_ranges = sources.ByteSource.read_ranges
    monkeypatch.setattr(sources.ByteSource, "read_ranges",
                        lambda self, starts, ends: fetches.append(len(starts)) or read_ranges(self, starts, ends))
    remote = memory_repository()
    blockfile = (demo_dir() / "scan.blo").read_bytes()
    remote.fs.pipe(remote.full_path("scan.blo"), blockfile)
    for expected_fetches in (2, 2):  # the header's size, then the header and note
        with open_dataset(remote, "scan.blo") as ds:
            assert ds.shape == demo.SIZES["small"].shape
        assert len(fetches) == expected_fetches, "the second open parses nothing again"
    remote.fs.pipe(remote.full_path("scan.blo"), blockfile + b"\0" * 512)  # rewritten: another size
    with open_dataset(remote, "scan.blo"):
        pass
    assert len(fetches) == 4


def test_dm_tags_past_the_fetched_ranges_are_refused_not_guessed(monkeypatch):
    """With too little of the tag tree fetched, the parse meets zeros: a 415 with the way out."""
    from jupyter_remotem.formats import dm
    from jupyter_remotem.formats.stand_in import head_and_tail

    remote = memory_repository()
    remote.fs.pipe(remote.full_path("scan.dm4"), (demo_dir() / "scan.dm4").read_bytes())
    monkeypatch.setattr(dm, "TAG_RANGES", head_and_tail(head=4096, tail=0))
    with pytest.raises(UnsupportedFormat) as error:
        open_dataset(remote, "scan.dm4")
    assert "remote storage" in error.value.message
    assert "local repository" in error.value.hint
    # Head and tail around the image data are enough, however large the data between them.
    monkeypatch.setattr(dm, "TAG_RANGES", head_and_tail(head=64 << 10, tail=64 << 10))
    with open_dataset(remote, "scan.dm4") as ds, open_dataset(local_repository(demo_dir()), "scan.dm4") as truth:
        assert ds.metadata == truth.metadata
        assert [axis.to_json() for axis in ds.axes] == [axis.to_json() for axis in truth.axes]
        np.testing.assert_array_equal(ds.read((slice(1, 3),)), truth.read((slice(1, 3),)))


def test_remote_mib_without_its_hdr_takes_the_scan_rows_from_the_frame_timestamps(tmp_path):
    remote = memory_repository()
    remote.fs.pipe(remote.full_path("scan.mib"), (demo_dir() / "scan.mib").read_bytes())
    shutil.copy(demo_dir() / "scan.mib", tmp_path / "scan.mib")  # local, and without .hdr too
    with open_dataset(remote, "scan.mib") as ds, open_dataset(local_repository(tmp_path), "scan.mib") as truth:
        assert "hdr_file" not in ds.metadata["original_metadata"]
        assert ds.shape == truth.shape
        np.testing.assert_array_equal(ds.read((slice(0, 2),)), truth.read((slice(0, 2),)))


def test_garbage_in_every_single_file_format_is_a_client_error(local, tmp_path):
    noise = np.random.default_rng(7).bytes(3000)
    for name in ["x.npy", "x.mib", "x.dm4", "x.dm3", "x.blo", "x.hspy", "x.emd", "x.nxs"]:
        (tmp_path / name).write_bytes(noise)
        with pytest.raises((CorruptFile, UnsupportedFormat)) as error:
            open_dataset(local, name)
        assert 400 <= error.value.status < 500, name


def test_selections_out_of_range_or_of_wrong_type_are_bad_parameters():
    repository = local_repository(demo_dir())
    with open_dataset(repository, "scan.npy") as ds:
        for selection in [(32,), (0, 0, 0, 0, 0), ("a",), (np.array([1, 2]),), (slice(0, 4, 0),), (..., ...), (True,)]:
            with pytest.raises(BadParameter):
                ds.read(selection)
        for indices in [np.array([1536]), np.array([-1])]:
            with pytest.raises(BadParameter):
                ds.read_frames(indices)
        with pytest.raises(BadParameter):
            ds.reader.read_frames(np.array([0.5]))
