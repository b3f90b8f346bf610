"""Keeping one job worker alive for this user, outliving the Jupyter server that started it.

The worker holds an exclusive ``flock`` on a lock file for as long as it lives; the server
checks the lock (not a PID, which can be reused) and, when nobody holds it, starts a worker in
its own session so that closing the browser, restarting the kernel or stopping the server does
not stop running jobs.  The worker's configuration (the database URL and the repositories, which
may carry credentials) goes into a file only the user can read, never onto the command line.

The lock file also holds the PID of its last holder.  Once the lock is free that worker is
certainly gone, and the jobs it was running (their worker ids start with ``host:pid:``) can be
given back at once instead of after their heartbeat grows stale (:mod:`.recovery`).  A worker
that holds the lock but whose job's heartbeat is stale is hung (stopped, or stuck in storage
that does not answer); it would keep any replacement from starting, so it is killed.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
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


def acquire_lock(path: Path, wait_s: float = 2.0) -> IO[str] | None:
    """Take the worker lock for the life of this process; None when another worker has it.

    A server checking the lock holds it for an instant (:func:`lock_is_held`), so a worker
    starting at that moment tries again for ``wait_s`` before it concludes that another has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                return None
            time.sleep(0.05)  # poll interval of a bounded wait for a lock held only briefly
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def lock_holder(path: Path) -> int | None:
    """The PID the lock's last holder wrote into it (it may have died since), if any."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def worker_prefix(pid: int) -> str:
    """How the ids of jobs run by the worker with ``pid`` on this machine begin
    (:func:`.worker.default_worker_id`)."""
    return f"{socket.gethostname()}:{pid}:"


def write_private_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` readable by the owner only (it may hold storage credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle)
    os.chmod(path, 0o600)


#: The private file, in the worker's state folder, naming how to reach the user's clusters
#: (:mod:`..clusters.channel`).
CLUSTERS_FILE = "clusters.json"

#: Batch work yields the CPU to interactive requests served by the Jupyter server, once the
#: worker has taken its job up (:mod:`.priority`).
BATCH_NICE = 10


class WorkerSupervisor:
    """Starts ``jupyter remotem worker`` when no worker holds the lock."""

    def __init__(self, database_url: str, repositories: list[dict[str, Any]], state_dir: Path,
                 stale_after_s: float = 30.0, enabled: bool = True, idle_exit_s: float = 600.0,
                 extra_arguments: list[str] | None = None, credentials_key: str = "",
                 user_storage_site: dict[str, Any] | None = None) -> None:
        self.enabled = enabled
        #: Decrypts users' own storages (:mod:`..storage.own`); goes only into the private config file.
        self.credentials_key = credentials_key
        #: How users' storages are opened: the host keys SFTP trusts, the hosts they may reach
        #: (:class:`..storage.own.Site`, as its ``to_config``).
        self.user_storage_site = user_storage_site
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


    @property
    def max_read_rate(self) -> float | None:
        """The ``--max-read-rate`` the workers this server starts read under (None: none)."""
        arguments = self.extra_arguments
        for index, argument in enumerate(arguments):
            value = argument.split("=", 1)[1] if argument.startswith("--max-read-rate=") else (
                arguments[index + 1] if argument == "--max-read-rate" and index + 1 < len(arguments) else None)
            if value is not None:
                try:
                    return float(value) or None
                except ValueError:
                    return None
        return None
    def alive(self) -> bool:
        return lock_is_held(self.lock_path)

    def last_worker(self) -> int | None:
        """PID of the worker that last held the lock (gone when :meth:`alive` is False)."""
        return lock_holder(self.lock_path)

    def kill_hung(self, pid: int, wait_s: float = 5.0) -> bool:
        """Kill the worker ``pid`` if it still holds the lock, and wait (bounded) for the lock to
        be free, so that a replacement can start at once; True when it is free."""
        if not self.alive() or self.last_worker() != pid:
            return False
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait_s
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)  # poll interval of a bounded wait for the kernel to release the lock
        if self.process is not None and self.process.pid == pid:
            self.process.wait()  # our own child: reap it
        return True

    def ensure_running(self) -> bool:
        """Start a worker unless one is alive; True when one was started."""
        if not self.enabled or self.alive():
            return False
        if self.process is not None and self.process.poll() is None:
            return False  # started a moment ago and still taking its lock
        config: dict[str, Any] = {"database_url": self.database_url, "repositories": self.repositories}
        if self.credentials_key:
            config["credentials_key"] = self.credentials_key
        if self.user_storage_site:
            config["user_storage_site"] = self.user_storage_site
        config["clusters_file"] = str(self.state_dir / CLUSTERS_FILE)  # jobs on a cluster of their owner's
        write_private_json(self.config_path, config)
        command = [
            sys.executable, "-m", "jupyter_remotem.cli", "worker",
            "--config", str(self.config_path),
            "--lock", str(self.lock_path),
            "--stale-after", str(self.stale_after_s),
            "--idle-exit", str(self.idle_exit_s),
            "--batch-nice", str(BATCH_NICE),
            *self.extra_arguments,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, close_fds=True,
            )
        return True
