"""FITS files written directly: 80-character cards and big-endian pixels in 2880-byte blocks.

astropy's ``HDUList.writeto`` verifies and re-formats every card through its configuration
system, which costs tens of milliseconds per small image; a cutout answer is a handful of
known cards (from wcslib's own header text, :meth:`astropy.wcs.Wcsprm.to_header`, and ours),
so they are formatted here by the standard's fixed-format rules.  The tests read every answer
back with astropy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

BLOCK = 2880
BITPIX = {np.dtype(np.uint8): 8, np.dtype(np.int16): 16, np.dtype(np.int32): 32, np.dtype(np.int64): 64,
          np.dtype(np.float32): -32, np.dtype(np.float64): -64}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return f"{'T' if value else 'F':>20}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):>20d}"
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("FITS header values are finite")
        text = repr(number).upper()
        if "E" not in text and "." not in text:
            text += ".0"
        return f"{text:>20}"
    text = str(value).replace("'", "''")
    return f"'{text:<8}'"


def card(keyword: str, value: Any = None, comment: str = "") -> str:
    """One 80-character card; a value that does not fit is an error, a long comment is cut."""
    if keyword in ("HISTORY", "COMMENT", ""):
        return f"{keyword:<8}{str(value)[:72]:<72}"
    text = f"{keyword:<8}= {_value(value)}"
    if len(text) > 80:
        raise ValueError(f"the value of {keyword} does not fit one card")
    if comment:
        text += f" / {comment}"
    return f"{text[:80]:<80}"


def text_cards(header_text: str) -> list[str]:
    """The cards of a header as text (wcslib's), without END."""
    cards = [header_text[i:i + 80] for i in range(0, len(header_text), 80)]
    return [c.ljust(80) for c in cards if c.strip() and not c.startswith("END     ")]


def history(text: str) -> list[str]:
    """``text`` over as many HISTORY cards as it needs."""
    return [card("HISTORY", text[i:i + 72]) for i in range(0, len(text), 72)] or [card("HISTORY", "")]


def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % BLOCK)


def hdu_bytes(cards: Iterable[str], data: np.ndarray | None, primary: bool, extname: str = "") -> bytes:
    """One HDU: the structural cards, ``cards``, END, then the pixels."""
    if data is not None:
        dtype = np.dtype(data.dtype.newbyteorder("=") if data.dtype.byteorder not in "=|" else data.dtype)
        if dtype not in BITPIX:
            data = data.astype(np.float64 if dtype.kind == "f" else np.int64)
            dtype = data.dtype
        bitpix, shape = BITPIX[dtype], data.shape
    else:
        bitpix, shape = 8, ()
    head = [card("SIMPLE", True, "conforms to FITS standard")] if primary else [card("XTENSION", "IMAGE",
                                                                                        "image extension")]
    head.append(card("BITPIX", bitpix, "array data type"))
    head.append(card("NAXIS", len(shape), "number of array dimensions"))
    for axis, length in enumerate(shape[::-1], start=1):
        head.append(card(f"NAXIS{axis}", int(length)))
    if primary:
        head.append(card("EXTEND", True))
    else:
        head += [card("PCOUNT", 0), card("GCOUNT", 1)]
    if extname:
        head.append(card("EXTNAME", extname, "band"))
    text = "".join(head) + "".join(cards) + "END".ljust(80)
    out = _pad(text.encode("ascii"), b" ")
    if data is not None:
        out += _pad(np.ascontiguousarray(data, dtype=dtype.newbyteorder(">")).tobytes(), b"\0")
    return out


def file_bytes(hdus: Sequence[bytes]) -> bytes:
    return b"".join(hdus)
