"""Sky-survey cutouts: real-time latency over REST, and native cutouts per second, against
astrocut's ``fits_cut`` and a plain astropy ``Cutout2D`` loop in the same run.

Data: a survey of two 4096 × 4096 float32 tiles, tile-compressed as fpack does by default (RICE,
one compressed tile per image row), and a third compressed in 128 × 128 tiles, with TAN WCS,
written once under ``DATA_DIR``.  Measured:

* ``GET remotem/api/cutouts/sync`` for a 100 × 100 px native cutout on a real Jupyter server
  (keep-alive connection): a new position each time (the rows decompressed afresh), and the
  same position again;
* native 64 × 64 cutouts per second in-process (footprint index question, plan, section read;
  and with the FITS answer encoded), at random positions and at positions sorted by declination
  (as a batch grouped by tile will), on one core and on two processes;
* astrocut ``fits_cut(..., memory_only=True)`` per cutout, and ``Cutout2D`` on ``hdu.section``
  of the file opened once, at the same random positions;
* batch cutouts per second: the batch job's own path (:mod:`jupyter_remotem.cutouts.batch_run`:
  rows parsed, grouped by tile, units cut and each FITS file written atomically into a folder),
  on one process and on two (the tiles' groups split between them), with both compression
  layouts.

Usage: ``python benchmarks/cutouts.py [DATA_DIR] [--count N] [--batch-only]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS

from jupyter_remotem.cutouts import demo, native, params, render
from jupyter_remotem.cutouts.footprints import FootprintIndex
from jupyter_remotem.cutouts.surveys import Survey
from jupyter_remotem.cutouts.tiles import OpenTile, TileCache
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

SIDE = 4096
SCALE = 0.263  # arcsec per pixel, as DECam coadds
CENTRES = {"b1": (30.0, -5.0), "b2": (30.0 + 0.95 * SIDE * SCALE / 3600, -5.0)}
#: A third tile, compressed in 128 × 128 tiles instead of rows: a cutout decompresses ~4 of them.
SQUARE = {"q1": (60.0, 20.0)}
SURVEY = {"name": "bench", "repository": "bench", "path": "survey", "bands": ["r"], "pattern": "{tile}_{band}.fits.fz",
          "pixscale": SCALE}


def make_data(directory: Path) -> None:
    folder = directory / "survey"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for name, (ra, dec) in {**CENTRES, **SQUARE}.items():
        path = folder / f"{name}_r.fits.fz"
        if path.exists():
            continue
        header = demo.tan_header(ra, dec, (SIDE, SIDE), SCALE, (SIDE / 2 + 0.5, SIDE / 2 + 0.5), "r")
        y = np.linspace(0, 1, SIDE, dtype=np.float32)[:, None]
        data = (rng.normal(0, 1, (SIDE, SIDE)).astype(np.float32) + 10 * y).astype(np.float32)
        tiles = {"tile_shape": (128, 128)} if name in SQUARE else {}  # default: one row per tile, as fpack
        fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, header=header, compression_type="RICE_1", **tiles)]) \
            .writeto(path.with_suffix(".partial"), overwrite=True)
        os.replace(path.with_suffix(".partial"), path)


def positions(count: int, seed: int, square: bool = False) -> list[tuple[float, float]]:
    """Random positions well inside the tiles (a cutout of up to 100 px stays on one tile)."""
    rng = np.random.default_rng(seed)
    out = []
    half = (SIDE / 2 - 80) * SCALE / 3600
    for k in range(count):
        ra, dec = SQUARE["q1"] if square else CENTRES["b1" if k % 2 == 0 else "b2"]
        out.append((ra + rng.uniform(-half, half) / np.cos(np.radians(dec)), dec + rng.uniform(-half, half)))
    return out


class Cutter:
    """What the server does for one native cutout, in-process."""

    def __init__(self, directory: Path, database: str) -> None:
        self.repository = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(directory)}))
        self.store = JobStore(database)
        self.index = FootprintIndex(self.store)
        self.survey = Survey.from_dict(SURVEY)
        self.index.refresh(self.survey, self.repository)
        self.tiles = TileCache()

    def open(self, row):
        return self.tiles.get((row.path,), lambda: OpenTile(self.repository, row.path, row.hdu, row.header))

    def cut(self, ra: float, dec: float, side: int, encode: bool = False) -> int:
        rows = self.index.touching("bench", "r", ra, dec, side * SCALE / 3600)
        cut = native.cutout(rows, self.open, native.Target(ra, dec, (side * u.pix, side * u.pix)))
        if encode:
            request = params.CutoutRequest(survey="bench", ra=ra, dec=dec, size=((side, "pix"), (side, "pix")))
            cut.band = "r"
            render.fits_bytes([cut], request, "bench")
        return cut.data.size


def _worker(arguments) -> float:
    directory, database, chunk, encode = arguments
    cutter = Cutter(Path(directory), database)
    cutter.cut(*chunk[0], 64)
    started = time.perf_counter()
    for ra, dec in chunk:
        cutter.cut(ra, dec, 64, encode)
    return time.perf_counter() - started


def throughput(directory: Path, scratch: Path, spots: list[tuple[float, float]], processes: int, encode: bool) -> float:
    """Cutouts per second over ``processes`` processes, each with its own index copy and tiles."""
    chunks = [spots[k::processes] for k in range(processes)]
    jobs = [(str(directory), f"sqlite:///{scratch / f'index-{k}.sqlite'}", chunk, encode)
            for k, chunk in enumerate(chunks)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        elapsed = pool.map(_worker, jobs)  # each timed after its start-up, running side by side
    return len(spots) / max(elapsed)


def single(cutter: Cutter, spots: list[tuple[float, float]], encode: bool = False, cold: bool = False) -> float:
    """Cutouts per second on one core; ``cold``: the tiles reopened and nothing decompressed kept."""
    cutter.cut(*spots[0], 64, encode)
    started = time.perf_counter()
    for ra, dec in spots:
        if cold:
            cutter.tiles.clear()
        cutter.cut(ra, dec, 64, encode)
    return len(spots) / (time.perf_counter() - started)


def astrocut_rate(directory: Path, spots: list[tuple[float, float]]) -> float:
    from astrocut import fits_cut

    files = {name: str(directory / "survey" / f"{name}_r.fits.fz") for name in CENTRES}
    started = time.perf_counter()
    for k, (ra, dec) in enumerate(spots):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits_cut([files["b1" if k % 2 == 0 else "b2"]], SkyCoord(ra * u.deg, dec * u.deg), 64, memory_only=True)
    return len(spots) / (time.perf_counter() - started)


def cutout2d_rate(directory: Path, spots: list[tuple[float, float]]) -> float:
    opened = {name: fits.open(directory / "survey" / f"{name}_r.fits.fz") for name in CENTRES}
    wcs = {name: WCS(hdus[1].header) for name, hdus in opened.items()}
    started = time.perf_counter()
    for k, (ra, dec) in enumerate(spots):
        name = "b1" if k % 2 == 0 else "b2"
        Cutout2D(opened[name][1].section, SkyCoord(ra * u.deg, dec * u.deg), 64, wcs=wcs[name])
    rate = len(spots) / (time.perf_counter() - started)
    for hdus in opened.values():
        hdus.close()
    return rate


def rest_latency(directory: Path, spots: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from _server import call, jupyter_server

    with jupyter_server(directory, surveys=[SURVEY], generate_demo_data=False) as (base, token):
        host, port = base.split("//")[1].rstrip("/").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)

        def get(ra: float, dec: float) -> float:
            started = time.perf_counter()
            connection.request("GET", f"/remotem/api/cutouts/sync?survey=bench&ra={ra}&dec={dec}&size=100pix",
                               headers={"Authorization": f"token {token}"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200 and body[:6] == b"SIMPLE", body[:200]
            return (time.perf_counter() - started) * 1e3

        deadline = time.monotonic() + 120  # the index job the server queued at start
        while json.loads(call(base + "remotem/api/", token, "cutouts/surveys"))["surveys"][0]["index"]["state"] \
                != "current":
            assert time.monotonic() < deadline, "the survey's footprint index was not built in 120 s"
            time.sleep(0.1)  # poll interval
        get(*spots[0])  # the first answer opens the tiles
        fresh = [get(ra, dec) for ra, dec in spots[1:]]
        again = [get(*spots[1]) for _ in spots[1:]]
        connection.close()
    return fresh, again


def _batch_worker(arguments) -> float:
    """Seconds one process takes for its share of a batch, from its rows to files on disk."""
    from jupyter_remotem.cutouts import batch, batch_run

    directory, database, out, label, spots, side = arguments
    source = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(directory)}))
    target = Repository(RepositoryConfig.from_dict({"name": "out", "url": str(out), "writable": True}))
    store = JobStore(database)
    index = FootprintIndex(store)
    survey = Survey.from_dict(SURVEY)
    index.refresh(survey, source)
    index.touching("bench", "r", *spots[0], 0.01)  # the index's rows loaded, as a running job has them
    folder = f"batch-{label}"
    (Path(out) / folder).mkdir(parents=True, exist_ok=True)
    request = {"defaults": {"survey": "bench", "size": f"{side}pix"},
               "positions": [{"id": f"{label}-{k}", "ra": repr(float(ra)), "dec": repr(float(dec))}
                             for k, (ra, dec) in enumerate(spots)]}
    started = time.perf_counter()
    units, failed = batch_run.plan_units(batch.items_of(request), {"bench": survey}, index,
                                         {"bench": source, "out": target}, "out", folder, "bench", 0, database)
    shared = batch_run.batch_service([survey], {"bench": source, "out": target}, index, batch.DEFAULT_BATCH_PIXELS)
    for unit in units:  # as a job's inline units: one service, tiles open from one unit to the next
        unit.service = shared
    made = sum(sum(1 for row in batch_run.run_unit(unit).rows if row["status"] == "ok") for unit in units)
    elapsed = time.perf_counter() - started
    assert made == len(spots) and not failed, (made, len(spots), next(iter(failed.values()), None))
    store.close()
    return elapsed


def batch_rate(directory: Path, scratch: Path, spots: list[tuple[float, float]], processes: int, tag: str) -> float:
    """Batch cutouts per second (64 × 64 FITS files written), the groups split over ``processes``."""
    east = sorted(p for p in spots if p[0] > CENTRES["b1"][0] + 0.15)
    west = sorted(p for p in spots if p[0] <= CENTRES["b1"][0] + 0.15)
    shares = [spots] if processes == 1 else ([west, east] if east and west else [spots[0::2], spots[1::2]])
    out = scratch / f"out-{tag}-{processes}"
    jobs = [(str(directory), f"sqlite:///{scratch / f'batch-{tag}-{processes}-{k}.sqlite'}", str(out), f"{tag}{k}",
             share, 64) for k, share in enumerate(shares)]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        elapsed = pool.map(_batch_worker, jobs)
    return len(spots) / max(elapsed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", nargs="?", default=".benchmark-data/cutouts")
    parser.add_argument("--count", type=int, default=2000, help="cutouts per throughput run")
    parser.add_argument("--batch-only", action="store_true", help="only the batch rates and their references")
    args = parser.parse_args()
    directory = Path(args.directory).resolve()
    make_data(directory)
    sizes = sum(p.stat().st_size for p in (directory / "survey").iterdir())
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; tiles: 2 × {SIDE}² float32 RICE, {sizes / 1e6:.0f} MB on disk; "
          f"load average {os.getloadavg()[0]:.1f}")
    if args.batch_only:
        batch_main(directory, args.count)
        return

    fresh, again = rest_latency(directory, positions(51, seed=2))
    print(f"REST 100×100 native cutout, new position each time: median {statistics.median(fresh):.1f} ms, "
          f"p90 {np.percentile(fresh, 90):.1f} ms; same position again: median {statistics.median(again):.1f} ms")

    spots = positions(args.count, seed=3)
    grouped = sorted(spots, key=lambda p: (p[0] > CENTRES["b1"][0] + 0.15, p[1]))
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        cutter = Cutter(directory, f"sqlite:///{scratch / 'index.sqlite'}")
        results = {
            "ours, 1 core, cold (tile reopened, rows decompressed)": single(cutter, spots[:200], cold=True),
            "ours, 1 core, random positions": single(cutter, spots),
            "ours, 1 core, random positions, with FITS answer": single(cutter, spots, encode=True),
        }
        square = positions(args.count, seed=4, square=True)
        results["ours, 1 core, cold, 128×128 compression tiles"] = single(cutter, square[:200], cold=True)
        results["ours, 1 core, random positions, 128×128 compression tiles"] = single(cutter, square)
        results["ours, 2 processes, random positions, 128×128 compression tiles"] = throughput(
            directory, scratch, square, 2, False)
        cutter.tiles.clear()
        results["ours, 1 core, grouped by tile and declination"] = single(
            Cutter(directory, f"sqlite:///{scratch / 'g.sqlite'}"), grouped)
        results["ours, 2 processes, random positions"] = throughput(directory, scratch, spots, 2, False)
        results["ours, 2 processes, random positions, with FITS answer"] = throughput(
            directory, scratch, spots, 2, True)
        results["ours, 2 processes, grouped"] = throughput(directory, scratch, grouped, 2, False)
    few = spots[:100]
    results["astrocut fits_cut (memory_only), 1 core"] = astrocut_rate(directory, few)
    results["astropy Cutout2D on hdu.section, file open, 1 core"] = cutout2d_rate(directory, few)
    print(f"\n{'native 64×64 cutouts':58s} {'per s':>8s} {'ms each':>8s}")
    for name, rate in results.items():
        print(f"{name:58s} {rate:8.0f} {1e3 / rate:8.2f}")
    for label in ("ours, 1 core, cold (tile reopened, rows decompressed)", "ours, 1 core, random positions"):
        ours = results[label]
        print(f"{label}: {ours / results['astrocut fits_cut (memory_only), 1 core']:.1f}× astrocut, "
              f"{ours / results['astropy Cutout2D on hdu.section, file open, 1 core']:.1f}× a plain Cutout2D loop")



def batch_main(directory: Path, count: int) -> None:
    """Batch cutouts per second against astrocut and a Cutout2D loop, in the same run."""
    spots = positions(count, seed=3)
    square = positions(count, seed=4, square=True)
    results = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        results["batch, row tiles, 1 process"] = batch_rate(directory, scratch, spots, 1, "rows")
        results["batch, row tiles, 2 processes"] = batch_rate(directory, scratch, spots, 2, "rows")
        results["batch, 128×128 compression tiles, 1 process"] = batch_rate(directory, scratch, square, 1, "square")
        results["batch, 128×128 compression tiles, 2 processes"] = batch_rate(directory, scratch, square, 2, "square")
    few = spots[:100]
    results["astrocut fits_cut (memory_only), 1 core"] = astrocut_rate(directory, few)
    results["astropy Cutout2D on hdu.section, file open, 1 core"] = cutout2d_rate(directory, few)
    print(f"\n{'batch of ' + str(count) + ' native 64×64 cutouts, FITS files written':58s} {'per s':>8s} "
          f"{'ms each':>8s}")
    for name, rate in results.items():
        print(f"{name:58s} {rate:8.0f} {1e3 / rate:8.2f}")
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
