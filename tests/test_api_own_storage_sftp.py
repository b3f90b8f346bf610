"""A user's own SFTP storage through the REST API, on a real asyncssh server on loopback.

No credential goes to a server before its host key is trusted: an unknown key is answered with its
fingerprint (compared with the server's own), a wrong one is refused, a confirmed one (or the
administrator's known_hosts file) opens the storage.  One user logs in with a password, another
with a private key given as text; previews equal those of the same file on local disk; neither
secret may appear in an answer, a log, the job store or the SFTP server's own log.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import numpy as np
import pytest
from _api import server_config, wait_until
from _services import SFTP_KEY_USER, SFTP_PASSWORD, SFTP_USER, sftp_server
from PIL import Image
from test_api_own_storage import (  # noqa: F401 - fixtures shared with the S3/WebDAV tests
    Caller,
    HubLikeIdentity,
    every_table,
    repositories,
    server_log,
    stop_worker,
)

WRONG_PASSWORD = "wrong-sftp-3a81d0"


@pytest.fixture(scope="module")
def sftp(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Iterator[dict[str, Any]]:
    """The server's port, host key and log, the key user's private key text, and a known_hosts file
    listing the server as ``localhost`` only (``127.0.0.1`` stays unknown), over ``lab/scan.npy``."""
    root, workdir = tmp_path_factory.mktemp("sftp-root"), tmp_path_factory.mktemp("sftp-work")
    (root / "lab").mkdir()
    shutil.copy(demo_dir / "scan.npy", root / "lab" / "scan.npy")
    with sftp_server(root, workdir) as server:
        (workdir / "known_hosts").write_text(f"[localhost]:{server.port} {server.host_key}\n")
        yield {"port": server.port, "private_key": server.private_key, "host_key": server.host_key,
               "log": workdir / "sftp.log", "known_hosts": workdir / "known_hosts"}


@pytest.fixture
def jp_server_config(repositories, sftp):
    config = server_config(repositories, start_worker=True)
    config["ServerApp"]["identity_provider_class"] = HubLikeIdentity
    config["RemotemApp"]["user_storage_known_hosts"] = str(sftp["known_hosts"])
    return config


def body(sftp: dict[str, Any], name: str, username: str, host: str = "127.0.0.1", **fields: str) -> dict[str, Any]:
    """A storage of the test server; ``host_key`` goes to the options, the other fields are secrets."""
    options = {"username": username, **({"host_key": fields.pop("host_key")} if "host_key" in fields else {})}
    return {"name": name, "protocol": "sftp", "url": f"sftp://{host}:{sftp['port']}/lab",
            "options": options, "secrets": fields}


def logins(sftp: dict[str, Any], event: str = "auth") -> list[str]:
    """The users who got as far as logging in to the test server (it logs their names, nothing sent);
    ``event="end"``: those whose connection closed again."""
    return [line.split()[1] for line in sftp["log"].read_text().splitlines() if line.startswith(f"{event} ")]


async def test_sftp_with_a_password_and_with_a_key(jp_fetch, jp_serverapp, sftp, server_log, results_dir, demo_dir):
    alice, bob = Caller(jp_fetch, "alice"), Caller(jp_fetch, "bob")
    protocols = {p["name"]: p for p in (await alice("GET", "storage", "protocols"))[1]["protocols"]}
    assert set(protocols["sftp"]["secrets"]) == {"password", "private_key", "passphrase"}
    assert protocols["sftp"]["options"]["host_key"] == "string"
    server_key = asyncssh.import_public_key(sftp["host_key"])

    # An unknown server: its key and fingerprint are answered, nothing is saved, no login is tried.
    for dry_run in (1, 0):
        code, unknown = await alice("POST", "storage", body=body(sftp, "lab-sftp", SFTP_USER, password=SFTP_PASSWORD),
                                    dry_run=dry_run)
        assert code == 422 and unknown["error"]["code"] == "host_key_unknown", unknown
        shown = unknown["error"]["details"]
        assert shown["fingerprint"] == server_key.get_fingerprint("sha256") and shown["fingerprint"] in \
            unknown["error"]["message"] and "host_key" in unknown["error"]["hint"], unknown
        assert asyncssh.import_public_key(shown["host_key"]).public_data == server_key.public_data
    # Another key than the server's: refused before any login.
    other_key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    code, mismatch = await alice("POST", "storage", body=body(sftp, "lab-sftp", SFTP_USER, password=SFTP_PASSWORD,
                                                              host_key=other_key), dry_run=1)
    assert code == 422 and mismatch["error"]["code"] == "host_key_mismatch", mismatch
    assert mismatch["error"]["details"]["fingerprint"] == server_key.get_fingerprint("sha256")
    code, garbled = await alice("POST", "storage", body=body(sftp, "lab-sftp", SFTP_USER, password=SFTP_PASSWORD,
                                                             host_key="ssh-ed25519 not-a-key"))
    assert code == 400 and garbled["error"]["code"] == "bad_parameter", garbled
    assert logins(sftp) == [] and (await alice("GET", "storage"))[1]["storages"] == []

    # A wrong password fails the connection test, says why without the password, and saves nothing.
    code, refused = await alice("POST", "storage", body=body(sftp, "lab-sftp", SFTP_USER, password=WRONG_PASSWORD,
                                                             host_key=shown["host_key"]))
    assert code == 422 and refused["error"]["code"] == "connection_failed", refused
    assert logins(sftp) == [SFTP_USER]
    assert "Permission denied" in refused["error"]["message"] and WRONG_PASSWORD not in json.dumps(refused)
    assert (await alice("GET", "storage"))[1]["storages"] == []
    code, refused = await bob("POST", "storage", body=body(sftp, "k", SFTP_KEY_USER, "localhost",
                                                           private_key="not a key"))
    assert code in (400, 422) and "private_key" in refused["error"]["message"], refused

    # The confirmed key opens it; the administrator's known_hosts file vouches for "localhost".
    confirmed = body(sftp, "lab-sftp", SFTP_USER, password=SFTP_PASSWORD, host_key=shown["host_key"])
    code, dry = await alice("POST", "storage", body=confirmed, dry_run=1)
    assert code == 200 and dry["tested"] is True and dry["saved"] is False, dry
    assert logins(sftp) == [SFTP_USER, SFTP_USER]

    async def connections_closed() -> bool:  # a connection test keeps no connection open
        return logins(sftp, "end") == logins(sftp)

    await wait_until(connections_closed, "the connections of the tests to close")
    code, saved = await alice("POST", "storage", body=confirmed)
    assert code == 201 and saved["secrets_set"] == ["password"], saved
    assert saved["options"]["host_key"] == shown["host_key"]
    code, saved = await bob("POST", "storage",
                            body=body(sftp, "key-sftp", SFTP_KEY_USER, "localhost", private_key=sftp["private_key"]))
    assert code == 201 and saved["secrets_set"] == ["private_key"] and "host_key" not in saved["options"], saved

    # Browsing and a preview are those of the same file on local disk.
    for person, name in ((alice, "lab-sftp"), (bob, "key-sftp")):
        code, tree = await person("GET", "repositories", name, "tree", "")
        assert code == 200 and [e["name"] for e in tree["entries"]] == ["scan.npy"], tree
    assert (await bob("GET", "repositories", "lab-sftp", "tree", ""))[0] == 404
    code, preview = await alice("GET", "repositories", "lab-sftp", "preview", "scan.npy", kind="bf", size=32)
    expected = (await alice("GET", "repositories", "demo", "preview", "scan.npy", kind="bf", size=32))[1]
    assert code == 200 and preview.startswith(b"\x89PNG"), preview[:200]
    pixels, local_pixels = (np.asarray(Image.open(io.BytesIO(png))) for png in (preview, expected))
    assert pixels.shape == local_pixels.shape and np.array_equal(pixels, local_pixels), \
        f"{np.count_nonzero(pixels != local_pixels)} values differ"
    meta = (await alice("GET", "repositories", "lab-sftp", "meta", "scan.npy"))[1]
    local = (await alice("GET", "repositories", "demo", "meta", "scan.npy"))[1]
    assert meta["dataset"]["shape"] == local["dataset"]["shape"]

    # Jobs copy a file from each SFTP storage (its own key; the administrator's file) to a writable repository.
    jobs = []
    for person, name in ((alice, "lab-sftp"), (bob, "key-sftp")):
        copy = {"operation": "copy", "source": {"repository": name, "path": "scan.npy"},
                "target": {"repository": "results", "path": f"{name}/scan.npy"}}
        code, job = await person("POST", "jobs", body=copy)
        assert code == 201, job
        jobs.append((person, job["id"]))

    async def ended(person: Caller, job_id: str) -> Any:
        current = (await person("GET", "jobs", job_id))[1]
        return current if current["phase"] in ("COMPLETED", "ERROR", "ABORTED") else None

    for person, job_id in jobs:
        done = await wait_until(lambda p=person, j=job_id: ended(p, j), f"job {job_id}", timeout=120)
        assert done["phase"] == "COMPLETED", done
    for name in ("lab-sftp", "key-sftp"):
        assert (results_dir / name / "scan.npy").read_bytes() == (demo_dir / "scan.npy").read_bytes()

    # Forgetting a storage closes this server's connection to it.
    closed_before = logins(sftp, "end").count(SFTP_USER)
    assert (await alice("DELETE", "storage", "lab-sftp"))[0] == 204

    async def forgotten_closed() -> bool:
        return logins(sftp, "end").count(SFTP_USER) == closed_before + 1

    await wait_until(forgotten_closed, "the connection of the storage forgotten to close")
    assert (await alice("GET", "repositories", "lab-sftp", "tree", ""))[0] == 404

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
