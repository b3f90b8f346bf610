"""A fresh personal token used by many requests at once: every one is answered, none fails on
the ``last_used`` write (SQLite once answered "database is locked" → 500)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from _api import call, server_config
from sqlalchemy import text

from jupyter_remotem.jobs.models import ApiToken

CONCURRENT = 64


@pytest.fixture
def jp_server_config(repositories):
    # More I/O threads than cores, so the verifications really overlap in the database.
    return server_config(repositories, owner="ada", io_threads=16)


@pytest.fixture
def with_token(http_server_client, jp_base_url):
    async def fetch(secret, path):
        return await http_server_client.fetch(f"{jp_base_url}remotem/api/{path}", raise_error=False,
                                              headers={"Authorization": f"token {secret}"})

    return fetch


@pytest.fixture
def busy_writer(jp_serverapp):
    """Another writer on the same database (as a worker is), committing all the time."""
    engine = jp_serverapp.web_app.settings["remotem"].jobs.engine
    stop = threading.Event()
    writes = []

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS busy_probe (n INTEGER)"))
        while not stop.is_set():
            with engine.connect().execution_options(remotem_write=True) as connection, connection.begin():
                connection.execute(text("INSERT INTO busy_probe VALUES (1)"))
            writes.append(1)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    yield writes
    stop.set()
    thread.join(timeout=30)


async def test_many_concurrent_first_uses_of_a_new_token_all_answer_200(jp_fetch, jp_serverapp, with_token,
                                                                        busy_writer):
    for round_ in range(3):  # each round a token never used before
        code, token = await call(jp_fetch, "POST", "tokens", body={"name": f"burst {round_}"})
        assert code == 201, token
        responses = await asyncio.gather(*(with_token(token["token"], "repositories") for _ in range(CONCURRENT)))
        statuses = [response.code for response in responses]
        assert statuses == [200] * CONCURRENT, [json.loads(r.body) for r in responses if r.code != 200][:3]
        store = jp_serverapp.web_app.settings["remotem"].tokens
        with store._sessions() as session:
            assert session.get(ApiToken, token["id"]).last_used is not None, "the use was recorded"
    assert busy_writer, "the other writer really wrote meanwhile"
