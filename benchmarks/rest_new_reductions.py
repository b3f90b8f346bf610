"""The newer reductions end to end: ``POST reductions`` on a real server against the same request
in-process, and LiberTEM's own UDF on the same file in the same run.

    python benchmarks/rest_new_reductions.py [--gib 0.5] [--repeats 3] [--libertem-python PATH]

On an NPY scan of 128 x 128 float32 frames (written once under ``--dir``), each operation
(``fem``, ``crystallinity``, ``blobs``) is run over HTTP with one keep-alive connection (the
answer an ``.npy`` of the primary array), in-process through ``run_reduction``, and by LiberTEM
(its inline and threads executors, the stack loaded into memory as a notebook user would), each
after an untimed re-read of the file; the best of ``--repeats`` rounds is printed in GB/s of
input, with HTTP's share of the in-process speed.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import ensure, warm  # noqa: E402
from _libertem_run import add_argument, interpreter, seconds  # noqa: E402
from _server import jupyter_server  # noqa: E402
from rest_reductions import RestClient  # noqa: E402

from jupyter_remotem.compute.reductions import ReductionRequest, run_reduction  # noqa: E402
from jupyter_remotem.formats.dataset_cache import DatasetCache  # noqa: E402
from jupyter_remotem.storage.repository import Repository, RepositoryConfig  # noqa: E402

CASES = {
    "fem": {"ri": 20, "ro": 45},
    "crystallinity": {"r_in": 10, "r_out": 40, "beam_r": 12},
    "blobs": {"radius": 4.0, "n_peaks": 16},
}
#: What LiberTEM's blobfinder is given to refine (it finds peaks once, not per frame).
LATTICE = list(range(14, 120, 20))


def best(path: Path, run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        warm(path)
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(".benchmark-data/rest-new"))
    add_argument(parser)
    args = parser.parse_args()
    libertem = interpreter(args.libertem_python)
    path = ensure(args.dir, "float32", args.gib)["npy"]
    nbytes = path.stat().st_size
    repo = Repository(RepositoryConfig.from_dict({"name": "bench", "url": str(args.dir)}))
    data = np.load(path, mmap_mode="r")
    print(f"{path.name}: {nbytes / 1e9:.2f} GB, best of {args.repeats}; GB/s of input")
    with jupyter_server(args.dir) as (api, token):
        client = RestClient(api, token)
        for operation, params in CASES.items():
            body = {"repository": "bench", "path": path.name, "operation": operation, "params": params}
            client.reduce(body)  # compile and open outside the timing
            http = best(path, lambda: client.reduce(body), args.repeats)
            request = ReductionRequest.from_json(body)
            cache = DatasetCache(4)  # the server's warm cache of opened datasets, in-process too
            run_reduction(repo, request, None, math.inf, datasets=cache)
            local = best(path, lambda: run_reduction(repo, request, None, math.inf, datasets=cache), args.repeats)
            theirs = seconds(libertem, operation, np.asarray(data), dict(params, lattice=LATTICE), args.repeats)
            line = (f"{operation:14s} HTTP {nbytes / http / 1e9:6.3f}  in-process {nbytes / local / 1e9:6.3f}  "
                    f"HTTP / in-process {local / http:5.0%}")
            if theirs is not None:
                line += f"  LiberTEM {nbytes / theirs / 1e9:6.3f}  HTTP / LiberTEM {theirs / http:4.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
