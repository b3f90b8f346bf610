"""Keeping one job worker alive for this user, outliving the Jupyter server that started it.

The worker holds an exclusive ``flock`` on a lock file for as long as it lives; the server
checks the lock (not a PID, which can be reused) and, when nobody holds it, starts a worker in
its own session so that closing the browser, restarting the kernel or stopping the server does
not stop running jobs.  The worker's configuration (the database URL and the repositories, which
may carry credentials) goes into a file only the user can read, never onto the command line.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any


def lock_is_held(path: Path) -> bool:
    """True while some process holds the worker lock at ``path``."""
    try:
        handle = open(path, "a+")
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
    finally:
        handle.close()


def acquire_lock(path: Path) -> IO[str] | None:
    """Take the worker lock for the life of this process; None when another worker has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def write_private_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` readable by the owner only (it may hold storage credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle)
    os.chmod(path, 0o600)


def _lower_priority() -> None:
    """Batch work yields the CPU to interactive requests served by the Jupyter server."""
    os.nice(10)


class WorkerSupervisor:
    """Starts ``jupyter remotem worker`` when no worker holds the lock."""

    def __init__(self, database_url: str, repositories: list[dict[str, Any]], state_dir: Path,
                 stale_after_s: float = 30.0, enabled: bool = True, idle_exit_s: float = 600.0,
                 extra_arguments: list[str] | None = None) -> None:
        self.enabled = enabled
        self.extra_arguments = list(extra_arguments or [])
        self.idle_exit_s = idle_exit_s
        self.database_url = database_url
        self.repositories = repositories
        self.state_dir = Path(state_dir)
        self.stale_after_s = stale_after_s
        self.lock_path = self.state_dir / "worker.lock"
        self.config_path = self.state_dir / "worker-config.json"
        self.log_path = self.state_dir / "worker.log"
        self.process: subprocess.Popen | None = None

    def alive(self) -> bool:
        return lock_is_held(self.lock_path)

    def ensure_running(self) -> bool:
        """Start a worker unless one is alive; True when one was started."""
        if not self.enabled or self.alive():
            return False
        if self.process is not None and self.process.poll() is None:
            return False  # started a moment ago and still taking its lock
        write_private_json(self.config_path, {"database_url": self.database_url, "repositories": self.repositories})
        command = [
            sys.executable, "-m", "jupyter_remotem.cli", "worker",
            "--config", str(self.config_path),
            "--lock", str(self.lock_path),
            "--stale-after", str(self.stale_after_s),
            "--idle-exit", str(self.idle_exit_s),
            *self.extra_arguments,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, close_fds=True,
                preexec_fn=_lower_priority,
            )
        return True
