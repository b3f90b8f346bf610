"""Sky-survey cutouts from Python: ``c.cutout(survey, ra, dec, size, ...)`` and ``c.surveys()``.

The parameters are those of the server (:mod:`jupyter_remotem.cutouts.params`, declared once):
an unknown keyword is refused here with the list of known ones, before anything is sent.  Sizes
may be strings with a unit (``"64pix"``, ``"30arcsec"``), astropy Quantities (``30 * u.arcsec``,
``64 * u.pix``) or bare numbers of arcsec.  FITS answers come back as an astropy ``HDUList``; PNG
answers as a :class:`Picture`, which a notebook shows where it lands.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ..cutouts.params import ALIASES

if TYPE_CHECKING:
    from .server import Client

_UNITS = {"pix": "pix", "pixel": "pix", "arcsec": "arcsec", "arcmin": "arcmin", "deg": "deg"}


class Picture:
    """A PNG cutout: shows itself in a notebook; ``.image`` is a PIL image, ``.data`` the bytes."""

    def __init__(self, data: bytes, filename: str, tiles: str) -> None:
        self.data = data
        self.filename = filename
        self.tiles = tiles

    @property
    def image(self) -> Any:
        from PIL import Image

        return Image.open(io.BytesIO(self.data))

    def _repr_png_(self) -> bytes | None:
        return self.data if self.data.startswith(b"\x89PNG") else None

    def _repr_jpeg_(self) -> bytes | None:
        return self.data if self.data.startswith(b"\xff\xd8") else None

    def save(self, path: str) -> None:
        with open(path, "wb") as out:
            out.write(self.data)

    def __repr__(self) -> str:
        return f"<cutout picture {self.filename} {self.image.size[0]}×{self.image.size[1]}>"


def size_text(value: Any) -> str:
    """A size as the server reads it: '64pix', '30arcsec'; Quantities keep their unit."""
    if isinstance(value, str):
        return value
    unit = getattr(value, "unit", None)
    if unit is not None:
        name = _UNITS.get(str(unit))
        if name is None:
            raise ValueError(f"A size is in pix, arcsec, arcmin or deg, not {unit}.")
        return f"{float(value.value):g}{name}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):g}arcsec"
    raise ValueError(f"A size is a string like '64pix', a Quantity or a number of arcsec, not {value!r}.")


def query(survey: str, ra: float, dec: float, size: Any = None, **options: Any) -> dict[str, str]:
    """The request's parameters, checked against the server's declared names."""
    params: dict[str, str] = {"survey": survey, "ra": repr(float(ra)), "dec": repr(float(dec))}
    if size is not None:
        params["size"] = size_text(size)
    for name, value in options.items():
        if value is None:
            continue
        if name.lower() not in ALIASES:
            raise TypeError(f"cutout() got an unknown parameter {name!r}; known: {sorted(set(ALIASES.values()))}.")
        canonical = ALIASES[name.lower()]
        if canonical in ("width", "height"):
            value = size_text(value)
        elif canonical == "bands" and isinstance(value, (list, tuple)):
            value = ",".join(value)
        params[canonical] = str(value)
    return params


def cutout(client: Client, survey: str, ra: float, dec: float, size: Any = None, **options: Any) -> Any:
    """One real-time cutout: an ``HDUList`` (FITS, one extension per band) or a :class:`Picture`."""
    params = query(survey, ra, dec, size, **options)
    response = client.connection.request("GET", "cutouts", "sync", params=params)
    kind = response.headers.get("Content-Type", "")
    disposition = response.headers.get("Content-Disposition", "")
    filename = disposition.split("''", 1)[-1] if "''" in disposition else "cutout"
    if kind.startswith(("image/png", "image/jpeg")):
        return Picture(response.content, filename, response.headers.get("X-Cutout-Tiles", ""))
    from astropy.io import fits

    return fits.HDUList.fromstring(response.content)


def surveys(client: Client) -> list[dict[str, Any]]:
    """The surveys you may use: name, bands, footprint (tiles, Dec range, centre), pixel scale."""
    return client.connection.get_json("cutouts", "surveys")["surveys"]
