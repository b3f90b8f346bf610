"""What is drawn on a picture (Pillow): a scale bar, a compass and a caption.

Directions and lengths come from the cutout's WCS at the point where they are drawn, so they are
right for any rotation, pixel scale or projection (north is the direction of increasing
declination along the sky, east that of increasing right ascension).  Geometry is computed
apart from drawing (:func:`compass_geometry`, :func:`scalebar_geometry`) and reported in the
answer, so clients and tests can check what was drawn against the WCS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.wcs import WCS

from ..errors import BadParameter
from . import sphere

NORTH = (255, 230, 0)
EAST = (0, 220, 255)
INK = (255, 255, 255)


@dataclass(frozen=True)
class Frame:
    """How picture pixels relate to the data's: block size and the picture's height."""

    wcs: WCS  # of the data (full resolution, FITS order)
    factor: int
    height: int  # picture rows
    width: int

    def to_data(self, px: float, py: float) -> tuple[float, float]:
        """Picture pixel (column, row from the top) to the data's 0-based (x, y)."""
        return (px + 0.5) * self.factor - 0.5, (self.height - 1 - py + 0.5) * self.factor - 0.5

    def to_picture(self, x: float, y: float) -> tuple[float, float]:
        return (x + 0.5) / self.factor - 0.5, self.height - 1 - ((y + 0.5) / self.factor - 0.5)

    def scale_deg(self, px: float, py: float) -> float:
        """Degrees per picture pixel at a picture point (from the WCS there)."""
        x, y = self.to_data(px, py)
        ra, dec = self.wcs.all_pix2world([x, x + 1, x], [y, y, y + 1], 0)
        v = sphere.unit(ra, dec)
        return float(np.sqrt(sphere.angle(v[0], v[1]) * sphere.angle(v[0], v[2]))) * self.factor


def _towards(frame: Frame, px: float, py: float, which: str) -> tuple[float, float]:
    """Unit vector in picture pixels pointing north or east at a picture point."""
    x, y = frame.to_data(px, py)
    ra, dec = frame.wcs.all_pix2world([x], [y], 0)
    here = sphere.unit(ra[0], dec[0])
    east, north = sphere.tangent_basis(here)
    step = math.radians(frame.scale_deg(px, py))  # about one picture pixel on the sky
    target = here + step * (north if which == "N" else east)
    tra, tdec = sphere.radec(target / np.linalg.norm(target))
    tx, ty = frame.wcs.all_world2pix([float(tra)], [float(tdec)], 0)
    qx, qy = frame.to_picture(float(tx[0]), float(ty[0]))
    d = np.array([qx - px, qy - py])
    length = float(np.linalg.norm(d))
    if not (math.isfinite(length) and length > 0):
        raise BadParameter("The cutout's WCS gives no direction on the sky where the compass would be drawn.",
                           hint="Leave compass out for this area.")
    return tuple(d / length)  # type: ignore[return-value]


def compass_geometry(frame: Frame) -> dict[str, tuple[float, float]]:
    """The compass's anchor and its north and east arrow tips (picture pixels), bottom right
    (arrows may point any way, so the anchor is an arrow and its label away from both edges)."""
    length = max(8.0, min(frame.width, frame.height) / 8.0)
    margin = 0.35 * length + 4
    anchor = (frame.width - 1 - length - margin, frame.height - 1 - length - margin)
    out = {"anchor": anchor}
    for which in ("N", "E"):
        dx, dy = _towards(frame, *anchor, which)
        out[which] = (anchor[0] + length * dx, anchor[1] + length * dy)
    return out


def _round_angle(limit_deg: float) -> float:
    """The largest 1, 2 or 5 × 10^k arcsec at most ``limit_deg``."""
    arcsec = limit_deg * 3600.0
    power = 10 ** math.floor(math.log10(arcsec))
    for step in (5, 2, 1):
        if step * power <= arcsec:
            return step * power / 3600.0
    return power / 3600.0


