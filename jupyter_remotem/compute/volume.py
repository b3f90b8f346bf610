"""Volumes for the 3-D view: a downsampled brick, a finer brick of a sub-box, orthogonal planes.

A volume view never holds a large array: the whole volume comes as a brick within a voxel budget
(each voxel of the brick is a block of ``factors`` voxels of the file), a chosen box comes again
at a finer level ("refine on demand"), and the slice panes show full-resolution planes.  The
brick is reduced tile by tile (:mod:`..kernels.blocks`), so memory stays bounded by the tile size
and the brick, whatever the size of the file.  Intensities are averaged (NaN ignored); label
volumes take each block's most frequent label, never an average that would invent labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BadParameter, TooLarge
from ..formats.dataset import Dataset
from ..kernels.blocks import accumulate_mean, block_ids, block_mode, finish_mean

AXES = ("z", "y", "x")
#: Voxels of a brick when the request names no budget (128³), and the most it may ask for (256³).
DEFAULT_BUDGET = 128**3
MAX_BUDGET = 256**3
#: Voxels read at once while reducing: the bound on the memory of one brick request besides the
#: brick itself (a block larger than this is sampled on a regular sub-grid instead).
TILE_VOXELS = 4 * 1024**2
#: Voxels one brick request reads at most (seconds, not minutes, within the request timeout):
#: a larger box is reduced from a regular sub-grid of its voxels, as the header's ``steps`` say.
READ_VOXELS = 512 * 1024**2

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class BrickRequest:
    """What a brick request asks for, checked against the volume's shape by :func:`plan_brick`."""

    box: str | None = None
    budget: int | None = None
    factors: str | None = None
    labels: bool = False


@dataclass(frozen=True)
class BrickPlan:
    """A checked brick: the box of the file it covers, the block size and the brick's shape."""

    shape: tuple[int, int, int]
    box: Box
    factors: tuple[int, int, int]
    labels: bool

    @property
    def voxels(self) -> int:
        """Voxels of the file inside the box."""
        return math.prod(stop - start for start, stop in self.box)

    @property
    def brick_shape(self) -> tuple[int, int, int]:
        z, y, x = (math.ceil((stop - start) / f) for (start, stop), f in zip(self.box, self.factors))
        return z, y, x


def require_volume(dataset: Dataset) -> None:
    """Refuse arrays the volume view cannot show, before anything is read."""
    shape = tuple(dataset.shape)
    if len(shape) != 3:
        raise BadParameter(
            f"The array has {len(shape)} dimension(s), shape {list(shape)}; a volume has 3 (z, y, x).",
            hint="Open it in the dataset viewer, or choose a 3-D array of the file (?dataset=).",
        )
    if 0 in shape:
        raise BadParameter(f"The array of shape {list(shape)} holds no voxels.", hint="Choose another array.")
    if dataset.dtype.kind not in "biuf":
        raise BadParameter(f"Voxels of type {dataset.dtype.name} cannot be shown as a volume.",
                           hint="The volume view takes integer, boolean or floating-point voxels.")


def parse_box(text: str | None, shape: tuple[int, ...]) -> Box:
    """``z0:z1,y0:y1,x0:x1`` (an empty part or ``:`` is the whole axis) within ``shape``."""
    if text is None or not text.strip():
        return tuple((0, int(n)) for n in shape)  # type: ignore[return-value]
    parts = text.split(",")
    if len(parts) != 3:
        raise BadParameter(f"box={text!r} has {len(parts)} part(s); it needs one range per axis (z, y, x).",
                           hint="For example box=0:64,10:200,10:200.")
    box = []
    for axis, part, size in zip(AXES, parts, shape):
        bounds = part.strip().split(":") if part.strip() else ["", ""]
        if len(bounds) != 2:
            raise BadParameter(f"box range {part!r} for {axis} is not start:stop.", hint="For example 10:200.")
        try:
            start = int(bounds[0]) if bounds[0].strip() else 0
            stop = int(bounds[1]) if bounds[1].strip() else int(size)
        except ValueError:
            raise BadParameter(f"box range {part!r} for {axis} is not two whole numbers.",
                               hint="For example 10:200.") from None
        if not 0 <= start <= size or not 0 <= stop <= size:
            raise BadParameter(f"box range {start}:{stop} for {axis} lies outside 0:{size}.",
                               hint=f"The volume has shape {list(shape)} (z, y, x).")
        if stop <= start:
            raise BadParameter(f"box range {start}:{stop} for {axis} is empty.",
                               hint="Give a stop greater than the start.")
        box.append((start, stop))
    return tuple(box)  # type: ignore[return-value]


