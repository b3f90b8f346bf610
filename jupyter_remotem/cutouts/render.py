"""Answers: FITS with the cutout's WCS and where it came from, or a PNG or JPEG picture.

FITS: an empty primary HDU with the provenance (survey, request, position, algorithm and its
grid, software) and one image extension per band (``EXTNAME`` = band) holding the pixels, the
cutout's WCS, the tiles used and the descriptive cards of the tile (units, filter, zero point);
after each band, one extension per plane asked for (``EXTNAME`` = ``<BAND>_<PLANE>``, a ``PLANE``
card, the band's WCS cards, the plane's own dtype).
Pictures (:mod:`.imaging`, :mod:`.overlays`): one band through limits, a stretch and a colormap,
or colour from three or more bands; north up, as the sky is drawn; block-averaged down to the
declared largest edge, which the answer reports.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .native import Cut
from .params import CutoutRequest

#: JPEG quality of pictures (Pillow's scale, 1..95).
JPEG_QUALITY = 90

#: Cards copied from the tile's header: what the pixels mean, not how the file was laid out.
DESCRIPTIVE = ("BUNIT", "FILTER", "MAGZERO", "MAGZP", "ZP", "EXPTIME", "TELESCOP", "INSTRUME", "DATE-OBS",
               "MJD-OBS", "SATURATE", "GAIN", "SKYLEVEL")
#: Of those, what a plane (weight, mask) shares with its image.
OF_EXPOSURE = ("FILTER", "EXPTIME", "TELESCOP", "INSTRUME", "DATE-OBS", "MJD-OBS")


def fits_bytes(cuts: Sequence[Cut], request: CutoutRequest, survey: str) -> bytes:
    """The cutouts as one FITS file (written by :mod:`.fitswrite`; astropy reads it back)."""
    from . import fitswrite as w

    primary = [w.card("ORIGIN", "jupyter_remotem", "cutout service"),
               w.card("SURVEY", survey, "survey the pixels come from"),
               w.card("ALGORITH", request.algorithm, "native: tiles' own pixels; resample: reprojected")]
    if request.algorithm == "resample":
        from .resample import INTERPOLATIONS

        primary += [w.card("INTERP", request.interpolation, f"reproject: {INTERPOLATIONS[request.interpolation]}"),
                    w.card("ROTATION", float(request.rotation), "[deg] image up axis, east of north")]
        if request.pixscale is not None:
            primary.append(w.card("PIXSCALE", float(request.pixscale), "[arcsec] requested output pixel"))
        if request.interpolation == "flux":
            primary.append(w.card("FLUXCONS", True, "pixel values scaled to conserve total flux"))
        try:
            from importlib.metadata import version

            primary.append(w.card("REPROJ", version("reproject"), "reproject version"))
        except Exception:  # noqa: BLE001 - provenance is best effort
            pass
    primary += [w.card("RA", float(request.ra), "[deg] requested centre, ICRS"),
                w.card("DEC", float(request.dec), "[deg] requested centre, ICRS")]
    if request.size is not None:
        (h, hu), (wv, wu) = request.size
        primary += [w.card("REQHEIGH", f"{h:g}{hu}", "requested height"),
                    w.card("REQWIDTH", f"{wv:g}{wu}", "requested width")]
    primary += [w.card("MODE", request.mode, "Cutout2D mode"),
                w.card("BANDS", ",".join(c.band for c in cuts if not c.plane), "one image extension per band")]
    if request.planes:
        primary.append(w.card("PLANES", ",".join(request.planes), "after each band: <BAND>_<PLANE> extensions"))
    primary += w.history("request: " + "&".join(f"{k}={v}" for k, v in sorted(request.given.items())))
    hdus = [w.hdu_bytes(primary, None, primary=True)]
    for cut in cuts:
        # wcslib's own header text; SIP distortions live outside wcslib, so astropy writes those.
        wcs_text = cut.wcs.to_header(relax=True).tostring() if cut.wcs.sip is not None \
            else cut.wcs.wcs.to_header(relax=True)
        cards = w.text_cards(wcs_text)
        cards += [w.card("BAND", cut.band, "survey band")]
        if cut.plane:
            cards.append(w.card("PLANE", cut.plane, "plane of the band's tiles, on the band's grid"))
        cards += [w.card("SURVEY", survey),
                  w.card("NTILES", len(cut.tiles), "tiles the pixels come from")]
        for k, tile in enumerate(cut.tiles, start=1):
            cards.append(w.card(f"TILE{k}", tile, "first: the grid's tile" if k == 1 else "fills pixels outside TILE1"))
        if cut.plan is not None:
            cards += _descriptive(cut.plan.first.header, cut.plane)
            x0 = cut.plan.slices_original[1].start - cut.plan.slices_cutout[1].start
            y0 = cut.plan.slices_original[0].start - cut.plan.slices_cutout[0].start
            cards += [w.card("ORIGX", int(x0), "0-based x of pixel 0 in TILE1 (before trimming)"),
                      w.card("ORIGY", int(y0), "0-based y of pixel 0 in TILE1 (before trimming)")]
        if cut.plan is None and getattr(cut, "header", ""):
            cards += _descriptive(cut.header, cut.plane)  # a resampled cut: the first tile's descriptive cards
        extname = f"{cut.band}_{cut.plane}".upper() if cut.plane else cut.band.upper()
        hdus.append(w.hdu_bytes(cards, cut.data, primary=False, extname=extname))
    return w.file_bytes(hdus)


_DESCRIPTIVE_CACHE: dict[str, list[str]] = {}


def _descriptive(header_text: str, plane: str = "") -> list[str]:
    """The tile's descriptive cards (units, filter, zero point ...), verbatim, parsed once per tile;
    of a plane only those about the exposure, since the image's units and zero point are not its."""
    cards = _descriptive_cards(header_text)
    return [c for c in cards if c[:8].strip() in OF_EXPOSURE] if plane else cards


