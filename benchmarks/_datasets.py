"""Benchmark inputs: one 4D scan as raw, NPY and row-chunked HDF5, in float32 and uint16."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np


def ensure(directory: Path, dtype: str, gib: float, sig: int = 128) -> dict[str, Path]:
    """Write (or reuse) the three files for ``dtype``; returns {"raw", "npy", "hdf5"} paths."""
    directory.mkdir(parents=True, exist_ok=True)
    itemsize = np.dtype(dtype).itemsize
    frames = int(gib * 1024**3 // (sig * sig * itemsize))
    nav_x = 128
    nav_y = max(1, frames // nav_x)
    shape = (nav_y, nav_x, sig, sig)
    stem = directory / f"bench_{dtype}_{nav_y}x{nav_x}x{sig}x{sig}"
    paths = {"raw": stem.with_suffix(".raw"), "npy": stem.with_suffix(".npy"), "hdf5": stem.with_suffix(".h5")}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(0)
    npy = np.lib.format.open_memmap(paths["npy"], mode="w+", dtype=dtype, shape=shape)
    with open(paths["raw"], "wb") as raw, h5py.File(paths["hdf5"], "w") as h5:
        dset = h5.create_dataset("data", shape=shape, dtype=dtype, chunks=(1, nav_x, sig, sig))
        for y in range(nav_y):
            row = rng.poisson(20.0, size=(nav_x, sig, sig)).astype(dtype)
            raw.write(row.tobytes())
            npy[y] = row
            dset[y] = row
    npy.flush()
    del npy
    paths["raw"].with_name(paths["raw"].name + ".json").write_text(
        json.dumps({"shape": list(shape), "dtype": np.dtype(dtype).str, "nav_ndim": 2})
    )
    return paths


def warm(path: Path) -> float:
    """Read the file once, untimed, so that the timed run finds it in the page cache; returns GB."""
    total = 0
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(64 * 1024**2)
        while True:
            n = f.readinto(buffer)
            if not n:
                break
            total += n
    return total / 1e9


def residency(path: Path) -> float | None:
    """Fraction of the file in the page cache (util-linux ``fincore``), printed beside each figure."""
    import subprocess

    try:
        out = subprocess.run(
            ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE", str(path)],
            capture_output=True, text=True, check=True,
        ).stdout.split()
        return int(out[0]) / max(int(out[1]), 1)
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None
