"""Real servers the tests talk to: an S3-compatible store (moto) and a WebDAV server (wsgidav).

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, deadline_s: float = 30.0) -> None:
    """Poll until the server answers anything over HTTP, or fail with its output."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answered, even if with an error status
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {deadline_s} s")


@contextmanager
def running(command: list[str], url: str, log: Path) -> Iterator[subprocess.Popen]:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_http(url, process)
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
    with running(command, url, workdir / "moto.log"):
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
    with running([executable, "--config", str(config_path)], url, workdir / "wsgidav.log"):
        yield url


SFTP_USER = "ada"
SFTP_PASSWORD = "sftp-secret-5c2e"
SFTP_KEY_USER = "bob"


@contextmanager
def sftp_server(root: Path, workdir: Path) -> Iterator[tuple[int, str]]:
    """(port, private key text) of an asyncssh SFTP server chrooted to ``root`` on loopback:
    ``SFTP_USER`` logs in with ``SFTP_PASSWORD``, ``SFTP_KEY_USER`` with the key answered."""
    try:
        import asyncssh
    except ImportError:
        skip_or_fail("asyncssh is not installed")
    key = asyncssh.generate_private_key("ssh-ed25519")
    (workdir / "authorized_keys").write_bytes(key.export_public_key())
    port = free_port()
    command = [sys.executable, str(Path(__file__).with_name("_sftp_server.py")), str(root), str(port),
               SFTP_USER, SFTP_PASSWORD, SFTP_KEY_USER, str(workdir / "authorized_keys")]
    with open(workdir / "sftp.log", "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                skip_or_fail(f"the SFTP server exited: {(workdir / 'sftp.log').read_text()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    skip_or_fail("the SFTP server did not start in 30 s")
                time.sleep(0.1)
        yield port, key.export_private_key().decode()
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


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
