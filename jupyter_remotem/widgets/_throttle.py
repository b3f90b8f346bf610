"""Run widget work in one background thread, newest request first, dropping what is outdated.

A drag sends the kernel dozens of positions a second; each asks for a reduction that takes a
round trip to the server.  Computing every one would queue work the user has already moved past
and leave the picture lagging further behind the pointer the longer the drag lasts.  So requests
go into one slot per *kind* (``"image"``, ``"frame"``, …): a new request replaces the one still
waiting in its slot, and the single worker thread always takes whatever is newest when it
becomes free.  A request still waiting for its answer when a newer one of its kind arrives is
interrupted (:class:`~jupyter_remotem.client.Interruptible`): its connection is closed, the
server stops that reduction, and the newer one starts at once instead of after it.  The picture
therefore follows the pointer as fast as the server answers, and the last position of a gesture
is always computed.

Running in a thread (not in the kernel's main thread) keeps the kernel free to receive the next
drag events while a request is under way; that is what lets intermediate positions be dropped
instead of queued.  :meth:`LatestWork.wait_idle` lets scripts and tests wait for the outcome of
everything requested so far without guessing a delay.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from ..client.errors import Interrupted
from ..client.interrupt import Interruptible

Task = Callable[[], None]


class LatestWork:
    """One daemon thread running the newest task of each kind; see the module docstring."""

    def __init__(self, on_error: Callable[[str, BaseException], None], name: str = "remotem-widget") -> None:
        self._on_error = on_error
        self._name = name
        self._pending: OrderedDict[str, Task] = OrderedDict()
        self._running: str | None = None
        self._running_handle: Interruptible | None = None
        self._closed = False
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        #: Tasks replaced before they ran, per kind (tells how much a drag was thinned out).
        self.dropped: dict[str, int] = {}
        #: Tasks run to their end (successfully or not), per kind.
        self.completed: dict[str, int] = {}
        #: Running tasks whose request was interrupted by a newer task of their kind.
        self.interrupted: dict[str, int] = {}

    def submit(self, kind: str, task: Task) -> None:
        """Run ``task`` soon; a ``kind`` task still waiting is replaced by this one."""
        with self._condition:
            if self._closed:
                raise RuntimeError("This widget was closed; create a new one.")
            if kind in self._pending:
                self.dropped[kind] = self.dropped.get(kind, 0) + 1
                del self._pending[kind]
            self._pending[kind] = task
            if self._running == kind and self._running_handle is not None:
                self._running_handle.interrupt()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._condition.notify_all()

    @property
    def busy(self) -> bool:
        with self._condition:
            return self._running is not None or bool(self._pending)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every task submitted so far has run; False if ``timeout`` seconds passed first."""
        with self._condition:
            return self._condition.wait_for(lambda: self._running is None and not self._pending, timeout)

    def close(self) -> None:
        """Drop waiting tasks and let the thread end after the task it is running."""
        with self._condition:
            self._closed = True
            self._pending.clear()
            if self._running_handle is not None:
                self._running_handle.interrupt()
            self._condition.notify_all()

    def _loop(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._pending or self._closed)
                if self._closed:
                    self._condition.notify_all()
                    return
                kind, task = self._pending.popitem(last=False)
                self._running = kind
                self._running_handle = handle = Interruptible()
            try:
                with handle:
                    task()
            except Interrupted:
                with self._condition:
                    self.interrupted[kind] = self.interrupted.get(kind, 0) + 1
            except Exception as error:  # noqa: BLE001 - reported to the widget, never lost in a thread
                with contextlib.suppress(Exception):  # a failing report must not end the worker thread
                    self._on_error(kind, error)
            finally:
                with self._condition:
                    self._running = None
                    self._running_handle = None
                    self.completed[kind] = self.completed.get(kind, 0) + 1
                    self._condition.notify_all()


class BackgroundWork:
    """Mixin for widgets whose requests run on a :class:`LatestWork` thread (``self._work``):
    waiting for it, and ending it with the widget."""

    _work: LatestWork

    def wait_idle(self, timeout: float | None = 30.0) -> bool:
        """Wait until everything asked for so far is shown; False if ``timeout`` seconds passed first."""
        return self._work.wait_idle(timeout)

    def close(self) -> None:
        work = getattr(self, "_work", None)  # absent when the constructor refused its arguments
        if work is not None:
            work.close()
        super().close()  # type: ignore[misc]
