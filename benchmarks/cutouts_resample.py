"""Resampled cutouts (``algorithm=resample``): output pixels per second of the server's path
against calling ``reproject`` directly on the same tiles, and against CDS hips2fits' published
~500,000 output pixels/s (a constant from its documentation, not measured here).

Data: a 2×2 mosaic of 2048 × 2048 float32 tiles (256 px overlap) of one TAN projection,
RICE-compressed in 32-row tiles, written once under ``DATA_DIR``.  Measured in-process, one core:

* ours (footprint index question, plan, section reads per 512-px piece, reproject per piece and
  tile, the footprint-weighted mean) for square outputs rotated 30° where the four tiles meet;
* ``reproject_and_coadd`` with ``reproject_interp`` on the same tiles, already decompressed in
  memory (so it is charged no reading), onto the same grid;
* the cost of each interpolation against bilinear (what ``resample.COST`` holds), inside one tile;
* the largest request each algorithm answers within the default real-time limit, and its time.

It also writes ``docs/cutout-resampled.png``: a colour picture of the demo mosaic resampled and
rotated, with compass, scale bar and caption.

Usage: ``python benchmarks/cutouts_resample.py [DATA_DIR]``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

from jupyter_remotem.cutouts import demo, native, params, render, resample
from jupyter_remotem.cutouts.footprints import FootprintIndex
from jupyter_remotem.cutouts.service import DEFAULT_REALTIME_PIXELS
from jupyter_remotem.cutouts.surveys import Survey
from jupyter_remotem.cutouts.tiles import OpenTile, TileCache
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

warnings.simplefilter("ignore", FITSFixedWarning)
TILE, OVERLAP, SCALE = 2048, 256, 0.5
SURVEY = {"name": "bench", "repository": "bench", "path": "mosaic", "bands": ["r"], "pattern": "{tile}_{band}.fits.fz",
          "pixscale": SCALE}
#: CDS hips2fits' published throughput (output pixels per second), quoted, not measured.
HIPS2FITS_PX_PER_S = 500_000


class HeldSurvey:
    """The survey, its footprint index and open tiles, as the server holds them."""

    def __init__(self, directory: Path, database: str, raw: dict = SURVEY) -> None:
        self.repository = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(directory)}))
        self.index = FootprintIndex(JobStore(database))
        self.survey = Survey.from_dict(raw)
        self.index.refresh(self.survey, self.repository)
        self.tiles = TileCache()

    def open(self, row):
        return self.tiles.get((row.path,), lambda: OpenTile(self.repository, row.path, row.hdu, row.header))

    def plan(self, band: str, ra: float, dec: float, side: int, scale: float, rotation: float,
             interpolation: str) -> resample.Plan:
        wcs = resample.grid(ra, dec, (side, side), scale / 3600, rotation)
        rows = self.index.touching(self.survey.name, band, ra, dec, 0.5 * math.hypot(side, side) * scale / 3600)
        return resample.plan(rows, self.open, wcs, (side, side), interpolation)

    def resample(self, ra: float, dec: float, side: int, interpolation: str = "bilinear", rotation: float = 30.0,
                 band: str = "r") -> resample.Resampled:
        return resample.read(self.plan(band, ra, dec, side, SCALE, rotation, interpolation), "partial")


def timed(function, repeat: int = 2) -> float:
    """Best of ``repeat`` runs after one that warms the caches."""
    function()
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def direct_rate(directory: Path, side: int, rotation: float = 30.0) -> float:
    from reproject import reproject_interp
    from reproject.mosaicking import reproject_and_coadd

    inputs = []
    for path in sorted((directory / "mosaic").glob("*_r.fits.fz")):
        with fits.open(path) as hdus:
            inputs.append((hdus[1].data.astype(np.float64), WCS(hdus[1].header)))
    wcs = resample.grid(150.0, 2.0, (side, side), SCALE / 3600, rotation)
    seconds = timed(lambda: reproject_and_coadd(inputs, wcs, shape_out=(side, side),
                                                reproject_function=reproject_interp))
    return side * side / seconds


def picture(path: Path) -> None:
    """The README's picture: demo mosaic, g r i, resampled at 0.6 arcsec rotated 30°, overlays."""
    with tempfile.TemporaryDirectory() as scratch:
        demo.generate(Path(scratch) / "sky", tile=256)
        raw = dict(demo.surveys("bench", "sky")[0], repository="bench")
        held = HeldSurvey(Path(scratch), f"sqlite:///{scratch}/index.db", raw)
        request = params.parse({"survey": ["demo_mosaic"], "ra": ["150.0"], "dec": ["2.0"], "size": ["200pix"],
                                "bands": ["gri"], "algorithm": ["resample"], "pixscale": ["0.6"],
                                "rotation": ["30"], "format": ["png"], "compass": ["true"],
                                "scalebar": ["true"], "caption": ["true"], "q": ["6"]})
        cuts = []
        for band in "gri":
            cut = resample.read(held.plan(band, 150.0, 2.0, 200, 0.6, 30.0, "bilinear"), "partial")
            cut.band = band
            cuts.append(cut)
        path.write_bytes(render.picture(cuts, request, "demo_mosaic").body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=os.path.join(tempfile.gettempdir(), "remotem-bench-resample"))
    parser.add_argument("--picture", default=str(Path(__file__).resolve().parents[1] / "docs" /
                                                  "cutout-resampled.png"))
    options = parser.parse_args()
    directory = Path(options.data)
    if not (directory / "mosaic" / "t11_r.fits.fz").exists():
        demo.mosaic(directory / "mosaic", 150.0, 2.0, (2, 2), TILE, OVERLAP, ["r"], ".fits.fz", SCALE, seed=1)
    with tempfile.TemporaryDirectory() as scratch:
        held = HeldSurvey(directory, f"sqlite:///{scratch}/index.db")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}")
        import reproject

        print(f"reproject {reproject.__version__}; tiles {TILE} px, 2×2, RICE 32-row compression tiles")
        print("\noutput side | ours px/s | reproject_and_coadd px/s (tiles in memory) | ours / direct | "
              "ours / hips2fits 500k")
        for side in (256, 512, 1024):
            ours = side * side / timed(lambda: held.resample(150.0, 2.0, side))
            direct = direct_rate(directory, side)
            print(f"{side} | {ours:,.0f} | {direct:,.0f} | {ours / direct:.2f} | {ours / HIPS2FITS_PX_PER_S:.2f}")
        # Inside one tile (t00 only), away from the others: the cost of each interpolation.
        wcs00 = WCS(fits.getheader(directory / "mosaic" / "t00_r.fits.fz", 1))
        ra, dec = (float(v) for v in wcs00.all_pix2world([[700.0, 700.0]], 0)[0])
        print("\ninterpolation | 256 px inside one tile, px/s | cost vs bilinear | declared COST")
        rates = {}
        for interpolation in ("bilinear", "nearest", "bicubic", "flux"):
            side = 128 if interpolation == "flux" else 256
            rates[interpolation] = side * side / timed(lambda: held.resample(ra, dec, side, interpolation))
        for interpolation, rate in rates.items():
            print(f"{interpolation} | {rate:,.0f} | {rates['bilinear'] / rate:.1f} | {resample.COST[interpolation]}")
        print(f"\nlargest real-time request (limit {DEFAULT_REALTIME_PIXELS:,} units of work), one band:")
        limit = DEFAULT_REALTIME_PIXELS
        side = int(math.sqrt(limit))
        rows = held.index.touching("bench", "r", ra, dec, side * SCALE / 3600)
        from astropy import units as u

        target = native.Target(ra, dec, (side * u.pix, side * u.pix))
        seconds = timed(lambda: native.cutout(rows, held.open, target), repeat=1)
        print(f"native | {side}×{side} px ({side * SCALE / 60:.1f}′ at 0.5″) | {seconds:.2f} s")
        for interpolation, tiles, centre in (("bilinear", 1, (ra, dec)), ("bilinear", 4, (150.0, 2.0)),
                                             ("bicubic", 1, (ra, dec)), ("flux", 1, (ra, dec))):
            side = int(math.sqrt(limit / tiles / resample.COST[interpolation]))
            chosen = held.plan("r", *centre, side, SCALE, 30.0, interpolation)
            while chosen.work > limit:
                side -= 8
                chosen = held.plan("r", *centre, side, SCALE, 30.0, interpolation)
            seconds = timed(lambda: resample.read(chosen, "partial"), repeat=1)
            print(f"resample {interpolation}, {tiles} tile(s) | {side}×{side} px ({side * SCALE / 60:.1f}′), "
                  f"work {chosen.work:,} | {seconds:.2f} s")
    picture(Path(options.picture))
    print(f"\npicture: {options.picture}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
