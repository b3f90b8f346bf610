"""One real JupyterHub per test session, with a single-user server for each of alice and bob.

alice belongs to the group ``microscopy``, which alone may read the ``private`` repository; bob
belongs to no group.  Both servers share one job store.  Missing JupyterHub or proxy skips these
tests on a developer's machine and fails them under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _hub import JUPYTERHUB, PROXY, SINGLEUSER, Hub, start_hub, stop_hub
from _scenario import PRIVATE_FILE, USERS
from _services import skip_or_fail


@pytest.fixture(scope="session")
def private_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("private")
    np.save(directory / PRIVATE_FILE, np.arange(4 * 5 * 8 * 8, dtype=np.uint16).reshape(4, 5, 8, 8))
    return directory


@pytest.fixture(scope="session")
def hub_programs() -> None:
    """JupyterHub, its single-user command and the proxy, checked before any slower fixture runs."""
    for program, installed_by in ((JUPYTERHUB, "pip install jupyterhub (the test extra)"),
                                  (SINGLEUSER, "pip install jupyterhub (the test extra)"),
                                  (PROXY, "npm ci --prefix tests/hub (make setup)")):
        if not program.exists():
            skip_or_fail(f"{program.name} is missing: {installed_by}")


@pytest.fixture(scope="session")
def hub(hub_programs: None, tmp_path_factory: pytest.TempPathFactory, demo_dir: Path,
        private_dir: Path) -> Iterator[Hub]:
    """The hub with alice's and bob's servers running and an API token for each."""
    repositories = [
        {"name": "demo", "url": str(demo_dir), "description": "Demo scans"},
        {"name": "private", "url": str(private_dir), "description": "Group only", "groups": ["microscopy"]},
    ]
    started = start_hub(tmp_path_factory.mktemp("hub"), repositories, USERS)
    try:
        for user in USERS:
            started.create_token(user)
        started.spawn(*USERS)
        yield started
    finally:
        stop_hub(started)
