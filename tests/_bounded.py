"""Helpers for tests of hostile and absurd requests: empty datasets, memory and time of a request."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Zero-size arrays every endpoint must answer clearly: no frames, frames without pixels, nothing.
EMPTY_SHAPES = {
    "no_frames.npy": (0, 5, 8, 8),
    "no_columns.npy": (3, 0, 8, 8),
    "no_pixels.npy": (3, 3, 0, 8),
    "nothing.npy": (0, 0, 0, 0),
    "no_frames_line.npy": (0, 8, 8),
}


def write_empty_datasets(directory: Path) -> Path:
    """Zero-size arrays as NPY files and as HDF5 datasets (``empty.h5``, one per shape)."""
    import h5py

    directory.mkdir(parents=True, exist_ok=True)
    with h5py.File(directory / "empty.h5", "w") as f:
        for name, shape in EMPTY_SHAPES.items():
            np.save(directory / name, np.zeros(shape, np.uint16))
            f.create_dataset(name.removesuffix(".npy"), shape=shape, dtype="<u2")
    return directory


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class PeakMemory:
    """Growth of this process's resident memory while the block runs, sampled every 2 ms in a
    thread: pytest-jupyter runs the server in the test process, so this is the server's memory."""

    def __enter__(self) -> PeakMemory:
        self.baseline = self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.started = time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *exc: Any) -> None:
        self.elapsed = time.perf_counter() - self.started
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.baseline
