"""Every file useful: the tree names what each file is, previews are chosen by what the data
is (a scan, a 2-D image, a stack of 2-D images), and files that are not arrays come back
byte for byte for JupyterLab's own viewers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import tifffile
from _api import PNG_SIGNATURE, get, get_error, get_json, server_config
from PIL import Image

SCAN_KINDS = ["bf", "adf", "haadf", "com", "sum", "frame"]


def _gradient(height: int, width: int) -> np.ndarray:
    """An image with a structure to see: a ramp with a bright square, and one hot pixel that a
    min–max stretch would let swamp everything else."""
    image = np.add.outer(np.arange(height), np.arange(width)).astype(np.float32)
    image[height // 4 : height // 2, width // 4 : width // 2] += height + width
    image[0, 0] = 1e9
    return image


@pytest.fixture(scope="module")
def kinds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kinds")
    np.save(root / "image.npy", _gradient(48, 64))
    stack = np.stack([_gradient(48, 64), -_gradient(48, 64), _gradient(48, 64) * 2])
    np.save(root / "stack.npy", stack)
    with h5py.File(root / "result.h5", "w") as f:
        f.create_dataset("intensity", data=stack)
    tifffile.imwrite(root / "picture.tif", _gradient(32, 32))
    # An ImageJ stack as microscopes write it: the same planes, calibrated, pixels compressed.
    tifffile.imwrite(root / "stack.tif", stack, imagej=True, resolution=(1 / 0.5, 1 / 0.5),
                     metadata={"axes": "ZYX", "spacing": 2.0, "unit": "nm"}, compression="zlib")
    (root / "README.txt").write_text("A folder of results.\n")
    (root / "positions.csv").write_text("y,x\n1,2\n3,4\n")
    (root / "view.json").write_text(json.dumps({"cmap": "viridis"}))
    (root / "run.log").write_text("started\nfinished\n")
    (root / "scan.hdr").write_text("HDR,\nFrames in Acquisition (Number):\t16\n")
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 12, 3), 200, dtype=np.uint8)).save(buffer, format="PNG")
    (root / "saved.png").write_bytes(buffer.getvalue())
    return root


@pytest.fixture
def jp_server_config(repositories, kinds_dir):
    return server_config(repositories + [{"name": "kinds", "url": str(kinds_dir)}])


async def test_the_tree_lists_every_file_with_size_and_date(jp_fetch, kinds_dir):
    body = await get_json(jp_fetch, "repositories", "kinds", "tree", "")
    entries = {entry["name"]: entry for entry in body["entries"]}
    assert set(entries) == {path.name for path in kinds_dir.iterdir()}
    for name, entry in entries.items():
        assert entry["size"] == (kinds_dir / name).stat().st_size, name
        assert entry["modified"], name
    assert entries["view.json"]["format"] == "json"
    assert entries["saved.png"]["format"] == "image"
    assert entries["picture.tif"]["format"] == "tiff"
    assert entries["image.npy"]["format"] == "npy"


async def test_a_scan_offers_the_virtual_detectors(jp_fetch):
    meta = await get_json(jp_fetch, "repositories", "demo", "meta", "scan.npy")
    assert [choice["kind"] for choice in meta["previews"]] == SCAN_KINDS
    assert all(choice["label"] and choice["title"] for choice in meta["previews"])


async def test_a_2d_array_offers_its_image_and_no_virtual_detectors(jp_fetch):
    meta = await get_json(jp_fetch, "repositories", "kinds", "meta", "image.npy")
    assert [choice["kind"] for choice in meta["previews"]] == ["image"]
    for kind in ("bf", "adf", "haadf", "com"):
        error = await get_error(jp_fetch, 400, "repositories", "kinds", "preview", "image.npy", kind=kind)
        assert "2-D image" in error["message"]
        assert "image" in error["hint"]


@pytest.mark.parametrize("name", ["stack.npy", "result.h5", "stack.tif"])
async def test_a_stack_of_2d_images_offers_its_planes(jp_fetch, name):
    meta = await get_json(jp_fetch, "repositories", "kinds", "meta", name)
    assert [choice["kind"] for choice in meta["previews"]] == ["first", "middle"]
    error = await get_error(jp_fetch, 400, "repositories", "kinds", "preview", name, kind="bf")
    assert "stack of 2-D images" in error["message"]


def _gray(body: bytes) -> np.ndarray:
    assert body.startswith(PNG_SIGNATURE)
    return np.asarray(Image.open(io.BytesIO(body)).convert("L"), dtype=np.float64)


async def test_an_image_preview_has_contrast_despite_a_hot_pixel(jp_fetch):
    # The default preview (no kind asked for) is the data's first offer.
    response = await get(jp_fetch, "repositories", "kinds", "preview", "image.npy", size=64)
    assert response.code == 200, response.body[:300]
    pixels = _gray(response.body)
    assert pixels.shape == (48, 64)
    assert pixels.std() > 30, "a min-max stretch to the hot pixel would leave the image black"
    assert pixels[int(48 * 0.375), int(64 * 0.375)] > pixels[-1, 0], "the bright square shows"


async def test_the_planes_of_a_stack_are_different_pictures(jp_fetch):
    first = await get(jp_fetch, "repositories", "kinds", "preview", "stack.npy", kind="first", size=64)
    middle = await get(jp_fetch, "repositories", "kinds", "preview", "stack.npy", kind="middle", size=64)
    assert first.code == middle.code == 200
    first_pixels, middle_pixels = _gray(first.body), _gray(middle.body)
    assert first_pixels.std() > 30 and middle_pixels.std() > 30
    # The middle plane is the first one negated: its picture is (nearly) the inverse.
    assert np.corrcoef(first_pixels.ravel(), middle_pixels.ravel())[0, 1] < -0.9


async def test_a_tiff_stack_is_a_dataset_with_its_calibration_planes_and_data(jp_fetch, kinds_dir):
    meta = await get_json(jp_fetch, "repositories", "kinds", "meta", "stack.tif")
    assert meta["entry"]["format"] == "tiff"
    assert meta["arrays"] == [{"path": "/", "shape": [3, 48, 64], "dtype": "<f4", "chunks": [1, 48, 64],
                               "compression": "adobe_deflate"}]
    dataset = meta["dataset"]
    assert (dataset["format"], dataset["nav_shape"], dataset["sig_shape"]) == ("tiff", [3], [48, 64])
    assert dataset["frame_kind"] == "image", "its pages are pictures: a viewer shows a stack, not a scan"
    assert [(a["name"], a["scale"], a["units"]) for a in dataset["axes"]] == [
        ("z", 2.0, "nm"), ("y", 0.5, "nm"), ("x", 0.5, "nm")]
    first = await get(jp_fetch, "repositories", "kinds", "preview", "stack.tif", kind="first", size=64)
    middle = await get(jp_fetch, "repositories", "kinds", "preview", "stack.tif", kind="middle", size=64)
    assert first.code == middle.code == 200
    assert np.corrcoef(_gray(first.body).ravel(), _gray(middle.body).ravel())[0, 1] < -0.9
    response = await get(jp_fetch, "repositories", "kinds", "data", "stack.tif", slice="1:,::7,5")
    assert response.code == 200, response.body[:300]
    truth = tifffile.imread(kinds_dir / "stack.tif")
    np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), truth[1:, ::7, 5])
    picture = await get_json(jp_fetch, "repositories", "kinds", "meta", "picture.tif")
    assert [choice["kind"] for choice in picture["previews"]] == ["image"]
    assert picture["dataset"]["shape"] == [32, 32]


async def test_a_tiff_whose_pages_differ_is_a_client_error(jp_fetch, kinds_dir):
    with tifffile.TiffWriter(kinds_dir / "mixed.tif") as writer:
        writer.write(_gradient(32, 32), metadata=None)
        writer.write(_gradient(20, 32), metadata=None)  # not a reduced copy (a pyramid level)
    try:
        for endpoint in ("meta", "preview"):
            error = await get_error(jp_fetch, 415, "repositories", "kinds", endpoint, "mixed.tif")
            assert "differ in shape or type" in error["message"] and "one shape" in error["hint"]
        (kinds_dir / "cut.tif").write_bytes((kinds_dir / "stack.tif").read_bytes()[:2000])
        error = await get_error(jp_fetch, 422, "repositories", "kinds", "meta", "cut.tif")
        assert "cut.tif" in error["message"]
    finally:
        (kinds_dir / "mixed.tif").unlink()
        (kinds_dir / "cut.tif").unlink(missing_ok=True)


async def test_files_that_are_not_arrays_answer_meta_without_retrying_forever(jp_fetch):
    error = await get_error(jp_fetch, 415, "repositories", "kinds", "meta", "README.txt")
    assert error["code"] == "unsupported_format"


@pytest.mark.parametrize("name", ["README.txt", "positions.csv", "view.json", "saved.png", "scan.hdr"])
async def test_files_download_byte_for_byte(jp_fetch, kinds_dir, name):
    response = await get(jp_fetch, "repositories", "kinds", "download", name)
    assert response.code == 200
    assert response.body == (kinds_dir / name).read_bytes()
