"""How a kernel finds its server: exported variables, JupyterHub's, runtime files, or an explicit URL."""

from __future__ import annotations

import pytest
from _client import in_thread, kernel_env  # noqa: F401 - fixture
from _services import free_port

import jupyter_remotem as remotem
from jupyter_remotem.client import PermissionDenied, Unavailable
from jupyter_remotem.client.discovery import find_server, kernel_environment

VARIABLES = ("REMOTEM_SERVER_URL", "REMOTEM_TOKEN", "REMOTEM_ROOT_DIR", "JUPYTERHUB_SERVICE_URL",
             "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_API_TOKEN")


@pytest.fixture
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def names_seen(client) -> list[str]:
    try:
        return [r["name"] for r in await in_thread(lambda: client.repositories)]
    finally:
        client.close()


async def test_kernel_environment_points_at_the_server_with_its_token(jp_serverapp, http_server, jp_http_port,
                                                                      jp_root_dir, clean_env):
    environment = kernel_environment(jp_serverapp)
    assert environment["REMOTEM_SERVER_URL"] == f"http://127.0.0.1:{jp_http_port}/a%40b/"
    assert environment["REMOTEM_TOKEN"] == jp_serverapp.identity_provider.token
    assert environment["REMOTEM_ROOT_DIR"] == str(jp_root_dir)
    for name, value in environment.items():
        clean_env.setenv(name, value)
    client = await in_thread(remotem.connect)
    assert client.address.source == "REMOTEM_SERVER_URL"
    assert "demo" in await names_seen(client)


async def test_jupyterhub_variables_are_used_inside_a_hub(jp_serverapp, http_server, jp_http_port, clean_env):
    clean_env.setenv("JUPYTERHUB_SERVICE_URL", f"http://127.0.0.1:{jp_http_port}")
    clean_env.setenv("JUPYTERHUB_SERVICE_PREFIX", "/a%40b/")
    clean_env.setenv("JUPYTERHUB_API_TOKEN", jp_serverapp.identity_provider.token)
    address = find_server()
    assert address.url == f"http://127.0.0.1:{jp_http_port}/a%40b/" and address.source == "JupyterHub"
    assert "demo" in await names_seen(await in_thread(remotem.connect))


async def test_runtime_files_are_read_when_nothing_is_exported(jp_serverapp, http_server, jp_root_dir, clean_env):
    clean_env.chdir(jp_root_dir)
    address = find_server()
    assert address.source == "runtime file"
    assert address.url.endswith(f":{jp_serverapp.port}/a%40b/")
    assert address.token == jp_serverapp.identity_provider.token
    assert "demo" in await names_seen(await in_thread(remotem.connect))


async def test_an_explicit_url_wins_and_a_wrong_token_is_refused(jp_serverapp, http_server, jp_http_port,
                                                                 kernel_env):
    url = f"http://127.0.0.1:{jp_http_port}/a%40b"
    assert find_server(url).token == kernel_env["REMOTEM_TOKEN"], "the exported token goes with its own URL"
    assert "demo" in await names_seen(await in_thread(remotem.connect, url, kernel_env["REMOTEM_TOKEN"]))
    with pytest.raises(PermissionDenied) as caught:
        await in_thread(remotem.connect, url, "not-the-token")
    assert caught.value.status == 403 and caught.value.hint


def test_an_unreachable_or_missing_server_is_unavailable_with_a_hint(clean_env, tmp_path):
    with pytest.raises(Unavailable, match="Cannot reach") as caught:
        remotem.connect(f"http://127.0.0.1:{free_port()}/", "token")
    assert caught.value.hint
    clean_env.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    with pytest.raises(Unavailable) as missing:
        remotem.connect()
    assert "REMOTEM_SERVER_URL" in missing.value.hint