def angle_text(deg: float) -> str:
    """A short label in characters every font has (no prime signs)."""
    if deg >= 1:
        return f"{deg:g} deg"
    if deg * 60 >= 1 and abs(deg * 60 - round(deg * 60)) < 1e-9:
        return f"{deg * 60:g}'"
    return f'{deg * 3600:g}"'



def scalebar_geometry(frame: Frame, length_deg: float) -> dict[str, Any]:
    """Start, end (picture pixels, bottom left) and length of the scale bar; 0 picks a round
    length near a fifth of the width."""
    margin = max(6.0, frame.width / 40)
    start = (margin, frame.height - 1 - margin - 4)
    scale = frame.scale_deg(*start)
    if length_deg == 0:
        length_deg = _round_angle(frame.width * scale / 5)
    pixels = length_deg / scale
    if pixels > frame.width - 2 * margin:
        raise BadParameter(f"A scale bar of {angle_text(length_deg)} is longer than the picture "
                           f"({angle_text(frame.width * scale)} wide).", hint="Ask for a shorter scalebar, e.g. "
                           f"scalebar={_round_angle(frame.width * scale / 5) * 3600:g}arcsec, or scalebar=true.")
    if pixels < 2:
        raise BadParameter(f"A scale bar of {angle_text(length_deg)} is less than two pixels of the picture.",
                           hint="Ask for a longer scalebar, or scalebar=true.")
    return {"start": start, "end": (start[0] + pixels, start[1]), "deg": length_deg}


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError, AttributeError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def _arrow(draw: Any, start: tuple[float, float], tip: tuple[float, float], colour: tuple[int, int, int],
           width: int) -> None:
    draw.line([start, tip], fill=colour, width=width)
    dx, dy = tip[0] - start[0], tip[1] - start[1]
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    head = max(3.0, length / 4)
    left = (tip[0] - head * ux + 0.5 * head * uy, tip[1] - head * uy - 0.5 * head * ux)
    right = (tip[0] - head * ux - 0.5 * head * uy, tip[1] - head * uy + 0.5 * head * ux)
    draw.polygon([tip, left, right], fill=colour)


def draw(image: Any, frame: Frame, scalebar: float | None, compass: bool, caption: str | None) -> dict[str, str]:
    """Draw what was asked on ``image`` (RGB, changed in place); answer what was drawn, for headers."""
    from PIL import ImageDraw

    pen = ImageDraw.Draw(image)
    size = max(9, min(frame.width, frame.height) // 24)
    font = _font(size)
    width = max(1, min(frame.width, frame.height) // 160)
    report: dict[str, str] = {}
    if caption:  # first: the arrows and the bar are drawn over it, never hidden by its box
        box = pen.textbbox((4, 3), caption, font=font)
        pen.rectangle((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), fill=(0, 0, 0))
        pen.text((4, 3), caption, fill=INK, font=font)
        report["caption"] = caption
    if compass:
        geometry = compass_geometry(frame)
        anchor = geometry["anchor"]
        for which, colour in (("N", NORTH), ("E", EAST)):
            tip = geometry[which]
            _arrow(pen, anchor, tip, colour, width)
            label = (anchor[0] + 1.3 * (tip[0] - anchor[0]), anchor[1] + 1.3 * (tip[1] - anchor[1]))
            pen.text(label, which, fill=colour, font=font, anchor="mm")
        report["compass"] = ";".join(f"{k}={v[0]:.2f},{v[1]:.2f}" for k, v in
                                     (("anchor", anchor), ("N", geometry["N"]), ("E", geometry["E"])))
    if scalebar is not None:
        bar = scalebar_geometry(frame, scalebar)
        (x0, y0), (x1, _) = bar["start"], bar["end"]
        pen.line([(x0, y0), (x1, y0)], fill=INK, width=max(2, width + 1))
        pen.text(((x0 + x1) / 2, y0 - 3), angle_text(bar["deg"]), fill=INK, font=font, anchor="mb")
        report["scalebar"] = f"{bar['deg'] * 3600:g}arcsec;{x0:.2f},{y0:.2f};{x1:.2f},{y0:.2f}"
    return report
