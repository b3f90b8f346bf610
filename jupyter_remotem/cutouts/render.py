"""Answers: FITS with the cutout's WCS and where it came from, or a PNG picture.

FITS: an empty primary HDU with the provenance (survey, request, position, software) and one
image extension per band (``EXTNAME`` = band) holding the pixels, the cutout's WCS, the tiles
used and the descriptive cards of the tile (units, filter, zero point).  PNG: one band through a
stretch (linear, sqrt, log, asinh) between percentile or value limits, or three bands as colour
with astropy's ``make_lupton_rgb``; north up, as the sky is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from .native import Cut
from .params import CutoutRequest

#: Cards copied from the tile's header: what the pixels mean, not how the file was laid out.
DESCRIPTIVE = ("BUNIT", "FILTER", "MAGZERO", "MAGZP", "ZP", "EXPTIME", "TELESCOP", "INSTRUME", "DATE-OBS",
               "MJD-OBS", "SATURATE", "GAIN", "SKYLEVEL")


def fits_bytes(cuts: Sequence[Cut], request: CutoutRequest, survey: str) -> bytes:
    """The cutouts as one FITS file (written by :mod:`.fitswrite`; astropy reads it back)."""
    from . import fitswrite as w

    primary = [w.card("ORIGIN", "jupyter_remotem", "cutout service"),
               w.card("SURVEY", survey, "survey the pixels come from"),
               w.card("ALGORITH", request.algorithm, "native: the tiles' own pixels"),
               w.card("RA", float(request.ra), "[deg] requested centre, ICRS"),
               w.card("DEC", float(request.dec), "[deg] requested centre, ICRS")]
    if request.size is not None:
        (h, hu), (wv, wu) = request.size
        primary += [w.card("REQHEIGH", f"{h:g}{hu}", "requested height"),
                    w.card("REQWIDTH", f"{wv:g}{wu}", "requested width")]
    primary += [w.card("MODE", request.mode, "Cutout2D mode"),
                w.card("BANDS", ",".join(c.band for c in cuts), "one image extension per band")]
    primary += w.history("request: " + "&".join(f"{k}={v}" for k, v in sorted(request.given.items())))
    hdus = [w.hdu_bytes(primary, None, primary=True)]
    for cut in cuts:
        # wcslib's own header text; SIP distortions live outside wcslib, so astropy writes those.
        wcs_text = cut.wcs.to_header(relax=True).tostring() if cut.wcs.sip is not None \
            else cut.wcs.wcs.to_header(relax=True)
        cards = w.text_cards(wcs_text)
        cards += [w.card("BAND", cut.band, "survey band"), w.card("SURVEY", survey),
                  w.card("NTILES", len(cut.tiles), "tiles the pixels come from")]
        for k, tile in enumerate(cut.tiles, start=1):
            cards.append(w.card(f"TILE{k}", tile, "first: the grid's tile" if k == 1 else "fills pixels outside TILE1"))
        if cut.plan is not None:
            cards += _descriptive(cut.plan.first.header)
            x0 = cut.plan.slices_original[1].start - cut.plan.slices_cutout[1].start
            y0 = cut.plan.slices_original[0].start - cut.plan.slices_cutout[0].start
            cards += [w.card("ORIGX", int(x0), "0-based x of pixel 0 in TILE1 (before trimming)"),
                      w.card("ORIGY", int(y0), "0-based y of pixel 0 in TILE1 (before trimming)")]
        hdus.append(w.hdu_bytes(cards, cut.data, primary=False, extname=cut.band.upper()))
    return w.file_bytes(hdus)


_DESCRIPTIVE_CACHE: dict[str, list[str]] = {}


def _descriptive(header_text: str) -> list[str]:
    """The tile's descriptive cards (units, filter, zero point ...), verbatim, parsed once per tile."""
    cached = _DESCRIPTIVE_CACHE.get(header_text)
    if cached is None:
        from . import fitswrite as w

        wanted = set(DESCRIPTIVE)
        cached = [c for c in w.text_cards(header_text) if c[:8].strip() in wanted and c[8:10] == "= "]
        if len(_DESCRIPTIVE_CACHE) > 4096:
            _DESCRIPTIVE_CACHE.clear()
        _DESCRIPTIVE_CACHE[header_text] = cached
    return cached


def _limits(data: np.ndarray, request: CutoutRequest) -> tuple[float, float]:
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 1.0
    wanted = []
    for value, percent in (request.min_cut, request.max_cut):
        wanted.append(float(np.percentile(finite, value)) if percent else float(value))
    low, high = wanted
    if high <= low:
        high = low + 1.0 if low == 0 else low + abs(low) * 1e-6
    return low, high


def stretched(data: np.ndarray, request: CutoutRequest) -> np.ndarray:
    """One band scaled to 0..1 through the request's stretch and limits."""
    from astropy.visualization import AsinhStretch, LinearStretch, LogStretch, ManualInterval, SqrtStretch

    stretch = {"linear": LinearStretch(), "sqrt": SqrtStretch(), "log": LogStretch(),
               "asinh": AsinhStretch()}[request.stretch]
    low, high = _limits(data, request)
    values = ManualInterval(low, high)(np.nan_to_num(data.astype(np.float64), nan=low), clip=True)
    return stretch(values, clip=True)


def png_bytes(cuts: Sequence[Cut], request: CutoutRequest) -> bytes:
    """A picture: grey for one band, colour for three (blue, green, red in the order given)."""
    from PIL import Image

    if len(cuts) == 1:
        pixels = (stretched(cuts[0].data, request) * 255 + 0.5).astype(np.uint8)
        image = Image.fromarray(np.ascontiguousarray(np.flipud(pixels)))
    elif len(cuts) == 3:
        from astropy.visualization import make_lupton_rgb

        shapes = {c.data.shape for c in cuts}
        if len(shapes) != 1:
            raise ValueError("bands of different shapes")
        blue, green, red = (np.nan_to_num(c.data.astype(np.float64)) for c in cuts)
        low = request.minimum
        if low is None:
            low = min(_limits(band, request)[0] for band in (blue, green, red))
        high = max(_limits(band, request)[1] for band in (blue, green, red))
        rgb = make_lupton_rgb(red, green, blue, minimum=low, stretch=max(high - low, 1e-12), Q=request.q)
        image = Image.fromarray(np.ascontiguousarray(np.flipud(rgb)))
    else:
        raise ValueError("one or three bands")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
