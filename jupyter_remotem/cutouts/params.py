"""The parameters of a cutout request, declared once: the REST endpoint parses them, ``GET
remotem/api/cutouts/parameters`` serves them, and the Python client builds its requests from them.

SODA 1.0 names (``ID``, ``POS``, ``CIRCLE``, ``POLYGON``, ``BAND``, ``RESPONSEFORMAT``; case does
not matter) and familiar aliases (``survey``, ``ra``, ``dec``, ``size``, ...) mean the same request;
giving both spellings of one thing, an unknown parameter or a value out of range is a 400 with the
reason, never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import BadParameter

UNITS = {"arcsec": 1 / 3600.0, "arcmin": 1 / 60.0, "deg": 1.0, "pix": None}
FORMATS = {"fits": "fits", "application/fits": "fits", "image/fits": "fits", "application/x-fits": "fits",
           "png": "png", "image/png": "png", "jpg": "jpg", "jpeg": "jpg", "image/jpeg": "jpg"}
#: Formats that are pictures (8-bit, north up), not data.
PICTURES = ("png", "jpg")
STRETCHES = ("linear", "sqrt", "log", "asinh")
ALGORITHMS = ("native", "resample")
MODES = ("trim", "partial", "strict")
#: Resampling: spline interpolation of three orders, or the exact, flux-conserving overlap.
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "flux")
#: Colour pictures from three or more bands.
RGB = ("lupton", "linear", "asinh")
#: Largest edge (pixels) of a picture: a larger cutout is shown block-averaged down to it, and the
#: answer says so (``X-Cutout-Downscaled``); the data itself (FITS) is never downscaled.
PICTURE_MAX_EDGE = 2048
#: Colormaps named when matplotlib is not installed (then only these, with their own tables).
OWN_CMAPS = ("gray", "gray_r")
#: Most an output pixel may be coarser or finer than the survey's (a larger ratio is no cutout).
PIXSCALE_RATIO = 1000.0
#: Largest angular size one side may be asked for (degrees): beyond this a tangent plane is no cutout.
MAX_SIDE_DEG = 30.0


@dataclass(frozen=True)
class Parameter:
    """One request parameter as clients see it."""

    name: str
    type: str
    description: str
    aliases: tuple[str, ...] = ()
    soda: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    example: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("survey", "string", "Survey name (GET remotem/api/cutouts/surveys lists yours).", ("id",), True,
              example="demo_mosaic"),
    Parameter("pos", "shape", "SODA position: 'CIRCLE ra dec radius', 'RANGE ra1 ra2 dec1 dec2' or "
              "'POLYGON ra1 dec1 ra2 dec2 ...', degrees (ICRS).", soda=True, example="CIRCLE 150.0 2.0 0.005"),
    Parameter("circle", "string", "SODA CIRCLE: 'ra dec radius' in degrees; the cutout is the square around it.",
              soda=True, example="150.0 2.0 0.005"),
    Parameter("polygon", "string", "SODA POLYGON: 'ra1 dec1 ra2 dec2 ...' in degrees; the cutout is its pixel box.",
              soda=True, example="149.99 1.99 150.01 1.99 150.0 2.01"),
    Parameter("ra", "number", "Right ascension of the centre, degrees (ICRS).", example="150.0"),
    Parameter("dec", "number", "Declination of the centre, degrees (ICRS), -90 to 90.", example="2.0"),
    Parameter("size", "size", "Side of a square cutout with a unit: arcsec, arcmin, deg or pix (a bare number is "
              "arcsec).", example="64pix"),
    Parameter("width", "size", "Width (along RA, the image's x axis), with a unit like size.", example="30arcsec"),
    Parameter("height", "size", "Height (along Dec, the image's y axis), with a unit like size.", example="1arcmin"),
    Parameter("bands", "bands", "Bands, e.g. 'gri' or 'g,r,i' (default: the survey's first); three for colour PNG.",
              ("band",), True, example="gri"),
    Parameter("planes", "string", "FITS only: planes of the survey's tiles cut on the image's grid beside each band, "
              "comma-separated, e.g. 'weight,mask' (GET remotem/api/cutouts/surveys lists each survey's planes).",
              example="weight,mask"),
    Parameter("mode", "choice", "As astropy Cutout2D: 'trim' keeps what the survey covers, 'partial' fills the "
              "rest with fill_value, 'strict' refuses a cutout not fully covered.", default="trim", choices=MODES),
    Parameter("fill_value", "number", "Value of pixels no tile covers (mode=partial).", default="nan"),
    Parameter("format", "choice", "Answer: FITS (one image extension per band), or a PNG or JPEG picture.",
              ("responseformat",), True, default="fits", choices=("fits", "png", "jpg")),
    Parameter("algorithm", "choice", "'native' cuts the tiles' own pixels; 'resample' reprojects every tile that "
              "touches the area onto a tangent-plane grid centred on the target (pixscale, rotation, "
              "interpolation).", default="native", choices=ALGORITHMS),
    Parameter("pixscale", "number", "resample: output pixel scale in arcsec per pixel (default: the survey's).",
              example="0.5"),
    Parameter("rotation", "number", "resample: degrees east of north of the image's up axis.", default="0",
              example="30"),
    Parameter("interpolation", "choice", "resample: spline interpolation (nearest, bilinear, bicubic), or 'flux': "
              "exact overlap areas, each output pixel holding the flux of the sky it covers.", default="bilinear",
              choices=INTERPOLATIONS),
    Parameter("stretch", "choice", "Picture stretch of a single band, or of each colour channel with rgb=linear; "
              "with rgb=lupton a number: make_lupton_rgb's stretch (default: the span of the limits).",
              default="asinh", choices=STRETCHES, example="asinh"),
    Parameter("min_cut", "limit", "Picture lower limit: a value, or a percentile like '0.5%'.", default="0.5%"),
    Parameter("max_cut", "limit", "Picture upper limit: a value, or a percentile like '99.5%'.", default="99.5%"),
    Parameter("zscale", "boolean", "Picture limits from astropy's ZScaleInterval instead of min_cut/max_cut.",
              default="false", example="true"),
    Parameter("cmap", "string", "Colormap of a single-band picture: any matplotlib colormap name "
              "(GET remotem/api/cutouts/parameters lists them).", default="gray", example="viridis"),
    Parameter("rgb", "choice", "Colour picture from three or more bands, given blue to red: 'lupton' "
              "(make_lupton_rgb), or 'linear' / 'asinh' per channel. More than three bands are mixed into "
              "blue, green and red by the declared weights (cutouts/parameters: rgb_weights).",
              default="lupton", choices=RGB),
    Parameter("q", "number", "Lupton softening Q of colour pictures.", default="8"),
    Parameter("minimum", "number", "Lupton black level of colour pictures (default: the lower limit).", ),
    Parameter("max_edge", "integer", f"Largest picture edge in pixels, at most {PICTURE_MAX_EDGE}; a larger "
              "cutout is block-averaged down and the answer says so (X-Cutout-Downscaled).",
              default=str(PICTURE_MAX_EDGE), example="512"),
    Parameter("scalebar", "size", "Draw a scale bar on the picture: an angle ('10arcsec') or 'true' for a round "
              "length near a fifth of the width.", example="10arcsec"),
    Parameter("compass", "boolean", "Draw north and east arrows on the picture (from the WCS).", default="false",
              example="true"),
    Parameter("caption", "boolean", "Write the survey, bands and coordinates on the picture.", default="false",
              example="true"),
)
BY_NAME = {p.name: p for p in PARAMETERS}
ALIASES = {alias: p.name for p in PARAMETERS for alias in (p.name, *p.aliases)}
#: Arguments the server itself uses and a request may carry beside the parameters.
IGNORED = {"token", "_xsrf", "request", "runid"}


@dataclass
class CutoutRequest:
    """A validated request."""

    survey: str
    ra: float
    dec: float
    #: ``(height, width)``, each ``(value, unit)``; None for a polygon.
    size: tuple[tuple[float, str], tuple[float, str]] | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    bands: tuple[str, ...] | None = None
    #: Planes (weight, mask ...) cut beside each band's image: FITS only, names checked against the survey.
    planes: tuple[str, ...] = ()
    mode: str = "trim"
    fill_value: float = math.nan
    format: str = "fits"
    algorithm: str = "native"
    stretch: str = "asinh"
    min_cut: tuple[float, bool] = (0.5, True)  # (value, is percent)
    max_cut: tuple[float, bool] = (99.5, True)
    q: float = 8.0
    minimum: float | None = None
    #: resample: arcsec per output pixel (None: the survey's), rotation east of north, interpolation.
    pixscale: float | None = None
    rotation: float = 0.0
    interpolation: str = "bilinear"
    zscale: bool = False
    cmap: str = "gray"
    rgb: str = "lupton"
    #: make_lupton_rgb's stretch (None: the span of the limits).
    lupton_stretch: float | None = None
    max_edge: int = PICTURE_MAX_EDGE
    #: Scale bar length in degrees; 0 for a round length chosen for the picture; None for none.
    scalebar: float | None = None
    compass: bool = False
    caption: bool = False
    given: dict[str, str] = field(default_factory=dict)

    @property
    def layers(self) -> int:
        """Images cut per band: the band's own and one per plane asked for (what sizes and quotes count)."""
        return 1 + len(self.planes)

    def radius_deg(self, pixscale_deg: float) -> float:
        """Radius of a circle holding the whole cutout (for the footprint index)."""
        if self.polygon is not None:
            from . import sphere

            centre = sphere.unit(self.ra, self.dec)
            return float(max(sphere.angle(centre, sphere.unit(ra, dec)) for ra, dec in self.polygon))
        assert self.size is not None
        sides = [value * (pixscale_deg if unit == "pix" else UNITS[unit]) for value, unit in self.size]
        return 0.5 * math.hypot(*sides) + 2 * pixscale_deg


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(f"'{name}' must be a number, not '{text}'.", hint=_hint(name)) from None
    if not math.isfinite(value):
        raise BadParameter(f"'{name}' must be finite, not '{text}'.", hint=_hint(name))
    return value


