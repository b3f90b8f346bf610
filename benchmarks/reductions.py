"""Reduction throughput: jupyter_remotem vs numpy, LiberTEM and the machine's memory-read bound.

Creates (or reuses) a ~2 GiB 4D scan in float32 and uint16 as raw, NPY and row-chunked HDF5,
re-reads each file untimed right before every timed run (these VMs drop page-cache pages within
minutes), records its page-cache residency, and prints GB/s with ratios to the baselines measured
in the same run.  LiberTEM is a benchmark-only dependency: pass ``--libertem-python`` pointing at
an interpreter that has ``libertem`` installed, or run from one.

    python benchmarks/reductions.py [--gib 2] [--dir .benchmark-data] [--libertem-python PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import ensure, residency, warm  # noqa: E402

from jupyter_remotem.compute.cluster import ClusterManager  # noqa: E402
from jupyter_remotem.compute.executor import DatasetRef, run_plan  # noqa: E402
from jupyter_remotem.compute.operations import CenterOfMassPlan, FrameStatsPlan, VirtualDetectorPlan  # noqa: E402
from jupyter_remotem.compute.partitions import cluster_partition_bytes, dataset_partitions  # noqa: E402
from jupyter_remotem.formats import open_dataset  # noqa: E402
from jupyter_remotem.kernels import stack  # noqa: E402
from jupyter_remotem.storage.repository import Repository, RepositoryConfig  # noqa: E402


def detectors(count: int, sig: int) -> list[dict]:
    c = sig / 2
    if count == 1:
        return [{"shape": "disk", "cx": c, "cy": c, "r": sig / 8}]
    if count == 3:
        return [
            {"shape": "disk", "cx": c, "cy": c, "r": sig / 8},
            {"shape": "ring", "cx": c, "cy": c, "ri": sig / 8, "ro": sig / 4},
            {"shape": "ring", "cx": c, "cy": c, "ri": sig / 4, "ro": sig / 2},
        ]
    return [{"shape": "ring", "cx": c, "cy": c, "ri": i * sig / 32, "ro": (i + 1) * sig / 32} for i in range(count)]


@numba.njit(parallel=True, fastmath=True, cache=True)
def _parallel_sum(flat):
    """The memory-read bound: a vectorised sum that does nothing but stream the data."""
    return flat.sum()


def best_of(repeats: int, path: Path, run) -> float:
    best = float("inf")
    for _ in range(repeats):
        warm(path)
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0)
    parser.add_argument("--dir", type=Path, default=Path(".benchmark-data/reductions"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--libertem-python", default=None)
    parser.add_argument("--dtypes", default="float32,uint16")
    parser.add_argument("--formats", default="raw,npy,hdf5")
    parser.add_argument("--no-cluster", action="store_true")
    args = parser.parse_args()
    libertem_python = args.libertem_python
    if libertem_python is None:
        try:
            import libertem  # noqa: F401

            libertem_python = sys.executable
        except ImportError:
            pass

    cluster = None if args.no_cluster else ClusterManager(n_workers=2)
    rows = []
    for dtype in args.dtypes.split(","):
        paths = ensure(args.dir, dtype, args.gib)
        repo = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(args.dir)}))
        for fmt, path in paths.items():
            if fmt not in args.formats.split(","):
                continue
            name = path.name
            with open_dataset(repo, name) as ds:
                nbytes = ds.nbytes
                sig = ds.sig_shape[0]
                parts = dataset_partitions(ds)
                figures: dict[str, float] = {}

                def gbps(seconds: float) -> float:
                    return nbytes / seconds / 1e9

                flat = np.memmap(paths["raw"], dtype=dtype, mode="r").reshape(ds.n_frames, -1)
                _parallel_sum(flat[:2].ravel())
                figures["memory bound"] = gbps(best_of(args.repeats, paths["raw"], lambda: _parallel_sum(flat.ravel())))
                plans = {f"masks_{k}": VirtualDetectorPlan(ds, {"detectors": detectors(k, sig)}) for k in (1, 3, 16)}
                plans["com"] = CenterOfMassPlan(ds, {})
                plans["frame_stats"] = FrameStatsPlan(ds, {})
                for label, plan in plans.items():
                    run_plan(ds, plan, parts[:1])  # compile outside the timing
                    figures[f"ours inline:{label}"] = gbps(best_of(args.repeats, path, lambda: run_plan(ds, plan, parts)))
                if cluster is not None:
                    client = cluster.client()
                    ref = DatasetRef(repo.config, name)
                    cluster_parts = dataset_partitions(ds, target_bytes=cluster_partition_bytes(nbytes, 2))
                    for label in ("masks_1", "com"):
                        plan = plans[label]
                        run_plan(ds, plan, cluster_parts[:2], client=client, ref=ref)
                        figures[f"ours cluster:{label}"] = gbps(best_of(
                            args.repeats, path, lambda: run_plan(ds, plan, cluster_parts, client=client, ref=ref)
                        ))
                for k in (1, 3, 16):
                    masks = stack(detectors(k, sig), ds.sig_shape).reshape(k, -1).astype(
                        np.float32 if dtype == "float32" else np.float64
                    )

                    def numpy_run() -> None:
                        step = max(1, (64 * 1024**2) // ds.frame_nbytes)
                        for start in range(0, ds.n_frames, step):
                            flat[start : start + step] @ masks.T

                    figures[f"numpy:masks_{k}"] = gbps(best_of(1, paths["raw"], numpy_run))
                if libertem_python:
                    out = subprocess.run(
                        [libertem_python, str(Path(__file__).with_name("_libertem_side.py")), str(path), fmt, dtype,
                         str(ds.nav_shape[0]), str(ds.nav_shape[1]), str(sig), str(args.repeats)],
                        capture_output=True, text=True,
                    )
                    if out.returncode == 0:
                        for key, value in json.loads(out.stdout.strip().splitlines()[-1]).items():
                            figures[f"libertem {key}"] = value
                    else:
                        print(f"LiberTEM failed on {name}: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                rows.append((dtype, fmt, nbytes, residency(path), figures))
                report(rows[-1])
    if cluster is not None:
        cluster.close()


def report(row) -> None:
    dtype, fmt, nbytes, resident, figures = row
    bound = figures.get("memory bound")
    print(f"\n## {dtype} {fmt}: {nbytes / 1024**3:.2f} GiB, page cache residency "
          f"{'?' if resident is None else f'{resident:.0%}'}")
    print(f"{'measurement':34s} {'GB/s':>7s} {'vs bound':>9s} {'vs LiberTEM best':>17s}")
    for key, value in figures.items():
        label = key.split(":")[-1]
        libertem = [v for k, v in figures.items() if k.startswith("libertem") and k.endswith(":" + label)]
        ratio = f"{value / max(libertem):.2f}x" if libertem and key.startswith("ours") else ""
        print(f"{key:34s} {value:7.2f} {value / bound if bound else float('nan'):9.2f} {ratio:>17s}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
