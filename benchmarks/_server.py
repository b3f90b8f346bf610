"""A real Jupyter server with the extension on a folder of scans, for the latency benchmarks."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, token: str, path: str, body: dict | None = None) -> bytes:
    """One API request (POST with a JSON body when given); the answer's bytes."""
    request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"token {token}"},
                                     method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


@contextmanager
def jupyter_server(directory: Path, **settings: object) -> Iterator[tuple[str, str]]:
    """``(api_url, token)`` of a server serving ``directory`` as repository "bench"; stopped after.
    ``settings`` are further ``RemotemApp`` options (``dataset_cache_entries=0``, say)."""
    port, token = _free_port(), secrets.token_hex(16)
    config = {"RemotemApp": {"repositories": [{"name": "bench", "url": str(directory)}], "start_worker": False,
                             **settings}}
    config_file = directory.parent / f"benchmark-server-{port}.json"
    config_file.write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--config={config_file}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                call(base + "remotem/api/", token, "repositories")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the Jupyter server did not start") from None
                time.sleep(0.2)
        yield base, token
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
        config_file.unlink(missing_ok=True)
