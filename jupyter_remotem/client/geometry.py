"""Shape, dtype and calibrated axes of a dataset as the client sees it.

The server describes a dataset once (``GET meta``); a chained dataset (``ds.crop(...).bin(2)``)
has a geometry of its own, computed here from the steps, so ``.shape``, ``.axes`` and the
coordinates of an xarray result are right before anything runs remotely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Axis:
    """One calibrated axis: value of index ``i`` is ``offset + i * scale`` in ``units``."""

    name: str
    size: int
    scale: float = 1.0
    offset: float = 0.0
    units: str = ""
    navigate: bool = True

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Axis:
        return cls(str(body.get("name") or ""), int(body["size"]), float(body.get("scale") or 1.0),
                   float(body.get("offset") or 0.0), str(body.get("units") or ""), bool(body.get("navigate")))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "scale": self.scale, "offset": self.offset,
                "units": self.units, "navigate": self.navigate}

    def coordinates(self) -> np.ndarray:
        return self.offset + self.scale * np.arange(self.size)


@dataclass(frozen=True)
class Geometry:
    shape: tuple[int, ...]
    dtype: np.dtype
    nav_ndim: int
    axes: tuple[Axis, ...]

    @classmethod
    def from_meta(cls, dataset: dict[str, Any]) -> Geometry:
        """From the ``dataset`` part of a ``GET meta`` answer."""
        shape = tuple(int(n) for n in dataset["shape"])
        axes = tuple(Axis.from_json(a) for a in dataset.get("axes") or [])
        nav_ndim = len(dataset.get("nav_shape") or [])
        if len(axes) != len(shape):
            axes = pixel_axes(shape, nav_ndim)
        return cls(shape, np.dtype(dataset["dtype"]), nav_ndim, axes)

    @classmethod
    def of_array(cls, shape: tuple[int, ...], dtype: Any, nav_ndim: int | None = None,
                 axes: list[Axis] | None = None) -> Geometry:
        nav = max(len(shape) - 2, 0) if nav_ndim is None else nav_ndim
        if not 0 <= nav <= len(shape):
            raise ValueError(f"nav_ndim must lie between 0 and {len(shape)}, not {nav}.")
        return cls(tuple(shape), np.dtype(dtype), nav, tuple(axes) if axes else pixel_axes(shape, nav))

    @property
    def nav_shape(self) -> tuple[int, ...]:
        return self.shape[: self.nav_ndim]

    @property
    def sig_shape(self) -> tuple[int, ...]:
        return self.shape[self.nav_ndim:]

    @property
    def nav_axes(self) -> tuple[Axis, ...]:
        return self.axes[: self.nav_ndim]

    @property
    def sig_axes(self) -> tuple[Axis, ...]:
        return self.axes[self.nav_ndim:]

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def subsampled(self, step: int) -> Geometry:
        """Every ``step``-th scan position (the geometry of a coarse answer)."""
        if step == 1:
            return self
        nav = tuple(replace(a, size=-(-a.size // step), scale=a.scale * step) for a in self.nav_axes)
        return replace(self, shape=tuple(a.size for a in nav) + self.sig_shape, axes=nav + self.sig_axes)


def pixel_axes(shape: tuple[int, ...], nav_ndim: int) -> tuple[Axis, ...]:
    """Uncalibrated axes named like the server names them: scan_y, scan_x, ky, kx."""
    nav_names, sig_names = ("scan_z", "scan_y", "scan_x"), ("ky", "kx")
    axes = []
    for i, size in enumerate(shape):
        navigate = i < nav_ndim
        names, position = (nav_names, i - nav_ndim) if navigate else (sig_names, i - len(shape))
        name = names[position] if -len(names) <= position else f"axis{i}"
        axes.append(Axis(name, int(size), navigate=navigate))
    return tuple(axes)
