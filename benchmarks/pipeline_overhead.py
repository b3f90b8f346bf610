"""Overhead of ``jupyter_remotem.pipeline`` per item, against plain ``dask.delayed`` and ``joblib.Memory``.

Every item does the same small amount of work (a 64 × 64 float32 image, a normalisation) and stores its
product (an .npy file), so what differs between the contestants is their bookkeeping:

- executed items: our ``run`` inline and on a 2-worker LocalCluster, against the same function and
  ``np.save`` as ``dask.delayed`` tasks (the synchronous scheduler, and ``compute`` on the same cluster),
  and against ``joblib.Memory`` calling and caching it;
- skipped items (everything up to date): our ``run`` (which plans, reads every manifest and skips),
  against ``joblib.Memory``'s cache hits.

Goal: ≤ 1 ms per skipped item; ≤ 2× plain Dask per executed item.

    .venv/bin/python benchmarks/pipeline_overhead.py [--items 400] [--skipped 4000]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best  # noqa: E402

from jupyter_remotem.pipeline import run, step  # noqa: E402
from jupyter_remotem.pipeline.writers import Npy  # noqa: E402


def work(item: int) -> np.ndarray:
    """The per-item work every contestant does."""
    image = np.random.default_rng(item).random((64, 64), dtype=np.float32)
    return (image - image.mean()) / image.std()


@step(target="out/{item}.npy", writer=Npy())
def normalised(item: int) -> np.ndarray:
    return work(item)


def plain_task(item: int, folder: str) -> str:
    """What a hand-written Dask pipeline does: compute and save, no checks."""
    path = os.path.join(folder, f"{item}.npy")
    np.save(path, work(item))
    return path


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=400, help="items executed per timed run")
    parser.add_argument("--skipped", type=int, default=4000, help="items skipped per timed run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import dask
    import distributed
    import joblib

    root = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    items = list(range(args.items))
    per = {}

    def ms(seconds: float, count: int) -> float:
        return 1000 * seconds / count

    # -- the work alone, to tell bookkeeping from work ---------------------------------------------
    per["work alone (loop, no writing)"] = ms(best(lambda: [work(i) for i in items], args.repeat), args.items)

    # -- executed, inline -------------------------------------------------------------------------
    per["ours inline, executed"] = ms(best(lambda: run(normalised.map(items), store=str(fresh(root / "ours"))),
                                           args.repeat), args.items)
    per["dask.delayed sync, executed"] = ms(best(lambda: dask.compute(
        *[dask.delayed(plain_task)(i, str(fresh(root / "dask") if i == 0 else root / "dask")) for i in items],
        scheduler="sync"), args.repeat), args.items)

    def joblib_executed() -> None:
        memory = joblib.Memory(str(fresh(root / "joblib")), verbose=0)
        cached = memory.cache(work)
        for i in items:
            cached(i)

    per["joblib.Memory, executed"] = ms(best(joblib_executed, args.repeat), args.items)

    # -- executed, on a LocalCluster ----------------------------------------------------------------
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        per["ours LocalCluster, executed"] = ms(best(
            lambda: run(normalised.map(items), store=str(fresh(root / "ours-c")), cluster=client), args.repeat),
            args.items)

        def dask_cluster() -> None:
            folder = str(fresh(root / "dask-c"))
            client.compute([dask.delayed(plain_task)(i, folder) for i in items], sync=True)

        per["dask.delayed LocalCluster, executed"] = ms(best(dask_cluster, args.repeat), args.items)

    # -- skipped ----------------------------------------------------------------------------------
    skipped_items = list(range(args.skipped))
    store = str(fresh(root / "skip"))
    run(normalised.map(skipped_items), store=store)
    per["ours, skipped"] = ms(best(lambda: run(normalised.map(skipped_items), store=store), args.repeat,
                                   warm_up=False), args.skipped)
    memory = joblib.Memory(str(fresh(root / "joblib-skip")), verbose=0)
    cached = memory.cache(work)
    for i in skipped_items:
        cached(i)
    per["joblib.Memory, cache hit"] = ms(best(lambda: [cached(i) for i in skipped_items], args.repeat,
                                              warm_up=False), args.skipped)

    print(f"# pipeline overhead — {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"dask {dask.__version__}, joblib {joblib.__version__}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# {args.items} executed items, {args.skipped} skipped items, best of {args.repeat}")
    for name, value in per.items():
        print(f"{name:40s} {value:8.3f} ms/item")
    inline, sync = per["ours inline, executed"], per["dask.delayed sync, executed"]
    on_cluster, dask_cluster_ms = per["ours LocalCluster, executed"], per["dask.delayed LocalCluster, executed"]
    alone = per["work alone (loop, no writing)"]
    print(f"ratio ours/dask inline (executed)        {inline / sync:.2f}")
    print(f"ratio ours/dask LocalCluster (executed)  {on_cluster / dask_cluster_ms:.2f}")
    print(f"overhead beyond the work, inline: ours {inline - alone:.3f}, dask {sync - alone:.3f} ms/item; "
          f"LocalCluster: ours {on_cluster - alone:.3f}, dask {dask_cluster_ms - alone:.3f}")
    print(f"skipped: {per['ours, skipped']:.3f} ms/item (goal ≤ 1 ms)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
