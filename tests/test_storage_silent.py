"""An object store that accepts connections and then says nothing: requests end with 503, not a
thread stuck for minutes (S3 repositories get connect and read timeouts by default)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from _api import call, server_config
from jupyter_remotem.storage.repository import Repository, RepositoryConfig


@pytest.fixture
def silent_endpoint():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held, stop = [], threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # accepted, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def silent_repository(endpoint: str) -> dict:
    return {"name": "silent", "url": "s3://bucket/data",
            "storage_options": {"key": "k", "secret": "s", "endpoint_url": endpoint,
                                # short, so the test is quick; the defaults are 10 s and 60 s
                                "config_kwargs": {"read_timeout": 1, "connect_timeout": 1,
                                                  "retries": {"max_attempts": 1}}}}


def test_s3_repositories_get_timeouts_by_default():
    repo = Repository(RepositoryConfig.from_dict({"name": "s", "url": "s3://bucket/x",
                                                  "storage_options": {"key": "k", "secret": "s"}}))
    config = repo.fs.config_kwargs
    assert config["connect_timeout"] == 10 and config["read_timeout"] == 60


@pytest.fixture
def jp_server_config(silent_endpoint):
    return server_config([silent_repository(silent_endpoint)], request_timeout=30)


async def test_a_silent_store_answers_503_in_seconds(jp_fetch):
    started = time.monotonic()
    code, answer = await call(jp_fetch, "GET", "repositories", "silent", "tree", "")
    assert code == 503 and answer["error"]["code"] == "storage_unavailable", (code, answer)
    assert time.monotonic() - started < 25, "the read timeout ended it, not the request timeout"
