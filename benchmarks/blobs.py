"""``blobs`` on an in-memory 4D-STEM stack of disk patterns, against plain scipy in the same run.

    python benchmarks/blobs.py [--frames 2048] [--repeat 3]

Prints frames per second (best of ``--repeat``) for float32 and uint16 128 × 128 frames holding
a lattice of disks, through the server's reduction path (``reduce_array``), beside scipy doing
the same in the obvious way, frame by frame: ``scipy.signal.fftconvolve`` with the template,
``scipy.ndimage.maximum_filter`` for the local maxima, the strongest kept; and, with
``--libertem-python``, LiberTEM's blobfinder (the anchor): ``FullFrameCorrelationUDF``
refining the lattice's disks, which it is given (it finds peaks once, on a sum frame, and then
only refines them in every frame: less work than finding them in every frame, as ours does).
"""

from __future__ import annotations

import numpy as np
from _libertem_run import arguments, column, seconds
from _timing import best
from scipy.ndimage import maximum_filter
from scipy.signal import fftconvolve

from jupyter_remotem.compute.reductions import reduce_array
from jupyter_remotem.kernels.blobs import template_kernel

SIG = (128, 128)
PARAMS = {"radius": 4.0, "n_peaks": 16, "threshold": 0.2}
#: Rows and columns of the disks (the same for x and y).
LATTICE = list(range(14, 120, 20))


def lattice(rng: np.random.Generator, n: int) -> np.ndarray:
    y, x = np.indices(SIG)
    frame = np.zeros(SIG)
    for cy in LATTICE:
        for cx in LATTICE:
            frame += 100 * (np.hypot(x - cx, y - cy) <= PARAMS["radius"])
    return frame[None] + rng.normal(10, 2, (n,) + SIG)


def scipy_way(frames: np.ndarray) -> list[np.ndarray]:
    kernel = template_kernel(PARAMS["radius"])[::-1, ::-1]
    size = 2 * int(PARAMS["radius"]) + 1
    found = []
    for frame in frames.reshape((-1,) + SIG):
        c = fftconvolve(frame.astype(np.float64), kernel, mode="same")
        ys, xs = np.nonzero((c == maximum_filter(c, size=size)) & (c > PARAMS["threshold"] * c.max()))
        found.append(np.argsort(-c[ys, xs])[: PARAMS["n_peaks"]])
    return found


def main() -> None:
    args, libertem = arguments(__doc__, "frames", 2048)
    rng = np.random.default_rng(0)
    side = int(np.sqrt(args.frames))
    print(f"{side * side} frames of {SIG[0]} x {SIG[1]}, 36 disks of radius {PARAMS['radius']:g} px each, "
          f"best of {args.repeat}; frames per second")
    for dtype in (np.float32, np.uint16):
        data = lattice(rng, side * side).astype(dtype).reshape((side, side) + SIG)
        ours = best(lambda: reduce_array(data, "blobs", PARAMS, nav_ndim=2), args.repeat)
        plain = best(lambda: scipy_way(data), args.repeat)
        theirs = seconds(libertem, "blobs", data, dict(PARAMS, lattice=LATTICE), args.repeat)
        n = side * side
        line = f"{np.dtype(dtype).name}: ours {n / ours:8.0f}  scipy {n / plain:8.0f}  ours / scipy {plain / ours:4.1f}x"
        print(line + column(theirs, ours, n, 0))


if __name__ == "__main__":
    main()
