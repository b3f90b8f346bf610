"""Formats declared once (``file_formats.py``) and served: ``GET formats``, the ``dataset``
flag of every listing entry (the lab keeps no list of its own), detection and opening."""

from __future__ import annotations

import pytest
from _api import get_json

from jupyter_remotem.file_formats import (
    BY_KEY,
    DATASET_FORMATS,
    FORMATS,
    detect_format,
    lister_of,
    opener_of,
    opens_as_dataset,
)
from jupyter_remotem.formats import open_dataset
from jupyter_remotem.storage.repository import Repository, RepositoryConfig


def test_storage_knows_formats_without_importing_the_readers() -> None:
    """The format table sits outside both packages: storage lists and copies files by it while
    no reader (h5py, zarr, rosettasciio) is imported, and there is no storage ⇄ formats cycle."""
    import subprocess
    import sys

    probe = ("import sys, jupyter_remotem.storage.repository, jupyter_remotem.storage.transfer, "
             "jupyter_remotem.storage.registry, jupyter_remotem.file_formats, jupyter_remotem.companions; "
             "print(sorted(m for m in sys.modules if m.startswith(('jupyter_remotem.formats', 'h5py', 'zarr', "
             "'rsciio'))))")
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "[]", answer.stdout


def test_keys_and_suffixes_name_one_format_each() -> None:
    assert len(BY_KEY) == len(FORMATS)
    suffixes = [suffix for fmt in FORMATS for suffix in fmt.suffixes]
    assert len(suffixes) == len(set(suffixes)), "a suffix claimed by two formats"
    assert all(suffix.startswith(".") and suffix == suffix.lower() for suffix in suffixes)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.key)
def test_every_dataset_format_names_functions_that_exist(fmt) -> None:
    if fmt.kind == "dataset":
        assert callable(opener_of(fmt.key)) and fmt.remote
    else:
        assert opener_of(fmt.key) is None
    assert (lister_of(fmt.key) is not None) == (fmt.lister is not None)


@pytest.mark.parametrize(("name", "is_directory", "expected"), [
    ("scan.H5", False, "hdf5"), ("run.nxs", False, "hdf5"), ("a.b.tiff", False, "tiff"),
    ("scan.zarr", True, "zarr"), ("scan.zarr/", True, "zarr"), ("scan.zspy", True, "zspy"),
    ("folder.h5", True, None),  # a folder named like a file format is a folder
    ("notes.txt", False, None), ("h5", False, None), ("", False, None),
])
def test_detection(name: str, is_directory: bool, expected: str | None) -> None:
    assert detect_format(name, is_directory) == expected


def test_opens_as_dataset_follows_the_declarations() -> None:
    assert opens_as_dataset("zarr", True) and opens_as_dataset("zarr", False)
    assert opens_as_dataset("hdf5", False) and not opens_as_dataset("hdf5", True)
    assert not opens_as_dataset("image", False) and not opens_as_dataset("json", False)
    assert not opens_as_dataset(None, True) and not opens_as_dataset("unknown", False)


def test_the_demo_data_has_a_file_of_every_dataset_format_and_each_opens(demo_dir) -> None:
    repo = Repository(RepositoryConfig.from_dict({"name": "demo", "url": str(demo_dir)}))
    seen = {entry.format: entry for entry in repo.list("") if entry.format in DATASET_FORMATS}
    assert set(seen) == set(DATASET_FORMATS)
    for fmt, entry in seen.items():
        with open_dataset(repo, entry.path) as ds:
            assert ds.shape and all(n > 0 for n in ds.shape), fmt


async def test_get_formats_serves_the_declarations(jp_fetch) -> None:
    answer = await get_json(jp_fetch, "formats")
    assert [fmt["key"] for fmt in answer["formats"]] == [fmt.key for fmt in FORMATS]
    zarr = next(fmt for fmt in answer["formats"] if fmt["key"] == "zarr")
    assert zarr == {"key": "zarr", "label": "Zarr", "suffixes": [".zarr"], "kind": "dataset", "folder": True,
                    "lists_arrays": True, "remote": BY_KEY["zarr"].remote}
    from jupyter_remotem.jobs.exports import EXPORT_FORMATS

    assert [f["key"] for f in answer["outputs"]["datasets"]] == list(EXPORT_FORMATS)
    assert {"key": "png", "endings": [".png"]} in answer["outputs"]["results"]


async def test_get_formats_takes_nothing_else(jp_fetch) -> None:
    from _api import get_error

    error = await get_error(jp_fetch, 404, "formats", "hdf5", "..", "..", "etc")
    assert error["code"] and error["message"] and error["hint"]
    assert (await get_json(jp_fetch, "formats", ignored="x" * 10_000))["formats"]


async def test_listing_entries_say_whether_they_open_as_datasets(jp_fetch, demo_dir) -> None:
    (demo_dir / "notes" / "folder.h5").mkdir(exist_ok=True)
    (demo_dir / "notes" / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    try:
        top = {entry["name"]: entry for entry in (await get_json(jp_fetch, "repositories", "demo", "tree", ""))["entries"]}
        assert top["scan.h5"]["dataset"] is True and top["scan.h5"]["format"] == "hdf5"
        assert top["scan.zarr"]["dataset"] is True and top["scan.zarr"]["type"] == "directory"
        assert top["virtual_images.tif"]["dataset"] is True
        assert top["notes"]["dataset"] is False and top["scan.raw.json"]["dataset"] is False
        notes = {entry["name"]: entry
                 for entry in (await get_json(jp_fetch, "repositories", "demo", "tree", "notes"))["entries"]}
        assert notes["folder.h5"]["dataset"] is False and notes["folder.h5"]["format"] is None
        assert notes["picture.png"]["dataset"] is False and notes["picture.png"]["format"] == "image"
    finally:
        (demo_dir / "notes" / "folder.h5").rmdir()
        (demo_dir / "notes" / "picture.png").unlink()
