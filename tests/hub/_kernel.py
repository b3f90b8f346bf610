"""Run code in a kernel of a remote Jupyter server, the way JupyterLab does: the kernels REST API to
start it and the kernel websocket (JSON messages of the Jupyter protocol) to execute."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import websocket
from _hub import Hub


@dataclass
class Execution:
    """What one ``execute_request`` produced."""

    status: str = ""
    stdout: str = ""
    stderr: str = ""
    error: list[str] = field(default_factory=list)


@contextmanager
def remote_kernel(hub: Hub, user: str, deadline_s: float = 60.0) -> Iterator[websocket.WebSocket]:
    """A new python3 kernel in ``user``'s server and a websocket on its channels; the kernel is shut
    down at the end."""
    token = hub.tokens[user]
    started = hub.request("POST", f"user/{user}/api/kernels", token, data=json.dumps({"name": "python3"}))
    assert started.status_code == 201, started.text
    kernel_id = started.json()["id"]
    url = hub.url.replace("http://", "ws://", 1) + f"user/{user}/api/kernels/{kernel_id}/channels"
    try:
        socket = websocket.create_connection(f"{url}?session_id={uuid.uuid4().hex}", timeout=deadline_s,
                                             header=[f"Authorization: token {token}"])
        try:
            yield socket
        finally:
            socket.close()
    finally:
        hub.request("DELETE", f"user/{user}/api/kernels/{kernel_id}", token)


def execute(socket: websocket.WebSocket, code: str, deadline_s: float = 60.0) -> Execution:
    """Execute ``code`` and gather its output until the kernel is idle again and has replied."""
    msg_id = uuid.uuid4().hex
    socket.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "tests",
                   "session": uuid.uuid4().hex, "date": datetime.now(timezone.utc).isoformat(), "version": "5.3"},
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    result, replied, idle = Execution(), False, False
    deadline = time.monotonic() + deadline_s
    while not (replied and idle):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no reply within {deadline_s} s; so far: {result}"
        socket.settimeout(remaining)
        message: dict[str, Any] = json.loads(socket.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "stream":
            setattr(result, content["name"], getattr(result, content["name"]) + content["text"])
        elif kind == "error":
            result.error = content["traceback"]
        elif kind == "execute_reply":
            result.status, replied = content["status"], True
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
    return result
