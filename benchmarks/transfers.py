"""Uploads and downloads through a real server on loopback, against curl on the same link.

Downloads: ``GET repositories/bench/download/big.bin`` read by curl and by the notebook client
(``c.download``), against curl reading the same file from Jupyter's own ``/files/`` handler.
Uploads: the client's tus upload (``c.upload``: chunks of up to 128 MiB streamed from the file,
a CRC-32 each by default, or a SHA-256 each) and tuspy, against curl streaming the whole file in
one tus ``PATCH`` (``-T``: no chunking, no checksums).  Every byte is written to and read from
the page cache; the machine's memory copy speed is printed as the bound.  Contenders run in interleaved rounds (each once per round,
in turn) and each figure is the best round, so that on a shared machine all see the same load;
the load average is printed with them.

    python benchmarks/transfers.py [--size-gib 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _server import jupyter_server  # noqa: E402
from _timing import best  # noqa: E402


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _interleaved(contenders: list[tuple[str, Callable[[], None]]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each contender in each of ``rounds`` rounds that run every contender once,
    in turn: on a shared machine each one then sees the same background load, and each round
    pairs a contender with the baseline it ran beside.  Each starts with no dirty page cache
    left to write back (an earlier run's files, untimed)."""
    times: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for _ in range(rounds):
        for name, function in contenders:
            os.sync()  # the kernel's write-back of earlier runs' files does not load this one
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return times


def ratios(times: dict[str, list[float]], name: str, baseline: str) -> str:
    """``name`` against ``baseline``: the best rounds' ratio, and the range of the ratios round
    by round (each contender against the baseline of its own round)."""
    best_ratio = min(times[baseline]) / min(times[name]) * 100
    paired = sorted(base / mine * 100 for base, mine in zip(times[baseline], times[name]))
    return f"{best_ratio:5.0f} % of curl (rounds {paired[0]:.0f}–{paired[-1]:.0f} %)"


def machine() -> str:
    """The machine and the tools, as the results record them."""
    import platform

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    memory = next((int(line.split()[1]) / 1024**2 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0.0)
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    return (f"{os.cpu_count()} × {model}, {memory:.0f} GiB, Linux {platform.release()}, "
            f"Python {platform.python_version()}, curl {curl}")


def _curl(*arguments: str) -> None:
    subprocess.run(["curl", "-sS", "-f", *arguments], check=True, stdout=subprocess.DEVNULL)


def _tus_create(base: str, token: str, length: int, path: str) -> str:
    request = urllib.request.Request(base + "remotem/api/uploads", data=b"", method="POST", headers={
        "Authorization": f"token {token}", "Tus-Resumable": "1.0.0", "Upload-Length": str(length),
        "Upload-Metadata": _metadata(repository="bench", path=path)})
    with urllib.request.urlopen(request, timeout=60) as response:
        location = response.headers["Location"]
    return base.rstrip("/") + location if location.startswith("/") else location


def memory_copy_gb_s(nbytes: int) -> float:
    import numpy as np

    source = np.ones(nbytes // 8, np.float64)
    target = np.empty_like(source)
    elapsed = best(lambda: np.copyto(target, source), 3, warm_up=False)
    return nbytes / elapsed / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; each figure is the best")
    args = parser.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl is needed for the baselines")
    import jupyter_remotem as remotem

    size = int(args.size_gib * 1024**3)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="remotem-transfers-") as scratch:
        folder = Path(scratch) / "bench"
        folder.mkdir()
        source = folder / "big.bin"
        with open(source, "wb") as out:
            for _ in range(max(size // (64 * 1024**2), 1)):
                out.write(os.urandom(min(size, 64 * 1024**2)))
        size = source.stat().st_size
        os.chdir(folder)  # Jupyter's own /files/ handler serves the server's root folder
        repositories = [{"name": "bench", "url": str(folder), "writable": True}]
        # Jupyter's /files/ handler reads the whole file into memory, and through base64: on a
        # server of its own, the gigabytes it leaves to the allocator do not slow the contenders.
        with jupyter_server(folder, repositories=repositories, quotas={}, warm_up_kernels=False) as (base, token), \
                jupyter_server(folder, repositories=repositories, warm_up_kernels=False) as (files_base, files_token):
            auth = ["-H", f"Authorization: token {token}"]
            url = f"{base}remotem/api/repositories/bench/download/big.bin"
            client = remotem.connect(base, token)
            out = Path(scratch) / "downloaded.bin"
            counter = iter(range(100_000))

            def fresh(prefix: str) -> str:
                return f"{prefix}-{next(counter)}.bin"

            def curl_upload() -> None:
                name = fresh("curl")
                location = _tus_create(base, token, size, name)
                _curl(*auth, "-X", "PATCH", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0",
                      "-H", "Content-Type: application/offset+octet-stream", "-T", str(source), location)
                (folder / name).unlink()

            def client_upload(checksum: str = "crc32") -> None:
                name = fresh("client")
                client.upload(source, "bench", name, checksum=checksum)
                (folder / name).unlink()

            def tuspy_upload() -> None:
                from tusclient import client as tus

                name = fresh("tuspy")
                tus.TusClient(base + "remotem/api/uploads", headers={"Authorization": f"token {token}"}).uploader(
                    str(source), chunk_size=32 * 1024**2, metadata={"repository": "bench", "path": name}).upload()
                (folder / name).unlink()

            downloads: list[tuple[str, Callable[[], None]]] = [
                ("download: curl from Jupyter's /files/ (baseline)",
                 lambda: _curl("-H", f"Authorization: token {files_token}", "-o", "/dev/null",
                               f"{files_base}files/big.bin")),
                ("download: curl from remotem download", lambda: _curl(*auth, "-o", "/dev/null", url)),
                ("download: curl from remotem download to a file",
                 lambda: (_curl(*auth, "-o", str(out), url), out.unlink())),
                ("download: c.download (to a file)", lambda: (client.download("bench", "big.bin", out), out.unlink())),
            ]
            uploads: list[tuple[str, Callable[[], None]]] = [
                ("upload: curl, one tus PATCH (baseline)", curl_upload),
                ("upload: c.upload (tus, chunked, CRC-32)", client_upload),
                ("upload: c.upload (tus, chunked, SHA-256)", lambda: client_upload("sha256")),
                ("upload: tuspy (32 MiB chunks)", tuspy_upload),
            ]
            times = _interleaved(downloads, args.repeat)
            times.update(_interleaved(uploads, args.repeat))
            client.close()
    load_after = os.getloadavg()
    bound = memory_copy_gb_s(min(size, 1024**3))
    print(machine())
    print(f"{size / 1024**3:.2f} GiB file, best of {args.repeat} interleaved rounds; "
          f"memory copy bound {bound:.1f} GB/s; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f} (1 min), {load_after[1]:.2f} (5 min) on {os.cpu_count()} cores")
    baselines = {"download": downloads[0][0], "upload": uploads[0][0]}
    for name, seconds in times.items():
        kind = name.split(":")[0]
        line = f"{name:<52} {size / min(seconds) / 1e9:6.2f} GB/s  {ratios(times, name, baselines[kind])}"
        if name == downloads[3][0]:  # a download to a file is compared with curl writing the same file, too
            line += f"; to a file: {ratios(times, name, downloads[2][0])}"
        print(line)


if __name__ == "__main__":
    main()
