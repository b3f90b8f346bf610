"""Cutouts from tiles in object stores: a tile-compressed tile is read by section — the bytes
fetched through the repository's fsspec filesystem are a small part of the file, counted by a
filesystem that counts what it serves — and the same cutouts come from a real S3 server (moto)."""

from __future__ import annotations

import io
import threading

import fsspec
import numpy as np
import pytest
from _api import server_config
from _cutouts import error_of, hdus_of, sky_dir, sync  # noqa: F401 - fixtures
from _services import S3_BUCKET, S3_SECRET
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS
from fsspec.implementations.memory import MemoryFileSystem

from jupyter_remotem.cutouts import demo

BIG = 3000  # pixels per side of the big compressed tile: 36 MB of float32 before compression


class CountingFile(io.RawIOBase):
    """A file of the memory store that adds every byte it hands out to its filesystem's count."""

    def __init__(self, inner, counter) -> None:
        self.inner, self.counter = inner, counter

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.counter.add(len(data))
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


class Counter:
    def __init__(self) -> None:
        self.bytes, self.lock = 0, threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.bytes += n


class CountingMemoryFileSystem(MemoryFileSystem):
    """fsspec's memory filesystem (a remote store to the repository layer), counting bytes read."""

    protocol = "countingmem"
    counter = Counter()

    @classmethod
    def _strip_protocol(cls, path):
        if isinstance(path, str) and path.startswith("countingmem://"):
            path = path[len("countingmem://"):]
        return super()._strip_protocol(path)

    def _open(self, path, mode="rb", **kwargs):
        inner = super()._open(path, mode, **kwargs)
        return CountingFile(inner, self.counter) if "r" in mode else inner


fsspec.register_implementation("countingmem", CountingMemoryFileSystem, clobber=True)


@pytest.fixture(scope="module")
def big_tile():
    """A 3000×3000 tile-compressed tile (RICE, 50-row compression tiles) in the counting store."""
    rng = np.random.default_rng(11)
    data = rng.normal(100, 5, (BIG, BIG)).astype(np.float32)
    header = demo.tan_header(210.0, -10.0, (BIG, BIG), 0.27, (BIG / 2, BIG / 2), "z")
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, header=header, compression_type="RICE_1",
                                                       tile_shape=(50, BIG))]).writeto(buffer)
    fs = CountingMemoryFileSystem()
    fs.pipe("/bigsky/b1_z.fits.fz", buffer.getvalue())
    yield {"size": len(buffer.getvalue()), "bytes": buffer.getvalue()}
    fs.rm("/bigsky", recursive=True)


@pytest.fixture
def jp_server_config(repositories, big_tile, s3_sky):
    survey = {"name": "big", "repository": "remote", "path": "", "bands": ["z"], "pattern": "{tile}_{band}.fits.fz"}
    s3_survey = dict(demo.surveys("s3sky", "")[0], name="s3_mosaic")
    return server_config(repositories + [{"name": "remote", "url": "countingmem://bigsky"}, s3_sky["repository"]],
                         surveys=[survey, s3_survey])


@pytest.fixture(scope="module")
def s3_sky(s3_endpoint, sky_dir):
    """The generated mosaic survey's tiles in the moto S3 server's bucket."""
    import s3fs

    fs = s3fs.S3FileSystem(key="testing", secret=S3_SECRET, endpoint_url=s3_endpoint)
    fs.put(str(sky_dir / "mosaic"), f"{S3_BUCKET}/sky/", recursive=True)
    return {"repository": {"name": "s3sky", "url": f"s3://{S3_BUCKET}/sky",
                           "storage_options": {"key": "testing", "secret": S3_SECRET,
                                               "client_kwargs": {"endpoint_url": s3_endpoint}}}}


async def test_a_compressed_tile_is_read_by_section_not_whole(jp_fetch, big_tile):
    counter = CountingMemoryFileSystem.counter
    before = counter.bytes
    response = await jp_fetch("remotem", "api", "cutouts", "surveys", raise_error=False)
    assert response.code == 200
    indexed = counter.bytes - before
    assert indexed < 300_000, f"indexing read {indexed:,} bytes: headers only"

    ra, dec = 210.0, -10.0
    before = counter.bytes
    response = await sync(jp_fetch, survey="big", ra=ra, dec=dec, size="100pix")
    read = counter.bytes - before
    with hdus_of(response) as hdus:
        got = hdus["Z"]
        with fits.open(io.BytesIO(big_tile["bytes"])) as whole:
            expected = Cutout2D(whole[1].data, SkyCoord(ra * u.deg, dec * u.deg), 100, wcs=WCS(whole[1].header))
        np.testing.assert_array_equal(got.data, expected.data)
    # Two or three 50-row compression tiles (≈ 3 × 50 × 3000 × ~1.2 bytes) and the small blocks
    # around them, against the whole file.
    assert read < 0.1 * big_tile["size"], f"read {read:,} of {big_tile['size']:,} bytes"
    assert big_tile["size"] > 5_000_000, "several megabytes, of which a cutout needs a few hundred kilobytes"

    before = counter.bytes
    response = await sync(jp_fetch, survey="big", ra=ra, dec=dec + 0.0005, size="100pix")
    assert response.code == 200
    assert counter.bytes - before < read / 2, "the decompressed tiles of a nearby cutout are reused"


async def test_cutouts_from_s3_equal_those_from_a_local_copy(jp_fetch, sky_dir):
    path = sky_dir / "mosaic" / "t11_i.fits.fz"
    with fits.open(path) as hdus:
        wcs = WCS(hdus[1].header)
        ra, dec = (float(v) for v in wcs.all_pix2world([[150.0, 140.0]], 0)[0])
        expected = Cutout2D(hdus[1].data, SkyCoord(ra * u.deg, dec * u.deg), (24, 40), wcs=wcs)
    response = await sync(jp_fetch, survey="s3_mosaic", ra=ra, dec=dec, width="40pix", height="24pix", bands="i")
    with hdus_of(response) as hdus:
        assert hdus["I"].header["TILE1"] == "t11"
        np.testing.assert_array_equal(hdus["I"].data, expected.data)
    error_of(await sync(jp_fetch, survey="s3_mosaic", ra=20.0, dec=2.0, size="10pix"), 404)
