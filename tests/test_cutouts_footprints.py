"""The footprint index against brute force: tiles covering the whole sky (real TAN headers,
random rotations, tiles on both poles and across RA = 0); for random circles, the tiles the index
finds are exactly those whose densely sampled outline or interior comes within the radius."""

from __future__ import annotations

import time

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from jupyter_remotem.cutouts import demo, sphere
from jupyter_remotem.cutouts.footprints import FootprintIndex, footprint
from jupyter_remotem.cutouts.surveys import Survey
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

PIXELS, SCALE = 8, 3600 * 1.25  # 10-degree tiles of 8 pixels


def sky_tiling(rng: np.random.Generator) -> list[fits.Header]:
    headers = []
    for dec in np.arange(-90.0, 90.1, 8.0):
        count = 1 if abs(dec) == 90 else int(np.ceil(360 * np.cos(np.radians(dec)) / 8.0))
        for ra in (np.arange(count) * 360.0 / count + rng.uniform(0, 360.0 / count)) % 360.0:
            headers.append(demo.tan_header(float(ra), float(dec), (PIXELS, PIXELS), SCALE,
                                           ((PIXELS + 1) / 2, (PIXELS + 1) / 2), "r",
                                           rotation_deg=float(rng.uniform(0, 90))))
    return headers


@pytest.fixture(scope="module")
def whole_sky(tmp_path_factory):
    rng = np.random.default_rng(3)
    folder = tmp_path_factory.mktemp("allsky")
    headers = sky_tiling(rng)
    for k, header in enumerate(headers):
        fits.PrimaryHDU(np.zeros((PIXELS, PIXELS), np.float32), header=header).writeto(folder / f"s{k:04d}_r.fits")
    store = JobStore(f"sqlite:///{folder / 'index.sqlite'}")
    index = FootprintIndex(store)
    repository = Repository(RepositoryConfig.from_dict({"name": "sky", "url": str(folder)}))
    survey = Survey.from_dict({"name": "allsky", "repository": "sky", "bands": ["r"], "pattern": "{tile}_{band}.fits"})
    report = index.refresh(survey, repository)
    assert report["added"] == len(headers) and not report["failed"]
    yield index, headers
    store.close()


def outline(header: fits.Header, per_edge: int = 400) -> np.ndarray:
    """Unit vectors densely along the tile's pixel edges."""
    t = np.linspace(-0.5, PIXELS - 0.5, per_edge)
    low, high = np.full_like(t, -0.5), np.full_like(t, PIXELS - 0.5)
    xs = np.concatenate([t, high, t[::-1], low])
    ys = np.concatenate([low, t, high, t[::-1]])
    ra, dec = WCS(header).all_pix2world(xs, ys, 0)
    return sphere.unit(ra, dec)


class BruteForce:
    """Every tile's outline sampled densely, its WCS and centre, computed once."""

    def __init__(self, headers: list[fits.Header]) -> None:
        self.wcs = [WCS(h) for h in headers]
        self.outlines = [outline(h) for h in headers]
        self.centres = [sphere.unit(*w.all_pix2world([[(PIXELS - 1) / 2] * 2], 0)[0]) for w in self.wcs]

    def closeness(self, k: int, ra: float, dec: float, radius: float) -> float:
        """Negative when tile ``k`` is touched: inside it, or its outline within the radius."""
        centre = sphere.unit(ra, dec)
        if centre @ self.centres[k] > 0:
            x, y = self.wcs[k].all_world2pix([[ra, dec]], 0)[0]
            if -0.5 <= x <= PIXELS - 0.5 and -0.5 <= y <= PIXELS - 0.5:
                return -radius
        return float(np.min(sphere.angle(self.outlines[k], centre[None, :]))) - radius


