"""Throughput of the reduction kernels on an in-memory 4D-STEM stack, against numpy in the same run.

    python benchmarks/kernels_quick.py [--mib 512] [--threads 2] [--repeat 3]

Prints GB/s of input read per second (best of ``--repeat``) for float32 and uint16 128 x 128
frames: 1 / 3 / 16 masks (the representation the MaskSet chose, and the dense kernel forced),
centre of mass, and per-pixel frame moments (sum, mean, std, max, min), each beside numpy
(``frames @ masks.T`` with float32 masks; ``frames.sum(axis=0)``).  The data is generated in memory,
so there is no page cache to go cold.
"""

from __future__ import annotations

import argparse

import numba
import numpy as np
from _timing import best

from jupyter_remotem import kernels
from jupyter_remotem.kernels import MaskSet

SIG = (128, 128)


def detectors(k: int, rng: np.random.Generator) -> np.ndarray:
    """1: an annular dark field ring; 3: bright field, ADF, HAADF; more: dense random weights."""
    c = (63.5, 63.5)
    if k == 1:
        return kernels.ring(*c, 20, 45, SIG)[None]
    if k == 3:
        return np.stack([kernels.disk(*c, 15, SIG), kernels.ring(*c, 20, 45, SIG), kernels.ring(*c, 45, 64, SIG)])
    return rng.random((k,) + SIG, dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    kernels.warm_up()
    rng = np.random.default_rng(0)
    print(f"{'dtype':8} {'operation':34} {'ours GB/s':>10} {'numpy GB/s':>11}")
    for dtype in (np.float32, np.uint16):
        n = (args.mib << 20) // (SIG[0] * SIG[1] * np.dtype(dtype).itemsize)
        frames = (rng.random((n,) + SIG, dtype=np.float32) * 1000).astype(dtype)
        flat = frames.reshape(n, -1)
        gb = frames.nbytes / 1e9

        def row(name: str, ours, ref=None) -> None:
            ours_gbs = gb / best(ours, args.repeat)
            ref_gbs = f"{gb / best(ref, args.repeat):11.1f}" if ref is not None else f"{'':11}"
            print(f"{np.dtype(dtype).name:8} {name:34} {ours_gbs:10.1f} {ref_gbs}", flush=True)

        for k in (1, 3, 16):
            masks = detectors(k, rng)
            auto = MaskSet(masks)
            dense = MaskSet(masks, representation="dense")
            flat_masks = masks.reshape(k, -1).astype(np.float32)
            numpy_ref = lambda fm=flat_masks: flat @ fm.T  # noqa: E731
            row(f"{k:2} mask(s), auto ({auto.representation})", lambda a=auto: a.apply(frames), numpy_ref)
            if auto.representation != "dense":
                row(f"{k:2} mask(s), dense forced", lambda d=dense: d.apply(frames))
        yx = np.stack([np.ones(SIG), *np.mgrid[: SIG[0], : SIG[1]]]).reshape(3, -1).astype(np.float32)
        row("centre of mass (whole frame)", lambda: kernels.center_of_mass(frames), lambda: flat @ yx.T)
        row("centre of mass (disk r=32)", lambda: kernels.center_of_mass(frames, 63.5, 63.5, 32))
        row("frame moments (sum/mean/std/max/min)", lambda: kernels.FrameMoments.from_frames(frames),
            lambda: frames.sum(axis=0))


if __name__ == "__main__":
    main()
