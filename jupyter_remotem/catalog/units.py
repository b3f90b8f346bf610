"""Units of descriptors and of queries, by pint: a value in kV and a query in V compare in volts.

Every unit is reduced to SI base units once, with its dimensionality as a string
(``[length] ** 2 * [mass] / [current] / [time] ** 3`` for a volt; ``[angle]`` for degrees and
radians, which pint counts as ratios), so the database compares plain numbers of the same dimension.  A unit pint does not know is no unit: its values are compared
as they are written.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from ..errors import BadParameter

#: A unit written at the end of a key's name: ``beam_energy_keV``, ``dwell_time_s``.
_SUFFIX = re.compile(r"^(?P<stem>.+?)_(?P<unit>[A-Za-zµμ]+[0-9]?)$")
#: Suffixes that read as units but are not (``x_offset_px`` is pixels; ``n_frames`` has none).
_NOT_UNITS = frozenset({"px", "pixels", "ndim", "id", "index", "count", "frames", "name", "type", "version"})


@lru_cache(maxsize=1)
def _registry() -> Any:
    """pint's registry, its parsed definitions kept in the user's cache folder.

    Parsing pint's definitions file takes about half a second of CPU, paid by every job worker
    that indexes what it wrote; the cached parse loads in a tenth of that.  A cache folder that
    cannot be written only means parsing again.
    """
    import pint

    try:
        return pint.UnitRegistry(cache_folder=":auto:")
    except OSError:
        return pint.UnitRegistry()


@lru_cache(maxsize=4096)
def to_base(unit: str) -> tuple[float, float, str] | None:
    """``(scale, offset, dimensionality)`` turning a value in ``unit`` into SI base units, or None
    when pint does not know the unit (or it is dimensionless)."""
    try:
        registry = _registry()
        quantity = registry.Quantity(1.0, unit)
        zero = registry.Quantity(0.0, unit).to_base_units().magnitude
        one = quantity.to_base_units()
    except Exception:  # pint raises many kinds for a word that is not a unit
        return None
    dimension = str(one.dimensionality)
    if dimension == "dimensionless":
        # Angles are dimensionless to pint; their root unit, the radian, tells them from plain ratios.
        factor, root = registry.get_root_units(unit)
        if "radian" not in str(root):
            return None
        return float(factor), 0.0, "[angle]"
    if not math.isfinite(float(one.magnitude)):
        return None
    return float(one.magnitude) - float(zero), float(zero), dimension


def unit_of_key(key: str) -> tuple[str, str] | None:
    """``(stem, unit)`` when the key's last word is a unit pint knows (``energy_kV``)."""
    leaf = key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    match = _SUFFIX.match(leaf)
    if match is None or match["unit"].lower() in _NOT_UNITS:
        return None
    unit = match["unit"].replace("μ", "u").replace("µ", "u")
    return (match["stem"], unit) if to_base(unit) is not None else None


def query_in_base(value: float, unit: str) -> tuple[float, str]:
    """A query's number in SI base units, with its dimensionality (a 400 for an unknown unit)."""
    converted = to_base(unit)
    if converted is None:
        raise BadParameter(f"'{unit}' is not a unit the catalog knows.",
                           hint="Write units as pint reads them: kV, keV, nm, mrad, s, ms, um, A, Pa ...")
    scale, offset, dimension = converted
    return value * scale + offset, dimension
