"""Fixtures for browser tests: demo data, a real JupyterLab server, Debian's chromium.

These tests skip when chromium or the built lab extension is missing, except under
``CI=true``, where a missing prerequisite is a failure: CI must not go green by skipping.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from _processes import stop_group, stop_workers
from _services import free_port, skip_or_fail

from jupyter_remotem.cutouts.demo import surveys as demo_surveys

HERE = Path(__file__).parent
#: The tests folder: modules the servers under test import (a toy operation) live there.
TESTS = HERE.parent
ROOT = HERE.parent.parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = Path(os.environ.get("REMOTEM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A non-root base URL with an escaped character, as under JupyterHub.
BASE_URL = "/user/test%40x/"
SERVER_START_TIMEOUT = 90.0


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail under CI, when a prerequisite of the browser tests is missing."""
    if not condition:
        skip_or_fail(f"browser test prerequisite missing: {reason}")


def _labextension_built() -> bool:
    """Whether the built lab extension is where JupyterLab will look for it."""
    from jupyter_core.paths import jupyter_path

    for data_dir in jupyter_path("labextensions"):
        if (Path(data_dir) / "jupyter-remotem" / "static" / "style.js").exists():
            return True
    return False


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo scans written by the project's own CLI."""
    target = tmp_path_factory.mktemp("demo") / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_remotem.cli", "demo-data", str(target), "--size", "small"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"demo-data failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return target


@dataclass
class LabServer:
    url: str  # e.g. http://127.0.0.1:12345/user/test%40x/
    token: str
    log: Path
    #: The job store it shares with its worker (and, on a hub, with other users' servers).
    database_url: str = ""

    def lab_url(self) -> str:
        return f"{self.url}lab?reset&token={self.token}"


