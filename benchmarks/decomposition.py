"""``decomposition`` (PCA and NMF of the frames) on an in-memory 4D-STEM stack, against numpy's SVD
and numpy's in-memory NMF in the same run.

    python benchmarks/decomposition.py [--mib 128] [--repeat 3] [--components 8] [--iterations 10]

The stack is what PCA is for: a few patterns (rings of different radii) mixed with random
weights over the scan, plus Poisson-like noise, float32 and uint16, 128 × 128 frames.  Prints
GB/s of input (best of ``--repeat``) through the server's reduction path (``reduce_array``: a
randomized sketch streamed over partitions, then a second pass for the scores), beside numpy
doing it the obvious way (``np.linalg.svd`` of the whole centred matrix in float64, then the
scores ``U * S``) and the memory-read bound (one pass summing the stack's bytes as int64).  The
accuracy is printed too: the least ``|cos|`` between our components and numpy's leading right
singular vectors, and the largest difference of the explained-variance ratios.

NMF (``method="nmf"``, ``--iterations`` passes refining the components) is timed against the
textbook in-memory HALS in numpy (Cichocki & Phan 2009: the whole float64 matrix held, scores
and components alternately updated, the same number of iterations from the same start), both
with their relative reconstruction error ``|X - W H| / |X|``.
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best

from jupyter_remotem.compute.reductions import reduce_array

SIG = (128, 128)
PATTERNS = 5


def mixed_stack(rng: np.random.Generator, mib: int, dtype: type) -> np.ndarray:
    """A square scan of about ``mib`` MiB: ``PATTERNS`` rings mixed with random weights, plus noise."""
    side = int(np.sqrt(mib * 1024**2 // (SIG[0] * SIG[1] * np.dtype(dtype).itemsize)))
    y, x = np.indices(SIG)
    d = np.hypot(x - SIG[1] / 2, y - SIG[0] / 2)
    patterns = np.stack([np.exp(-((d - 10 * (i + 1)) ** 2) / 8) for i in range(PATTERNS)]).reshape(PATTERNS, -1)
    weights = rng.gamma(2.0, 50.0, (side * side, PATTERNS)) * (0.5 ** np.arange(PATTERNS))
    frames = weights @ patterns + rng.normal(0, 3, (side * side, patterns.shape[1])) + 20
    return np.clip(frames, 0, None).astype(dtype).reshape((side, side) + SIG)


def numpy_way(data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frames = data.reshape(len(data.reshape(-1, *SIG)), -1).astype(np.float64)
    centred = frames - frames.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    return u[:, :k] * s[:k], vt[:k], s**2 / (s**2).sum()


def numpy_nmf(data: np.ndarray, k: int, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """HALS on the whole matrix in memory, started like ours (mean frame, then PCA's parts)."""
    from jupyter_remotem.kernels.nmf import initial_components, solve_scores

    frames = np.maximum(data.reshape(-1, SIG[0] * SIG[1]).astype(np.float64), 0)
    mean = frames.mean(axis=0)
    _, _, vt = np.linalg.svd(frames[:: max(1, len(frames) // 2000)] - mean, full_matrices=False)
    components = initial_components(mean, vt[: k - 1], k)
    scores = solve_scores(frames, components)
    for _ in range(iterations):
        cross, gram = scores.T @ frames, scores.T @ scores
        for j in range(k):
            components[j] = np.maximum(components[j] + (cross[j] - gram[j] @ components) / max(gram[j, j], 1e-12),
                                       1e-12)
        scores = _hals_scores(frames, components, scores)
    return scores, components


def _hals_scores(frames: np.ndarray, components: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """One HALS sweep of the scores, kept from the iteration before (what holding W in memory allows)."""
    cross, gram = frames @ components.T, components @ components.T
    for j in range(len(components)):
        scores[:, j] = np.maximum(scores[:, j] + (cross[:, j] - scores @ gram[:, j]) / max(gram[j, j], 1e-12), 0)
    return scores


def relative_error(data: np.ndarray, scores: np.ndarray, components: np.ndarray) -> float:
    frames = np.maximum(data.reshape(len(scores), -1).astype(np.float64), 0)
    return float(np.linalg.norm(frames - scores @ components) / np.linalg.norm(frames))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()
    k = args.components
    rng = np.random.default_rng(0)
    print(f"{args.mib} MiB of {SIG[0]} x {SIG[1]} frames ({PATTERNS} patterns + noise), {k} components, "
          f"best of {args.repeat}; GB/s of input")
    for dtype in (np.float32, np.uint16):
        data = mixed_stack(rng, args.mib, dtype)
        params = {"components": k}
        ours = best(lambda: reduce_array(data, "decomposition", params, nav_ndim=2), args.repeat)
        plain = best(lambda: numpy_way(data, k), max(1, args.repeat // 3), warm_up=False)
        bound = best(lambda: data.reshape(-1).view(np.int64).sum(), args.repeat)
        result = reduce_array(data, "decomposition", params, nav_ndim=2).arrays
        _, vt, ratio = numpy_way(data, k)
        ours_components = result["components"].reshape(-1, k).T
        cosines = np.abs(np.sum(ours_components[:PATTERNS] * vt[:PATTERNS], axis=1))
        ratio_error = np.abs(result["variance_ratio"][:PATTERNS] - ratio[:PATTERNS]).max()
        gb = data.nbytes / 1e9
        print(f"{np.dtype(dtype).name}: ours {gb / ours:6.3f}  numpy SVD {gb / plain:6.3f}  "
              f"memory read {gb / bound:6.2f}  ours / numpy {plain / ours:5.1f}x  "
              f"least |cos| of the {PATTERNS} leading components {cosines.min():.6f}  "
              f"variance-ratio error {ratio_error:.1e}")
        nmf = {"components": PATTERNS, "method": "nmf", "iterations": args.iterations}
        ours_nmf = best(lambda: reduce_array(data, "decomposition", nmf, nav_ndim=2), max(1, args.repeat // 2))
        plain_nmf = best(lambda: numpy_nmf(data, PATTERNS, args.iterations), 1, warm_up=False)
        found = reduce_array(data, "decomposition", nmf, nav_ndim=2)
        ours_error = relative_error(data, found.arrays["scores"].reshape(-1, PATTERNS),
                                    found.arrays["components"].reshape(-1, PATTERNS).T)
        print(f"{np.dtype(dtype).name} NMF ({PATTERNS} parts, {args.iterations} iterations): ours "
              f"{gb / ours_nmf:6.3f}  numpy HALS in memory {gb / plain_nmf:6.3f}  ours / numpy "
              f"{plain_nmf / ours_nmf:5.1f}x  relative error ours {ours_error:.4f}, numpy "
              f"{relative_error(data, *numpy_nmf(data, PATTERNS, args.iterations)):.4f}")


if __name__ == "__main__":
    main()