def _hint(name: str) -> str:
    parameter = BY_NAME.get(name)
    if parameter is None:
        return "GET remotem/api/cutouts/parameters lists the parameters."
    return f"{parameter.description} For example {name}={parameter.example or parameter.default}."


def _coordinates(ra: float, dec: float, where: str) -> tuple[float, float]:
    if not -90.0 <= dec <= 90.0:
        raise BadParameter(f"Declination {dec} in {where} is outside -90..90 degrees.",
                           hint="Coordinates are ICRS degrees: ra 0..360, dec -90..90.")
    if not -360.0 <= ra <= 720.0:
        raise BadParameter(f"Right ascension {ra} in {where} is not an angle in degrees.",
                           hint="Coordinates are ICRS degrees: ra 0..360, dec -90..90.")
    return ra % 360.0, dec


_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(arcsec|arcmin|deg|pix|px)?\s*$")


def parse_size(name: str, text: str) -> tuple[float, str]:
    """``'64pix'``, ``'30arcsec'``, ``'1.5 arcmin'``, ``'0.01deg'``, or a bare number of arcsec."""
    match = _SIZE.match(text.lower())
    if not match:
        raise BadParameter(f"'{name}={text}' is not a size with a unit (arcsec, arcmin, deg or pix).",
                           hint="For example size=64pix, size=30arcsec, width=2arcmin&height=1arcmin.")
    value, unit = float(match.group(1)), match.group(2) or "arcsec"
    unit = "pix" if unit == "px" else unit
    if value <= 0:
        raise BadParameter(f"'{name}' must be larger than zero, not '{text}'.", hint="For example size=64pix.")
    if unit == "pix" and not float(value).is_integer():
        raise BadParameter(f"'{name}={text}': a size in pixels is a whole number.", hint="For example size=64pix.")
    if unit != "pix" and value * UNITS[unit] > MAX_SIDE_DEG:
        raise BadParameter(f"'{name}={text}' is more than {MAX_SIDE_DEG:g} degrees: too large for one cutout.",
                           hint="Ask for a smaller area, or several cutouts.")
    return value, unit


