"""``radial_profile`` on an in-memory 4D-STEM stack, against numpy in the same run.

    python benchmarks/radial_profile.py [--mib 512] [--repeat 3]

Prints GB/s of input read (best of ``--repeat``) for float32 and uint16 128 × 128 frames: 32
rings, and 32 rings × 8 sectors, through the server's own path (``reduce_array``: plan,
partitions, the label-image kernel), beside numpy's two ways of binning every frame — one
``np.bincount`` with weights per frame, and one matrix product of the frames with a one-hot
(pixels × bins) matrix (BLAS, on every core) — and numpy reading every byte once on one core
(``frames.sum()``), a floor rather than the memory's bound.  Generated in memory, so
no page cache goes cold.
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best

from jupyter_remotem.compute.reductions import reduce_array
from jupyter_remotem.kernels.radial import bin_labels, default_max_radius

SIG = (128, 128)


def numpy_bincount(flat: np.ndarray, labels: np.ndarray, bins: int) -> np.ndarray:
    inside = labels >= 0
    index = labels[inside]
    return np.stack([np.bincount(index, weights=frame[inside], minlength=bins) for frame in flat])


def numpy_onehot(flat: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    return flat @ onehot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    centre = ((SIG[1] - 1) / 2, (SIG[0] - 1) / 2)
    r_max = default_max_radius(*centre, SIG)
    print(f"{args.mib} MiB of {SIG[0]} x {SIG[1]} frames, best of {args.repeat}; GB/s of input")
    for dtype in (np.float32, np.uint16):
        frames_n = args.mib * 1024**2 // (SIG[0] * SIG[1] * np.dtype(dtype).itemsize)
        side = int(np.sqrt(frames_n))
        data = (rng.random((side, side) + SIG, dtype=np.float32) * 1000).astype(dtype)
        flat = data.reshape(side * side, -1)
        nbytes = data.nbytes
        bound = best(lambda: data.sum(dtype=np.float64), args.repeat)
        print(f"{np.dtype(dtype).name}: numpy frames.sum (one core) {nbytes / bound / 1e9:6.2f}")
        for sectors in (1, 8):
            bins = 32
            params = {"bins": bins, "sectors": sectors}
            ours = best(lambda: reduce_array(data, "radial_profile", params, nav_ndim=2), args.repeat)
            labels = bin_labels(*centre, np.linspace(0, r_max, bins + 1), sectors, 0.0, SIG)
            k = bins * sectors
            onehot = np.zeros((labels.size, k), np.float32 if dtype == np.float32 else np.float64)
            onehot[np.flatnonzero(labels >= 0), labels[labels >= 0]] = 1
            subset = flat[: max(1, len(flat) // 8)]  # numpy per frame is slow: an eighth, scaled
            counted = best(lambda: numpy_bincount(subset, labels, k), 1) * len(flat) / len(subset)
            product = best(lambda: numpy_onehot(flat.astype(onehot.dtype, copy=False), onehot), args.repeat)
            print(f"  {bins} rings x {sectors} sectors: ours {nbytes / ours / 1e9:6.2f}  "
                  f"numpy bincount {nbytes / counted / 1e9:6.2f}  numpy one-hot @ {nbytes / product / 1e9:6.2f}  "
                  f"ours / best numpy {min(counted, product) / ours:5.1f}x  ours / frames.sum {bound / ours * 100:4.0f} %")


if __name__ == "__main__":
    main()
