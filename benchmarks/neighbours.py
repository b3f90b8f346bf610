"""``neighbour_correlation`` (each frame's correlation and RMS difference with its four scan
neighbours) through the server's reduction path, against numpy doing it vectorised on the whole
stack in the same run.

    python benchmarks/neighbours.py [--mib 256] [--repeat 3]

numpy's way: every frame centred and scaled to unit length at once (float64), then the products
with the frames shifted by one column and by one row, and the RMS differences likewise — the
whole stack several times over in memory, where ours streams partitions, each read with one scan
row around it.  Prints GB/s of input (best of ``--repeat``), the memory-read bound, and the
largest difference between the two maps.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _libertem_run import random_stack  # noqa: E402
from _timing import best  # noqa: E402

from jupyter_remotem.compute.reductions import reduce_array  # noqa: E402


def numpy_way(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean correlation and RMS difference with the 4-neighbourhood, all frames at once."""
    flat = data.reshape(data.shape[:2] + (-1,)).astype(np.float64)
    unit = flat - flat.mean(axis=-1, keepdims=True)
    unit /= np.linalg.norm(unit, axis=-1, keepdims=True)
    total_r = np.zeros(data.shape[:2])
    total_d = np.zeros(data.shape[:2])
    count = np.zeros(data.shape[:2])
    for axis in (0, 1):
        ahead = [slice(None)] * 2
        behind = [slice(None)] * 2
        ahead[axis], behind[axis] = slice(1, None), slice(None, -1)
        r = np.einsum("ijk,ijk->ij", unit[tuple(ahead)], unit[tuple(behind)])
        d = np.sqrt(np.mean((flat[tuple(ahead)] - flat[tuple(behind)]) ** 2, axis=-1))
        for part in (tuple(ahead), tuple(behind)):
            total_r[part] += r
            total_d[part] += d
            count[part] += 1
    return total_r / count, total_d / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.mib} MiB of 128 x 128 frames, best of {args.repeat}; GB/s of input")
    for dtype in (np.float32, np.uint16):
        data = random_stack(np.random.default_rng(0), args.mib, (128, 128), dtype)
        ours = best(lambda: reduce_array(data, "neighbour_correlation", {}, nav_ndim=2), args.repeat)
        plain = best(lambda: numpy_way(data), max(1, args.repeat // 2))
        bound = best(lambda: data.reshape(-1).view(np.int64).sum() if data.dtype.itemsize >= 2 else data.sum(),
                     args.repeat)
        result = reduce_array(data, "neighbour_correlation", {}, nav_ndim=2).arrays
        r, d = numpy_way(data)
        gb = data.nbytes / 1e9
        print(f"{np.dtype(dtype).name}: ours {gb / ours:6.2f}  numpy {gb / plain:6.2f}  memory read "
              f"{gb / bound:6.2f}  ours / numpy {plain / ours:4.2f}x  largest difference: correlation "
              f"{np.abs(result['correlation'] - r).max():.1e}, RMS {np.abs(result['difference'] / d - 1).max():.1e} "
              "(relative)")


if __name__ == "__main__":
    main()