def _shape(name: str, text: str) -> tuple[str, list[float]]:
    words = text.replace(",", " ").split()
    if not words:
        raise BadParameter(f"'{name}' is empty.", hint=_hint("pos"))
    kind = words[0].upper()
    if name == "pos":
        if kind not in ("CIRCLE", "RANGE", "POLYGON"):
            raise BadParameter(f"POS must start with CIRCLE, RANGE or POLYGON, not '{words[0]}'.", hint=_hint("pos"))
        words = words[1:]
    else:
        kind = name.upper()
    numbers = [_number(name, w) for w in words]
    expected = {"CIRCLE": lambda n: n == 3, "RANGE": lambda n: n == 4,
                "POLYGON": lambda n: n >= 6 and n % 2 == 0}[kind]
    if not expected(len(numbers)):
        raise BadParameter(f"{kind} takes " + {"CIRCLE": "3 numbers (ra dec radius)",
                                               "RANGE": "4 numbers (ra1 ra2 dec1 dec2)",
                                               "POLYGON": "at least 3 vertices (ra dec pairs)"}[kind]
                           + f", not {len(numbers)}.", hint=_hint("pos" if name == "pos" else name))
    return kind, numbers


def _limit(name: str, text: str) -> tuple[float, bool]:
    percent = text.strip().endswith("%")
    value = _number(name, text.strip().rstrip("%"))
    if percent and not 0 <= value <= 100:
        raise BadParameter(f"'{name}={text}': a percentile is between 0% and 100%.", hint=_hint(name))
    return value, percent


