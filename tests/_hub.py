"""A real JupyterHub for tests: the hub, configurable-http-proxy from ``tests/hub/node_modules`` and
one single-user server per user, started by ``SimpleLocalProcessSpawner`` as the hub would in a
facility.

Every request goes through the proxy's public URL, as a browser or a notebook would.  The tests
act as a hub service whose role may read users, start their servers and create their API tokens.
Waits poll against deadlines.  The hub runs in its own process group; the proxy and the
single-user servers each start their own session, so they are stopped through the hub first and
swept by PID afterwards, should the hub die before it cleans up.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from _api import server_config
from _processes import stop_group
from _services import free_port

HUB_TESTS = Path(__file__).parent / "hub"
PROXY = HUB_TESTS / "node_modules" / ".bin" / "configurable-http-proxy"
SINGLEUSER = Path(sys.executable).with_name("jupyterhub-singleuser")
JUPYTERHUB = Path(sys.executable).with_name("jupyterhub")
SERVICE = "remotem-tests"
#: The hub on 2 cores needs a few seconds; a single-user server loading every extension, more.
HUB_START_S = 60.0
SPAWN_S = 120.0

T = TypeVar("T")


def wait_for(probe: Callable[[], T], what: str, deadline_s: float, alive: subprocess.Popen | None = None,
             log: Path | None = None) -> T:
    """Call ``probe`` until it returns something truthy; fail with the hub's log tail after the deadline
    or as soon as ``alive`` has exited."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = probe()
        if value:
            return value
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"the hub exited with {alive.returncode} while waiting for {what}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {deadline_s} s waiting for {what}:\n{_tail(log)}")
        time.sleep(0.1)  # poll interval of a deadline-bounded wait


def _proxy_error_page(response: requests.Response) -> bool:
    """The proxy's own 503 (an HTML page of the hub's), not a JSON 503 of the remotem API."""
    return response.status_code == 503 and response.headers.get("Content-Type", "").startswith("text/html")


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""


@dataclass
class Hub:
    """A running hub: its public URL (the proxy, ending in ``/``) and the admin service's token."""

    process: subprocess.Popen
    url: str
    service_token: str
    workdir: Path
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def job_database_url(self) -> str:
        return job_database_url(self.workdir)

    # -- talking to it -------------------------------------------------------------------------
    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        """Any request through the proxy; ``path`` is relative to the hub's root (``hub/api/...``,
        ``user/alice/...``).  Redirects are not followed, so tests see what the hub answers."""
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"token {token}"
        response = requests.request(method, self.url + path, headers=headers, timeout=30, allow_redirects=False,
                                    **kwargs)
        if method == "GET" and path.startswith("user/") and _proxy_error_page(response):
            # The proxy answers a failed connection to a user's server (ECONNRESET, ECONNREFUSED)
            # with the hub's 503 page. A browser reloads; a GET is asked again once, and a second
            # failure is reported with the hub's log, where the servers' own output goes too.
            print(f"GET {path}: the proxy could not reach the server; asking again", file=sys.stderr)
            response = requests.request(method, self.url + path, headers=headers, timeout=30,
                                        allow_redirects=False, **kwargs)
            if _proxy_error_page(response):
                raise AssertionError(f"GET {path}: the proxy could not reach the server twice:\n{_tail(self.log)}")
        return response

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        """A hub REST API call as the admin service."""
        return self.request(method, f"hub/api/{path}", self.service_token,
                            data=None if body is None else json.dumps(body))

    def user_api(self, user: str, method: str, path: str, body: Any = None, token: str | None = None,
                 **params: Any) -> requests.Response:
        """A call of the remotem API in ``user``'s server, with ``token`` (default: the user's own)."""
        return self.request(method, f"user/{user}/remotem/api/{path}",
                            self.tokens[user] if token is None else token,
                            data=None if body is None else json.dumps(body), params=params,
                            headers={"Content-Type": "application/json"})

    # -- users ---------------------------------------------------------------------------------
    def create_token(self, user: str) -> str:
        """A new API token of ``user`` (it carries the user's own permissions), as a user would make
        on the hub's token page."""
        response = self.api("POST", f"users/{user}/tokens", {"note": "remotem hub tests", "expires_in": 3600})
        assert response.status_code in (200, 201), (response.status_code, response.text)
        self.tokens[user] = response.json()["token"]
        return self.tokens[user]

    def spawn(self, *users: str) -> None:
        """Start the users' servers together and wait until each answers through the proxy."""
        for user in users:
            response = self.api("POST", f"users/{user}/server")
            assert response.status_code in (201, 202), (user, response.status_code, response.text)
        for user in users:
            wait_for(functools.partial(self._server_ready, user), f"{user}'s server", SPAWN_S, self.process,
                     self.log)

    def _server_ready(self, user: str) -> bool:
        """Ready once the server answers and remotem in it does: a server whose extension failed to
        load still answers Jupyter's own API, and would fail every test later with a bare 404."""
        model = self.api("GET", f"users/{user}").json()
        if not model.get("servers", {}).get("", {}).get("ready"):
            return False
        if self.request("GET", f"user/{user}/api/status", self.tokens[user]).status_code != 200:
            return False
        remotem = self.user_api(user, "GET", "repositories")
        if remotem.status_code != 200:
            raise RuntimeError(f"{user}'s server runs without remotem ({remotem.status_code}):\n{_tail(self.log)}")
        return True


