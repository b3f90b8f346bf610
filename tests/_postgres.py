"""A throwaway PostgreSQL server for the job-store tests.

PostgreSQL refuses to run as root, so when the tests run as root the server programs run as the
``postgres`` user.  The cluster lives in a temporary folder with its unix socket there too and
listens on a free loopback port; it is stopped and removed at the end.  A missing installation
skips the tests locally and fails them under ``CI=true`` (see :func:`_services.skip_or_fail`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _services import free_port, skip_or_fail


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and (Path(found).resolve().parent / "initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        skip_or_fail("running as root without runuser: cannot start PostgreSQL as the postgres user")
    return [runuser, "-u", "postgres", "--", *command]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of an empty database on a private PostgreSQL server."""
    bindir = _bindir()
    if bindir is None:
        skip_or_fail("PostgreSQL is not installed (scripts/system-deps.sh installs it)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("running as root and there is no 'postgres' user to run PostgreSQL as")
    workdir = Path(tempfile.mkdtemp(prefix="remotem-pg-"))
    data, socket_dir, log = workdir / "data", workdir / "socket", workdir / "server.log"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        for path in (workdir, socket_dir):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    user = "remotem"
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        try:
            subprocess.run(
                _as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                                 "--encoding=UTF8", "--no-sync"]),
                check=True, capture_output=True, timeout=120,
            )
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir} -c fsync=off"
            subprocess.run(_as_server_user([*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", "60", "start"]),
                           check=True, capture_output=True, timeout=90)
            _wait_ready(bindir, port, user)
            subprocess.run(
                _as_server_user([str(bindir / "createdb"), "-h", str(socket_dir), "-p", str(port), "-U", user,
                                 "remotem_test"]),
                check=True, capture_output=True, timeout=30,
            )
        except subprocess.CalledProcessError as error:
            details = (error.stderr or b"").decode(errors="replace")
            if log.exists():
                details += log.read_text(errors="replace")
            raise RuntimeError(f"PostgreSQL did not start: {details}") from error
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/remotem_test"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_server_user([*pg_ctl, "-m", "immediate", "-w", "stop"]),
                           capture_output=True, timeout=60, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_ready(bindir: Path, port: int, user: str, deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", user],
            capture_output=True, check=False,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise TimeoutError(f"PostgreSQL on port {port} was not ready within {deadline_s} s")


def fresh_database(server_url: str) -> str:
    """URL of a new, empty database on the server of ``server_url``, so tests never share rows."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """One throwaway PostgreSQL server for the whole session."""
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty job database: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    return fresh_database(request.getfixturevalue("postgres_server_url"))
