"""Arrays to pictures: colormaps (one list, served to the viewer), scaling, colour wheels, colour
outputs drawn as their own red, green and blue, PNG.

Rendering lives on the server because a PNG of a reduction is far smaller than the data behind
it; the lab extension and the widgets show the bytes as they are.  The colormaps are declared
here once: :data:`COLORMAP_LIST` names them, matplotlib gives their tables (so that images look
the same as in the user's own plots), and ``GET views`` serves the same 256-entry tables to the
viewer, which colours its canvases with them.  :func:`draw` maps values to colours exactly as the
viewer does (``labextension/src/viewer/scaling.ts``), so that a picture saved from a view is the
view: same limits, same scale, same lookup, NaN transparent.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PIL import Image

from .errors import BadParameter

Scale = Literal["linear", "log", "power", "percentile"]


@dataclass(frozen=True)
class Colormap:
    """One offered colormap: its name (what requests and views say), its label in menus, and
    whether it is diverging (suits signed data centred on zero)."""

    name: str
    label: str
    diverging: bool = False
    cyclic: bool = False


#: The colormaps, in menu order: the one list the server draws with and the viewer offers.
COLORMAP_LIST: tuple[Colormap, ...] = (
    Colormap("gray", "Gray"),
    Colormap("viridis", "Viridis"),
    Colormap("magma", "Magma"),
    Colormap("inferno", "Inferno"),
    Colormap("cividis", "Cividis"),
    Colormap("coolwarm", "Cool–warm", diverging=True),
    Colormap("RdBu", "Red–blue", diverging=True),
    Colormap("RdBu_r", "Blue–red", diverging=True),
    Colormap("twilight", "Twilight (cyclic)", cyclic=True),
)
COLORMAPS = tuple(entry.name for entry in COLORMAP_LIST)
#: Scales of the viewer's display (and of previews); ``power`` uses ``gamma``.
SCALES: tuple[str, ...] = ("linear", "log", "power", "percentile")

_LUTS: dict[str, np.ndarray] = {}


def check_colormap(name: Any) -> str:
    if name not in COLORMAPS:
        raise BadParameter(f"Unknown colormap {name!r}.", hint=f"Use one of: {', '.join(COLORMAPS)}.")
    return name


def lut(name: str) -> np.ndarray:
    """The 256 × RGB uint8 lookup table of a colormap of :data:`COLORMAP_LIST` (entry 0: lowest)."""
    table = _LUTS.get(name)
    if table is None:
        check_colormap(name)
        from matplotlib import colormaps  # on first use: a job worker that draws nothing never pays for it

        rgba = colormaps[name](np.linspace(0.0, 1.0, 256))
        table = np.round(rgba[:, :3] * 255.0).astype(np.uint8)
        table.setflags(write=False)
        _LUTS[name] = table
    return table


def colormaps_json() -> list[dict[str, Any]]:
    """The colormap list as served: name, label, diverging, cyclic and the table as 256 hex
    colours in one string (``"000000010101..."``)."""
    return [{"name": entry.name, "label": entry.label, "diverging": entry.diverging, "cyclic": entry.cyclic,
             "lut": lut(entry.name).tobytes().hex()} for entry in COLORMAP_LIST]


def normalise(
    image: np.ndarray,
    scale: str = "linear",
    vmin: float | None = None,
    vmax: float | None = None,
    percentiles: tuple[float, float] = (0.5, 99.5),
    gamma: float = 0.5,
) -> np.ndarray:
    """Map values to [0, 1] for previews; NaN stays NaN so it can be drawn transparent-black."""
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
    unit = np.clip((data - low) / span, 0.0, 1.0)
    return unit**gamma if scale == "power" else unit


def apply_colormap(unit: np.ndarray, cmap: str = "gray") -> np.ndarray:
    """RGB uint8 image from values in [0, 1] (NaN → black)."""
    table = lut(cmap)
    index = np.nan_to_num(np.floor(np.asarray(unit) * 255.0 + 0.5), nan=0.0).astype(np.uint8)
    rgb = table[index]
    rgb[~np.isfinite(unit)] = 0
    return rgb


# -- the viewer's display, exactly --------------------------------------------------------------

@dataclass(frozen=True)
class Scaling:
    """How the viewer maps values to [0, 1] (``IScaling`` in ``viewer/scaling.ts``)."""

    mode: str = "linear"
    vmin: float = 0.0
    vmax: float = 1.0
    gamma: float = 0.5
    percentiles: tuple[float, float] = (1.0, 99.0)
    symmetric: bool = False

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Scaling:
        value = value or {}
        default = cls()
        limits = [value.get(key) for key in ("vmin", "vmax")]
        return cls(
            mode=value.get("mode", default.mode),
            vmin=float(limits[0]) if limits[0] is not None else math.nan,
            vmax=float(limits[1]) if limits[1] is not None else math.nan,
            gamma=float(value.get("gamma", default.gamma)),
            percentiles=tuple(value.get("percentiles", default.percentiles)),  # type: ignore[arg-type]
            symmetric=bool(value.get("symmetric", default.symmetric)),
        )


def _widen(vmin: float, vmax: float) -> tuple[float, float]:
    if vmax > vmin:
        return vmin, vmax
    half = 0.5 if vmin == 0 else abs(vmin) / 2
    return vmin - half, vmin + half


def _percentile(values: np.ndarray, q: float) -> float:
    """numpy's linear percentile, computed as the viewer computes it (a + (b - a) t)."""
    n = values.size
    position = (min(max(q, 0.0), 100.0) / 100.0) * (n - 1)
    lower = math.floor(position)
    t = position - lower
    a = float(values[lower])
    if t == 0 or lower + 1 >= n:
        return a
    return a + (float(values[lower + 1]) - a) * t