def _wait_for_server(proc: subprocess.Popen, url: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    request = urllib.request.Request(f"{url}api/status", headers={"Authorization": f"token {token}"})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter-lab exited with {proc.returncode}:\n{log.read_text()[-5000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # Short back-off between polls of a deadline-bounded wait (not a fixed sleep).
        time.sleep(0.2)
    pytest.fail(f"jupyter-lab did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()[-5000:]}")


# The server's owner, with a storage quota that one copy of a demo scan (12.6 MB) fits but
# two do not: other modules' jobs stay well inside it, test_lab_quota_tokens.py fills it.
OWNER = "tester"
STORAGE_QUOTA_BYTES = 20_000_000
COMPUTE_QUOTA_HOURS = 5
#: The owner's group, whose members share a pool of compute hours.
GROUP, POOL_HOURS = "stem-lab", 100


# Reads of reduction jobs are throttled so that a job over the small demo scan (12 MiB) runs
# for several seconds in small partitions: long enough to watch its progress and cancel it.
WORKER_MAX_READ_RATE = 1_000_000  # bytes/s
WORKER_PARTITION_BYTES = 256 * 1024


def _start_worker(
    request: pytest.FixtureRequest, home: Path, database_url: str, repositories: list, env: dict
) -> None:
    """A job worker on the server's job store, throttled (see WORKER_MAX_READ_RATE)."""
    worker_config = home / "worker.json"
    worker_config.write_text(json.dumps({"database_url": database_url, "repositories": repositories}))
    log = open(ARTIFACTS / "worker.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter_remotem.cli", "worker",
            "--config", str(worker_config),
            "--db", database_url,
            "--poll", "0.2",
            "--report", "0.25",
            "--partition-bytes", str(WORKER_PARTITION_BYTES),
            "--max-read-rate", str(WORKER_MAX_READ_RATE),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=home,
        env=env,
        start_new_session=True,
    )
    request.addfinalizer(log.close)
    request.addfinalizer(lambda: stop_group(proc))


@pytest.fixture(scope="session")
def lab_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, demo_data: Path
) -> LabServer:
    """A real JupyterLab under a non-root base URL, serving the demo data as repository 'demo'."""
    require(_labextension_built(), "the jupyter-remotem lab extension is not built (pip install -e .)")
    lab = Path(sys.executable).parent / "jupyter-lab"
    require(lab.exists(), f"{lab} not found")

    home = tmp_path_factory.mktemp("lab")
    for sub in ("notebooks", "config", "data", "runtime", "workspaces", "settings"):
        (home / sub).mkdir()
    # No news or update checks: nothing may reach the internet or cover the page.
    notification = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Writable, so that copy and reduction jobs can write into it.
    repositories = [
        {"name": "demo", "url": str(demo_data), "description": "Demo scans", "writable": True}
    ]
    database_url = f"sqlite:///{home / 'jobs.sqlite'}"
    config = home / "jupyter_server_config.json"
    config.write_text(
        json.dumps(
            {
                # _toy_operation (tests/) declares a reduction at run time: the viewer must list it.
                "ServerApp": {"jpserver_extensions": {"jupyter_remotem": True, "_toy_operation": True}},
                "RemotemApp": {
                    "repositories": repositories,
                    "job_database_url": database_url,
                    # The tests run their own, throttled worker (below).
                    "start_worker": False,
                    # Coarse passes subsample even the small demo scan (step 3), as on a large one.
                    "coarse_frames": 256,
                    "owner": OWNER,
                    "quotas": {
                        "users": {
                            OWNER: {"storage_bytes": STORAGE_QUOTA_BYTES, "compute_hours": COMPUTE_QUOTA_HOURS}
                        },
                        "pools": {GROUP: {"compute_hours": POOL_HOURS}},
                    },
                    "user_groups": [GROUP],
                    # Its owner administers (test_lab_admin.py): the Admin panel is there.
                    "admin_groups": [GROUP],
                    # The demo data's generated sky tiles, for the Sky cutouts panel (test_lab_cutouts.py).
                    "surveys": demo_surveys("demo", "sky"),
                    # Clusters on demand (test_lab_clusters.py): workers as threads of the server, quick to start.
                    "cluster_processes": False,
                },
            }
        )
    )
    port = free_port()
    token = secrets.token_hex(16)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "jupyter-lab.log"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        # The job store (SQLite) and the worker's lock live beside the user's Jupyter data:
        # keep them out of the real home.
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                str(lab),
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.base_url={BASE_URL}",
                f"--ServerApp.root_dir={home / 'notebooks'}",
                f"--config={config}",
                f"--LabApp.user_settings_dir={home / 'settings'}",
                f"--LabApp.workspaces_dir={home / 'workspaces'}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=home,
            env=env,
            start_new_session=True,  # its own process group, ended as a whole
        )
    request.addfinalizer(lambda: stop_group(proc))
    # The job worker the server starts outlives it on purpose (own session): end it too.
    request.addfinalizer(lambda: stop_workers(home / "data"))
    url = f"http://127.0.0.1:{port}{BASE_URL}"
    _wait_for_server(proc, url, token, log)
    # The server serves its root directory as the home repository "notebooks": so must the worker.
    notebooks = {"name": "notebooks", "url": str(home / "notebooks"), "writable": True, "home": True}
    _start_worker(request, home, database_url, repositories + [notebooks], env)
    _check_api(url, token, log)
    return LabServer(url=url, token=token, log=log, database_url=database_url)


def _check_api(url: str, token: str, log: Path) -> None:
    """Fail early and clearly when the server extension did not load."""
    request = urllib.request.Request(
        f"{url}remotem/api/repositories", headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            names = [r["name"] for r in json.load(response)["repositories"]]
    except urllib.error.HTTPError as error:
        pytest.fail(
            f"GET remotem/api/repositories answered {error.code}: the jupyter_remotem server "
            f"extension is not serving.\n{log.read_text()[-5000:]}"
        )
    assert "demo" in names, names


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break every asyncio test (pytest-jupyter) collected after this folder.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright (no browser downloads here)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} not found (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh page; on failure its screenshot, and the requests still unanswered (what a
    hanging view waits for), land in tests/browser/artifacts/."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.errors = []  # uncaught page errors, checked by tests
    page.error_stacks = []  # and where each was raised
    page.on("pageerror", lambda error: (page.errors.append(str(error)), page.error_stacks.append(error.stack or "")))
    pending: dict[object, str] = {}
    page.on("request", lambda r: pending.__setitem__(r, f"{r.method} {r.url}"))
    page.on("requestfinished", lambda r: pending.pop(r, None))
    page.on("requestfailed", lambda r: pending.pop(r, None))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{request.node.name}-pending-requests.txt").write_text("\n".join(pending.values()) + "\n")
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
        except Exception:  # pragma: no cover - best effort
            pass
    context.close()


# pytest_jupyter (loaded by tests/conftest.py) closes its asyncio loop after every test; with
# Playwright's sync API holding a running loop in this thread that fails. These tests start no
# in-process server, so both autouse fixtures become no-ops here.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[None]:
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> Iterator[None]:
    yield


FINAL_PHASES = ("COMPLETED", "ERROR", "ABORTED")


@pytest.fixture(autouse=True)
def jobs_leave_with_their_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """The lab is shared by every browser file a test process runs, and so is its owner's
    storage quota (STORAGE_QUOTA_BYTES): the finished jobs a test made are deleted, with their
    results, when it ends, so that what a later test may submit does not depend on the order
    the files ran in. Jobs still running are left to end on their own."""
    if "lab_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("lab_server")
    before = {job["id"] for job in _jobs(server)}
    yield
    for job in _jobs(server):
        if job["id"] not in before and job["phase"] in FINAL_PHASES:
            _api_call(server, "DELETE", f"jobs/{job['id']}")


def _jobs(server: LabServer) -> list[dict]:
    return json.loads(_api_call(server, "GET", "jobs?dismissed=1"))["jobs"]


def _api_call(server: LabServer, method: str, path: str) -> bytes:
    request = urllib.request.Request(
        f"{server.url}remotem/api/{path}", method=method, headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)

