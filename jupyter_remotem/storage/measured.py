"""How fast an operation really runs on a repository: the figures behind quotes, the interactive
limit and the remote-or-local advice.

The speed probe reads 8 MiB once in a while; what users wait for is a pass of a reduction over
the whole scan, which on a warm local disk runs at memory speed, and a copy, which reads, writes
and verifies.  So every figure comes from what was measured for that operation on that
repository, best source first:

1. ``measured`` — interactive passes this server timed recently (kept in memory, per operation
   and repository; only exact passes of at least :data:`MIN_BYTES`, whose time is not mostly
   fixed costs);
2. ``history`` — the job store's throughput records: every finished job, and the interactive
   passes, saved there as one summed record per operation and repository at most every
   :data:`SAVE_EVERY_S` seconds (so a viewer's drags do not write to the database per request);
3. ``probe`` — the repository's speed probe;
4. ``default`` — a conservative constant, before anything was measured.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..jobs.store import JobStore
    from .repository import Repository
    from .speed import SpeedProbe

#: Passes and jobs that read less than this are left out: their time is mostly fixed costs.
MIN_BYTES = 8 * 1024**2
#: Interactive passes go to the job store, summed, at most this often per operation and repository.
SAVE_EVERY_S = 30.0
#: Recent passes kept per operation and repository.
KEEP_PASSES = 20
#: Read speed assumed before anything was measured (bytes/s); a copy reads, writes and verifies.
DEFAULT_READ_BYTES_S = 1e9
DEFAULT_COPY_BYTES_S = 1e8


@dataclass(frozen=True)
class Speed:
    """A throughput and where it comes from."""

    bytes_s: float | None
    #: "measured", "history", "probe" or "default" (quotes: also "function", a map timed itself, and
    #: "worker limit", the workers' --max-read-rate)
    basis: str

    def seconds(self, nbytes: int) -> float | None:
        return nbytes / self.bytes_s if self.bytes_s else None

    def to_json(self, nbytes: int | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = {"throughput_bytes_s": self.bytes_s, "basis": self.basis}
        if nbytes is not None:
            answer["seconds"] = self.seconds(nbytes)
        return answer


class PassHistory:
    """The recent interactive passes of this server, and their sums not yet saved to the store."""

    def __init__(self, keep: int = KEEP_PASSES) -> None:
        self._keep = keep
        self._passes: dict[tuple[str, str], deque[tuple[int, float]]] = {}
        self._unsaved: dict[tuple[str, str], list[float]] = {}  # [bytes, seconds, first pass time]
        self._lock = threading.Lock()

    def record(self, operation: str, repository: str, nbytes: int, seconds: float) -> None:
        if nbytes < MIN_BYTES or seconds <= 0:
            return
        key = (operation, repository)
        with self._lock:
            self._passes.setdefault(key, deque(maxlen=self._keep)).append((nbytes, seconds))
            unsaved = self._unsaved.setdefault(key, [0, 0.0, time.monotonic()])
            unsaved[0] += nbytes
            unsaved[1] += seconds

    def throughput(self, operation: str, repository: str) -> float | None:
        """The median speed of the recent passes: one pass that compiled a kernel or faulted in
        a fresh memory map does not make every later one look slow."""
        with self._lock:
            passes = list(self._passes.get((operation, repository), ()))
        return float(statistics.median(b / s for b, s in passes)) if passes else None

    def due(self, every_s: float = SAVE_EVERY_S) -> list[tuple[str, str, int, float]]:
        """The sums to save now (their first pass is ``every_s`` old), taken out of the unsaved set."""
        now = time.monotonic()
        with self._lock:
            keys = [key for key, (_, _, first) in self._unsaved.items() if now - first >= every_s]
            return [(*key, int(self._unsaved[key][0]), self._unsaved.pop(key)[1]) for key in keys]


#: Seconds since its last announcement within which a worker counts as alive for quotes.
WORKER_ALIVE_S = 30.0


class MeasuredSpeeds:
    """One answer to "how fast is this operation here", for every front door (see module docstring)."""

    def __init__(self, store: JobStore, probe: SpeedProbe, passes: PassHistory | None = None,
                 started_cap: float | None = None) -> None:
        self.store = store
        self.probe = probe
        self.passes = passes or PassHistory()
        #: The read limit of the workers this server starts (see :meth:`for_jobs`).
        self.started_cap = started_cap

    def _probed(self, repository: Repository) -> float | None:
        measured = self.probe.current(repository).throughput_mb_s
        return measured * 1e6 if measured else None

    def operation(self, operation: str, repository: Repository) -> Speed:
        """How fast ``operation`` reads data on ``repository``."""
        recent = self.passes.throughput(operation, repository.name)
        if recent:
            return Speed(recent, "measured")
        history = self.store.throughput(operation, repository.name, min_bytes=MIN_BYTES)
        if history:
            return Speed(history, "history")
        probed = self._probed(repository)
        if probed:
            # An 8 MiB read of a local disk says little about passes over pages in memory.
            return Speed(max(probed, DEFAULT_READ_BYTES_S) if repository.is_local else probed, "probe")
        return Speed(DEFAULT_READ_BYTES_S, "default")

    def for_jobs(self, speed: Speed, alive_s: float = WORKER_ALIVE_S, started_cap: float | None = None) -> Speed:
        """A job's pace: ``speed``, or the workers' ``--max-read-rate`` when every worker alive
        reads under one slower than that (basis "worker limit"); with none alive, the limit of
        the worker this server would start (``started_cap``)."""
        cap = self.store.workers_read_cap(alive_s)
        started_cap = self.started_cap if started_cap is None else started_cap
        if cap is None and started_cap is not None and not self.store.workers_alive(alive_s):
            cap = started_cap
        if cap is None or (speed.bytes_s is not None and speed.bytes_s <= cap):
            return speed
        return Speed(cap, "worker limit")

    def copy(self, source: Repository, target: Repository) -> Speed:
        """How fast a copy from ``source`` into ``target`` goes (copies are recorded by target)."""
        history = self.store.throughput("copy", target.name, min_bytes=MIN_BYTES)
        if history:
            return Speed(history, "history")
        probes = [speed for speed in (self._probed(source), self._probed(target)) if speed]
        if probes:
            return Speed(min(probes), "probe")
        return Speed(DEFAULT_COPY_BYTES_S, "default")

    def record_pass(self, operation: str, repository: Repository, nbytes: int, seconds: float) -> None:
        """Remember an exact interactive pass; save the sums that are due.  Runs in a worker
        thread of the request (it may write to the database)."""
        self.passes.record(operation, repository.name, nbytes, seconds)
        for name, repo, total, spent in self.passes.due():
            self.store.record_throughput(name, repo, total, spent, None)
