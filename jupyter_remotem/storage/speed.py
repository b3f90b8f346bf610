"""How fast is a repository?  A small measured probe behind the sidebar's traffic light.

The probe times a listing of the root (latency) and a bounded read of one file (throughput) in a
background thread.  Results are cached for ``interval`` seconds; asking for a class never waits
for a measurement, it answers ``unknown`` and starts one, so a slow cloud never slows the listing.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .ranged import read_range
from .repository import Repository

#: Bytes read to estimate throughput: enough to get past per-request latency, small enough to be cheap.
PROBE_BYTES = 8 * 1024**2


@dataclass(frozen=True)
class SpeedThresholds:
    green_latency_ms: float = 20.0
    green_throughput_mb_s: float = 200.0
    yellow_latency_ms: float = 200.0
    yellow_throughput_mb_s: float = 20.0

    @classmethod
    def from_config(cls, green: dict[str, float], yellow: dict[str, float]) -> SpeedThresholds:
        return cls(
            green_latency_ms=float(green.get("latency_ms", cls.green_latency_ms)),
            green_throughput_mb_s=float(green.get("throughput_mb_s", cls.green_throughput_mb_s)),
            yellow_latency_ms=float(yellow.get("latency_ms", cls.yellow_latency_ms)),
            yellow_throughput_mb_s=float(yellow.get("throughput_mb_s", cls.yellow_throughput_mb_s)),
        )

    def classify(self, latency_ms: float, throughput_mb_s: float | None) -> str:
        """Green, yellow or red; with no file to read, latency alone decides."""

        def fast_enough(limit: float) -> bool:
            return throughput_mb_s is None or throughput_mb_s >= limit

        if latency_ms <= self.green_latency_ms and fast_enough(self.green_throughput_mb_s):
            return "green"
        if latency_ms <= self.yellow_latency_ms and fast_enough(self.yellow_throughput_mb_s):
            return "yellow"
        return "red"


@dataclass(frozen=True)
class SpeedMeasurement:
    speed_class: str
    latency_ms: float | None
    throughput_mb_s: float | None
    measured_at: float | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.speed_class,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2),
            "throughput_mb_s": None if self.throughput_mb_s is None else round(self.throughput_mb_s, 1),
            "measured_at": (
                datetime.fromtimestamp(self.measured_at, tz=timezone.utc).isoformat() if self.measured_at else None
            ),
            "error": self.error,
        }


UNKNOWN = SpeedMeasurement("unknown", None, None, None)


def measure(repository: Repository, thresholds: SpeedThresholds) -> SpeedMeasurement:
    """Time a root listing (best of three) and a bounded read of the largest top-level file."""
    fs, root = repository.fs, repository.root
    latencies = []
    listing: list[dict[str, Any]] = []
    for _ in range(3):
        start = time.perf_counter()
        listing = fs.ls(root, detail=True, **repository.fresh)
        latencies.append((time.perf_counter() - start) * 1000.0)
    latency_ms = min(latencies)
    files = [info for info in listing if info.get("type") == "file" and (info.get("size") or 0) > 0]
    throughput = None
    if files:
        biggest = max(files, key=lambda info: info.get("size") or 0)
        length = min(int(biggest["size"]), PROBE_BYTES)
        start = time.perf_counter()
        data = read_range(fs, biggest["name"], 0, length)  # sshfs's cat_file would read it all
        elapsed = max(time.perf_counter() - start, 1e-6)
        throughput = len(data) / elapsed / 1e6
    return SpeedMeasurement(thresholds.classify(latency_ms, throughput), latency_ms, throughput, time.time())


class SpeedProbe:
    """Caches one measurement per repository and refreshes stale ones in the background."""

    def __init__(
        self,
        interval: float,
        thresholds: SpeedThresholds,
        executor: Executor,
        log: logging.Logger | None = None,
    ) -> None:
        self.interval = interval
        self.thresholds = thresholds
        self.executor = executor
        self.log = log or logging.getLogger(__name__)
        self._results: dict[str, SpeedMeasurement] = {}
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def current(self, repository: Repository) -> SpeedMeasurement:
        """The cached measurement (or ``unknown``); starts a new probe when it is missing or stale."""
        with self._lock:
            result = self._results.get(repository.name, UNKNOWN)
            stale = result.measured_at is None or time.time() - result.measured_at > self.interval
            start = stale and repository.name not in self._running
            if start:
                self._running.add(repository.name)
        if start:
            try:
                self.executor.submit(self._probe, repository)
            except RuntimeError:  # executor shut down while the server stops
                with self._lock:
                    self._running.discard(repository.name)
        return result

    def _probe(self, repository: Repository) -> None:
        try:
            result = measure(repository, self.thresholds)
        except Exception as error:  # an unreachable store is red, with the reason for the tooltip
            self.log.warning("jupyter_remotem: speed probe of %s failed: %s", repository.name, type(error).__name__)
            result = SpeedMeasurement("red", None, None, time.time(), error=f"unreachable ({type(error).__name__})")
        with self._lock:
            self._results[repository.name] = result
            self._running.discard(repository.name)
