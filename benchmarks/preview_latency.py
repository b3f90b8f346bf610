"""First-preview latency on a large scan: is the first look at a 2 GB file under a second?

Writes (or reuses) the large demo scans and times ``PreviewService.render`` for every kind with
an empty preview cache, twice: right after asking the kernel to drop the file from the page cache
(``posix_fadvise(DONTNEED)``: a user's first look usually meets cold storage) and warm.  Usage: ``python benchmarks/preview_latency.py [DATA_DIR]``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from jupyter_remotem.compute.preview import KINDS, PreviewRequest, PreviewService
from jupyter_remotem.demo import generate
from jupyter_remotem.storage.repository import Repository, RepositoryConfig


def evict(path: Path) -> None:
    """Ask the kernel to drop a file's pages, so the next read comes from the disk."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for file in files:
        fd = os.open(file, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def main() -> None:
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else ".benchmark-data/demo-large")
    generate(directory, size="large")
    repo = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(directory)}))
    print(f"{'file':24s} {'GB':>6s} {'kind':>6s} {'cold s':>8s} {'warm s':>8s}")
    for name in ("large/scan_large.h5", "scan.h5", "scan.npy", "scan.zarr", "scan.mib"):
        if not (directory / name).exists():
            continue
        size_gb = sum(p.stat().st_size for p in [directory / name] + list((directory / name).rglob("*"))
                      if p.is_file()) / 1e9
        for kind in KINDS:
            timings = []
            for cold in (True, False):
                if cold:
                    evict(directory / name)
                service = PreviewService()
                start = time.perf_counter()
                service.render(repo, name, PreviewRequest(kind=kind))
                timings.append(time.perf_counter() - start)
            print(f"{name:24s} {size_gb:6.2f} {kind:>6s} {timings[0]:8.3f} {timings[1]:8.3f}")


if __name__ == "__main__":
    main()
