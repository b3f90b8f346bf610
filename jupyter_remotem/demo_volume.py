"""A tomography-like demo volume and its segmentation, for the volume view.

The sample is a cylinder of matrix holding dense spherical particles and empty pores, seen as a
reconstruction would show it: slightly blurred, with noise and a little cupping.  The segmentation
is the truth the reconstruction was made from, one integer label per region: 0 outside, 1 the
matrix, 2 the pores, and 3, 4, ... each particle on its own, so a label colour map tells them apart.
Both are HDF5 files calibrated in µm (the axis attribute convention of :mod:`.formats.axes`),
chunked in 32³ bricks so that a volume view reads them block by block.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: (z, y, x) voxels, and the voxel size in µm.
SHAPE = (96, 128, 128)
VOXEL_UM = 0.65
SEED = 20261207
PARTICLES = 12
PORES = 8
RECONSTRUCTION = "tomo/reconstruction.h5"
SEGMENTATION = "tomo/segmentation.h5"
#: Label values: 0 is outside the sample, particles follow the pores.
OUTSIDE, MATRIX, PORE, FIRST_PARTICLE = 0, 1, 2, 3


def segmentation(shape: tuple[int, int, int] = SHAPE, seed: int = SEED) -> np.ndarray:
    """The labels of the phantom (uint8): a cylinder along z with particles and pores."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = shape
    z, y, x = np.ogrid[:nz, :ny, :nx]
    radius = 0.42 * min(ny, nx)
    cy, cx = (ny - 1) / 2, (nx - 1) / 2
    inside = ((y - cy) ** 2 + (x - cx) ** 2 <= radius**2) & (z >= 6) & (z < nz - 6)
    labels = np.where(inside, MATRIX, OUTSIDE).astype(np.uint8)

    def spheres(count: int, low: float, high: float) -> list[tuple[float, float, float, float]]:
        found = []
        while len(found) < count:
            r = rng.uniform(low, high)
            angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0, radius - r - 2)
            centre = (rng.uniform(6 + r, nz - 6 - r), cy + distance * np.sin(angle), cx + distance * np.cos(angle))
            if all(math.dist(centre, other[:3]) > r + other[3] + 2 for other in found):
                found.append((*centre, r))
        return found

    for i, (sz, sy, sx, r) in enumerate(spheres(PARTICLES + PORES, 5.0, 13.0)):
        ball = (z - sz) ** 2 + (y - sy) ** 2 + (x - sx) ** 2 <= r**2
        labels[ball & inside] = PORE if i >= PARTICLES else FIRST_PARTICLE + i
    return labels


def reconstruction(labels: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Attenuation (float32, 1/cm) as a filtered back-projection would show ``labels``."""
    from scipy import ndimage

    rng = np.random.default_rng(seed + 1)
    densities = np.zeros(int(labels.max()) + 1, dtype=np.float32)
    densities[MATRIX], densities[PORE] = 0.45, 0.05
    densities[FIRST_PARTICLE:] = rng.uniform(0.8, 1.2, len(densities) - FIRST_PARTICLE)
    volume = ndimage.gaussian_filter(densities[labels], sigma=1.0)
    ny, nx = labels.shape[1:]
    y, x = np.ogrid[:ny, :nx]
    cupping = 0.06 * ((y - ny / 2) ** 2 + (x - nx / 2) ** 2) / (ny * nx / 4)  # brighter towards the rim
    volume += cupping[None] * (labels > OUTSIDE)
    volume += rng.normal(0.0, 0.035, volume.shape)
    return volume.astype(np.float32)


def _attributes() -> dict[str, object]:
    return {
        "axis_names": ["z", "y", "x"],
        "axis_units": ["µm"] * 3,
        "axis_scales": [VOXEL_UM] * 3,
        "axis_offsets": [0.0] * 3,
    }


def _write(target: Path, name: str, data: np.ndarray, description: str) -> None:
    import h5py

    with h5py.File(target, "w") as f:
        f.attrs["creator"] = "jupyter_remotem demo-data"
        dset = f.create_dataset(name, data=data, chunks=(32, 32, 32))
        dset.attrs.update(_attributes())
        dset.attrs["description"] = description


def volume_files() -> list[tuple[str, Callable[[Path], None]]]:
    """The demo generator's outputs for volumes: (name in the demo tree, writer)."""
    cache: dict[str, np.ndarray] = {}

    def labels() -> np.ndarray:
        if "labels" not in cache:
            cache["labels"] = segmentation()
        return cache["labels"]

    return [
        (RECONSTRUCTION, lambda p: _write(p, "volume", reconstruction(labels()),
                                          "synthetic X-ray tomogram: matrix, dense particles, pores")),
        (SEGMENTATION, lambda p: _write(p, "labels", labels(),
                                        "segmentation: 0 outside, 1 matrix, 2 pores, 3+ one label per particle")),
    ]
