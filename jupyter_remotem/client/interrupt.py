"""Ending, from another thread, a request that a thread is still waiting on.

A widget's drag supersedes the reduction its background thread is waiting for.  ``requests`` has
no way to cancel a call in flight, but closing the call's socket ends the wait at once; the
server sees the connection close and stops that reduction too (``handlers/reductions.py``), so
the server's cores go to the newest request.  To find the socket, the connection pools of a
:class:`~.connection.Connection` tell the :class:`Interruptible` active on the calling thread
which HTTP connection each of its requests took.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_active = threading.local()


class Interruptible:
    """``with Interruptible() as handle:`` makes the requests of this thread interruptible by
    ``handle.interrupt()`` from any thread; an interrupted request raises
    :class:`~.errors.Interrupted`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: set[Any] = set()
        self._previous: Interruptible | None = None
        self.interrupted = False

    def __enter__(self) -> Interruptible:
        self._previous = current()
        _active.handle = self
        return self

    def __exit__(self, *exc: object) -> None:
        _active.handle = self._previous

    def interrupt(self) -> None:
        """End the request under way (if any) and every later one made inside the block."""
        with self._lock:
            self.interrupted = True
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)

    def _taken(self, connection: Any) -> None:
        with self._lock:
            self._connections.add(connection)

    def _returned(self, connection: Any) -> None:
        with self._lock:
            self._connections.discard(connection)


def current() -> Interruptible | None:
    """The :class:`Interruptible` active on this thread, if any."""
    return getattr(_active, "handle", None)


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading the answer
        except OSError:
            pass  # already closed


class _Tracking:
    """Pool mixin: the connection a request takes is reported to the thread's Interruptible."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        handle = current()
        if handle is not None:
            handle._taken(connection)
        return connection

    def _put_conn(self, connection: Any) -> None:
        handle = current()
        if handle is not None and connection is not None:
            handle._returned(connection)
        super()._put_conn(connection)  # type: ignore[misc]


class _TrackingHTTPPool(_Tracking, HTTPConnectionPool):
    pass


class _TrackingHTTPSPool(_Tracking, HTTPSConnectionPool):
    pass


#: Most bytes one read of a request body's file hands to the socket (urllib3's default, 16 KiB,
#: costs a trip through Python per 16 KiB of an upload; 1 MiB still stays in the CPU's cache).
BODY_BLOCK_BYTES = 1024**2


class InterruptibleAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose (direct, unproxied) connections :class:`Interruptible` can end,
    and which sends file bodies in blocks of :data:`BODY_BLOCK_BYTES`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blocksize", BODY_BLOCK_BYTES)
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _TrackingHTTPPool, "https": _TrackingHTTPSPool}
