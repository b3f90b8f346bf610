"""Where the Jupyter server is, and with which token to talk to it, seen from a kernel.

A kernel started by the Jupyter server (alone or under JupyterHub) should connect with no
arguments.  The server extension exports ``REMOTEM_SERVER_URL`` and ``REMOTEM_TOKEN`` to the
kernels it starts (see :func:`kernel_environment`); under JupyterHub the single-user server's own
variables work too; otherwise the runtime files that every Jupyter server writes are read.  An
explicit URL always wins, so a script on a laptop can reach a remote server just as well.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from .errors import Unavailable

SERVER_URL_VARIABLE = "REMOTEM_SERVER_URL"
TOKEN_VARIABLE = "REMOTEM_TOKEN"
#: The server's root folder (the ``home`` repository), so results copied there can be opened in place.
ROOT_DIR_VARIABLE = "REMOTEM_ROOT_DIR"

_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "localhost"}


@dataclass(frozen=True)
class ServerAddress:
    """A Jupyter server's base URL (with its base_url, ending in ``/``) and token."""

    url: str
    token: str
    #: The server's root folder when it is on this machine, else None.
    root_dir: str | None = None
    #: How the address was found, for error messages and ``repr``.
    source: str = "argument"


def kernel_environment(serverapp: Any) -> dict[str, str]:
    """The variables a kernel needs to reach ``serverapp``: its URL (loopback, as kernels run on the
    server's machine), token and root folder.  Empty when the server listens on a Unix socket,
    which HTTP clients in the kernel cannot use."""
    if getattr(serverapp, "sock", ""):
        return {}
    host = serverapp.ip if serverapp.ip not in _WILDCARD_HOSTS else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if serverapp.certfile else "http"
    environment = {SERVER_URL_VARIABLE: f"{scheme}://{host}:{serverapp.port}{serverapp.base_url}",
                   ROOT_DIR_VARIABLE: os.path.abspath(serverapp.root_dir)}
    token = serverapp.identity_provider.token
    if token:
        environment[TOKEN_VARIABLE] = token
    return environment


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _from_remotem_variables(environ: dict[str, str]) -> ServerAddress | None:
    url = environ.get(SERVER_URL_VARIABLE)
    if not url:
        return None
    return ServerAddress(_with_slash(url), environ.get(TOKEN_VARIABLE, ""), environ.get(ROOT_DIR_VARIABLE),
                         SERVER_URL_VARIABLE)


def _from_jupyterhub_variables(environ: dict[str, str]) -> ServerAddress | None:
    """A single-user server under JupyterHub: its URL, prefix and API token are in the environment."""
    service_url, token = environ.get("JUPYTERHUB_SERVICE_URL"), environ.get("JUPYTERHUB_API_TOKEN")
    if not service_url or not token:
        return None
    prefix = environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    return ServerAddress(_with_slash(urljoin(_with_slash(service_url), prefix)), token, None, "JupyterHub")


def _from_runtime_files(cwd: Path) -> ServerAddress | None:
    """The running server whose root folder holds ``cwd`` (the notebook's folder), else the newest."""
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return None
    servers = [s for s in list_running_servers() if s.get("url") and not s.get("sock")]
    if not servers:
        return None

    def holds_cwd(info: dict[str, Any]) -> bool:
        root = Path(info.get("root_dir") or "/").resolve()
        return cwd == root or root in cwd.parents

    best = next((s for s in reversed(servers) if holds_cwd(s)), servers[-1])
    return ServerAddress(_with_slash(best["url"]), best.get("token", ""), best.get("root_dir"), "runtime file")


def find_server(url: str | None = None, token: str | None = None,
                environ: dict[str, str] | None = None) -> ServerAddress:
    """The server to talk to: ``url`` if given, else from the environment, else from runtime files."""
    environ = dict(os.environ if environ is None else environ)
    if url:
        known = _from_remotem_variables(environ)
        same = known is not None and known.url == _with_slash(url)
        return ServerAddress(_with_slash(url), token if token is not None else (known.token if same else ""),
                             known.root_dir if same else None)
    for found in (_from_remotem_variables(environ), _from_jupyterhub_variables(environ),
                  _from_runtime_files(Path.cwd().resolve())):
        if found is not None:
            return found if token is None else ServerAddress(found.url, token, found.root_dir, found.source)
    raise Unavailable(
        "No Jupyter server found to connect to.",
        f"Pass its address: remotem.connect('http://host:8888/', token='...'), or set {SERVER_URL_VARIABLE} "
        f"and {TOKEN_VARIABLE}.",
        code="no_server",
    )