def _smallest_positive(data: np.ndarray) -> float | None:
    positive = data[(data > 0) & np.isfinite(data)]
    return float(positive.min()) if positive.size else None


def auto_limits(data: np.ndarray, scaling: Scaling) -> tuple[float, float]:
    """The limits the viewer takes from the data while its display is ``auto`` (``autoLimits``)."""
    data = np.asarray(data, dtype=np.float64).ravel()
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 1.0
    if scaling.mode == "percentile":
        ordered = np.sort(finite)
        low, high = scaling.percentiles
        vmin, vmax = _percentile(ordered, min(low, high)), _percentile(ordered, max(low, high))
    else:
        vmin, vmax = float(finite.min()), float(finite.max())
    if scaling.mode == "log":
        floor = _smallest_positive(data)
        if floor is None:
            return 0.1, 1.0
        vmin = max(vmin, floor)
        vmax = max(vmax, vmin)
        return (vmin, vmax) if vmax > vmin else (vmin / 2, vmax * 2)
    if scaling.symmetric:
        m = max(abs(vmin), abs(vmax))
        return (-m, m) if m > 0 else (-1.0, 1.0)
    return _widen(vmin, vmax)


def unit(image: np.ndarray, scaling: Scaling) -> np.ndarray:
    """Values in [0, 1] (NaN stays NaN) as the viewer's ``normaliser`` makes them."""
    data = np.asarray(image, dtype=np.float64)
    vmin, vmax = scaling.vmin, scaling.vmax
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if scaling.mode == "log":
            if not vmin > 0:
                floor = _smallest_positive(data)
                vmin = floor if floor is not None else (vmax * 1e-3 if vmax > 0 else 1e-3)
            if not vmax > vmin:
                vmax = vmin * 10
            low = math.log(vmin)
            span = math.log(vmax) - low
            out = np.clip((np.log(np.where(data > 0, data, 1.0)) - low) / span, 0.0, 1.0)
            out[data <= 0] = 0.0
            out[np.isnan(data)] = np.nan
            return out
        if scaling.symmetric:
            m = max(abs(vmin), abs(vmax))
            vmin, vmax = -m, m
        vmin, vmax = _widen(vmin, vmax)
        span = vmax - vmin
        out = np.clip((data - vmin) / span, 0.0, 1.0)
        if scaling.mode == "power":
            out = out ** (scaling.gamma if scaling.gamma > 0 else 1.0)
        return out


def draw(image: np.ndarray, cmap: str, scaling: Scaling, auto: bool) -> np.ndarray:
    """RGBA uint8 pixels of a 2-D image as the viewer draws it: limits from the data while
    ``auto`` (else the scaling's own), the colormap's table, NaN fully transparent."""
    data = np.asarray(image, dtype=np.float64)
    scaling = resolved_scaling(data, scaling, auto)
    t = unit(data, scaling)
    table = lut(cmap)
    shown = ~np.isnan(t)
    index = np.floor(np.where(shown, t, 0.0) * 255.0 + 0.5).astype(np.intp)
    rgba = np.zeros(data.shape + (4,), np.uint8)
    rgba[..., :3] = table[index]
    rgba[..., 3] = 255
    rgba[~shown] = 0
    return rgba


