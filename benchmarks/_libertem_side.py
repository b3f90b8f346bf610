"""LiberTEM baseline, run in LiberTEM's own environment.

Usage: python _libertem_side.py PATH FORMAT DTYPE NAV_Y NAV_X SIG REPEATS
           prints one JSON line of GB/s figures (``reductions.py``);
       python _libertem_side.py serve PATH FORMAT DTYPE NAV_Y NAV_X SIG
           keeps both contexts and the dataset loaded, as a LiberTEM user does, and answers JSON
           lines on stdin, ``{"executor": "inline"|"dask", "detectors": [...]}`` (our detector JSON:
           disks and rings) or ``{"executor": ..., "com": [cx, cy]}``, with the seconds of one run
           after an untimed re-read of the file (``rest_reductions.py`` interleaves them with ours).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np


def warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(64 * 1024**2)
        while f.readinto(buffer):
            pass


def main() -> None:
    path, fmt, dtype, ny, nx, sig, repeats = sys.argv[1:8]
    ny, nx, sig, repeats = int(ny), int(nx), int(sig), int(repeats)
    import libertem.api as lt
    from libertem import masks
    from libertem.udf.com import CoMUDF
    from libertem.udf.masks import ApplyMasksUDF

    nbytes = ny * nx * sig * sig * np.dtype(dtype).itemsize
    c = sig / 2
    mask_sets = {
        1: [lambda: masks.circular(c, c, sig, sig, sig / 8)],
        3: [lambda: masks.circular(c, c, sig, sig, sig / 8),
            lambda: masks.ring(c, c, sig, sig, sig / 4, sig / 8),
            lambda: masks.ring(c, c, sig, sig, sig / 2, sig / 4)],
        16: [(lambda i=i: masks.ring(c, c, sig, sig, (i + 1) * sig / 32, i * sig / 32)) for i in range(16)],
    }
    results = {}
    for executor in ("inline", "dask"):
        ctx = lt.Context.make_with("inline") if executor == "inline" else lt.Context.make_with("dask-make-default", cpus=2)
        try:
            if fmt == "hdf5":
                ds = ctx.load("hdf5", path=path, ds_path="data")
            elif fmt == "npy":
                ds = ctx.load("npy", path=path)
            else:
                ds = ctx.load("raw", path=path, nav_shape=(ny, nx), sig_shape=(sig, sig), dtype=dtype)
            jobs = {f"masks_{k}": (lambda fs=fs: [ApplyMasksUDF(mask_factories=fs)]) for k, fs in mask_sets.items()}
            jobs["com"] = lambda: [CoMUDF.with_params(cy=c, cx=c)]
            for name, make in jobs.items():
                best = float("inf")
                for _ in range(repeats):
                    warm(Path(path))
                    start = time.perf_counter()
                    ctx.run_udf(dataset=ds, udf=make())
                    best = min(best, time.perf_counter() - start)
                results[f"{executor}:{name}"] = nbytes / best / 1e9
        finally:
            ctx.close()
    print(json.dumps(results))


def factories(detectors: list[dict], sig: int) -> list:
    """LiberTEM mask factories for our detector JSON (same geometry: d <= r, ri < d <= ro)."""
    from libertem import masks

    out = []
    for d in detectors:
        if d["shape"] == "disk":
            out.append(lambda d=d: masks.circular(d["cx"], d["cy"], sig, sig, d["r"]))
        elif d["shape"] == "ring":
            out.append(lambda d=d: masks.ring(d["cx"], d["cy"], sig, sig, d["ro"], d["ri"]))
        else:
            raise ValueError(d["shape"])
    return out


def serve() -> None:
    path, fmt, dtype, ny, nx, sig = sys.argv[2:8]
    ny, nx, sig = int(ny), int(nx), int(sig)
    import libertem.api as lt
    from libertem.udf.com import CoMUDF
    from libertem.udf.masks import ApplyMasksUDF

    contexts = {"inline": lt.Context.make_with("inline"), "dask": lt.Context.make_with("dask-make-default", cpus=2)}
    datasets = {}
    for name, ctx in contexts.items():
        if fmt == "hdf5":
            datasets[name] = ctx.load("hdf5", path=path, ds_path="data")
        elif fmt == "npy":
            datasets[name] = ctx.load("npy", path=path)
        else:
            datasets[name] = ctx.load("raw", path=path, nav_shape=(ny, nx), sig_shape=(sig, sig), dtype=dtype)
    print(json.dumps({"ready": True}), flush=True)
    try:
        for line in sys.stdin:
            command = json.loads(line)
            executor = command["executor"]
            if "com" in command:
                cx, cy = command["com"]
                udfs = [CoMUDF.with_params(cy=cy, cx=cx)]
            else:
                udfs = [ApplyMasksUDF(mask_factories=factories(command["detectors"], sig))]
            warm(Path(path))
            start = time.perf_counter()
            contexts[executor].run_udf(dataset=datasets[executor], udf=udfs)
            print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
    finally:
        for ctx in contexts.values():
            ctx.close()


if __name__ == "__main__":
    serve() if sys.argv[1:2] == ["serve"] else main()
