"""A notebook on the hub connects with ``remotem.connect()`` and no arguments, and acts as its user."""

from __future__ import annotations

import json

import pytest
from _kernel import execute, remote_kernel

pytestmark = pytest.mark.hub

MARK = "remotem-connect:"
CONNECT = f"""
import json
import jupyter_remotem as remotem

client = remotem.connect()
print({MARK!r} + json.dumps({{"source": client.address.source, "url": client.address.url,
                              "repositories": [r["name"] for r in client.repositories]}}))
"""


def test_a_kernel_in_alices_server_connects_with_no_arguments_as_alice(hub):
    with remote_kernel(hub, "alice") as kernel:
        run = execute(kernel, CONNECT)
    assert run.status == "ok", "\n".join(run.error) or run.stderr
    found = json.loads(run.stdout.split(MARK, 1)[1])
    # The server extension exports its own address to the kernels it starts (tried before
    # JupyterHub's variables, which would lead there too).
    assert found["source"] == "REMOTEM_SERVER_URL", found
    assert found["url"].endswith("/user/alice/"), found
    seen_through_the_proxy = hub.user_api("alice", "GET", "repositories").json()["repositories"]
    assert found["repositories"] == [r["name"] for r in seen_through_the_proxy]
    assert "private" in found["repositories"], "the kernel must act with alice's groups"