def _descriptive_cards(header_text: str) -> list[str]:
    cached = _DESCRIPTIVE_CACHE.get(header_text)
    if cached is None:
        from . import fitswrite as w

        wanted = set(DESCRIPTIVE)
        cached = [c for c in w.text_cards(header_text) if c[:8].strip() in wanted and c[8:10] == "= "]
        if len(_DESCRIPTIVE_CACHE) > 4096:
            _DESCRIPTIVE_CACHE.clear()
        _DESCRIPTIVE_CACHE[header_text] = cached
    return cached


def stretched(data: np.ndarray, request: CutoutRequest) -> np.ndarray:
    """One band scaled to 0..1 through the request's limits and stretch (no downscaling)."""
    from . import imaging

    low, high = imaging.limits(np.asarray(data, dtype=np.float64), request)
    return imaging.normalised(data, low, high, request.stretch)


@dataclass
class Rendered:
    """A picture's bytes and what the answer says about how it was made."""

    body: bytes
    content_type: str
    size: tuple[int, int]  # (width, height)
    factor: int
    headers: dict[str, str] = field(default_factory=dict)


def picture(cuts: Sequence[Cut], request: CutoutRequest, survey: str = "") -> Rendered:
    """A PNG or JPEG: grey (or a colormap) for one band, colour for three or more (blue to red
    in the order given), with the overlays asked for."""
    from PIL import Image

    from . import imaging, overlays

    if len(cuts) == 1:
        made = imaging.single(cuts[0].data, request, cuts[0].band)
    elif len(cuts) >= 3:
        if len({c.data.shape for c in cuts}) != 1:
            raise ValueError("bands of different shapes")
        made = imaging.colour([c.data for c in cuts], request)
    else:
        raise ValueError("one band, or three or more")
    image = Image.fromarray(made.pixels)
    headers: dict[str, str] = {"X-Cutout-Limits": ";".join(f"{k}:{lo:.6g},{hi:.6g}"
                                                           for k, (lo, hi) in made.limits.items())}
    if made.factor > 1:
        ny, nx = made.data_shape
        headers["X-Cutout-Downscaled"] = (f"{nx}x{ny} -> {image.size[0]}x{image.size[1]} (block mean of "
                                          f"{made.factor}x{made.factor}; max_edge {request.max_edge})")
    if request.compass or request.scalebar is not None or request.caption:
        image = image.convert("RGB")
        frame = overlays.Frame(cuts[0].wcs, made.factor, image.size[1], image.size[0])
        caption = None
        if request.caption:
            caption = (f"{survey} {'+'.join(c.band for c in cuts)}  RA {request.ra:.5f} Dec {request.dec:+.5f}"
                       .strip())
        drawn = overlays.draw(image, frame, request.scalebar, request.compass, caption)
        headers.update({f"X-Cutout-{k.capitalize()}": v for k, v in drawn.items() if k != "caption"})
    buffer = io.BytesIO()
    if request.format == "jpg":
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
        kind = "image/jpeg"
    else:
        image.save(buffer, format="PNG")
        kind = "image/png"
    return Rendered(buffer.getvalue(), kind, image.size, made.factor, headers)


def png_bytes(cuts: Sequence[Cut], request: CutoutRequest) -> bytes:
    """The picture's bytes alone (the format the request names)."""
    return picture(cuts, request).body
