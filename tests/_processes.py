"""Real server processes for tests: a Jupyter server in its own process group, and the job
workers it starts, which outlive it on purpose and must be ended by the test."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _services import free_port

START_TIMEOUT_S = 90.0


@dataclass
class ServerProcess:
    process: subprocess.Popen
    url: str  # with the base URL and a trailing slash
    token: str
    log: Path

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A JSON API call; returns (status, decoded body)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read().decode() or "null")


def jupyter_env(home: Path) -> dict[str, str]:
    """Environment keeping every Jupyter folder (config, data with the job store, runtime) in ``home``."""
    for sub in ("config", "data", "runtime", "root"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }


def start_server(home: Path, config: dict[str, Any], executable: str = "jupyter-server",
                 base_url: str = "/", extra: list[str] | None = None) -> ServerProcess:
    """Start ``executable`` (jupyter-server or jupyter-lab) and wait until it answers."""
    env = jupyter_env(home)
    config_path = home / "jupyter_server_config.json"
    config_path.write_text(json.dumps(config))
    port, token = free_port(), secrets.token_hex(16)
    log = home / f"{executable}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / executable), "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.base_url={base_url}", f"--ServerApp.root_dir={home / 'root'}",
             f"--config={config_path}", *(extra or [])],
            stdout=out, stderr=subprocess.STDOUT, cwd=home, env=env, start_new_session=True,
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}{base_url}", token, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{executable} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if server.request("GET", "api/status")[0] == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_group(process)
            raise TimeoutError(f"{executable} did not answer within {START_TIMEOUT_S} s")
        time.sleep(0.1)  # poll interval of a deadline-bounded wait


def stop_group(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """End a process started with ``start_new_session`` and everything it started in its group."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def worker_pids(data_dir: Path) -> list[int]:
    """PIDs of live workers whose lock files lie under ``data_dir`` (a held lock proves the PID current)."""
    pids = []
    for lock in data_dir.rglob("worker.lock"):
        try:
            pid = int(lock.read_text().strip() or 0)
        except (OSError, ValueError):
            continue
        with open(lock, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if pid > 0:
                    pids.append(pid)
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return pids


def stop_workers(data_dir: Path, timeout: float = 15.0) -> None:
    for pid in worker_pids(data_dir):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)  # bounded wait for the worker to finish its partition and exit
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
