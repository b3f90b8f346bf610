"""``map`` (a user's function of each frame) through the server's reduction path, against the same
function in a plain Python loop, numpy doing the same work vectorised, and LiberTEM's
``ctx.map`` (``AutoUDF``) in the same run.

    python benchmarks/user_functions.py [--mib 256] [--repeat 3] [--libertem-python PATH]

The functions are what a notebook user writes (``benchmarks/_libertem_udfs.py`` holds them, so
both sides run the same code): the brightest pixel, the sum of a central square, and a coarse
line profile (an array per frame).  The stack is float32 128 × 128 frames in memory.  Prints
frames per second (best of ``--repeat``): ours (pickled by value and loaded like a notebook's
function, tried on the first frame, then partition by partition), the loop, the vectorised
numpy expression (the bound for a function that numpy can vectorise), and LiberTEM; with ours
against the loop (the overhead of running next to the data) and against LiberTEM.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import cloudpickle
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _libertem_run import arguments, column, random_stack, seconds  # noqa: E402
from _libertem_udfs import FUNCTIONS  # noqa: E402
from _timing import best  # noqa: E402

from jupyter_remotem.compute.reductions import reduce_array  # noqa: E402
from jupyter_remotem.compute.user_functions import environment  # noqa: E402

VECTORISED = {
    "max": lambda data: data.max(axis=(-2, -1)),
    "centre_sum": lambda data: data[..., 56:72, 56:72].sum(axis=(-2, -1)),
    "profile": lambda data: data.sum(axis=-2)[..., ::8],
}


def main() -> None:
    args, libertem = arguments(__doc__, "mib", 256)
    data = random_stack(np.random.default_rng(0), args.mib, (128, 128), np.float32)
    frames = data.reshape((-1,) + data.shape[-2:])
    n = len(frames)
    print(f"{data.nbytes / 2**20:.0f} MiB, {n} frames of 128 x 128 float32, best of {args.repeat}; frames/s")
    for name, function in FUNCTIONS.items():
        cloudpickle.register_pickle_by_value(sys.modules["_libertem_udfs"])
        params = {"function": base64.b64encode(cloudpickle.dumps(function)).decode(), "environment": environment()}
        ours = best(lambda: reduce_array(data, "map", params, nav_ndim=2), args.repeat)
        loop = best(lambda: np.array([function(frame) for frame in frames]), args.repeat)
        vectorised = best(lambda: VECTORISED[name](data), args.repeat)
        mapped = reduce_array(data, "map", params, nav_ndim=2).arrays["result"]
        assert np.allclose(mapped, VECTORISED[name](data), rtol=1e-5), name
        theirs = seconds(libertem, "map", data, {"function": name}, args.repeat)
        print(f"{name:>10}: ours {n / ours:9.0f}  Python loop {n / loop:9.0f}  numpy vectorised "
              f"{n / vectorised:10.0f}  ours / loop {loop / ours:4.2f}x{column(theirs, ours, n, 0)}")


if __name__ == "__main__":
    main()