def test_index_answers_equal_brute_force_everywhere(whole_sky):
    index, headers = whole_sky
    brute = BruteForce(headers)
    rng = np.random.default_rng(5)
    names = [f"s{k:04d}" for k in range(len(headers))]
    special = [(0.0, 90.0, 1.0), (123.0, 90.0, 0.01), (0.0, -90.0, 3.0), (0.0, 0.0, 2.0), (359.9999, 10.0, 4.0),
               (0.0001, -45.0, 0.5), (180.0, 89.99, 6.0)]
    queries = special + [(float(rng.uniform(0, 360)), float(np.degrees(np.arcsin(rng.uniform(-1, 1)))),
                          float(rng.uniform(0.001, 8.0))) for _ in range(150)]
    checked = 0
    for ra, dec, radius in queries:
        found = {row.tile for row in index.touching("allsky", "r", ra, dec, radius)}
        centre = sphere.unit(ra, dec)
        for k, name in enumerate(names):
            if sphere.angle(centre, brute.centres[k]) > radius + 10.0:
                assert name not in found
                continue
            closeness = brute.closeness(k, ra, dec, radius)
            if abs(closeness) < 1e-3:
                continue  # within the outline's sampling of the boundary: either answer is right
            assert (name in found) == (closeness < 0), (ra, dec, radius, name, closeness)
            checked += 1
        assert found, "the tiling covers the whole sky"
    assert checked > 5 * len(queries), "most questions have tiles near their boundary"


def test_index_questions_take_milliseconds(whole_sky):
    index, headers = whole_sky
    rng = np.random.default_rng(9)
    index.touching("allsky", "r", 0.0, 0.0, 0.1)  # the rows are loaded once
    started = time.perf_counter()
    for _ in range(500):
        index.touching("allsky", "r", float(rng.uniform(0, 360)), float(rng.uniform(-90, 90)), 0.05)
    per_question = (time.perf_counter() - started) / 500
    assert per_question < 0.005, f"{per_question * 1e3:.2f} ms per question over {len(headers)} tiles"


def test_declination_bands_hold_the_polygons(whole_sky):
    """The SQL prefilter never drops a tile: its Dec band holds its outline, ±90 when it holds a pole."""
    _, headers = whole_sky
    for header in headers:
        shape = footprint(header)
        _, dec = sphere.radec(outline(header, 100))
        assert shape["dec_min"] <= dec.min() + 1e-9 and shape["dec_max"] >= dec.max() - 1e-9
        if header["CRVAL2"] == 90.0:
            assert shape["dec_max"] == 90.0
        if header["CRVAL2"] == -90.0:
            assert shape["dec_min"] == -90.0