def fit_factors(extent: tuple[int, int, int], budget: int) -> tuple[int, int, int]:
    """Block sizes that bring ``extent`` within ``budget`` voxels, coarsening the axes with the
    most brick voxels first (tied axes together): a cube keeps cubic blocks, a thin slab is not
    squashed along z."""
    factors = [1, 1, 1]

    def cells() -> list[int]:
        return [math.ceil(n / f) for n, f in zip(extent, factors)]

    while math.prod(cells()) > budget:
        sizes = cells()
        for axis in range(3):
            if sizes[axis] == max(sizes):
                factors[axis] += 1
    return tuple(factors)  # type: ignore[return-value]


def _parse_factors(text: str) -> tuple[int, int, int]:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) == 1:
        parts *= 3
    try:
        values = [int(part) for part in parts]
    except ValueError:
        raise BadParameter(f"factors={text!r} is not one or three whole numbers.",
                           hint="For example factors=4 or factors=2,4,4.") from None
    if len(values) != 3 or min(values) < 1:
        raise BadParameter(f"factors={text!r} needs one or three whole numbers of at least 1.",
                           hint="For example factors=4 or factors=2,4,4.")
    return tuple(values)  # type: ignore[return-value]


def plan_brick(dataset: Dataset, request: BrickRequest) -> BrickPlan:
    """Check a brick request against the volume: the box, the budget, the block sizes."""
    require_volume(dataset)
    shape = tuple(int(n) for n in dataset.shape)
    if request.labels and dataset.dtype.kind not in "biu":
        raise BadParameter(f"labels=1 takes integer labels; this volume holds {dataset.dtype.name} values.",
                           hint="Ask without labels=1: intensities are averaged per block.")
    budget = DEFAULT_BUDGET if request.budget is None else request.budget
    if not 1 <= budget <= MAX_BUDGET:
        raise BadParameter(f"budget={budget} voxels is outside 1 to {MAX_BUDGET} (256³).",
                           hint="Ask for a smaller brick, or a box at a finer level.")
    box = parse_box(request.box, shape)
    extent = tuple(stop - start for start, stop in box)
    if request.factors is None:
        factors = fit_factors(extent, budget)  # type: ignore[arg-type]
    else:
        factors = _parse_factors(request.factors)
        cells = math.prod(math.ceil(n / f) for n, f in zip(extent, factors))
        if cells > budget:
            least = fit_factors(extent, budget)  # type: ignore[arg-type]
            raise BadParameter(
                f"The box at factors {list(factors)} makes a brick of {cells:,} voxels; at most {budget:,} are served.",
                hint=f"Use coarser factors (factors={','.join(map(str, least))} fits) or a smaller box.",
            )
    return BrickPlan(shape=shape, box=box, factors=factors, labels=request.labels)  # type: ignore[arg-type]


def sample_steps(factors: tuple[int, int, int], tile_voxels: int, voxels: int = 0,
                 read_voxels: int | None = None) -> tuple[int, int, int]:
    """Per-axis steps of the sub-grid blocks are read on: (1, 1, 1) unless one block alone
    exceeds ``tile_voxels`` or the box's ``voxels`` exceed ``read_voxels``.  Each step divides
    its block size, so every block keeps its first voxel, and is at least the step wanted, so
    both bounds hold (a step of a whole block is the nearest voxel)."""
    wanted = 1
    block = math.prod(factors)
    if block > tile_voxels:
        wanted = math.ceil((block / tile_voxels) ** (1 / 3))
    if read_voxels is not None and voxels > read_voxels:
        wanted = max(wanted, math.ceil((voxels / read_voxels) ** (1 / 3)))
    if wanted == 1:
        return (1, 1, 1)
    z, y, x = (min([d for d in range(wanted, f + 1) if f % d == 0] or [f]) for f in factors)
    return z, y, x


def brick_steps(plan: BrickPlan, tile_voxels: int = TILE_VOXELS,
                read_voxels: int = READ_VOXELS) -> tuple[int, int, int]:
    """The sub-grid :func:`read_brick` reads ``plan`` on."""
    return sample_steps(plan.factors, tile_voxels, plan.voxels, read_voxels)


