"""A server for datasets tests: the shared repositories plus a writable ``lab`` folder, owned by
"ada", with its own job worker (closing and verifying are jobs), ended after each test."""

from __future__ import annotations

import pytest
from _api import server_config, stop_started_worker


@pytest.fixture
def jp_server_config(repositories, lab_dir):
    return server_config(repositories + [{"name": "lab", "url": str(lab_dir), "writable": True}],
                         start_worker=True, owner="ada")


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)
