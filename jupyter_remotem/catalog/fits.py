"""FITS headers as an entry's metadata: every card of every HDU under ``fits/<HDU>/<KEYWORD>``
(``meta.fits/PRIMARY/EXPTIME``, ``meta.fits/SCI/BUNIT``), numbers also as descriptors under the
keyword (``desc.EXPTIME``) with the unit a card gives: ``[s]`` opening its comment (the FITS
standard's convention), ``CUNITn`` for ``CRVALn``/``CDELTn``.

Only headers are read: astropy opens HDUs lazily and seeks past each data unit (a gzip file is
decompressed as it is read up to its last header; a tile-compressed ``.fits.fz`` HDU's header is
its table's, read without a tile).  ``BUNIT``, the unit of the data themselves, is kept as text.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

from ..storage.repository import Repository
from .flatten import MAX_LEAVES, Row
from .models import TEXT_CHARS
from .units import to_base

#: Names a FITS file goes by (tile-compressed ``.fz``, gzip'd ``.gz`` included).
SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz", ".fits.fz", ".fz")
#: HDUs read per file: a file of thousands of extensions is indexed by its first ones.
MAX_HDUS = 200
_COMMENT_UNIT = re.compile(r"^\s*\[([^\]]{1,32})\]")
_AXIS_KEY = re.compile(r"^(CRVAL|CDELT)(\d+)$")


def is_fits(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def header_rows(repository: Repository, path: str) -> list[Row]:
    """The rows of the headers of the FITS file at ``path`` (an error of astropy's, or of the
    file's, is the caller's to record)."""
    from astropy.io import fits

    rows: list[Row] = []
    used: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy warns of every non-standard card; the catalog keeps what it reads
        with repository.open(path, "rb") as handle, \
                fits.open(handle, lazy_load_hdus=True, memmap=False, do_not_scale_image_data=True,
                          ignore_missing_simple=True) as hdus:
            for number in range(MAX_HDUS):
                try:
                    hdu = hdus[number]
                except IndexError:
                    break
                rows += _card_rows(_label(hdu, number, used), hdu.header)
                if len(rows) >= MAX_LEAVES:
                    break
    return rows[:MAX_LEAVES]


def _label(hdu: Any, number: int, used: set[str]) -> str:
    """The HDU's name in key paths: PRIMARY, its EXTNAME (``,<EXTVER>`` past the first), else its
    number; a name used twice is the number the second time."""
    name = (hdu.name or "").strip() if number else "PRIMARY"
    version = getattr(hdu, "ver", 1) or 1
    label = (f"{name},{version}" if version > 1 else name) if name else str(number)
    if label in used or "/" in label:
        label = str(number)
    used.add(label)
    return label


def _card_rows(label: str, header: Any) -> list[Row]:
    rows: list[Row] = []
    commentary: dict[str, list[str]] = {}
    cards = list(header.cards)
    axis_units = {card.keyword[5:]: str(card.value).strip() for card in cards
                  if card.keyword.startswith("CUNIT") and isinstance(card.value, str)}
    for card in cards:
        keyword, value = card.keyword, card.value
        if not keyword:
            continue
        if keyword in ("COMMENT", "HISTORY"):
            commentary.setdefault(keyword, []).append(str(value))
            continue
        key = f"fits/{label}/{keyword}"
        if isinstance(value, bool):
            rows.append(Row("meta", key, text="T" if value else "F"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
            if not math.isfinite(number):
                continue
            unit = _unit(card.comment, keyword, axis_units)
            rows.append(Row("meta", key, low=number, high=number, unit=unit))
            rows.append(Row("desc", keyword, low=number, high=number, unit=unit))
        elif value is not None and not _is_undefined(value):
            rows.append(Row("meta", key, text=str(value)[:TEXT_CHARS]))
    for keyword, lines in commentary.items():
        rows.append(Row("meta", f"fits/{label}/{keyword}", text="\n".join(lines)[:TEXT_CHARS]))
    return rows


def _is_undefined(value: Any) -> bool:
    from astropy.io.fits.card import Undefined

    return isinstance(value, Undefined)


def _unit(comment: str, keyword: str, axis_units: dict[str, str]) -> str | None:
    """The unit of a numeric card, when the header says one that pint knows."""
    axis = _AXIS_KEY.match(keyword)
    if axis and axis.group(2) in axis_units:
        candidate = axis_units[axis.group(2)]
    else:
        found = _COMMENT_UNIT.match(comment or "")
        candidate = found.group(1).strip() if found else None
    return candidate if candidate and to_base(candidate) is not None else None
