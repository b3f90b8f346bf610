"""Validation of operation parameters, shared by every operation so that refusals read alike.

The request limits on what parameters imply (:mod:`..limits`) are checked here too, from the
parameters and the dataset's geometry alone, before any mask or buffer is allocated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import limits as request_limits
from ..errors import BadParameter, TooLarge


def number(params: dict[str, Any], key: str, default: float | None = None) -> float | None:
    """``params[key]`` as a finite float (``default`` when absent or null)."""
    value = params.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadParameter(f"Parameter '{key}' must be a finite number, not {value!r}.")
    return float(value)


def integer(value: Any, what: str) -> int:
    """``value`` as an int; JSON booleans and floats are refused rather than silently converted."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadParameter(f"{what} must be an integer, not {value!r}.")
    return value


def polygon_vertices(specs: Sequence[Any]) -> int:
    """Vertices of the polygons among ``specs`` (counted without looking inside them)."""
    return sum(len(spec["vertices"]) for spec in specs
               if isinstance(spec, dict) and spec.get("shape") == "polygon" and isinstance(spec.get("vertices"), list))


def check_detectors(specs: Sequence[Any], sig_shape: tuple[int, ...]) -> None:
    """Refuse detectors beyond the request limits: their number, their polygons' vertices, and
    the mask stack they make (detectors times frame pixels); one detector is always allowed."""
    limits = request_limits.current()
    if limits is None:
        return
    if len(specs) > limits.max_detectors:
        raise request_limits.too_many(
            "detectors", len(specs), "max_detectors", limits.max_detectors,
            "Split the detectors into several requests, or combine several into one weights mask.")
    vertices = polygon_vertices(specs)
    if vertices > limits.max_polygon_vertices:
        raise request_limits.too_many(
            "polygon vertices", vertices, "max_polygon_vertices", limits.max_polygon_vertices,
            "Simplify the outline, or send the region as a weights mask (one value per detector pixel).")
    pixels = len(specs) * math.prod(sig_shape)
    if len(specs) > 1 and pixels > limits.max_mask_pixels:
        per_request = max(1, limits.max_mask_pixels // max(1, math.prod(sig_shape)))
        raise request_limits.too_many(
            f"mask pixels ({len(specs)} detectors of {math.prod(sig_shape):,} pixels each)", pixels,
            "max_mask_pixels", limits.max_mask_pixels,
            f"On frames of this size at most {per_request} detectors fit in one request: split them into several "
            "requests, or submit a job.")


def check_roi(roi: Any) -> None:
    """Refuse an ROI polygon beyond the vertex limit before its mask is filled."""
    limits = request_limits.current()
    if limits is None or not isinstance(roi, dict):
        return
    vertices = polygon_vertices([roi])
    if vertices > limits.max_polygon_vertices:
        raise request_limits.too_many(
            "ROI polygon vertices", vertices, "max_polygon_vertices", limits.max_polygon_vertices,
            "Simplify the outline, or send the region as a weights mask over the scan.")


def check_result_bytes(nbytes: int, operation: str) -> None:
    """Refuse an interactive answer larger than ``max_result_bytes`` before its buffers exist."""
    limits = request_limits.current()
    if limits is not None and nbytes > limits.max_result_bytes:
        raise TooLarge(
            f"The result of this {operation} holds {nbytes / 1e6:,.1f} MB; an interactive answer holds at most "
            f"{limits.max_result_bytes / 1e6:,.0f} MB (limit max_result_bytes).",
            hint="Submit it as a job (POST remotem/api/jobs), which writes the result to a file, or restrict it "
                 "with an ROI, a step or fewer detectors.",
            limit="max_result_bytes", allowed=limits.max_result_bytes, bytes=nbytes)


def empty_reason(shape: Sequence[int], nav_ndim: int) -> str | None:
    """Why a dataset of ``shape`` holds nothing to compute on (None when it holds data)."""
    if math.prod(shape[:nav_ndim]) == 0:
        return f"this dataset of shape {list(shape)} has no frames"
    if math.prod(shape[nav_ndim:]) == 0:
        return f"the frames of this dataset of shape {list(shape)} have no pixels"
    return None


def require_data(shape: Sequence[int], nav_ndim: int, what: str) -> None:
    """Refuse to compute on an empty dataset, with the reason, instead of dividing by zero."""
    reason = empty_reason(shape, nav_ndim)
    if reason:
        raise BadParameter(f"There is nothing to {what}: {reason}.",
                           hint="Choose a dataset that holds data; GET meta shows the shape of each array.",
                           shape=list(shape))
