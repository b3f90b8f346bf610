"""The frame transformations a pipeline or a job applies (``affine``, ``polar``, ``mask_crop``,
``flatfield``, and a quarter turn of the scan), read through the server's lazy view, against
scipy / numpy doing the same to the whole in-memory stack in the same run.

    python benchmarks/transformations.py [--mib 128] [--repeat 3]

Nearest and linear resampling gather taps worked out once per transform (numba, in parallel over
frames) where scipy.ndimage works out every coordinate again for every frame; masks, flat fields
and scan turns are numpy on both sides, so there the ratio is what the view's partitioned reading
costs.  Prints MB/s of input (best of ``--repeat``), the ratio, and the largest difference.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.ndimage as ndi

sys.path.insert(0, str(Path(__file__).parent))
from _libertem_run import random_stack  # noqa: E402
from _timing import best  # noqa: E402

from jupyter_remotem.compute.views import apply_pipeline  # noqa: E402
from jupyter_remotem.formats.memory import array_dataset  # noqa: E402
from jupyter_remotem.kernels.masks import polygon  # noqa: E402

MATRIX = np.array([[np.cos(0.2), -np.sin(0.2)], [np.sin(0.2), np.cos(0.2)]])
OFFSET = [8.0, -5.0]
TRIANGLE = [[10.0, 8.0], [120.0, 30.0], [40.0, 110.0]]


def through_view(data: np.ndarray, step: dict) -> np.ndarray:
    with apply_pipeline(array_dataset(data, nav_ndim=2), [step]) as view:
        return view.read((slice(None),) * 4)


def per_frame(data: np.ndarray, function) -> np.ndarray:
    frames = data.reshape(-1, *data.shape[-2:]).astype(np.float32)
    out = [function(frame) for frame in frames]
    return np.stack(out).reshape(data.shape[:2] + out[0].shape)


def polar_coordinates(shape: tuple[int, int], n_angle: int, n_radius: int) -> np.ndarray:
    cy, cx = (shape[0] - 1) / 2, (shape[1] - 1) / 2
    r_max = float(np.hypot(cy, cx))
    theta = np.deg2rad(np.arange(n_angle) * 360 / n_angle)[:, None]
    radius = np.linspace(0, r_max, n_radius)[None, :]
    return np.stack([cy + radius * np.sin(theta), cx + radius * np.cos(theta)])


def cases(data: np.ndarray) -> dict[str, tuple[dict, object]]:
    sig = data.shape[-2:]
    dark = np.full(sig, 3.0)
    flat = np.linspace(50, 150, sig[1])[None, :].repeat(sig[0], 0)
    keep = polygon(TRIANGLE, sig)
    rows, cols = np.flatnonzero(keep.any(axis=1)), np.flatnonzero(keep.any(axis=0))
    box = (Ellipsis, slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    where = polar_coordinates(sig, 180, 64)
    spread = flat - dark
    return {
        "affine (linear)": ({"operation": "affine", "params": {"matrix": MATRIX.tolist(), "offset": OFFSET}},
                            lambda: per_frame(data, lambda f: ndi.affine_transform(f, MATRIX, OFFSET, order=1,
                                                                                   prefilter=False))),
        "polar 180 x 64": ({"operation": "polar", "params": {"n_angle": 180, "n_radius": 64}},
                           lambda: per_frame(data, lambda f: ndi.map_coordinates(f, where, order=1, prefilter=False))),
        "mask_crop": ({"operation": "mask_crop", "params": {"polygon": TRIANGLE}},
                      lambda: np.where(keep, data, 0)[box]),
        "flatfield": ({"operation": "flatfield", "params": {"dark": dark.tolist(), "flat": flat.tolist()}},
                      lambda: ((data - dark) / spread * spread.mean()).astype(np.float32)),
        "scan rot90": ({"operation": "rotate", "params": {"quarter_turns": 1, "on": "scan"}},
                       lambda: np.ascontiguousarray(np.rot90(data, 1, axes=(0, 1)))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = random_stack(np.random.default_rng(0), args.mib, (128, 128), np.uint16)
    mb = data.nbytes / 1e6
    print(f"{args.mib} MiB of 128 x 128 uint16 frames ({data.shape[0]} x {data.shape[1]} scan), best of "
          f"{args.repeat}; MB/s of input")
    for name, (step, plain) in cases(data).items():
        ours = best(lambda: through_view(data, step), args.repeat)
        theirs = best(plain, args.repeat)
        difference = np.nanmax(np.abs(through_view(data, step).astype(np.float64) - plain()))
        print(f"{name:16s} ours {mb / ours:8.0f}  scipy/numpy {mb / theirs:8.0f}  ours / theirs "
              f"{theirs / ours:4.2f}x  largest difference {difference:.1e}")


if __name__ == "__main__":
    main()
