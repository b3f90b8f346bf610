"""Regions of interest over the scan: which positions a reduction visits.

An ROI is described with the same JSON shapes as detectors (rectangle, disk, polygon, weights as
a boolean mask), but in scan coordinates, so the one mask factory serves both; a scan with one
axis also takes an index ``range``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BadParameter
from ..kernels import from_spec
from .params import check_roi


def roi_indices(roi: dict[str, Any] | None, nav_shape: tuple[int, ...]) -> np.ndarray | None:
    """Flat scan indices inside ``roi`` (ascending), or None for the whole scan."""
    if roi is None:
        return None
    if not isinstance(roi, dict):
        raise BadParameter("roi must be null or an object such as {\"shape\": \"rectangle\", ...}.")
    check_roi(roi)
    if roi.get("shape") == "range":
        return _range_indices(roi, nav_shape)
    if len(nav_shape) == 1:
        shape2d = (1, nav_shape[0])
    elif len(nav_shape) == 2:
        shape2d = nav_shape
    else:
        raise BadParameter(f"An ROI needs a 1-D or 2-D scan; this one has shape {nav_shape}.")
    mask = from_spec(roi, shape2d) != 0
    return np.flatnonzero(mask.reshape(-1)).astype(np.int64)


def _range_indices(roi: dict[str, Any], nav_shape: tuple[int, ...]) -> np.ndarray:
    """``{"shape": "range", "start", "stop"}``: a half-open index range of a 1-D scan (a time
    series, a line scan), where a rectangle of image geometry would be the wrong word."""
    if len(nav_shape) != 1:
        raise BadParameter(f"A range ROI needs a scan with one axis; this one has shape {list(nav_shape)}.",
                           hint='Use a rectangle or disk ROI for 2-D scans.')
    if set(roi) - {"shape", "start", "stop"}:
        raise BadParameter("A range ROI has only 'start' and 'stop'.")
    start, stop = roi.get("start"), roi.get("stop")
    n = nav_shape[0]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop)) or not 0 <= start < stop <= n:
        raise BadParameter(f"A range ROI needs integers 0 <= start < stop <= {n}; got {start!r}, {stop!r}.",
                           hint="start is the first scan index, stop one past the last.")
    return np.arange(start, stop, dtype=np.int64)
