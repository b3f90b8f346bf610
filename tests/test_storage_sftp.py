"""SFTP storages below the REST API, on the real asyncssh test server: exact byte ranges through
sshfs (whose ``cat_file`` answers the whole file whatever the range), whose host key is trusted,
and a saved storage whose server's key changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import fsspec
import pytest
from _services import SFTP_PASSWORD, SFTP_USER, sftp_server
from cryptography.fernet import Fernet

from jupyter_remotem.errors import HostKeyMismatch, HostKeyUnknown, StorageUnavailable
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.credentials import CredentialCipher
from jupyter_remotem.storage.own import OwnStorages, Site
from jupyter_remotem.storage.ranged import cat_ranges, read_range
from jupyter_remotem.storage.registry import RepositoryRegistry
from jupyter_remotem.storage.sftp import check_host_key, fsspec_options

CONTENT = bytes(range(256)) * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root, workdir = tmp_path_factory.mktemp("sftp-root"), tmp_path_factory.mktemp("sftp-work")
    (root / "data.bin").write_bytes(CONTENT)
    with sftp_server(root, workdir) as running:
        yield running


def test_ranges_are_the_bytes_asked_for(server):
    options = fsspec_options({"username": SFTP_USER, "port": str(server.port), "host_key": server.host_key},
                             {"password": SFTP_PASSWORD}, "")
    fs = fsspec.filesystem("sftp", host="127.0.0.1", **options)
    starts, ends = [10, 70_000, 5, len(CONTENT) - 3], [20, 200_000, 6, len(CONTENT) + 10]
    assert cat_ranges(fs, "/data.bin", starts, ends) == [CONTENT[s:e] for s, e in zip(starts, ends)]
    assert read_range(fs, "/data.bin", 1000, 1500) == CONTENT[1000:1500]
    assert isinstance(cat_ranges(fs, "/missing.bin", [0], [4])[0], Exception)


def test_only_a_trusted_host_key_passes(server, tmp_path: Path):
    url = f"sftp://127.0.0.1:{server.port}/"
    key = asyncssh.import_public_key(server.host_key)
    with pytest.raises(HostKeyUnknown) as unknown:
        check_host_key(url, {"username": SFTP_USER}, "")
    assert unknown.value.details["fingerprint"] == key.get_fingerprint("sha256")
    check_host_key(url, {"username": SFTP_USER, "host_key": unknown.value.details["host_key"]}, "")

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    with pytest.raises(HostKeyMismatch):
        check_host_key(url, {"username": SFTP_USER, "host_key": other}, "")

    listed = tmp_path / "known_hosts"
    listed.write_text(f"[127.0.0.1]:{server.port} {server.host_key}\n")
    check_host_key(url, {"username": SFTP_USER}, str(listed))
    listed.write_text(f"[127.0.0.1]:{server.port} {other}")
    with pytest.raises(HostKeyMismatch):
        check_host_key(url, {"username": SFTP_USER}, str(listed))

    # The connection itself checks the key too: the wrong one never gets to log in.
    options = fsspec_options({"username": SFTP_USER, "port": str(server.port), "host_key": other},
                             {"password": SFTP_PASSWORD}, "")
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        fsspec.filesystem("sftp", host="127.0.0.1", skip_instance_cache=True, **options)


def test_a_saved_storage_whose_server_key_changed_answers_503(server, tmp_path: Path):
    listed = tmp_path / "known_hosts"
    listed.write_text(f"[127.0.0.1]:{server.port} {server.host_key}\n")
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    try:
        own = OwnStorages(store, CredentialCipher(Fernet.generate_key().decode()), protocols=["sftp"],
                          site=Site(known_hosts=str(listed)))
        body = {"name": "lab", "protocol": "sftp", "url": f"sftp://127.0.0.1:{server.port}/",
                "options": {"username": SFTP_USER}, "secrets": {"password": SFTP_PASSWORD}}
        checked = own.check("ada", body)
        assert own.test(checked) == {"entries": 1}
        own.add("ada", checked)
        # The administrator's file now lists another key: the storage no longer opens, and says so.
        listed.write_text(f"[127.0.0.1]:{server.port} "
                          f"{asyncssh.generate_private_key('ssh-ed25519').export_public_key().decode()}")
        with pytest.raises(StorageUnavailable) as refused:
            own.registry_for("ada", RepositoryRegistry([])).get("lab")
        assert "HostKeyNotVerifiable" in refused.value.message and SFTP_PASSWORD not in refused.value.message
    finally:
        store.close()