def test_surveys_by_pattern_or_tile_table_and_refused_configurations(tmp_path):
    for name in ("a1/a1_g.fits", "a1/a1_r.fits", "b2/b2_g.fits", "b2/other_g.fits", "b2/b2_z.fits"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    repository = Repository(RepositoryConfig.from_dict({"name": "sky", "url": str(tmp_path)}))
    by_pattern = Survey.from_dict({"name": "p", "repository": "sky", "bands": ["g", "r"],
                                   "pattern": "{tile}/{tile}_{band}.fits"})
    assert sorted((t, b, p) for t, b, p, _, _ in by_pattern.files(repository)) == [
        ("a1", "g", "a1/a1_g.fits"), ("a1", "r", "a1/a1_r.fits"), ("b2", "g", "b2/b2_g.fits")]
    by_table = Survey.from_dict({"name": "t", "repository": "sky", "path": "b2", "bands": ["g"],
                                 "tiles": {"x": {"g": "other_g.fits"}}})
    assert [(t, b, p) for t, b, p, _, _ in by_table.files(repository)] == [("x", "g", "b2/other_g.fits")]
    for bad in ({"name": "x", "repository": "sky", "bands": ["g"]},  # neither pattern nor tiles
                {"name": "x", "repository": "sky", "bands": ["g", "r"], "pattern": "{tile}.fits"},
                {"name": "x", "repository": "sky", "bands": ["g", "g"], "pattern": "{tile}_{band}.fits"},
                {"name": "x/y", "repository": "sky", "bands": ["g"], "pattern": "{tile}.fits"},
                {"name": "x", "repository": "sky", "bands": ["g"], "pattern": "{tile}.fits", "colour": 1},
                {"name": "x", "repository": "sky", "bands": ["g"], "tiles": {"a": {"z": "a.fits"}}}):
        with pytest.raises(ValueError):
            Survey.from_dict(bad)


def test_a_refresh_reads_changed_tiles_and_forgets_removed_ones(tmp_path):
    def write(name: str, ra: float, dec: float) -> None:
        header = demo.tan_header(ra, dec, (PIXELS, PIXELS), 36.0, ((PIXELS + 1) / 2, (PIXELS + 1) / 2), "r")
        fits.PrimaryHDU(np.zeros((PIXELS, PIXELS), np.float32), header=header).writeto(tmp_path / name, overwrite=True)

    write("a_r.fits", 10.0, 0.0)
    write("b_r.fits", 20.0, 0.0)
    (tmp_path / "broken_r.fits").write_bytes(b"not a FITS file")
    store = JobStore(f"sqlite:///{tmp_path / 'index.sqlite'}")
    index = FootprintIndex(store)
    repository = Repository(RepositoryConfig.from_dict({"name": "sky", "url": str(tmp_path)}))
    survey = Survey.from_dict({"name": "s", "repository": "sky", "bands": ["r"], "pattern": "{tile}_{band}.fits"})
    report = index.refresh(survey, repository)
    assert (report["added"], report["updated"], report["removed"]) == (2, 0, 0)
    assert [f["path"] for f in report["failed"]] == ["broken_r.fits"], "one bad tile is reported, not fatal"
    assert [r.tile for r in index.touching("s", "r", 10.0, 0.0, 0.01)] == ["a"]
    unchanged = index.refresh(survey, repository)
    assert (unchanged["added"], unchanged["updated"], unchanged["removed"]) == (0, 0, 0)
    write("a_r.fits", 30.0, 0.0)
    import os

    os.utime(tmp_path / "a_r.fits", (1, 1))  # a time of its own: the change is seen whatever the clock
    (tmp_path / "b_r.fits").unlink()
    report = index.refresh(survey, repository)
    assert (report["added"], report["updated"], report["removed"]) == (0, 1, 1)
    assert index.touching("s", "r", 10.0, 0.0, 0.01) == []
    assert [r.tile for r in index.touching("s", "r", 30.0, 0.0, 0.01)] == ["a"]
    assert index.summary("s")["tiles"] == 1
    store.close()


def test_a_tile_that_links_out_of_its_repository_is_never_read(tmp_path):
    """A tile file that is a symlink to a FITS file outside the survey's repository is left out
    of the index (reported, not read), so no cutout can come from it."""
    import os

    sky, outside = tmp_path / "sky", tmp_path / "outside"
    sky.mkdir()
    outside.mkdir()
    header = demo.tan_header(40.0, 0.0, (PIXELS, PIXELS), 36.0, ((PIXELS + 1) / 2, (PIXELS + 1) / 2), "r")
    fits.PrimaryHDU(np.ones((PIXELS, PIXELS), np.float32), header=header).writeto(outside / "secret_r.fits")
    fits.PrimaryHDU(np.zeros((PIXELS, PIXELS), np.float32), header=header).writeto(sky / "inside_r.fits")
    os.symlink(outside / "secret_r.fits", sky / "linked_r.fits")
    store = JobStore(f"sqlite:///{tmp_path / 'index.sqlite'}")
    index = FootprintIndex(store)
    repository = Repository(RepositoryConfig.from_dict({"name": "sky", "url": str(sky)}))
    survey = Survey.from_dict({"name": "s", "repository": "sky", "bands": ["r"], "pattern": "{tile}_{band}.fits"})
    report = index.refresh(survey, repository)
    assert report["added"] == 1, report
    assert [r.tile for r in index.touching("s", "r", 40.0, 0.0, 0.01)] == ["inside"]
    assert index.summary("s")["tiles"] == 1
    store.close()
