"""Flips, quarter turns and transposes of the scan: the frames stay as they are, their positions
move (``flip``, ``rotate``, ``transpose`` with ``"on": "scan"``).

A turned scan is a lookup from each output position to the source position whose frame it
shows, worked out from the indices (no table is kept, so a scan of any size costs nothing until
read).  Views read through it, and a job reads each slab's source frames in file order, puts
them in the turned order and writes whole output rows: one row of the output is a column of the
source for a quarter turn, which row-chunked files serve as one contiguous run per source row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import BadParameter
from ..formats.dataset import Axis
from ..kernels.frame_ops import SWAPPING, TURNS


@dataclass(frozen=True)
class ScanTurn:
    """``kind`` (one of :data:`..kernels.frame_ops.TURNS`, as numpy does it to the scan's last
    two axes, or a flip of a 1-D scan) of a scan of ``in_shape``."""

    kind: str
    in_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        assert self.kind in TURNS, self.kind
        assert len(self.in_shape) == 2 or (len(self.in_shape) == 1 and self.kind == "flip_x"), self

    @property
    def swaps_axes(self) -> bool:
        return self.kind in SWAPPING

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(reversed(self.in_shape)) if self.swaps_axes else tuple(self.in_shape)

    def source_indices(self, out_flat: np.ndarray) -> np.ndarray:
        """Flat source positions of the flat output positions ``out_flat``."""
        out_flat = np.asarray(out_flat, np.int64)
        if len(self.in_shape) == 1:
            return self.in_shape[0] - 1 - out_flat
        ny, nx = self.in_shape
        i, j = np.unravel_index(out_flat, self.out_shape)
        row, col = {
            "flip_x": (i, nx - 1 - j),
            "flip_y": (ny - 1 - i, j),
            "transpose": (j, i),
            "rot90": (j, nx - 1 - i),  # numpy.rot90: out[i, j] = in[j, nx - 1 - i]
            "rot180": (ny - 1 - i, nx - 1 - j),
            "rot270": (ny - 1 - j, i),
        }[self.kind]
        return np.ravel_multi_index((row, col), self.in_shape).astype(np.int64)

    def axes(self, nav_axes: list[Axis]) -> list[Axis]:
        """The scan's axes after the turn: swapped with their calibrations by a quarter turn or a
        transpose, as they were by a flip or a half turn."""
        return list(reversed(nav_axes)) if self.swaps_axes else list(nav_axes)


def scan_turn(kind: str, nav_shape: tuple[int, ...], operation: str) -> ScanTurn:
    """The turn ``kind`` of a scan of ``nav_shape``, refused clearly where it cannot apply."""
    if len(nav_shape) == 2 or (len(nav_shape) == 1 and kind == "flip_x"):
        return ScanTurn(kind, tuple(nav_shape))
    if len(nav_shape) == 1:
        raise BadParameter(f"A scan of one axis (shape {list(nav_shape)}) can only be flipped along it "
                           f"(axis \"x\"); {operation} {kind} needs two scan axes.",
                           hint='Use {"axis": "x", "on": "scan"} to reverse the positions.')
    raise BadParameter(f"{operation} on the scan turns two scan axes; this scan has shape {list(nav_shape)}.",
                       hint="Crop or sum the extra scan axes first, or turn the frames instead (\"on\": \"frame\").")
