"""Small helpers for talking to the REST API through pytest-jupyter's ``jp_fetch``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def api_path(*parts: str) -> tuple[str, ...]:
    return ("remotem", "api", *parts)


async def get(jp_fetch: Any, *parts: str, **params: Any):
    return await jp_fetch(*api_path(*parts), params={k: str(v) for k, v in params.items()}, raise_error=False)


async def get_json(jp_fetch: Any, *parts: str, **params: Any) -> dict[str, Any]:
    response = await get(jp_fetch, *parts, **params)
    assert response.code == 200, response.body[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def get_error(jp_fetch: Any, status: int, *parts: str, **params: Any) -> dict[str, Any]:
    """Fetch, assert the status, and check the error body has code, message and hint."""
    response = await get(jp_fetch, *parts, **params)
    assert response.code == status, (response.code, response.body[:500])
    body = json.loads(response.body)
    error = body["error"]
    assert set(error) >= {"code", "message", "hint"}
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.body.decode()
    return error


def encoded(path: str) -> str:
    """A repository path as it appears in a URL: each segment percent-encoded."""
    return "/".join(quote(segment, safe="") for segment in path.split("/"))


def server_config(repositories: list[dict[str, Any]], **remotem: Any) -> dict[str, Any]:
    """``jp_server_config`` enabling the extension on ``repositories``; no detached worker is
    started unless a test asks for one (it would outlive the test)."""
    settings = {"repositories": repositories, "generate_demo_data": False, "start_worker": False,
                "warm_up_kernels": False}
    settings.update(remotem)
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_remotem": True}, "allow_root": True},
        "RemotemApp": settings,
    }


async def call(jp_fetch: Any, method: str, *parts: str, body: Any = None, **params: Any) -> tuple[int, Any]:
    """Any API call; returns (status, JSON body or text)."""
    response = await jp_fetch(
        *api_path(*parts),
        method=method,
        body=None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        params={k: str(v) for k, v in params.items()},
        raise_error=False,
        allow_nonstandard_methods=True,
    )
    text = response.body.decode() if response.body else ""
    return response.code, (json.loads(text) if text and response.headers.get("Content-Type", "").startswith("application/json") else text)


async def wait_until(probe: Any, what: str, timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Call the async ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert loop.time() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(interval)


def stop_started_worker(serverapp: Any) -> None:
    """End the detached job worker a test server started (``start_worker=True``); it outlives
    the server on purpose, so the test must end it."""
    import os
    import signal

    process = serverapp.web_app.settings["remotem"].supervisor.process
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


#: The phases a job ends in.
FINAL_PHASES = frozenset({"COMPLETED", "ERROR", "ABORTED"})


async def job_finished(jp_fetch: Any, job_id: str, timeout: float = 120) -> dict[str, Any]:
    """The job once it has ended (polled until it has)."""

    async def done() -> Any:
        job = (await call(jp_fetch, "GET", "jobs", job_id))[1]
        return job if job["phase"] in FINAL_PHASES else None

    return await wait_until(done, f"job {job_id} to finish", timeout=timeout)


class WithServerWorker:
    """Base of test classes whose server runs its own detached job worker (``start_worker``);
    the worker outlives the server on purpose, so each test ends it.  A subclass is collected
    when its name starts with ``Test``; it may depend on a ``repositories`` fixture."""

    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, start_worker=True)

    @pytest.fixture(autouse=True)
    def stop_worker(self, jp_serverapp):
        yield
        stop_started_worker(jp_serverapp)

    async def finished(self, jp_fetch: Any, job_id: str) -> dict[str, Any]:
        return await job_finished(jp_fetch, job_id)


@contextmanager
def npy_in(folder: Path, prefix: str, array: np.ndarray) -> Iterator[str]:
    """``array`` saved as a fresh ``.npy`` in ``folder`` (a repository's root) while the block runs;
    answers its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}.npy"
    np.save(folder / name, array)
    try:
        yield name
    finally:
        (folder / name).unlink()


def refusal(operation: str, params: dict[str, Any], shape: tuple[int, ...] = (2, 2, 16, 16)) -> str:
    """The message (lower case) with which ``operation`` refuses ``params`` on a scan of ``shape``."""
    from jupyter_remotem.compute.reductions import reduce_array
    from jupyter_remotem.errors import BadParameter

    try:
        reduce_array(np.ones(shape), operation, params, nav_ndim=len(shape) - 2)
    except BadParameter as refused:
        return refused.message.lower()
    raise AssertionError(f"{operation} accepted {params}")
