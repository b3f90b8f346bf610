"""Regions of interest over the scan: which positions a reduction visits.

An ROI is described with the same JSON shapes as detectors (rectangle, disk, polygon, weights as
a boolean mask), but in scan coordinates, so the one mask factory serves both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BadParameter
from ..kernels import from_spec


def roi_indices(roi: dict[str, Any] | None, nav_shape: tuple[int, ...]) -> np.ndarray | None:
    """Flat scan indices inside ``roi`` (ascending), or None for the whole scan."""
    if roi is None:
        return None
    if not isinstance(roi, dict):
        raise BadParameter("roi must be null or an object such as {\"shape\": \"rectangle\", ...}.")
    if len(nav_shape) == 1:
        shape2d = (1, nav_shape[0])
    elif len(nav_shape) == 2:
        shape2d = nav_shape
    else:
        raise BadParameter(f"An ROI needs a 1-D or 2-D scan; this one has shape {nav_shape}.")
    mask = from_spec(roi, shape2d) != 0
    return np.flatnonzero(mask.reshape(-1)).astype(np.int64)
