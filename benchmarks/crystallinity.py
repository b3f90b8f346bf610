"""``crystallinity`` on an in-memory 4D-STEM stack, against plain numpy in the same run.

    python benchmarks/crystallinity.py [--mib 256] [--repeat 3]

Prints GB/s of input (best of ``--repeat``) for float32 and uint16 128 × 128 frames through the
server's reduction path (``reduce_array``), beside numpy doing the same in the obvious way: the
direct beam zeroed, ``np.abs(np.fft.fftshift(np.fft.fft2(frames)))`` of the whole stack in
double precision, and the ring summed; and LiberTEM's ``CrystallinityUDF`` (the anchor) with
``--libertem-python``.
"""

from __future__ import annotations

import numpy as np
from _libertem_run import arguments, column, random_stack, seconds
from _timing import best

from jupyter_remotem.compute.reductions import reduce_array

SIG = (128, 128)
PARAMS = {"r_in": 10, "r_out": 40, "beam_r": 12}


def numpy_way(frames: np.ndarray) -> np.ndarray:
    height, width = SIG
    y, x = np.indices(SIG)
    beam = np.hypot(x - (width - 1) / 2, y - (height - 1) / 2) <= PARAMS["beam_r"]
    radius = np.hypot(y - height // 2, x - width // 2)
    ring = (radius >= PARAMS["r_in"]) & (radius <= PARAMS["r_out"])
    flat = frames.reshape(-1, *SIG).astype(np.float64)
    flat[:, beam] = 0
    return np.abs(np.fft.fftshift(np.fft.fft2(flat), axes=(-2, -1)))[:, ring].sum(axis=1)


def main() -> None:
    args, libertem = arguments(__doc__, "mib", 256)
    rng = np.random.default_rng(0)
    print(f"{args.mib} MiB of {SIG[0]} x {SIG[1]} frames, best of {args.repeat}; GB/s of input")
    for dtype in (np.float32, np.uint16):
        data = random_stack(rng, args.mib, SIG, dtype)
        ours = best(lambda: reduce_array(data, "crystallinity", PARAMS, nav_ndim=2), args.repeat)
        plain = best(lambda: numpy_way(data), args.repeat)
        theirs = seconds(libertem, "crystallinity", data, PARAMS, args.repeat)
        line = (f"{np.dtype(dtype).name}: ours {data.nbytes / ours / 1e9:6.3f}  numpy {data.nbytes / plain / 1e9:6.3f}  "
                f"ours / numpy {plain / ours:4.1f}x")
        print(line + column(theirs, ours, data.nbytes / 1e9, 3))


if __name__ == "__main__":
    main()
