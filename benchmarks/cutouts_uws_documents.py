"""UWS job documents of a finished batch: the manifest read on every GET (as before) against the
made cutouts kept by the manifest's size and time (:func:`jupyter_remotem.cutouts.manifest.made`).

A 1,000-row ``manifest.json`` in a local repository; each round builds the job document
(``uws.job_xml``) as ``GET cutouts/async/{id}`` does, without the HTTP around it.

Usage: ``python benchmarks/cutouts_uws_documents.py [--rows 1000] [--rounds 200]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

from jupyter_remotem.cutouts import manifest, uws
from jupyter_remotem.storage.registry import RepositoryRegistry


def write_manifest(folder: Path, count: int) -> None:
    rows = [{"id": f"m{k:05d}", "ra": 150.0, "dec": 2.0, "survey": "demo_mosaic", "band": "g", "planes": "",
             "format": "fits", "algorithm": "native", "file": f"m{k:05d}.fits", "size": 20160, "width": 64,
             "height": 64, "status": manifest.OK if k % 50 else manifest.FAILED, "error": "", "code": "",
             "tiles": "g:t00", "key": f"key{k}"} for k in range(count)]
    (folder / manifest.JSON_NAME).write_bytes(manifest.json_bytes(rows, {"count": count}))


def timed(build, rounds: int) -> float:
    """Median milliseconds of one document."""
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        build()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        write_manifest(Path(scratch), options.rows)
        repository = RepositoryRegistry.from_dicts([{"name": "out", "url": scratch}]).get("out")
        now = datetime.now(timezone.utc)
        job = SimpleNamespace(id="bench-job", phase="COMPLETED", request={"defaults": {}, "positions": []},
                              owner="someone", quote=None, created=now, started=now, ended=now,
                              execution_duration=0, destruction=now, error=None, progress={"done": 1, "total": 1})
        base = "http://localhost:8888/remotem/api/cutouts/"
        before = timed(lambda: uws.job_xml(job, base, list(manifest.read_previous(repository, "").values())),
                       options.rounds)
        after = timed(lambda: uws.job_xml(job, base, list(manifest.made(job.id, repository, ""))), options.rounds)
    print(f"UWS job document of a {options.rows:,}-row manifest, median of {options.rounds}:")
    print(f"  manifest read on every GET:        {before:8.3f} ms")
    print(f"  kept by the manifest's size, time: {after:8.3f} ms  ({before / after:.1f}x)")


if __name__ == "__main__":
    main()