def _choice(name: str, text: str, choices: tuple[str, ...]) -> str:
    value = text.strip().lower()
    if value not in choices:
        raise BadParameter(f"'{name}' must be one of {', '.join(choices)}, not '{text}'.", hint=_hint(name))
    return value


def split_bands(text: str, known: tuple[str, ...], wavelengths: dict[str, float] | None = None) -> tuple[str, ...]:
    """``'g,r,i'``, ``'g r i'``, ``'gri'`` (single-letter bands), one band's name, or SODA's
    wavelength interval in metres (``'4.0e-7 5.5e-7'``, either end may be ``-Inf``/``+Inf``):
    the bands whose declared effective wavelength falls inside, bluest first."""
    text = text.strip()
    try:
        numbers = [float(word) for word in text.split()]
    except ValueError:
        numbers = []
    if numbers:
        return _bands_in(text, numbers, known, wavelengths or {})
    if "," in text or " " in text:
        names = [n for n in re.split(r"[,\s]+", text) if n]
    elif text in known:
        names = [text]
    else:
        names = list(text)
    unknown = [n for n in names if n not in known]
    example = "".join(known) if all(len(b) == 1 for b in known) else ",".join(known)
    if unknown or not names:
        raise BadParameter(f"Band{'s' if len(unknown) > 1 else ''} {', '.join(unknown) or repr(text)} "
                           f"not in this survey, which has {', '.join(known)}.",
                           hint=f"For example bands={example}.")
    if len(set(names)) != len(names):
        raise BadParameter(f"A band is named twice in '{text}'.", hint="Name each band once.")
    return tuple(names)


def split_planes(text: str, format: str) -> tuple[str, ...]:
    """``'weight,mask'`` (or space-separated): the planes asked for, each once; the survey's own
    names are checked with the survey (:func:`check_planes`). Pictures show no planes."""
    names = tuple(n for n in re.split(r"[,\s]+", text.strip()) if n)
    if names and format in PICTURES:
        raise BadParameter(f"planes ({', '.join(names)}) are data beside the image; a {format.upper()} picture "
                           "shows the image only.", hint="Ask for format=fits, or leave planes out.")
    if len(set(names)) != len(names):
        raise BadParameter(f"A plane is named twice in planes='{text}'.", hint="Name each plane once.")
    return names


def check_planes(planes: tuple[str, ...], survey: str, known: tuple[str, ...]) -> None:
    """Refuse planes the survey's tiles do not have, naming those they have."""
    unknown = [p for p in planes if p not in known]
    if not unknown:
        return
    if not known:
        raise BadParameter(f"Survey '{survey}' has no planes beside its images (asked for {', '.join(unknown)}).",
                           hint="Leave planes out; GET remotem/api/cutouts/surveys lists each survey's planes.")
    raise BadParameter(f"Plane{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} not in survey '{survey}', "
                       f"which has {', '.join(known)}.", hint=f"For example planes={','.join(known)}.")


def _bands_in(text: str, numbers: list[float], known: tuple[str, ...],
              wavelengths: dict[str, float]) -> tuple[str, ...]:
    if not wavelengths:
        raise BadParameter(f"BAND={text} is a wavelength interval, but this survey declares no band wavelengths; it "
                           f"names its bands: {', '.join(known)}.",
                           hint="Give the band by name, e.g. BAND=" + known[0] + ".")
    if len(numbers) == 1:
        numbers = numbers * 2
    low, high = numbers if len(numbers) == 2 else (math.nan, math.nan)
    if not (low <= high) or math.isnan(low) or (math.isfinite(low) and low < 0):
        raise BadParameter(f"BAND={text}: a wavelength interval is two numbers in metres, low then high.",
                           hint="For example BAND=4.0e-7 5.5e-7.")
    inside = sorted((w, b) for b, w in wavelengths.items() if low <= w <= high and b in known)
    if not inside:
        declared = ", ".join(f"{b} {w:.3g} m" for b, w in sorted(wavelengths.items(), key=lambda i: i[1]))
        raise BadParameter(f"No band of this survey has its wavelength in BAND={text} (metres); it declares "
                           f"{declared}.", hint="Widen the interval, or give the band by name.")
    return tuple(b for _, b in inside)


