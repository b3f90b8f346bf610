"""FITS headers in the catalog, from files astropy wrote (plain, gzip'd, tile-compressed
``.fits.fz``): every HDU's cards are ``meta.fits/<HDU>/<KEYWORD>`` key paths, numbers are
descriptors with the unit their comment or ``CUNITn`` gives, the data units are not read, and a
damaged file is indexed with its reason."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from jupyter_remotem.catalog import indexer
from jupyter_remotem.catalog.fits import header_rows
from jupyter_remotem.catalog.sql import Caller
from jupyter_remotem.catalog.store import CatalogStore
from jupyter_remotem.catalog.syntax import parse
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

CALLER = Caller(("sky",), "alice", ())


def hdus() -> fits.HDUList:
    rng = np.random.default_rng(0)
    primary = fits.PrimaryHDU(rng.normal(size=(64, 64)).astype(np.float32))
    primary.header["EXPTIME"] = (30.0, "[s] exposure time")
    primary.header["OBJECT"] = ("NGC 1275", "target")
    primary.header["OBSERVER"] = "Ada Lovelace"
    primary.header["FLATCOR"] = (True, "flat-field corrected")
    primary.header["COMMENT"] = "reduced with the nightly pipeline"
    primary.header["BUNIT"] = "adu"
    science = fits.ImageHDU(rng.normal(size=(32, 48)).astype(np.float32), name="SCI")
    science.header["CRVAL1"], science.header["CUNIT1"] = 49.95, "deg"
    science.header["CDELT1"] = -0.0002
    science.header["GAIN"] = (1.8, "electrons per adu")  # no [unit]: a bare number
    table = fits.BinTableHDU.from_columns([fits.Column(name="flux", format="E", array=np.arange(5.0))],
                                          name="CATALOG")
    return fits.HDUList([primary, science, table])


@pytest.fixture
def sky(tmp_path) -> Repository:
    tmp_path = tmp_path / "sky"
    tmp_path.mkdir()
    hdus().writeto(tmp_path / "plain.fits")
    with open(tmp_path / "plain.fits", "rb") as source:
        (tmp_path / "packed.fits.gz").write_bytes(gzip.compress(source.read()))
    compressed = fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(hdus()[1].data, header=hdus()[1].header,
                                                                    name="SCI", compression_type="RICE_1")])
    compressed[0].header["EXPTIME"] = (120.0, "[s] exposure time")
    compressed.writeto(tmp_path / "tiles.fits.fz")
    (tmp_path / "broken.fits").write_bytes(b"SIMPLE  =                    T" + b"\x00" * 50)
    return Repository(RepositoryConfig.from_dict({"name": "sky", "url": str(tmp_path)}))


def by_key(rows) -> dict:
    return {(row.namespace, row.key): row for row in rows}


@pytest.mark.parametrize("name", ["plain.fits", "packed.fits.gz"])
def test_every_hdu_header_becomes_key_paths_with_units(sky, name):
    rows = by_key(header_rows(sky, name))
    header = hdus()
    for label, hdu in (("PRIMARY", header[0]), ("SCI", header[1]), ("CATALOG", header[2])):
        for card in hdu.header.cards:
            if card.keyword in ("COMMENT", "HISTORY", ""):
                continue
            row = rows[("meta", f"fits/{label}/{card.keyword}")]
            if isinstance(card.value, bool):
                assert row.text == ("T" if card.value else "F")
            elif isinstance(card.value, (int, float)):
                assert row.low == row.high == pytest.approx(float(card.value))
            else:
                assert row.text == str(card.value)
    assert rows[("meta", "fits/PRIMARY/EXPTIME")].unit == "s" and rows[("desc", "EXPTIME")].unit == "s"
    assert rows[("desc", "CRVAL1")].unit == "deg" and rows[("desc", "CDELT1")].unit == "deg"
    assert rows[("desc", "GAIN")].unit is None and rows[("desc", "GAIN")].low == pytest.approx(1.8)
    assert rows[("meta", "fits/PRIMARY/BUNIT")].text == "adu"
    assert "nightly pipeline" in rows[("meta", "fits/PRIMARY/COMMENT")].text
    assert rows[("meta", "fits/CATALOG/TTYPE1")].text == "flux"


def test_a_tile_compressed_file_gives_its_image_header(sky):
    rows = by_key(header_rows(sky, "tiles.fits.fz"))
    assert rows[("desc", "EXPTIME")].low == 120.0
    assert rows[("meta", "fits/SCI/NAXIS1")].low == 48 and rows[("meta", "fits/SCI/NAXIS2")].low == 32
    assert rows[("desc", "CRVAL1")].unit == "deg"


def test_headers_are_read_without_the_data_units(tmp_path):
    """Bytes read from a plain file: its headers' blocks, never the 4 MB of pixels between them."""
    data = np.zeros((1024, 1024), dtype=np.float32)
    fits.HDUList([fits.PrimaryHDU(data), fits.ImageHDU(data, name="SCI")]).writeto(tmp_path / "big.fits")

    class Counting(io.FileIO):
        read_bytes = 0

        def read(self, size=-1):
            chunk = super().read(size)
            Counting.read_bytes += len(chunk)
            return chunk

        def readinto(self, buffer):
            count = super().readinto(buffer)
            Counting.read_bytes += count or 0
            return count

    class Repo(Repository):
        def open(self, relative, mode="rb", **kwargs):
            return Counting(self.full_path(relative), "rb")

    repository = Repo(RepositoryConfig.from_dict({"name": "sky", "url": str(tmp_path)}))
    rows = by_key(header_rows(repository, "big.fits"))
    assert rows[("meta", "fits/SCI/NAXIS1")].low == 1024
    assert 0 < Counting.read_bytes <= 4 * 2880 * 4, Counting.read_bytes


def test_fits_files_are_indexed_searchable_and_a_damaged_one_says_why(sky, tmp_path):
    store = CatalogStore(JobStore(f"sqlite:///{tmp_path / 'c.db'}"))
    progress = indexer.index(sky, store)
    assert progress.indexed == 4 and progress.unreadable == 1
    assert {h["path"] for h in store.search(parse("format:fits"), CALLER, limit=10).hits} == {
        "plain.fits", "packed.fits.gz", "tiles.fits.fz", "broken.fits"}
    assert {h["path"] for h in store.search(parse("desc.EXPTIME:>1min"), CALLER).hits} == {"tiles.fits.fz"}
    assert {h["path"] for h in store.search(parse("desc.EXPTIME:[20s TO 40s]"), CALLER).hits} == {
        "plain.fits", "packed.fits.gz"}
    assert {h["path"] for h in store.search(parse('meta.fits/PRIMARY/OBJECT:"NGC 1275"'), CALLER).hits} == {
        "plain.fits", "packed.fits.gz"}
    assert {h["path"] for h in store.search(parse("lovelace"), CALLER).hits} == {"plain.fits", "packed.fits.gz"}
    broken = store.search(parse("status:unreadable"), CALLER).hits
    assert [h["path"] for h in broken] == ["broken.fits"] and "FITS" in broken[0]["reason"]
