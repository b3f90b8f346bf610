"""What the pipeline's OME writers make opens in bioio, the imaging field's reader (its OME-TIFF and
OME-Zarr plugins), with the dimensions, channel names, physical levels and pixels that were written."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import bioio
import numpy as np
import pytest

from jupyter_remotem.pipeline import Store
from jupyter_remotem.pipeline.writers import OmeTiff, OmeZarr

RNG = np.random.default_rng(23)
KEY = "cd" * 32


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.from_spec(str(tmp_path / "store"))


def _tczyx(image: np.ndarray, dims: str) -> np.ndarray:
    """``image`` with bioio's five dimensions, the missing ones of length 1."""
    order = [dims.index(d) for d in "TCZYX" if d in dims]
    moved = np.transpose(image, order)
    shape = [image.shape[dims.index(d)] if d in dims else 1 for d in "TCZYX"]
    return moved.reshape(shape)


@pytest.mark.parametrize("dims, shape", [("CZYX", (3, 4, 17, 23)), ("TCYX", (2, 2, 9, 31)), ("YX", (13, 7))])
def test_bioio_reads_ome_tiff_products(store: Store, tmp_path: Path, dims: str, shape: tuple[int, ...]):
    from bioio_ome_tiff import Reader

    image = RNG.integers(0, 65535, size=shape, dtype=np.uint16)
    names = [f"ch{i}" for i in range(shape[dims.index("C")])] if "C" in dims else None
    OmeTiff(dims=dims, channel_names=names).write(da.from_array(image, chunks=1 if image.ndim > 2 else -1),
                                                  store, "cell.ome.tiff", KEY)
    opened = bioio.BioImage(tmp_path / "store" / "cell.ome.tiff", reader=Reader)
    expected = _tczyx(image, dims)
    assert opened.dims.order == "TCZYX" and tuple(opened.shape) == expected.shape
    if names is not None:
        assert opened.channel_names == names
    np.testing.assert_array_equal(opened.data, expected)
    assert str(opened.ome_metadata.images[0].pixels.type.value) == "uint16"


def test_bioio_reads_ome_zarr_products_with_their_levels(store: Store, tmp_path: Path):
    from bioio_ome_zarr import Reader

    image = RNG.random((2, 3, 34, 41), dtype=np.float32)  # odd X: the downsampled level drops the last column
    OmeZarr(dims="CZYX", channel_names=["DAPI", "GFP"], levels=2).write(
        da.from_array(image, chunks=(1, 3, 16, 16)), store, "cell.ome.zarr", KEY)
    opened = bioio.BioImage(tmp_path / "store" / "cell.ome.zarr", reader=Reader)
    assert opened.channel_names == ["DAPI", "GFP"]
    assert tuple(opened.shape) == (1, 2, 3, 34, 41)
    np.testing.assert_array_equal(opened.data, _tczyx(image, "CZYX"))
    assert len(opened.resolution_levels) == 2
    opened.set_resolution_level(1)
    expected = image[..., :34, :40].reshape(2, 3, 17, 2, 20, 2).mean(axis=(3, 5))
    assert tuple(opened.shape) == (1, 2, 3, 17, 20)
    np.testing.assert_allclose(opened.data[0], expected, rtol=1e-6)
