"""Arrays to pictures: scaling, colormaps, colour wheels and PNG encoding.

Rendering lives on the server because a PNG of a reduction is far smaller than the data behind
it; the lab extension and the widgets show the bytes as they are.  Colormaps come from
matplotlib so that images look the same as in the user's own plots.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
from matplotlib import colormaps
from PIL import Image

from .errors import BadParameter

Scale = Literal["linear", "log", "percentile"]
COLORMAPS = ("gray", "viridis", "magma", "inferno", "cividis", "RdBu_r", "twilight")
SCALES = ("linear", "log", "percentile")


def normalise(
    image: np.ndarray,
    scale: str = "linear",
    vmin: float | None = None,
    vmax: float | None = None,
    percentiles: tuple[float, float] = (0.5, 99.5),
) -> np.ndarray:
    """Map values to [0, 1]; NaN stays NaN so it can be drawn transparent-black."""
    if scale not in SCALES:
        raise BadParameter(f"Unknown scale '{scale}'.", hint=f"Use one of: {', '.join(SCALES)}.")
    data = np.asarray(image, dtype=np.float64)
    if scale == "log":
        finite_positive = data[np.isfinite(data) & (data > 0)]
        floor = finite_positive.min() if finite_positive.size else 1.0
        data = np.log10(np.where(data > 0, data, floor))
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return np.full(data.shape, np.nan)
    if scale == "percentile":
        low, high = np.percentile(finite, percentiles)
    else:
        low, high = finite.min(), finite.max()
    low = low if vmin is None else vmin
    high = high if vmax is None else vmax
    span = high - low
    if not np.isfinite(span) or span <= 0:
        return np.where(np.isfinite(data), 0.5, np.nan)
    return np.clip((data - low) / span, 0.0, 1.0)


def apply_colormap(unit: np.ndarray, cmap: str = "gray") -> np.ndarray:
    """RGB uint8 image from values in [0, 1] (NaN → black)."""
    if cmap not in colormaps:
        raise BadParameter(f"Unknown colormap '{cmap}'.", hint=f"Try one of: {', '.join(COLORMAPS)}.")
    lut = (colormaps[cmap](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)
    index = np.nan_to_num(unit * 255.0, nan=0.0).astype(np.uint8)
    rgb = lut[index]
    rgb[~np.isfinite(unit)] = 0
    return rgb


def colour_wheel(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Vector field as colour: hue is direction, brightness is magnitude (the usual CoM picture)."""
    from matplotlib.colors import hsv_to_rgb

    magnitude = np.hypot(y, x)
    finite = magnitude[np.isfinite(magnitude)]
    top = np.percentile(finite, 99.5) if finite.size else 1.0
    value = np.clip(np.nan_to_num(magnitude / (top if top > 0 else 1.0)), 0.0, 1.0)
    hue = (np.arctan2(np.nan_to_num(y), np.nan_to_num(x)) / (2 * np.pi)) % 1.0
    hsv = np.stack([hue, np.ones_like(hue), value], axis=-1)
    return (hsv_to_rgb(hsv) * 255).astype(np.uint8)


def fit_size(shape: tuple[int, int], longest: int) -> tuple[int, int]:
    """Width and height of a picture whose longest side is ``longest`` (aspect kept)."""
    height, width = shape
    factor = longest / max(height, width)
    return max(1, round(width * factor)), max(1, round(height * factor))


def encode_png(rgb: np.ndarray, longest: int | None = None, text: dict[str, str] | None = None) -> bytes:
    """PNG bytes, resized with nearest-neighbour so scan pixels stay visibly square; ``text``
    goes into tEXt chunks (where a saved picture keeps its provenance)."""
    from PIL.PngImagePlugin import PngInfo

    picture = Image.fromarray(np.ascontiguousarray(rgb))
    if longest:
        picture = picture.resize(fit_size(rgb.shape[:2], longest), Image.Resampling.NEAREST)
    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False, pnginfo=info)
    return buffer.getvalue()


def to_png(
    image: np.ndarray,
    cmap: str = "gray",
    scale: str = "linear",
    vmin: float | None = None,
    vmax: float | None = None,
    longest: int | None = None,
    text: dict[str, str] | None = None,
) -> bytes:
    """A 2-D array as a PNG in one call."""
    if image.ndim == 1:
        image = image[np.newaxis, :]
    if image.ndim != 2:
        raise BadParameter(f"Can only render 2-D images, not shape {image.shape}.")
    return encode_png(apply_colormap(normalise(image, scale, vmin, vmax), cmap), longest, text)
