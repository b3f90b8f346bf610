"""Indexing throughput on local disk: ``--files`` small files (tiny NPY scans, JSON sidecars and
text files in nested folders) indexed from scratch, then re-indexed with nothing changed, against
the same folders walked with ``os.walk`` + ``os.stat`` (the listing bound) and every NPY opened by
``numpy.load`` in the same run.

    python benchmarks/catalog_indexing.py [--files 5000]

Target: at least 2,000 small files per second indexed from scratch.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from jupyter_remotem.catalog.indexer import index
from jupyter_remotem.catalog.store import CatalogStore
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig


def make(folder: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    for i in range(count):
        sub = folder / f"day{i % 10}" / f"run{i % 37}"
        sub.mkdir(parents=True, exist_ok=True)
        kind = i % 3
        if kind == 0:
            np.save(sub / f"scan_{i}.npy", rng.integers(0, 100, (2, 2, 8, 8), dtype=np.uint16))
        elif kind == 1:
            (sub / f"scan_{i}.json").write_text(json.dumps({"energy_kV": 200 + i % 5, "operator": "alice",
                                                            "sample": f"s{i % 50}"}))
        else:
            (sub / f"notes_{i}.txt").write_text(f"run {i}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        data = Path(root) / "data"
        make(data, args.files)
        repository = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(data)}))
        store = CatalogStore(JobStore(f"sqlite:///{root}/catalog.db"))
        # What a process pays once, before its first file (a worker or a server pays it at
        # start): pint's unit registry, jsonschema's import (1.1 s: it builds a grammar for
        # IRI formats), numba's compiled kernels loaded from cache.
        started = time.perf_counter()
        make(Path(root) / "warm-up", 3)
        index(Repository(RepositoryConfig.from_dict({"name": "warm", "url": f"{root}/warm-up"})),
              CatalogStore(JobStore(f"sqlite:///{root}/warm-up.db")))
        once = time.perf_counter() - started
        started = time.perf_counter()
        first = index(repository, store)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        second = index(repository, store)
        warm = time.perf_counter() - started
        started = time.perf_counter()
        walked = sum(len([os.stat(os.path.join(d, f)) for f in files]) for d, _, files in os.walk(data))
        walk = time.perf_counter() - started
        started = time.perf_counter()
        for d, _, files in os.walk(data):
            for f in files:
                if f.endswith(".npy"):
                    np.load(os.path.join(d, f))
        loads = time.perf_counter() - started
        print(f"{args.files} small files ({walked} walked)")
        print(f"  once per process     {once:8.2f} s (3 files indexed to warm up)")
        print(f"  index from scratch   {first.seen / cold:8.0f} files/s ({first.indexed} indexed)")
        print(f"  index, none changed  {second.seen / warm:8.0f} files/s ({second.unchanged} unchanged)")
        print(f"  os.walk + os.stat    {walked / walk:8.0f} files/s")
        print(f"  numpy.load of the NPY files, plus the walk: {walked / (walk + loads):8.0f} files/s")


if __name__ == "__main__":
    main()
