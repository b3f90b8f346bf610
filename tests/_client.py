"""Shared by the notebook-client tests: a client pointed at the pytest-jupyter server.

The client is synchronous (``requests``) while pytest-jupyter serves from the test's own event
loop, so a test runs its client code in a worker thread with :func:`in_thread` while the loop
keeps answering.  The client finds the server the way a kernel does: from the variables that
:func:`kernel_environment` computes for the running server.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from _api import stop_started_worker

from jupyter_remotem.client import Client
from jupyter_remotem.client.discovery import find_server, kernel_environment

T = TypeVar("T")


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking client code off the event loop that serves its requests."""
    return await asyncio.to_thread(functools.partial(function, *args, **kwargs))


@pytest.fixture
def kernel_env(jp_serverapp: Any, http_server: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment a kernel of this server gets, set in this process."""
    environment = kernel_environment(jp_serverapp)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


@pytest.fixture
def client(kernel_env: dict[str, str]) -> Client:
    """A client found from the kernel environment (no request made yet: the loop is not running)."""
    made = Client(find_server())
    # On this fast local link every dataset soon earns the advice to work locally; tests that are
    # about the advice lower this again.
    made.thresholds.round_trips_before_advice = 1_000_000
    yield made
    made.close()


@pytest.fixture(scope="module")
def scan(demo_dir: Path) -> np.ndarray:
    """The demo scan as the file holds it (uint16, 32×48 scan of 64×64 frames)."""
    return np.load(demo_dir / "scan.npy")


@pytest.fixture
def stop_server_worker(jp_serverapp: Any):
    """Ends, after the test, the detached job worker the server started (it outlives servers on purpose)."""
    yield
    stop_started_worker(jp_serverapp)