def hub_config(workdir: Path, ports: dict[str, int], service_token: str, users: dict[str, list[str]],
               singleuser_config: Path) -> str:
    """``jupyterhub_config.py``: loopback ports, dummy logins (never used: users act by API token),
    the tests' service and its role, ``users`` with their groups, single-user servers started with
    ``singleuser_config``."""
    groups: dict[str, dict[str, list[str]]] = {}
    for user, user_groups in users.items():
        for group in user_groups:
            groups.setdefault(group, {"users": []})["users"].append(user)
    settings = {
        "JupyterHub.bind_url": f"http://127.0.0.1:{ports['public']}/",
        "JupyterHub.hub_ip": "127.0.0.1",
        "JupyterHub.hub_port": ports["hub"],
        "JupyterHub.db_url": f"sqlite:///{workdir / 'hub.sqlite'}",
        "JupyterHub.cookie_secret_file": str(workdir / "cookie_secret"),
        "JupyterHub.pid_file": str(workdir / "hub.pid"),
        "JupyterHub.authenticator_class": "dummy",
        "Authenticator.allowed_users": sorted(users),
        "JupyterHub.load_groups": groups,
        "JupyterHub.services": [{"name": SERVICE, "api_token": service_token}],
        "JupyterHub.load_roles": [{
            "name": SERVICE,
            "scopes": ["read:users", "servers", "tokens", "groups"],
            "services": [SERVICE],
        }],
        "JupyterHub.proxy_class": "configurable-http-proxy",
        "ConfigurableHTTPProxy.command": [str(PROXY)],
        "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{ports['proxy_api']}",
        "ConfigurableHTTPProxy.auth_token": secrets.token_hex(16),
        "ConfigurableHTTPProxy.pid_file": str(workdir / "proxy.pid"),
        "JupyterHub.spawner_class": "simple",
        "SimpleLocalProcessSpawner.home_dir_template": str(workdir / "home" / "{username}"),
        "Spawner.cmd": [str(SINGLEUSER)],
        # Root runs these machines and CI; the single-user servers would refuse to start as root.
        "Spawner.args": ["--allow-root", f"--config={singleuser_config}"],
        # The servers' own tokens may read their owner's groups, which personal tokens then follow.
        "Spawner.server_token_scopes": ["users:activity!user", "access:servers!server", "read:users:groups!user"],
        "Spawner.start_timeout": int(SPAWN_S),
        "Spawner.http_timeout": int(SPAWN_S),
        # Answer "spawn pending" at once, so both users' servers start side by side.
        "JupyterHub.tornado_settings": {"slow_spawn_timeout": 0},
    }
    lines = ["# Written by tests/_hub.py for one test session.", "c = get_config()  # noqa: F821"]
    lines += [f"c.{name} = {value!r}" for name, value in settings.items()]
    return "\n".join(lines) + "\n"


def job_database_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'jobs.sqlite'}"


def singleuser_config(workdir: Path, repositories: list[dict[str, Any]]) -> Path:
    """The single-user servers' Jupyter config: remotem on ``repositories``, one job store shared by
    every user's server (as a facility would share PostgreSQL), no detached worker, and the owner's
    groups asked of the hub on every personal-token request (tests change groups mid-session)."""
    config = server_config(repositories, job_database_url=job_database_url(workdir), hub_groups_refresh=0.0,
                           admin_groups=["microscopy"])  # alice administers (test_hub_admin.py)
    path = workdir / "jupyter_server_config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def start_hub(workdir: Path, repositories: list[dict[str, Any]], users: dict[str, list[str]]) -> Hub:
    """Start the hub and wait until its API answers through the proxy."""
    ports = {"public": free_port(), "hub": free_port(), "proxy_api": free_port()}
    service_token = secrets.token_hex(16)
    config = workdir / "jupyterhub_config.py"
    config.write_text(hub_config(workdir, ports, service_token, users, singleuser_config(workdir, repositories)))
    log = workdir / "jupyterhub.log"
    with open(log, "ab") as out:
        process = subprocess.Popen([str(JUPYTERHUB), "-f", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                   cwd=workdir, start_new_session=True)
    hub = Hub(process, f"http://127.0.0.1:{ports['public']}/", service_token, workdir, log)

    def answers() -> bool:
        try:
            return hub.api("GET", "").status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_for(answers, "the hub's API through the proxy", HUB_START_S, process, log)
    except BaseException:
        stop_hub(hub)
        raise
    return hub


def stop_hub(hub: Hub) -> None:
    """Stop the hub, which stops its servers (and they their kernels) and its proxy, then sweep
    anything that outlived it."""
    try:
        stop_group(hub.process, timeout=30.0)
    finally:
        for pid, program in _leftovers(hub.workdir):
            _stop_session(pid, program)


def _leftovers(workdir: Path) -> list[tuple[int, str]]:
    """PIDs the hub's children recorded: the proxy's PID file and the servers' runtime files."""
    found = []
    proxy_pid = workdir / "proxy.pid"
    if proxy_pid.exists() and proxy_pid.read_text().strip().isdigit():
        found.append((int(proxy_pid.read_text()), "configurable-http-proxy"))
    for runtime in (workdir / "home").glob("*/.local/share/jupyter/runtime/jpserver-*.json"):
        try:
            found.append((int(json.loads(runtime.read_text())["pid"]), "jupyterhub-singleuser"))
        except (OSError, ValueError, KeyError):
            continue
    return found


def _stop_session(pid: int, program: str) -> None:
    """End the session led by ``pid`` if that PID is still ``program`` (not a reused number)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return
    if program not in command:
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.05)  # bounded wait for the process to exit
    if Path(f"/proc/{pid}").exists():
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
