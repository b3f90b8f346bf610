"""Pictures of cutouts: one band through limits, a stretch and a colormap, or colour from three or
more bands; block-averaged down to the declared largest edge first.

Every step is astropy.visualization's (``ManualInterval``/``ZScaleInterval``, the stretches,
``make_lupton_rgb``) or matplotlib's colormaps, so a picture can be checked against them on the
same data.  Arrays here are in FITS order (row 0 is the bottom); :func:`north_up` turns them into
picture order at the end.  What was chosen (limits, the downscaling factor) is reported back, so
an answer never hides it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .params import CutoutRequest, rgb_weights


@dataclass
class Picture:
    """Pixels ready for Pillow (picture order) and how they were made."""

    pixels: np.ndarray  # uint8, (h, w) grey or (h, w, 3) RGB
    factor: int  # block size of the downscaling (1: none)
    data_shape: tuple[int, int]
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return "L" if self.pixels.ndim == 2 else "RGB"


def factor_for(shape: tuple[int, int], max_edge: int) -> int:
    """The smallest whole block size that brings the larger edge to at most ``max_edge``."""
    return max(1, int(math.ceil(max(shape) / max_edge)))


def downscale(data: np.ndarray, factor: int) -> np.ndarray:
    """Block means of ``factor`` × ``factor`` pixels (NaNs ignored; a ragged last block is the mean
    of what it holds), so the picture's pixel k is centred on the data's block k."""
    if factor == 1:
        return data
    ny, nx = data.shape
    h, w = -(-ny // factor), -(-nx // factor)
    padded = np.full((h * factor, w * factor), np.nan, dtype=np.float64)
    padded[:ny, :nx] = data
    blocks = padded.reshape(h, factor, w, factor)
    count = np.isfinite(blocks).sum(axis=(1, 3))
    total = np.nansum(blocks, axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def limits(data: np.ndarray, request: CutoutRequest) -> tuple[float, float]:
    """Lower and upper limits: astropy's ZScaleInterval, or values and percentiles of the finite pixels."""
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 1.0
    if request.zscale:
        from astropy.visualization import ZScaleInterval

        low, high = (float(v) for v in ZScaleInterval().get_limits(finite))
    else:
        wanted = [float(np.percentile(finite, value)) if percent else float(value)
                  for value, percent in (request.min_cut, request.max_cut)]
        low, high = wanted
    if high <= low:
        high = low + 1.0 if low == 0 else low + abs(low) * 1e-6
    return low, high


def _stretch(name: str):  # noqa: ANN202 - an astropy stretch
    from astropy.visualization import AsinhStretch, LinearStretch, LogStretch, SqrtStretch

    return {"linear": LinearStretch(), "sqrt": SqrtStretch(), "log": LogStretch(), "asinh": AsinhStretch()}[name]


def normalised(data: np.ndarray, low: float, high: float, stretch: str) -> np.ndarray:
    """0..1: the limits (NaN shown as the lower one), then the stretch, as astropy computes them."""
    from astropy.visualization import ManualInterval

    values = ManualInterval(low, high)(np.nan_to_num(np.asarray(data, dtype=np.float64), nan=low), clip=True)
    return _stretch(stretch)(values, clip=True)


def to_bytes(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def colormap(values: np.ndarray, name: str) -> np.ndarray:
    """0..1 values through a colormap: grey stays one channel; others are RGB (matplotlib's
    tables when installed, else the declared own ones)."""
    if name == "gray":
        return to_bytes(values)
    if name == "gray_r":
        return to_bytes(1.0 - values)
    import matplotlib

    rgba = matplotlib.colormaps[name](values)
    return to_bytes(rgba[..., :3])


def north_up(pixels: np.ndarray) -> np.ndarray:
    """FITS order (row 0 at the bottom) to picture order (row 0 at the top)."""
    return np.ascontiguousarray(pixels[::-1])


def single(data: np.ndarray, request: CutoutRequest, band: str = "") -> Picture:
    """One band: downscale, limits, stretch, colormap."""
    factor = factor_for(data.shape, request.max_edge)
    small = downscale(np.asarray(data, dtype=np.float64), factor)
    low, high = limits(small, request)
    pixels = colormap(normalised(small, low, high, request.stretch), request.cmap)
    return Picture(north_up(pixels), factor, tuple(data.shape), {band or "band": (low, high)})


def channels(bands: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Blue, green and red from the bands given blue to red (:func:`.params.rgb_weights`)."""
    weights = rgb_weights(len(bands))
    out = []
    for c in range(3):
        total = np.zeros(bands[0].shape, dtype=np.float64)
        for band, w in zip(bands, weights):
            if w[c]:
                total += w[c] * band
        out.append(total)
    return out


def colour(bands: Sequence[np.ndarray], request: CutoutRequest) -> Picture:
    """Three or more bands (blue to red) as one RGB picture."""
    shape = bands[0].shape
    factor = factor_for(shape, request.max_edge)
    small = [np.nan_to_num(downscale(np.asarray(b, dtype=np.float64), factor)) for b in bands]
    blue, green, red = channels(small)
    reported: dict[str, tuple[float, float]] = {}
    if request.rgb == "lupton":
        from astropy.visualization import make_lupton_rgb

        spans = [limits(channel, request) for channel in (blue, green, red)]
        low = request.minimum if request.minimum is not None else min(s[0] for s in spans)
        stretch = request.lupton_stretch or max(max(s[1] for s in spans) - low, 1e-12)
        rgb = make_lupton_rgb(red, green, blue, minimum=low, stretch=stretch, Q=request.q)
        reported["lupton"] = (float(low), float(low + stretch))
    else:
        stretch = "linear" if request.rgb == "linear" else "asinh"
        planes = []
        for name, channel in (("red", red), ("green", green), ("blue", blue)):
            low, high = limits(channel, request)
            reported[name] = (low, high)
            planes.append(to_bytes(normalised(channel, low, high, stretch)))
        rgb = np.stack(planes, axis=-1)
    return Picture(north_up(np.asarray(rgb, dtype=np.uint8)), factor, tuple(shape), reported)