def _tile_blocks(brick_shape: tuple[int, int, int], block_cells: int, tile_voxels: int) -> tuple[int, int, int]:
    """Blocks per tile along z, y, x: whole rows along x first, within ``tile_voxels``."""
    per_tile = max(1, tile_voxels // max(1, block_cells))
    tx = min(brick_shape[2], per_tile)
    ty = min(brick_shape[1], max(1, per_tile // tx))
    tz = min(brick_shape[0], max(1, per_tile // (tx * ty)))
    return tz, ty, tx


def read_brick(dataset: Dataset, plan: BrickPlan, tile_voxels: int = TILE_VOXELS,
               read_voxels: int = READ_VOXELS) -> np.ndarray:
    """The brick of ``plan``: block means (float32) or block modes (the labels' own type), of
    every voxel or, beyond the bounds of :func:`sample_steps`, of a regular sub-grid."""
    brick_shape = plan.brick_shape
    steps = brick_steps(plan, tile_voxels, read_voxels)
    block_cells = math.prod(math.ceil(f / s) for f, s in zip(plan.factors, steps))
    tiles = _tile_blocks(brick_shape, block_cells, tile_voxels)
    out_dtype = (np.uint8 if dataset.dtype.kind == "b" else dataset.dtype) if plan.labels else np.float32
    brick = np.zeros(brick_shape, dtype=out_dtype)
    for bz in range(0, brick_shape[0], tiles[0]):
        for by in range(0, brick_shape[1], tiles[1]):
            for bx in range(0, brick_shape[2], tiles[2]):
                origin = (bz, by, bx)
                counts = tuple(min(t, n - b) for t, n, b in zip(tiles, brick_shape, origin))
                selection, coords = [], []
                for b, c, f, s, (start, stop) in zip(origin, counts, plan.factors, steps, plan.box):
                    lo, hi = start + b * f, min(stop, start + (b + c) * f)
                    selection.append(slice(lo, hi, s))
                    coords.append(np.arange(lo, hi, s))
                values = np.asarray(dataset.read(tuple(selection)))
                first = tuple(start + b * f for b, f, (start, _) in zip(origin, plan.factors, plan.box))
                ids = block_ids(coords, plan.factors, first, counts)
                target = tuple(slice(b, b + c) for b, c in zip(origin, counts))
                if plan.labels:
                    blocks, modes = block_mode(values, ids, math.prod(counts))
                    tile = np.zeros(math.prod(counts), dtype=out_dtype)
                    tile[blocks] = modes
                    brick[target] = tile.reshape(counts)
                else:
                    sums = np.zeros(math.prod(counts), dtype=np.float64)
                    hits = np.zeros(math.prod(counts), dtype=np.int64)
                    accumulate_mean(values, ids, sums, hits)
                    brick[target] = finish_mean(sums, hits).reshape(counts)
    return brick


def read_plane(dataset: Dataset, axis: str, index: int, max_bytes: int) -> np.ndarray:
    """The full-resolution plane ``index`` across ``axis`` (z, y or x), refused when it would
    exceed ``max_bytes``."""
    require_volume(dataset)
    if axis not in AXES:
        raise BadParameter(f"axis={axis!r} is not one of z, y, x.", hint="For example axis=z&index=10.")
    position = AXES.index(axis)
    size = int(dataset.shape[position])
    if not 0 <= index < size:
        raise BadParameter(f"index={index} is outside 0 to {size - 1} along {axis}.",
                           hint=f"The volume has shape {list(dataset.shape)} (z, y, x).")
    plane = [int(n) for i, n in enumerate(dataset.shape) if i != position]
    nbytes = math.prod(plane) * dataset.dtype.itemsize
    if nbytes > max_bytes:
        raise TooLarge(f"The plane holds {nbytes / 1e6:.1f} MB; at most {max_bytes / 1e6:.0f} MB are served at once.",
                       hint="Look at the plane in a brick of a box instead (view=brick&box=...).")
    selection: list[slice | int] = [slice(None)] * 3
    selection[position] = index
    return np.asarray(dataset.read(tuple(selection)))


def header(dataset: Dataset, plan: BrickPlan | None, array: np.ndarray, **extra: Any) -> dict[str, Any]:
    """What the client needs beside the voxels: the full shape and calibration, the box, the
    block sizes and the brick's shape, and the range of its finite values (for contrast limits)."""
    finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
    described: dict[str, Any] = {
        "shape": [int(n) for n in dataset.shape],
        "dtype": dataset.dtype.name,
        "axes": [axis.to_json() for axis in dataset.axes],
        "array_shape": [int(n) for n in array.shape],
        "array_dtype": array.dtype.name,
        "range": [float(finite.min()), float(finite.max())] if finite.size else None,
        **extra,
    }
    if plan is not None:
        described |= {"box": [list(bounds) for bounds in plan.box], "factors": list(plan.factors),
                      "method": "mode" if plan.labels else "mean", "steps": list(brick_steps(plan))}
    return described
