"""Uploads and downloads through a real server on loopback, against curl on the same link.

Downloads: ``GET repositories/bench/download/big.bin`` read by curl and by the notebook client
(``c.download``), against curl reading the same file from Jupyter's own ``/files/`` handler.
Uploads: the client's tus upload (``c.upload``: 32 MiB chunks, a SHA-256 per chunk and for the
whole file) and tuspy, against curl streaming the whole file in one tus ``PATCH`` (``-T``: no chunking,
no checksums).  Every byte is written to and read from the page cache; the machine's memory
copy speed is printed as the bound.

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _server import jupyter_server  # noqa: E402


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


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
    best = _best(lambda: np.copyto(target, source), 3)
    return nbytes / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl is needed for the baselines")
    import jupyter_remotem as remotem

    size = int(args.size_gib * 1024**3)
    with tempfile.TemporaryDirectory(prefix="remotem-transfers-") as scratch:
        folder = Path(scratch) / "bench"
        folder.mkdir()
        source = folder / "big.bin"
        with open(source, "wb") as out:
            for _ in range(size // (64 * 1024**2)):
                out.write(os.urandom(64 * 1024**2))
        size = source.stat().st_size
        os.chdir(folder)  # Jupyter's own /files/ handler serves the server's root folder
        repositories = [{"name": "bench", "url": str(folder), "writable": True}]
        with jupyter_server(folder, repositories=repositories, quotas={}) as (base, token):
            auth = ["-H", f"Authorization: token {token}"]
            rows: list[tuple[str, float]] = []
            url = f"{base}remotem/api/repositories/bench/download/big.bin"
            rows.append(("download: curl from Jupyter's /files/ (baseline)",
                         _best(lambda: _curl(*auth, "-o", "/dev/null", f"{base}files/big.bin"), args.repeat)))
            rows.append(("download: curl from remotem download", _best(lambda: _curl(*auth, "-o", "/dev/null", url),
                                                                      args.repeat)))
            client = remotem.connect(base, token)
            out = Path(scratch) / "downloaded.bin"
            rows.append(("download: c.download", _best(lambda: client.download("bench", "big.bin", out), args.repeat)))

            counter = iter(range(1000))

            def curl_upload() -> None:
                location = _tus_create(base, token, size, f"curl-{next(counter)}.bin")
                _curl(*auth, "-X", "PATCH", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0",
                      "-H", "Content-Type: application/offset+octet-stream", "-T", str(source), location)

            def client_upload() -> None:
                client.upload(source, "bench", f"client-{next(counter)}.bin")

            def tuspy_upload() -> None:
                from tusclient import client as tus

                tus.TusClient(base + "remotem/api/uploads", headers={"Authorization": f"token {token}"}).uploader(
                    str(source), chunk_size=32 * 1024**2,
                    metadata={"repository": "bench", "path": f"tuspy-{next(counter)}.bin"}).upload()

            rows.append(("upload: curl, one tus PATCH (baseline)", _best(curl_upload, args.repeat)))
            rows.append(("upload: c.upload (tus, 32 MiB chunks, SHA-256)", _best(client_upload, args.repeat)))
            rows.append(("upload: tuspy (32 MiB chunks)", _best(tuspy_upload, args.repeat)))
            client.close()
    bound = memory_copy_gb_s(min(size, 1024**3))
    print(f"{size / 1024**3:.2f} GiB file, best of {args.repeat}; memory copy bound {bound:.1f} GB/s")
    baselines = {"download": rows[0][1], "upload": rows[3][1]}
    for name, seconds in rows:
        kind = name.split(":")[0]
        print(f"{name:<52} {size / seconds / 1e9:6.2f} GB/s  {baselines[kind] / seconds * 100:5.0f} % of curl")


if __name__ == "__main__":
    main()