def collect(arguments: dict[str, list[str]]) -> dict[str, str]:
    """One value per canonical parameter name; unknown names and doubled meanings are refused."""
    given: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for raw_name, values in arguments.items():
        name = raw_name.lower()
        if name in IGNORED:
            continue
        canonical = ALIASES.get(name)
        if canonical is None:
            raise BadParameter(f"Unknown parameter '{raw_name}'.",
                               hint="GET remotem/api/cutouts/parameters lists the parameters and their aliases.")
        if len(values) != 1 or canonical in given:
            other = spelled.get(canonical, raw_name)
            raise BadParameter(f"'{canonical}' is given more than once ({other} and {raw_name})"
                               if canonical in given else f"'{raw_name}' is given {len(values)} times.",
                               hint="One cutout per request: submit several positions as a batch job.")
        given[canonical] = values[0]
        spelled[canonical] = raw_name
    return given


def parse(arguments: dict[str, list[str]]) -> CutoutRequest:
    """A request from query or form arguments (each name with its list of values)."""
    given = collect(arguments)
    if "survey" not in given or not given["survey"].strip():
        raise BadParameter("Name the survey: 'survey' (SODA: 'ID').", hint=_hint("survey"))
    survey = given["survey"].strip()
    if survey.startswith("ivo://") and "?" in survey:
        survey = survey.rsplit("?", 1)[1]
    shapes = [name for name in ("pos", "circle", "polygon") if name in given]
    centre_given = [name for name in ("ra", "dec") if name in given]
    sizes = [name for name in ("size", "width", "height") if name in given]
    if len(shapes) > 1 or (shapes and (centre_given or sizes)):
        raise BadParameter(f"Give the area one way: {' and '.join(shapes + centre_given + sizes)} were all given.",
                           hint="Either POS (or CIRCLE/POLYGON), or ra, dec and size.")
    request = CutoutRequest(survey=survey, ra=0.0, dec=0.0, given=dict(given))
    if shapes:
        kind, numbers = _shape(shapes[0], given[shapes[0]])
        if kind == "CIRCLE":
            ra, dec = _coordinates(numbers[0], numbers[1], shapes[0].upper())
            radius = numbers[2]
            if not 0 < radius <= MAX_SIDE_DEG / 2:
                raise BadParameter(f"The CIRCLE radius {radius} must be between 0 and {MAX_SIDE_DEG / 2:g} degrees.",
                                   hint=_hint("circle"))
            request.ra, request.dec = ra, dec
            request.size = ((2 * radius, "deg"), (2 * radius, "deg"))
        else:
            if kind == "RANGE":
                ra1, ra2, dec1, dec2 = numbers
                _coordinates(ra1, dec1, "RANGE")
                _coordinates(ra2, dec2, "RANGE")
                if dec1 >= dec2:
                    raise BadParameter("RANGE needs dec1 < dec2.", hint=_hint("pos"))
                width = (ra2 - ra1) % 360.0 or 360.0
                if width > MAX_SIDE_DEG or dec2 - dec1 > MAX_SIDE_DEG:
                    raise BadParameter(f"The RANGE spans more than {MAX_SIDE_DEG:g} degrees.", hint=_hint("pos"))
                steps = 8
                edge = [(ra1 + width * k / steps, dec1) for k in range(steps + 1)]
                edge += [(ra1 + width * k / steps, dec2) for k in range(steps, -1, -1)]
                vertices = [(ra % 360.0, dec) for ra, dec in edge]
            else:
                vertices = [_coordinates(numbers[i], numbers[i + 1], "POLYGON") for i in range(0, len(numbers), 2)]
            from . import sphere
            import numpy as np

            vectors = sphere.unit(*np.array(vertices).T)
            mean = vectors.sum(axis=0)
            if np.linalg.norm(mean) < 1e-9:
                raise BadParameter("The polygon has no centre (its vertices cancel out).", hint=_hint("polygon"))
            ra, dec = sphere.radec(mean)
            request.ra, request.dec = float(ra), float(dec)
            if float(np.max(sphere.angle(mean / np.linalg.norm(mean), vectors))) > MAX_SIDE_DEG:
                raise BadParameter(f"The polygon spans more than {MAX_SIDE_DEG:g} degrees.", hint=_hint("polygon"))
            request.polygon = tuple((float(a), float(b)) for a, b in vertices)
    else:
        missing = [name for name in ("ra", "dec") if name not in given]
        if missing:
            raise BadParameter(f"Give the position: {' and '.join(missing)} missing.",
                               hint="For example ra=150.0&dec=2.0&size=64pix, or POS=CIRCLE 150.0 2.0 0.005.")
        request.ra, request.dec = _coordinates(_number("ra", given["ra"]), _number("dec", given["dec"]), "ra/dec")
        if "size" in given and ("width" in given or "height" in given):
            raise BadParameter("Give either size or width and height, not both.", hint=_hint("size"))
        if "size" in given:
            side = parse_size("size", given["size"])
            request.size = (side, side)
        elif "width" in given and "height" in given:
            request.size = (parse_size("height", given["height"]), parse_size("width", given["width"]))
        else:
            raise BadParameter("Give the size: size, or width and height (each with a unit).", hint=_hint("size"))
    if "mode" in given:
        request.mode = _choice("mode", given["mode"], MODES)
    if "fill_value" in given:
        text = given["fill_value"].strip().lower()
        request.fill_value = math.nan if text == "nan" else _number("fill_value", text)
    if "format" in given:
        value = given["format"].strip().lower()
        if value not in FORMATS:
            raise BadParameter(f"'format' must be fits, png or jpg (SODA RESPONSEFORMAT application/fits, image/png "
                               f"or image/jpeg), not '{given['format']}'.", hint=_hint("format"))
        request.format = FORMATS[value]
    if "algorithm" in given:
        request.algorithm = _choice("algorithm", given["algorithm"], ALGORITHMS)
    if "planes" in given:
        request.planes = split_planes(given["planes"], request.format)
    _resampling(request, given)
    _picture(request, given)
    return request


