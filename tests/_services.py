"""Real servers the tests talk to: an S3-compatible store (moto), a WebDAV server (wsgidav), an SFTP server.

Each runs as its own process on a free loopback port and is stopped at the end of the session.
A missing program skips the tests that need it on a developer's machine, but fails them under
``CI=true``: CI must never pass by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceDidNotStart(RuntimeError):
    """A test server exited, or did not become ready in time; the message ends with its output."""


def answers_http(url: str) -> Callable[[], bool]:
    """Ready once the server answers anything over HTTP, even an error status."""
    def ready() -> bool:
        try:
            urllib.request.urlopen(url, timeout=1)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True
    return ready


def accepts_tcp(port: int) -> Callable[[], bool]:
    """Ready once the server accepts a TCP connection on loopback."""
    def ready() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True
    return ready


def wait_for(ready: Callable[[], bool], process: subprocess.Popen, what: str, log: Path | None = None,
             deadline_s: float = 30.0) -> None:
    """Poll ``ready`` until it holds, or raise :class:`ServiceDidNotStart` with the server's output."""
    def output() -> str:
        return f": {log.read_text(errors='replace')[-500:]}" if log is not None and log.exists() else ""

    deadline = time.monotonic() + deadline_s
    while not ready():
        if process.poll() is not None:
            raise ServiceDidNotStart(f"{what} exited with {process.returncode}{output()}")
        if time.monotonic() > deadline:
            raise ServiceDidNotStart(f"{what} was not ready within {deadline_s} s{output()}")
        time.sleep(0.05)


def wait_for_http(url: str, process: subprocess.Popen, deadline_s: float = 30.0) -> None:
    """Poll until the server answers anything over HTTP, or fail with its output."""
    wait_for(answers_http(url), process, url, deadline_s=deadline_s)


@contextmanager
def running(command: list[str], ready: Callable[[], bool], log: Path) -> Iterator[subprocess.Popen]:
    """The server ``command`` started with its output in ``log``, once ``ready``; stopped (its whole
    process group) at the end.  One that cannot start skips the test, or fails it under ``CI=true``."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_for(ready, process, Path(command[1] if command[0] == sys.executable else command[0]).name, log)
        except ServiceDidNotStart as error:
            skip_or_fail(str(error))
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


@contextmanager
def moto_server(workdir: Path) -> Iterator[str]:
    """An S3 endpoint URL served by moto in server mode."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        skip_or_fail("moto[server] is not installed")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with running(command, answers_http(url), workdir / "moto.log"):
        yield url


S3_BUCKET = "scans"
S3_SECRET = "s3-secret-91bd"
WEBDAV_USER = "alice"
WEBDAV_PASSWORD = "dav-secret-7f3a"


@contextmanager
def webdav_server(root: Path, workdir: Path) -> Iterator[str]:
    """A WebDAV base URL served by wsgidav over ``root``, with basic authentication."""
    executable = shutil.which("wsgidav") or str(Path(sys.executable).with_name("wsgidav"))
    if not Path(executable).exists():
        skip_or_fail("wsgidav is not installed")
    port = free_port()
    config = {
        "host": "127.0.0.1",
        "port": port,
        "provider_mapping": {"/": str(root)},
        "http_authenticator": {"domain_controller": None, "accept_basic": True, "accept_digest": False,
                               "default_to_digest": False},
        "simple_dc": {"user_mapping": {"*": {WEBDAV_USER: {"password": WEBDAV_PASSWORD}}}},
        "verbose": 1,
        "logging": {"enable_loggers": []},
    }
    config_path = workdir / "wsgidav.json"
    config_path.write_text(json.dumps(config))
    url = f"http://127.0.0.1:{port}"
    with running([executable, "--config", str(config_path)], answers_http(url), workdir / "wsgidav.log"):
        yield url


SFTP_USER = "ada"
SFTP_PASSWORD = "sftp-secret-5c2e"
SFTP_KEY_USER = "bob"


class SftpServer(NamedTuple):
    port: int
    #: The private key text ``SFTP_KEY_USER`` logs in with.
    private_key: str
    #: The server's host key, an OpenSSH public key line (``ssh-ed25519 AAAA...``).
    host_key: str


@contextmanager
def sftp_server(root: Path, workdir: Path) -> Iterator[SftpServer]:
    """An asyncssh SFTP server chrooted to ``root`` on loopback (:mod:`_sftp_server`):
    ``SFTP_USER`` logs in with ``SFTP_PASSWORD``, ``SFTP_KEY_USER`` with the key answered."""
    try:
        import asyncssh
    except ImportError:
        skip_or_fail("asyncssh is not installed")
    key, host_key = asyncssh.generate_private_key("ssh-ed25519"), asyncssh.generate_private_key("ssh-ed25519")
    (workdir / "authorized_keys").write_bytes(key.export_public_key())
    host_key_path = workdir / "host_key"
    host_key_path.touch(mode=0o600)
    host_key_path.write_bytes(host_key.export_private_key())
    port = free_port()
    command = [sys.executable, str(Path(__file__).with_name("_sftp_server.py")), str(root), str(port),
               SFTP_USER, SFTP_PASSWORD, SFTP_KEY_USER, str(workdir / "authorized_keys"), str(host_key_path)]
    with running(command, accepts_tcp(port), workdir / "sftp.log"):
        yield SftpServer(port, key.export_private_key().decode(), host_key.export_public_key().decode().strip())


def s3_repository(endpoint: str) -> dict:
    return {
        "name": "s3",
        "url": f"s3://{S3_BUCKET}/lab1",
        "description": "moto S3",
        "storage_options": {"key": "testing", "secret": S3_SECRET, "endpoint_url": endpoint},
    }


def webdav_repository(url: str) -> dict:
    return {
        "name": "cloud",
        "url": "webdav://group",
        "description": "wsgidav",
        "storage_options": {"base_url": url, "auth": [WEBDAV_USER, WEBDAV_PASSWORD]},
    }
