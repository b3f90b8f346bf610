"""Frame-batch read throughput of 4D HDF5 scans: h5py vs jupyter_remotem's offset readers.

Creates (or reuses) ~1 GiB float32 and uint16 scans under DIR (default ``.benchmark-data/``),
each as a contiguous and a chunked-by-scan-row HDF5 file, plus a raw copy whose numpy memmap is
the upper bound.  Each timed run reads the whole dataset one scan row of frames at a time
(copying out, as a reduction would), after re-reading the file untimed so that it is in the page
cache; page-cache residency is printed beside each figure.

    python benchmarks/hdf5_reader.py [DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_remotem.formats import open_dataset  # noqa: E402
from jupyter_remotem.storage.repository import Repository, RepositoryConfig  # noqa: E402

SCANS = {
    "float32": ((128, 128, 128, 128), np.float32),  # 1 GiB
    "uint16": ((256, 128, 128, 128), np.uint16),  # 1 GiB
}


def residency(path: Path) -> float:
    """Fraction of the file's bytes in the page cache, from util-linux ``fincore`` (nan if absent)."""
    size = path.stat().st_size
    try:
        out = subprocess.run(
            ["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return int(out) / size if size else 1.0
    except (OSError, subprocess.CalledProcessError, ValueError):
        return float("nan")


def warm(path: Path) -> float:
    """Read the whole file untimed (page cache), return residency afterwards."""
    with open(path, "rb", buffering=0) as f:
        while f.read(64 << 20):
            pass
    return residency(path)


def create(directory: Path) -> dict[str, dict[str, Path]]:
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Path]] = {}
    for label, (shape, dtype) in SCANS.items():
        paths = {
            "contiguous": directory / f"scan_{label}_contiguous.h5",
            "chunked": directory / f"scan_{label}_chunked.h5",
            "raw": directory / f"scan_{label}.raw",
        }
        files[label] = paths
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        if all(p.exists() for p in paths.values()) and paths["raw"].stat().st_size == nbytes:
            continue
        print(f"creating {label} scans {shape} in {directory} ...", flush=True)
        rows = np.empty(shape[1:], dtype=dtype)
        rows[...] = (np.arange(int(np.prod(shape[1:]))) % 4093).reshape(shape[1:]).astype(dtype)
        with (
            h5py.File(paths["contiguous"], "w") as fc,
            h5py.File(paths["chunked"], "w") as fk,
            open(paths["raw"], "wb") as fr,
        ):
            dc = fc.create_dataset("data", shape=shape, dtype=dtype)
            dk = fk.create_dataset("data", shape=shape, dtype=dtype, chunks=(1,) + shape[1:])
            for i in range(shape[0]):
                rows.flat[0] = i
                dc[i] = rows
                dk[i] = rows
                fr.write(rows.tobytes())
    return files


def timed(run, path: Path, nbytes: int, repeat: int) -> tuple[float, float]:
    best = float("inf")
    resident = 0.0
    for _ in range(repeat):
        resident = warm(path)
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return nbytes / best / 1e9, resident


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=".benchmark-data", type=Path)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per case (best is reported)")
    args = parser.parse_args(argv)
    files = create(args.directory)
    repo = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(args.directory.resolve())}))
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; best of {args.repeat}")
    print(f"{'dataset':<24}{'reader':<34}{'GB/s':>8}{'resident':>10}")
    for label, (shape, dtype) in SCANS.items():
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        n_frames = shape[0] * shape[1]
        for layout in ("contiguous", "chunked"):
            path = files[label][layout]
            ds = open_dataset(repo, path.name)
            for batch in (shape[1], 4):

                def through_h5py(batch: int = batch) -> None:
                    with h5py.File(path, "r") as f:
                        dset = f["data"]
                        for start in range(0, n_frames, batch):
                            row, col = divmod(start, shape[1])
                            dset[row, col : col + batch]

                def through_offsets(batch: int = batch) -> None:
                    for start in range(0, n_frames, batch):
                        ds.read_frames(np.arange(start, start + batch))

                runs = (("h5py", through_h5py), (type(ds.reader).__name__, through_offsets))
                for name, run in runs:
                    gbs, resident = timed(run, path, nbytes, args.repeat)
                    print(
                        f"{label + ' ' + layout:<24}{name + f' ({batch} frames/read)':<34}{gbs:>8.2f}{resident:>9.0%}",
                        flush=True,
                    )
            ds.close()
        raw = files[label]["raw"]

        mm = np.memmap(raw, dtype=dtype, mode="r", shape=shape)  # kept across runs, like the opened datasets

        def through_memmap() -> None:
            for i in range(shape[0]):
                np.array(mm[i])

        gbs, resident = timed(through_memmap, raw, nbytes, args.repeat)
        print(
            f"{label + ' raw':<24}{f'numpy memmap ({shape[1]} frames/read)':<34}{gbs:>8.2f}{resident:>9.0%}", flush=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