def field_wheel(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """RGBA pixels of a vector field as the viewer's colour wheel (``colourWheel`` in
    ``viewer/images.ts``): hue is the direction, brightness the length over the longest one;
    positions without a value are transparent."""
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    length = np.hypot(x, y)
    finite = np.isfinite(x) & np.isfinite(y)
    lengths = length[np.isfinite(length)]
    longest = float(lengths.max()) if lengths.size else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        hue = np.mod(np.arctan2(y, x) / (2 * np.pi) + 1, 1.0)
        value = length / longest if longest > 0 else np.zeros_like(length)
    sector = np.mod(np.floor(hue * 6), 6).astype(np.intp)
    f = hue * 6 - np.floor(hue * 6)
    zero = np.zeros_like(value)
    q = value * (1 - f)
    t = value * f
    choices = [(value, t, zero), (q, value, zero), (zero, value, t), (zero, q, value), (t, zero, value),
               (value, zero, q)]
    rgba = np.zeros(y.shape + (4,), np.uint8)
    for channel in range(3):
        picked = np.choose(np.where(finite, sector, 0), [c[channel] for c in choices])
        # Math.round: halves go up.
        rgba[..., channel] = np.clip(np.floor(np.nan_to_num(picked) * 255 + 0.5), 0, 255).astype(np.uint8)
    rgba[..., 3] = 255
    rgba[~finite] = 0
    return rgba


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


def colour_pixels(values: np.ndarray) -> np.ndarray:
    """RGB uint8 pixels of an output that holds its own colours (a ``colour`` output: red,
    green and blue along the last axis), drawn as they are rather than through a colormap, so
    that a decomposition's composite looks the same in a saved picture as in the viewer:
    floats are clipped to 0..1 and stretched to 0..255, integers clipped to 0..255, and a
    position without a value (NaN) is black.  A 1-D scan's colours are one row."""
    data = np.asarray(values)
    if data.ndim == 2:
        data = data[np.newaxis]
    if data.ndim != 3 or data.shape[-1] != 3:
        raise BadParameter(f"A colour image holds red, green and blue along its last axis, one image of them; "
                           f"this array has shape {list(np.shape(values))}.", hint="Ask for npy or json.")
    if data.dtype.kind in "iub":
        return np.clip(data, 0, 255).astype(np.uint8)
    unit_values = np.clip(np.nan_to_num(data.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    # Rounded half up, as the viewer's colourPixels (viewer/planes.ts) does.
    return np.floor(unit_values * 255.0 + 0.5).astype(np.uint8)


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


# -- saved pictures: a chosen size, a scale bar, a colour bar -------------------------------------

#: Largest side a saved picture may have (pixels), and the smallest.
PICTURE_SIZES = (16, 8192)


def resolved_scaling(image: np.ndarray, scaling: Scaling, auto: bool) -> Scaling:
    """The scaling :func:`draw` uses for ``image``: limits from the data while ``auto`` and for a
    limit the view left out, else the view's own (so a colour bar can say what the colours mean)."""
    data = np.asarray(image, dtype=np.float64)
    if auto and data.size:
        vmin, vmax = auto_limits(data, scaling)
        return Scaling(scaling.mode, vmin, vmax, scaling.gamma, scaling.percentiles, scaling.symmetric)
    if not (math.isfinite(scaling.vmin) and math.isfinite(scaling.vmax)):
        vmin, vmax = auto_limits(data, scaling)
        return Scaling(scaling.mode, scaling.vmin if math.isfinite(scaling.vmin) else vmin,
                       scaling.vmax if math.isfinite(scaling.vmax) else vmax, scaling.gamma,
                       scaling.percentiles, scaling.symmetric)
    return scaling


def shown_limits(scaling: Scaling) -> tuple[float, float]:
    """The values at the two ends of the colormap as :func:`unit` maps them (symmetric limits
    centred on zero, a flat range widened, a log scale's non-positive floor left to the data)."""
    vmin, vmax = scaling.vmin, scaling.vmax
    if scaling.mode == "log":
        return vmin, vmax if vmax > vmin else vmin * 10
    if scaling.symmetric:
        m = max(abs(vmin), abs(vmax))
        vmin, vmax = -m, m
    return _widen(vmin, vmax)


@dataclass(frozen=True)
class ScaleBar:
    """What one image pixel measures (``scale`` in ``units``), for a scale bar."""

    scale: float
    units: str


def nice_length(longest: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``longest`` (a scale bar's length)."""
    if not longest > 0 or not math.isfinite(longest):
        return 0.0
    power = 10.0 ** math.floor(math.log10(longest))
    for step in (5.0, 2.0, 1.0):
        if step * power <= longest:
            return step * power
    return power


def format_value(value: float) -> str:
    """A limit or a length as a short label: 3 significant digits, exponent when far from 1."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}"
    return f"{value:.2e}"


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=max(8, size))


def _draw_scale_bar(picture: Image.Image, bar: ScaleBar, array_width: int) -> None:
    """A white bar with a black outline and its length, at the lower left of the image."""
    from PIL import ImageDraw

    width, height = picture.size
    zoom = width / array_width
    length = nice_length(0.25 * array_width * bar.scale)
    if length <= 0:
        return
    pixels = max(1, round(length / bar.scale * zoom))
    margin = max(4, round(0.04 * min(width, height)))
    thickness = max(3, round(0.025 * height))
    font = _font(max(10, round(0.045 * height)))
    draw = ImageDraw.Draw(picture)
    x0, y1 = margin, height - margin
    y0 = y1 - thickness
    draw.rectangle((x0 - 1, y0 - 1, x0 + pixels, y1), fill=(0, 0, 0, 255))
    draw.rectangle((x0, y0, x0 + pixels - 1, y1 - 1), fill=(255, 255, 255, 255))
    label = f"{format_value(length)} {bar.units}".strip()
    draw.text((x0, y0 - 3), label, fill=(255, 255, 255, 255), font=font, anchor="ld", stroke_width=2,
              stroke_fill=(0, 0, 0, 255))


def colour_bar_strip(cmap: str, height: int) -> np.ndarray:
    """RGB rows of a vertical colour bar ``height`` pixels tall: the colormap's top entry in the
    first row, its lowest in the last, each row the table entry :func:`draw` uses for that value."""
    t = (height - 1 - np.arange(height)) / max(height - 1, 1)
    return lut(cmap)[np.floor(t * 255.0 + 0.5).astype(np.intp)]


def _with_colour_bar(picture: Image.Image, cmap: str, scaling: Scaling) -> Image.Image:
    """The picture with a strip to its right: the colormap from the lower to the upper limit, labelled."""
    from PIL import ImageDraw

    width, height = picture.size
    font = _font(max(10, round(0.045 * height)))
    vmin, vmax = shown_limits(scaling)
    labels = [format_value(vmax), format_value(vmin)]
    text_width = max(ImageDraw.Draw(picture).textlength(label, font=font) for label in labels)
    gap = max(4, round(0.02 * width))
    bar_width = max(8, round(0.05 * width))
    pad = max(2, round(0.01 * height))
    bar_height = height - 2 * pad
    out = Image.new("RGBA", (width + 2 * gap + bar_width + int(math.ceil(text_width)) + gap, height),
                    (255, 255, 255, 255))
    out.paste(picture, (0, 0))
    strip = np.repeat(colour_bar_strip(cmap, bar_height)[:, None, :], bar_width, axis=1)
    x0 = width + gap
    out.paste(Image.fromarray(np.ascontiguousarray(strip), "RGB"), (x0, pad))
    draw = ImageDraw.Draw(out)
    draw.rectangle((x0 - 1, pad - 1, x0 + bar_width, pad + bar_height), outline=(0, 0, 0, 255))
    draw.text((x0 + bar_width + gap, pad), labels[0], fill=(0, 0, 0, 255), font=font, anchor="lt")
    draw.text((x0 + bar_width + gap, pad + bar_height), labels[1], fill=(0, 0, 0, 255), font=font, anchor="lb")
    if scaling.mode != "linear":
        draw.text((x0 + bar_width + gap, pad + bar_height // 2), scaling.mode, fill=(0, 0, 0, 255), font=font,
                  anchor="lm")
    return out


def picture(rgba: np.ndarray, size: int | None = None, scale_bar: ScaleBar | None = None,
            colour_bar: tuple[str, Scaling] | None = None) -> np.ndarray:
    """A drawn image (RGBA, one pixel per array element) as a saved picture: its longest side
    ``size`` pixels (nearest neighbour, so that pixels stay square), a scale bar when
    ``scale_bar`` says what a pixel measures, and a colour bar (colormap and the scaling the
    image was drawn with) in a strip to its right."""
    height, width = rgba.shape[:2]
    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    if size:
        low, high = PICTURE_SIZES
        if not low <= size <= high:
            raise BadParameter(f"A picture's size must be from {low} to {high} pixels, not {size}.")
        image = image.resize(fit_size((height, width), size), Image.Resampling.NEAREST)
    if scale_bar is not None and scale_bar.scale > 0:
        _draw_scale_bar(image, scale_bar, width)
    if colour_bar is not None:
        image = _with_colour_bar(image, *colour_bar)
    return np.asarray(image)
