"""Opening a MIB scan and reading scattered frames from a WebDAV repository, against local disk.

A MIB of 256x256 uint16 frames (the Merlin's usual size) is written to a folder that a real
wsgidav server shares.  Measured, each in the same run:

- opening: rsciio parses a local stand-in that holds only the frame headers it reads
  (formats/stand_in.py); the first open fetches them, later opens reuse the parse;
- scattered frames (a coarse pass picks one frame in 16): ranged reads sent from several threads
  (storage/ranged.py), against the same reads sent one by one, and against local disk.

Usage: python benchmarks/remote_reads.py [--scan 64]   (a 64x64 scan is 537 MB)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _services import webdav_repository, webdav_server  # noqa: E402

from jupyter_remotem.formats import open_dataset, stand_in  # noqa: E402
from jupyter_remotem.formats.mib import write_mib  # noqa: E402
from jupyter_remotem.storage import ranged  # noqa: E402
from jupyter_remotem.storage.repository import Repository, RepositoryConfig  # noqa: E402

FRAME = 256


def write_scan(folder: Path, side: int) -> None:
    rng = np.random.default_rng(0)
    rows = (rng.poisson(3, size=(side, FRAME, FRAME)).astype(np.uint16) for _ in range(side))
    write_mib(folder / "scan.mib", rows, (side, side))


def timed(action, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scan", type=int, default=64, help="scan side (frames per row and rows)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="remotem-bench-remote-"))
    (work / "share" / "group").mkdir(parents=True)
    write_scan(work / "share" / "group", args.scan)
    size = (work / "share" / "group" / "scan.mib").stat().st_size
    local = Repository(RepositoryConfig.from_dict({"name": "local", "url": str(work / "share" / "group")}))
    frames = np.arange(0, args.scan * args.scan, 16)
    print(f"MIB scan {args.scan}x{args.scan} of {FRAME}x{FRAME} uint16 ({size / 1e6:.0f} MB); "
          f"{len(frames)} scattered frames ({len(frames) * FRAME * FRAME * 2 / 1e6:.1f} MB)")
    with webdav_server(work / "share", work) as url:
        remote = Repository(RepositoryConfig.from_dict(webdav_repository(url)))

        def open_remote() -> None:
            with open_dataset(remote, "scan.mib"):
                pass

        stand_in._parsed.clear()
        first = timed(open_remote, repeats=1)
        again = timed(open_remote)
        local_open = timed(lambda: open_dataset(local, "scan.mib").close())
        print(f"open   local {local_open * 1e3:7.1f} ms | WebDAV first {first * 1e3:7.1f} ms, "
              f"then {again * 1e3:6.1f} ms (parse remembered)")

        with open_dataset(local, "scan.mib") as ds:
            on_disk = timed(lambda: ds.read_frames(frames))
        with open_dataset(remote, "scan.mib") as ds:
            threaded = timed(lambda: ds.read_frames(frames))
            threads = ranged.FETCH_THREADS
            ranged.FETCH_THREADS = 1
            try:
                one_by_one = timed(lambda: ds.read_frames(frames))
            finally:
                ranged.FETCH_THREADS = threads
            # The baseline: fsspec's generic reads, one reader opened per frame.
            stride = ds.reader.frame_stride
            first = ds.reader.offset
            path = remote.full_path("scan.mib")
            generic = timed(lambda: [remote.fs.cat_file(path, first + i * stride, first + i * stride + FRAME * FRAME * 2)
                                     for i in frames.tolist()], repeats=1)
        nbytes = len(frames) * FRAME * FRAME * 2
        for label, seconds in (("local disk", on_disk), (f"WebDAV, {threads} threads", threaded),
                               ("WebDAV, one by one", one_by_one), ("WebDAV, fsspec cat_file", generic)):
            print(f"frames {label:20s} {seconds * 1e3:8.1f} ms  {nbytes / seconds / 1e6:8.1f} MB/s")
        print(f"ranged GETs vs fsspec's generic reads: {generic / threaded:.1f}x faster; "
              f"threads vs one by one: {one_by_one / threaded:.1f}x")


if __name__ == "__main__":
    main()
