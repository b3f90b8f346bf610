"""The axes of a result array in a file, from the operation's declaration of that array.

An output is declared over the scan, over the frame or neither, with further named axes
(:class:`..compute.declarations.Dim`).  Files that carry axes take them from there: the scan's or
the detector's calibrated axes first, then each declared axis with its unit, calibrated from its
coordinate output when that is evenly spaced (a radial profile's radius).  HyperSpy also needs to
know which axes navigate: index axes (one per detector, per sector) always do; when the array has
a coordinate axis of its own (a profile over radius) that is the signal and the scan navigates;
otherwise the scan (or the frame) is the signal, an image per index.  HyperSpy keeps navigation
axes first in the array, so :func:`hyperspy_layout` answers the data in that order.

Arrays of undeclared operations, or whose shape does not match their declaration, get pixel axes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..compute.declarations import FRAME, SCAN, Output
from ..errors import BadParameter


def declared_output(operation: str, name: str) -> Output | None:
    from ..compute.operations import OPERATIONS

    declared = OPERATIONS.get(operation)
    return next((output for output in declared.outputs if output.name == name), None) if declared else None


def is_colour(operation: str, name: str) -> bool:
    """Whether the array ``name`` of ``operation``'s result holds its own red, green and blue
    (its output is declared ``colour``): pictures of it are drawn in those colours."""
    output = declared_output(operation, name)
    return output is not None and output.colour


def profile_ring(operation: str, name: str, array: Any, ring: int) -> np.ndarray | None:
    """Ring ``ring`` of a profile per scan position as the viewer shows it over the scan: the
    mean over the index axes (sectors) with NaN left out; None when ``name`` is no profile (its
    output's last axis a coordinate, the others indexes).  ``ring`` out of range is a 400."""
    output = declared_output(operation, name)
    dims = output.dims if output is not None else ()
    if (output is None or output.place != "scan" or output.colour or not dims or dims[-1].index
            or not all(dim.index for dim in dims[:-1])):
        return None
    values = np.asarray(array, dtype=np.float64)
    if values.ndim < 3:
        return None
    if not 0 <= ring < values.shape[-1]:
        raise BadParameter(f"The view shows {dims[-1].name} bin {ring} of {values.shape[-1]}.",
                           hint=f"Choose a bin from 0 to {values.shape[-1] - 1}.")
    plane = values[..., ring].reshape(values.shape[:2] + (-1,))
    given = np.isfinite(plane).sum(axis=-1)
    total = np.where(np.isfinite(plane), plane, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(given > 0, total / np.maximum(given, 1), np.nan)


def _pixels(shape: tuple[int, ...], reciprocal: bool) -> list[dict[str, Any]]:
    names = ("y", "x") if len(shape) == 2 else tuple(f"axis{i}" for i in range(len(shape)))
    return [{"name": names[i], "size": n, "scale": 1.0, "offset": 0.0, "units": "1/px" if reciprocal else "px",
             "navigate": False} for i, n in enumerate(shape)]


def _coordinate_axis(name: str, size: int, unit: str | None, values: Any) -> dict[str, Any]:
    axis = {"name": name, "size": size, "scale": 1.0, "offset": 0.0, "units": unit or ""}
    coordinate = np.asarray(values, dtype=np.float64) if values is not None else None
    if coordinate is not None and coordinate.shape == (size,) and size and np.all(np.isfinite(coordinate)):
        steps = np.diff(coordinate)
        if size == 1 or np.allclose(steps, steps[0], rtol=1e-9, atol=0):
            axis.update(offset=float(coordinate[0]), scale=float(steps[0]) if size > 1 else 1.0)
    return axis


def file_axes(output: Output | None, shape: tuple[int, ...], source: Mapping[str, Any], reciprocal: bool = False,
              coordinates: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The axes of an array of ``shape`` in array order, each with ``navigate`` (HyperSpy's flag)."""
    axes = list(source.get("axes") or [])
    nav_ndim = source.get("nav_ndim")
    lead: list[dict[str, Any]] = []
    if output is not None and output.place in (SCAN, FRAME) and nav_ndim is not None:
        lead = [dict(axis) for axis in (axes[:nav_ndim] if output.place == SCAN else axes[nav_ndim:])]
        if reciprocal:
            lead = [dict(axis, name=f"freq_{axis['name']}", scale=1.0, offset=0.0, units="1/px") for axis in lead]
    dims = output.dims if output is not None else ()
    if output is None or len(shape) != len(lead) + len(dims) \
            or tuple(axis["size"] for axis in lead) != tuple(shape[:len(lead)]):
        return _pixels(tuple(shape), reciprocal)
    extra = [_coordinate_axis(dim.name, n, dim.unit, (coordinates or {}).get(dim.coordinate) if dim.coordinate
                              else None) for dim, n in zip(dims, shape[len(lead):])]
    profile = any(not dim.index for dim in dims)
    for axis in lead:
        axis["navigate"] = profile
    for axis, dim in zip(extra, dims):
        axis["navigate"] = dim.index
    return lead + extra


def hyperspy_layout(array: np.ndarray, output: Output | None, source: Mapping[str, Any], reciprocal: bool = False,
                    coordinates: Mapping[str, Any] | None = None) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The data and its axes as HyperSpy keeps them: navigation axes first, then the signal's."""
    data = np.asarray(array)
    axes = file_axes(output, data.shape, source, reciprocal, coordinates)
    order = [i for i, axis in enumerate(axes) if axis["navigate"]] + \
            [i for i, axis in enumerate(axes) if not axis["navigate"]]
    return np.ascontiguousarray(np.transpose(data, order)), [axes[i] for i in order]


def hdf5_dims(output: Output | None, shape: tuple[int, ...], source: Mapping[str, Any],
              reciprocal: bool = False) -> list[tuple[str, str]]:
    """``(label, unit)`` of each axis of an HDF5 dataset (h5py's dimension labels)."""
    return [(axis["name"] or "", axis.get("units") or "") for axis in file_axes(output, shape, source, reciprocal)]
