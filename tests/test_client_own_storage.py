"""``c.storage`` in the notebook client: add (tested first), list, use as a repository, remove."""

from __future__ import annotations

import pytest
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _services import WEBDAV_PASSWORD, WEBDAV_USER

from jupyter_remotem.client.errors import RemotemError


async def test_the_client_adds_uses_and_removes_its_own_webdav_storage(client, webdav_url, demo_dir):  # noqa: F811
    options = {"base_url": webdav_url, "username": WEBDAV_USER}

    def run():
        with pytest.raises(RemotemError) as refused:
            client.storage.add("dav", "webdav://group", options=options, secrets={"password": "not-it-3b7"})
        assert refused.value.code == "connection_failed" and "not-it-3b7" not in str(refused.value)
        tried = client.storage.add("dav", "webdav://group", options=options, secrets={"password": WEBDAV_PASSWORD},
                                   test_only=True)
        assert tried["saved"] is False and client.storage.list() == []
        added = client.storage.add("dav", "webdav://group", options=options, secrets={"password": WEBDAV_PASSWORD})
        listed = client.storage.list()
        names = {entry["name"] for entry in client.ls("dav")}
        shape = client.meta("dav", "scan.npy")["dataset"]["shape"]
        client.storage.remove("dav")
        return added, listed, names, shape, client.storage.list()

    added, listed, names, shape, after = await in_thread(run)
    assert added["saved"] is True and added["secrets_set"] == ["password"]
    assert [entry["name"] for entry in listed] == ["dav"] and WEBDAV_PASSWORD not in repr(listed)
    assert {"scan.h5", "scan.npy"} <= names
    assert shape == list(__import__("numpy").load(demo_dir / "scan.npy", mmap_mode="r").shape)
    assert after == []
