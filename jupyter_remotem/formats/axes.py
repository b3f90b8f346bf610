"""Axis calibrations and the navigation/signal split.

Conventions, in order of precedence: the format's own calibration (hyperspy axes, DM
calibrations, blockfile header), then the attribute convention below for plain HDF5/Zarr, then
pixel axes.  The default split makes the last two axes the diffraction frame.

Attribute convention for HDF5 datasets and Zarr arrays (all optional, one entry per axis)::

    axis_names   = ["scan_y", "scan_x", "ky", "kx"]
    axis_units   = ["nm", "nm", "mrad", "mrad"]
    axis_scales  = [0.4, 0.4, 0.25, 0.25]
    axis_offsets = [0, 0, -8, -8]
    nav_ndim     = 2            # or navigate = [1, 1, 0, 0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .dataset import Axis

NAV_NAMES = ("scan_z", "scan_y", "scan_x")
SIG_NAMES = ("ky", "kx")


def default_nav_ndim(ndim: int) -> int:
    """The last two axes are the frame (one for 1D data)."""
    return max(ndim - 2, 0)


def pixel_axes(shape: Sequence[int], nav_ndim: int) -> list[Axis]:
    axes = []
    for i, size in enumerate(shape):
        navigate = i < nav_ndim
        names = NAV_NAMES if navigate else SIG_NAMES
        position = i - nav_ndim if navigate else i - len(shape)
        name = names[position] if -len(names) <= position < 0 else f"axis{i}"
        axes.append(Axis(name=name, size=int(size), navigate=navigate))
    return axes


def _sequence(attrs: Mapping[str, Any], key: str, ndim: int) -> list[Any] | None:
    value = attrs.get(key)
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        return None
    items = list(np.asarray(value).ravel().tolist())
    if len(items) != ndim:
        return None
    return [item.decode() if isinstance(item, bytes) else item for item in items]


def nav_ndim_from_attrs(attrs: Mapping[str, Any], ndim: int) -> int:
    value = attrs.get("nav_ndim")
    try:
        if value is not None and 0 <= int(value) <= ndim:
            return int(value)
    except (TypeError, ValueError):
        pass
    navigate = _sequence(attrs, "navigate", ndim)
    if navigate is not None:
        flags = [bool(flag) for flag in navigate]
        count = sum(flags)
        if flags == [True] * count + [False] * (ndim - count):
            return count
    return default_nav_ndim(ndim)


def axes_from_attrs(attrs: Mapping[str, Any], shape: Sequence[int], nav_ndim: int) -> list[Axis]:
    """Calibrated axes from the attribute convention, falling back to pixels per field."""
    ndim = len(shape)
    base = pixel_axes(shape, nav_ndim)
    names = _sequence(attrs, "axis_names", ndim)
    units = _sequence(attrs, "axis_units", ndim)
    scales = _sequence(attrs, "axis_scales", ndim)
    offsets = _sequence(attrs, "axis_offsets", ndim)
    axes = []
    for i, axis in enumerate(base):
        try:
            axes.append(
                Axis(
                    name=str(names[i]) if names else axis.name,
                    size=axis.size,
                    scale=float(scales[i]) if scales else 1.0,
                    offset=float(offsets[i]) if offsets else 0.0,
                    units=str(units[i]) if units else axis.units,
                    navigate=axis.navigate,
                )
            )
        except (TypeError, ValueError):
            axes.append(axis)
    return axes


def axes_from_hyperspy(axes: Sequence[Mapping[str, Any]], shape: Sequence[int]) -> tuple[list[Axis], int]:
    """Axes from rsciio's ``axes`` list, and the navigation dimension they imply.

    rsciio lists axes in array order; navigation axes come first in every reader we use, so a
    file whose flags are not ``nav... sig...`` falls back to the default split.
    """
    if len(axes) != len(shape):
        nav_ndim = default_nav_ndim(len(shape))
        return pixel_axes(shape, nav_ndim), nav_ndim
    flags = [bool(axis.get("navigate", False)) for axis in axes]
    count = sum(flags)
    nav_ndim = count if flags == [True] * count + [False] * (len(shape) - count) else default_nav_ndim(len(shape))
    pixels = pixel_axes(shape, nav_ndim)
    result = []
    for i, (raw, size) in enumerate(zip(axes, shape)):
        units = raw.get("units")
        result.append(
            Axis(
                name=str(raw.get("name") or pixels[i].name),
                size=int(size),
                scale=float(raw.get("scale", 1.0) or 1.0),
                offset=float(raw.get("offset", 0.0) or 0.0),
                units=str(units) if units not in (None, "", "<undefined>") else "px",
                navigate=i < nav_ndim,
            )
        )
    return result, nav_ndim


def axes_attributes(axes: Sequence[Axis], nav_ndim: int) -> dict[str, Any]:
    """The attribute convention above for ``axes``: what :func:`axes_from_attrs` reads back."""
    return {
        "axis_names": [axis.name for axis in axes],
        "axis_units": [axis.units for axis in axes],
        "axis_scales": [float(axis.scale) for axis in axes],
        "axis_offsets": [float(axis.offset) for axis in axes],
        "nav_ndim": int(nav_ndim),
    }
