"""Round trips a viewer or a widget waits for: is a dragged detector answered within ~150 ms?

Starts a real Jupyter server on the demo scans (small and large), then times ``POST reductions``
over HTTP as the viewer sends them while a ring is dragged: the coarse pass (``"coarse": true``),
the exact pass, a picked frame, and a scan-ROI mean frame.  Each is compared with the same work
done by plain numpy in this process on the whole array already in memory (the best a user with
the data loaded in their own kernel could do), measured in the same run.  Usage:
``python benchmarks/interactive_latency.py [DATA_DIR] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import h5py
import numpy as np
from _server import call, jupyter_server

from jupyter_remotem.demo import generate
from jupyter_remotem.kernels import from_spec

FILES = ("scan.h5", "large/scan_large.h5")


def timed(function, repeat: int) -> tuple[float, float]:
    """Median and best wall time (ms) over ``repeat`` runs after one warm-up."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", nargs="?", default=".benchmark-data/demo-large")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    directory = Path(args.directory).resolve()
    generate(directory, size="large")
    with jupyter_server(directory) as (base, token):
        url = base + "remotem/api/"
        print(f"{'file':22s} {'request':14s} {'median ms':>10s} {'best ms':>8s} {'numpy ms':>9s} {'ratio':>6s}")
        for name in FILES:
            internal = "/entry/data/frames"
            with h5py.File(directory / name) as f:
                data = f[internal][...]
            shape = data.shape
            sy, sx = shape[2:]
            ring = {"shape": "ring", "cx": sx / 2, "cy": sy / 2, "ri": sx / 5, "ro": sx / 2.5}
            mask = from_spec(ring, (sy, sx)).astype(np.float32)
            body = {"repository": "bench", "path": name, "dataset": internal, "operation": "virtual_detector",
                    "params": {"detectors": [ring]}}
            roi = {"shape": "rectangle", "x": 0, "y": 0, "width": shape[1] // 4, "height": shape[0] // 4}
            step = json.loads(call(url, token, "reductions", dict(body, coarse=True)))["stats"]["step"]
            cases = {
                f"ring coarse/{step}": (dict(body, coarse=True),
                                        lambda s=step: np.tensordot(data[::s, ::s], mask, axes=2)),
                "ring exact": (body, lambda: np.tensordot(data, mask, axes=2)),
                "pick frame": (dict(body, operation="pick", params={"y": 3, "x": 5}),
                               lambda: np.array(data[3, 5])),
                "roi mean": (dict(body, operation="frame_stats", params={}, roi=roi),
                             lambda: data[: shape[0] // 4 + 1, : shape[1] // 4 + 1].mean(axis=(0, 1))),
            }
            for label, (request, reference) in cases.items():
                median, best = timed(lambda r=request: call(url, token, "reductions?format=npy", r), args.repeat)
                numpy_ms, _ = timed(reference, max(1, args.repeat // 2))
                print(f"{name:22s} {label:14s} {median:10.1f} {best:8.1f} {numpy_ms:9.1f} "
                      f"{numpy_ms / median:6.2f}")


if __name__ == "__main__":
    main()
