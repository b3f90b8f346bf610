"""Fixtures of the saved-result tests: a writable ``results`` repository beside the usual ones,
and a server whose detached worker runs the jobs (stopped after each test)."""

from __future__ import annotations

import pytest
from _api import server_config, stop_started_worker


@pytest.fixture
def repositories(repositories, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    return repositories + [{"name": "results", "url": str(out), "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, start_worker=True)


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)
