"""``fem`` on an in-memory 4D-STEM stack, against plain numpy in the same run.

    python benchmarks/fem.py [--mib 256] [--repeat 3]

Prints GB/s of input (best of ``--repeat``) for float32 and uint16 256 × 256 frames through the
server's reduction path (``reduce_array``), beside numpy doing the same in the obvious way:
``frames[:, ring]`` gathered, then ``.std(axis=1)`` and ``.mean(axis=1)`` in double precision.
The memory-read bound of the machine (``np.sum`` of the stack's bytes as int64, one pass) is
printed beside them, and LiberTEM's ``FEMUDF`` (the anchor) with ``--libertem-python``.
"""

from __future__ import annotations

import numpy as np
from _libertem_run import arguments, column, random_stack, seconds
from _timing import best

from jupyter_remotem.compute.reductions import reduce_array

SIG = (256, 256)
PARAMS = {"ri": 40, "ro": 90}


def numpy_way(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    height, width = SIG
    y, x = np.indices(SIG)
    d = np.hypot(x - (width - 1) / 2, y - (height - 1) / 2)
    ring = (d > PARAMS["ri"]) & (d <= PARAMS["ro"])
    picked = frames.reshape(-1, height * width)[:, ring.ravel()].astype(np.float64)
    return picked.std(axis=1), picked.mean(axis=1)


def main() -> None:
    args, libertem = arguments(__doc__, "mib", 256)
    rng = np.random.default_rng(0)
    print(f"{args.mib} MiB of {SIG[0]} x {SIG[1]} frames, ring {PARAMS['ri']} < d <= {PARAMS['ro']} px, "
          f"best of {args.repeat}; GB/s of input")
    for dtype in (np.float32, np.uint16):
        data = random_stack(rng, args.mib, SIG, dtype)
        ours = best(lambda: reduce_array(data, "fem", PARAMS, nav_ndim=2), args.repeat)
        plain = best(lambda: numpy_way(data), args.repeat)
        bound = best(lambda: data.reshape(-1).view(np.int64).sum(), args.repeat)
        theirs = seconds(libertem, "fem", data, PARAMS, args.repeat)
        gb = data.nbytes / 1e9
        line = (f"{np.dtype(dtype).name}: ours {gb / ours:6.2f}  numpy {gb / plain:6.2f}  memory read {gb / bound:6.2f}  "
                f"ours / numpy {plain / ours:5.1f}x")
        print(line + column(theirs, ours, gb, 2))


if __name__ == "__main__":
    main()
