"""How long a notebook's VirtualDetectorWidget takes from a drag event to the new picture.

Starts a real Jupyter server on the demo scans, connects the notebook client to it, and feeds a
VirtualDetectorWidget the drag events bqplot sends while a ring is dragged across the frame
(through the widget's comm entry point, as in a notebook), timing each until the widget is idle
with the new image; then the release, which asks for the exact image.  The baseline is the same
ring image computed by numpy on the array already in this process's memory.  Usage:
``python benchmarks/widget_latency.py [DATA_DIR] [--steps N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import h5py
import numpy as np
from _server import jupyter_server

import jupyter_remotem as remotem
from jupyter_remotem.demo import generate
from jupyter_remotem.kernels import from_spec
from jupyter_remotem.widgets import VirtualDetectorWidget, geometry


def send(mark, content: dict) -> None:
    """A bqplot event as the browser delivers it to the kernel."""
    mark._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", nargs="?", default=".benchmark-data/demo-large")
    parser.add_argument("--steps", type=int, default=15)
    args = parser.parse_args()
    directory = Path(args.directory).resolve()
    generate(directory, size="large")
    with jupyter_server(directory) as (base, token):
        client = remotem.connect(base, token)
        client.thresholds.round_trips_before_advice = 10**9  # a benchmark, not a user to advise
        print(f"{'file':22s} {'drag median ms':>15s} {'max ms':>8s} {'release ms':>11s} {'numpy ms':>9s}")
        for name in ("scan.h5", "large/scan_large.h5"):
            with h5py.File(directory / name) as f:
                data = f["/entry/data/frames"][...]
            sy, sx = data.shape[2:]
            ring = {"shape": "ring", "cx": sx / 2, "cy": sy / 2, "ri": sx / 5, "ro": sx / 2.5}
            widget = VirtualDetectorWidget(client.open("bench", name), [ring])
            widget.wait_idle(120)
            centre = next(i for i, h in enumerate(geometry.handles(widget.detectors)) if h.role == "centre")
            times = []
            for step in range(1, args.steps + 1):
                started = time.perf_counter()
                send(widget._handles, {"event": "drag", "index": centre, "origin": {"x": sx / 2, "y": sy / 2},
                                       "point": {"x": sx / 2 + step * 0.5, "y": sy / 2}})
                widget.wait_idle(120)
                times.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            send(widget._handles, {"event": "drag_end", "index": centre,
                                   "point": {"x": sx / 2 + args.steps * 0.5, "y": sy / 2}})
            widget.wait_idle(120)
            release = (time.perf_counter() - started) * 1e3
            assert widget.error is None, widget.error
            mask = from_spec(widget.detectors[0], (sy, sx)).astype(np.float32)
            numpy_ms = min(_timed(lambda: np.tensordot(data, mask, axes=2)) for _ in range(3))
            print(f"{name:22s} {statistics.median(times):15.1f} {max(times):8.1f} {release:11.1f} {numpy_ms:9.1f}")
            widget.close()
        client.close()


if __name__ == "__main__":
    main()
