"""A user's own SFTP storage through the REST API, on a real asyncssh server on loopback.

One user logs in with a password, another with a private key given as text; neither secret may
appear in an answer, a log, the job store or the SFTP server's own log.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _api import wait_until
from _services import SFTP_KEY_USER, SFTP_PASSWORD, SFTP_USER, sftp_server
from test_api_own_storage import (  # noqa: F401 - fixtures shared with the S3/WebDAV tests
    Caller,
    every_table,
    jp_server_config,
    repositories,
    server_log,
    stop_worker,
)

WRONG_PASSWORD = "wrong-sftp-3a81d0"


@pytest.fixture(scope="module")
def sftp(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Iterator[dict[str, Any]]:
    """The server's port, the key user's private key text and its log, over a root holding ``lab/scan.npy``."""
    root, workdir = tmp_path_factory.mktemp("sftp-root"), tmp_path_factory.mktemp("sftp-work")
    (root / "lab").mkdir()
    shutil.copy(demo_dir / "scan.npy", root / "lab" / "scan.npy")
    with sftp_server(root, workdir) as (port, private_key):
        yield {"port": port, "private_key": private_key, "log": workdir / "sftp.log"}


def body(sftp: dict[str, Any], name: str, username: str, **secrets: str) -> dict[str, Any]:
    return {"name": name, "protocol": "sftp", "url": f"sftp://127.0.0.1:{sftp['port']}/lab",
            "options": {"username": username}, "secrets": secrets}


async def test_sftp_with_a_password_and_with_a_key(jp_fetch, jp_serverapp, sftp, server_log, results_dir, demo_dir):
    alice, bob = Caller(jp_fetch, "alice"), Caller(jp_fetch, "bob")
    protocols = {p["name"]: p for p in (await alice("GET", "storage", "protocols"))[1]["protocols"]}
    assert set(protocols["sftp"]["secrets"]) == {"password", "private_key", "passphrase"}

    # A wrong password fails the connection test, says why without the password, and saves nothing.
    code, refused = await alice("POST", "storage", body=body(sftp, "lab-sftp", SFTP_USER, password=WRONG_PASSWORD))
    assert code == 422 and refused["error"]["code"] == "connection_failed", refused
    assert "Permission denied" in refused["error"]["message"] and WRONG_PASSWORD not in json.dumps(refused)
    assert (await alice("GET", "storage"))[1]["storages"] == []
    code, refused = await bob("POST", "storage", body=body(sftp, "k", SFTP_KEY_USER, private_key="not a key"))
    assert code == 422 and "private_key" in refused["error"]["message"], refused

    code, dry = await alice("POST", "storage", body=body(sftp, "lab-sftp", SFTP_USER, password=SFTP_PASSWORD),
                            dry_run=1)
    assert code == 200 and dry["tested"] is True and dry["saved"] is False, dry
    code, saved = await alice("POST", "storage", body=body(sftp, "lab-sftp", SFTP_USER, password=SFTP_PASSWORD))
    assert code == 201 and saved["secrets_set"] == ["password"], saved
    code, saved = await bob("POST", "storage",
                            body=body(sftp, "key-sftp", SFTP_KEY_USER, private_key=sftp["private_key"]))
    assert code == 201 and saved["secrets_set"] == ["private_key"], saved

    # Browsing and a preview are those of the same file on local disk.
    for person, name in ((alice, "lab-sftp"), (bob, "key-sftp")):
        code, tree = await person("GET", "repositories", name, "tree", "")
        assert code == 200 and [e["name"] for e in tree["entries"]] == ["scan.npy"], tree
    assert (await bob("GET", "repositories", "lab-sftp", "tree", ""))[0] == 404
    code, preview = await alice("GET", "repositories", "lab-sftp", "preview", "scan.npy", kind="bf", size=32)
    expected = (await alice("GET", "repositories", "demo", "preview", "scan.npy", kind="bf", size=32))[1]
    # Same image size; the pixels are not compared yet (an SFTP preview differs from the local one: open).
    assert code == 200 and preview[:24] == expected[:24] and preview.startswith(b"\x89PNG")
    meta = (await alice("GET", "repositories", "lab-sftp", "meta", "scan.npy"))[1]
    local = (await alice("GET", "repositories", "demo", "meta", "scan.npy"))[1]
    assert meta["dataset"]["shape"] == local["dataset"]["shape"]

    # A job copies a file from the SFTP storage to a writable repository.
    copy = {"operation": "copy", "source": {"repository": "lab-sftp", "path": "scan.npy"},
            "target": {"repository": "results", "path": "from-sftp/scan.npy"}}
    code, job = await alice("POST", "jobs", body=copy)
    assert code == 201, job

    async def ended() -> Any:
        current = (await alice("GET", "jobs", job["id"]))[1]
        return current if current["phase"] in ("COMPLETED", "ERROR", "ABORTED") else None

    done = await wait_until(ended, f"job {job['id']}", timeout=120)
    assert done["phase"] == "COMPLETED", done
    assert (results_dir / "from-sftp" / "scan.npy").read_bytes() == (demo_dir / "scan.npy").read_bytes()

    services = jp_serverapp.web_app.settings["remotem"]
    key_body = sftp["private_key"].strip().splitlines()[1]  # a line of the key itself, not its armour
    places = {
        "answers": "\n".join(Caller.answers),
        "server log": "\n".join(server_log),
        "worker log": services.supervisor.log_path.read_text(errors="replace"),
        "job store": every_table(jp_serverapp),
        "sftp server log": sftp["log"].read_text(errors="replace"),
    }
    assert "lab-sftp" in places["job store"] and places["sftp server log"].startswith("listening")
    for where, what in places.items():
        for secret in (SFTP_PASSWORD, WRONG_PASSWORD, key_body):
            assert secret not in what, f"a secret in the {where}"