def _boolean(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise BadParameter(f"'{name}' is true or false, not '{text}'.", hint=_hint(name))


def _resampling(request: CutoutRequest, given: dict[str, str]) -> None:
    """pixscale, rotation and interpolation: only for algorithm=resample."""
    if request.algorithm != "resample":
        named = [name for name in ("pixscale", "rotation", "interpolation") if name in given]
        if named:
            raise BadParameter(f"{', '.join(named)} shape resampled cutouts; algorithm=native cuts the tiles' own "
                               "pixels.", hint="Add algorithm=resample, or leave them out.")
        return
    if "pixscale" in given:
        request.pixscale = _number("pixscale", given["pixscale"].strip().lower().removesuffix("arcsec"))
        if request.pixscale <= 0:
            raise BadParameter(f"pixscale must be larger than zero (arcsec per pixel), not '{given['pixscale']}'.",
                               hint=_hint("pixscale"))
    if "rotation" in given:
        request.rotation = _number("rotation", given["rotation"].strip().lower().removesuffix("deg"))
    if "interpolation" in given:
        request.interpolation = _choice("interpolation", given["interpolation"], INTERPOLATIONS)


def cmap_names() -> tuple[str, ...]:
    """The colormaps a picture may use: matplotlib's when installed, else :data:`OWN_CMAPS`."""
    try:
        import matplotlib
    except ImportError:
        return OWN_CMAPS
    return tuple(sorted(matplotlib.colormaps))


def _picture(request: CutoutRequest, given: dict[str, str]) -> None:
    """The options of PNG and JPEG answers; refused for FITS, which is data, not a picture."""
    shaping = [name for name in ("stretch", "min_cut", "max_cut", "zscale", "cmap", "rgb", "q", "minimum",
                                 "max_edge", "scalebar", "compass", "caption") if name in given]
    if request.format not in PICTURES:
        if shaping:
            raise BadParameter(f"{', '.join(shaping)} shape PNG and JPEG pictures; this request asks for FITS.",
                               hint="Add format=png (or jpg), or leave them out.")
        return
    if "rgb" in given:
        request.rgb = _choice("rgb", given["rgb"], RGB)
    if "stretch" in given:
        text = given["stretch"].strip()
        try:
            number = float(text)
        except ValueError:
            request.stretch = _choice("stretch", text, STRETCHES)
        else:
            if not (math.isfinite(number) and number > 0):
                raise BadParameter(f"A Lupton stretch is a positive number, not '{text}'.", hint=_hint("stretch"))
            request.lupton_stretch = number
    if "min_cut" in given:
        request.min_cut = _limit("min_cut", given["min_cut"])
    if "max_cut" in given:
        request.max_cut = _limit("max_cut", given["max_cut"])
    if request.min_cut[1] == request.max_cut[1] and request.min_cut[0] >= request.max_cut[0]:
        raise BadParameter("min_cut must be below max_cut.", hint="For example min_cut=0.5%&max_cut=99.5%.")
    if "zscale" in given:
        request.zscale = _boolean("zscale", given["zscale"])
        if request.zscale and ("min_cut" in given or "max_cut" in given):
            raise BadParameter("Give the limits one way: zscale, or min_cut and max_cut.", hint=_hint("zscale"))
    if "cmap" in given:
        name = given["cmap"].strip()
        names = cmap_names()
        if name not in names:
            close = [n for n in names if n.lower() == name.lower()]
            raise BadParameter(f"There is no colormap '{name}'" + (f" (did you mean '{close[0]}'?)." if close else "."),
                               hint="For example cmap=gray, cmap=viridis or cmap=magma; GET "
                                    "remotem/api/cutouts/parameters lists them (cmaps).")
        request.cmap = name
    if "q" in given:
        request.q = _number("q", given["q"])
        if request.q <= 0:
            raise BadParameter("Q must be larger than zero.", hint=_hint("q"))
    if "minimum" in given:
        request.minimum = _number("minimum", given["minimum"])
    if "max_edge" in given:
        edge = _number("max_edge", given["max_edge"])
        if not (edge.is_integer() and 16 <= edge <= PICTURE_MAX_EDGE):
            raise BadParameter(f"max_edge is a whole number of pixels from 16 to {PICTURE_MAX_EDGE}, not "
                               f"'{given['max_edge']}'.", hint=_hint("max_edge"))
        request.max_edge = int(edge)
    if "scalebar" in given:
        text = given["scalebar"].strip().lower()
        if text in ("1", "true", "yes", "on", "auto"):
            request.scalebar = 0.0
        elif text not in ("0", "false", "no", "off"):
            value, unit = parse_size("scalebar", text if re.search(r"[a-z]", text) else text + "arcsec")
            if unit == "pix":
                raise BadParameter("A scale bar is an angle, e.g. scalebar=10arcsec.", hint=_hint("scalebar"))
            request.scalebar = value * UNITS[unit]
    for name in ("compass", "caption"):
        if name in given:
            setattr(request, name, _boolean(name, given[name]))


def rgb_weights(count: int) -> list[tuple[float, float, float]]:
    """How ``count`` bands (given blue to red) mix into (blue, green, red): three bands one each;
    more spread evenly — the band at position t (0 bluest, 1 reddest) gives blue max(0, 1 − 2t),
    green 1 − |2t − 1| and red max(0, 2t − 1) — each channel's weights summing to one."""
    if count < 3:
        raise ValueError("colour needs three or more bands")
    ts = [k / (count - 1) for k in range(count)]
    raw = [(max(0.0, 1 - 2 * t), 1 - abs(2 * t - 1), max(0.0, 2 * t - 1)) for t in ts]
    sums = [sum(w[c] for w in raw) for c in range(3)]
    return [tuple(w[c] / sums[c] for c in range(3)) for w in raw]  # type: ignore[misc]


def schema() -> dict[str, Any]:
    """What ``GET remotem/api/cutouts/parameters`` serves."""
    return {"parameters": [p.to_json() for p in PARAMETERS], "units": list(UNITS),
            "formats": sorted(set(FORMATS.values())), "max_side_deg": MAX_SIDE_DEG,
            "picture_max_edge": PICTURE_MAX_EDGE, "cmaps": list(cmap_names()),
            "rgb_weights": {str(n): [list(w) for w in rgb_weights(n)] for n in range(3, 7)},
            "band_wavelength_unit": "m"}
