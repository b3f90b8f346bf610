"""What an entry says about itself, as rows of key paths (see :mod:`.models`).

A format's metadata is a nested dict (HDF5 attributes by object path, rosettasciio's
``original_metadata``, FITS headers, a ``.json`` sidecar, a result's provenance): every leaf is
a ``meta`` row under its path (``hdf5_attributes/entry/data/frames/beam_energy_keV`` — HDF5 paths
keep their slashes, dict keys join with ``/`` too), text or a number.  Every numeric leaf (and
small numeric array) is also a ``desc`` row under its own name (``beam_energy_keV``) and, when
the name ends in a unit pint knows, under its stem with that unit (``beam_energy``, keV), so a
query may say ``desc.beam_energy:[150 TO 250] keV`` or ``desc.beam_energy_keV:[150 TO 250]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .models import TEXT_CHARS
from .units import to_base, unit_of_key

#: Numbers in a small array kept as one descriptor (its range); longer arrays are not descriptors.
SMALL_ARRAY = 64
#: Leaves kept per entry: a file with a million attributes is indexed by its first ones.
MAX_LEAVES = 2000


@dataclass(frozen=True)
class Row:
    namespace: str
    key: str
    text: str | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    #: None for what the file says; "curated" for the curated layer.
    source: str | None = None

    def as_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"namespace": self.namespace, "key": self.key[:512], "text": self.text,
                                  "low": self.low, "high": self.high, "unit": self.unit,
                                  "base_low": None, "base_high": None, "dimension": None, "source": self.source,
                                  "ranged": self.low is not None and self.high is not None and self.low != self.high}
        if self.unit and self.low is not None and self.high is not None:
            converted = to_base(self.unit)
            if converted is not None:
                scale, offset, dimension = converted
                ends = sorted((self.low * scale + offset, self.high * scale + offset))
                values.update(base_low=ends[0], base_high=ends[1], dimension=dimension)
        return values


def leaves(metadata: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(key path, value)`` of every leaf of a nested mapping, depth first."""
    for name, value in metadata.items():
        part = str(name).strip("/")
        key = "/".join(p for p in (prefix, part) if p)
        if isinstance(value, Mapping):
            yield from leaves(value, key)
        else:
            yield key, value


def _numbers(value: Any) -> np.ndarray | None:
    """A finite float array of ``value`` when it is a number or a small numeric array."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if array.size == 0 or array.size > SMALL_ARRAY:
        return None
    array = array[np.isfinite(array)]
    return array if array.size else None


def rows_of(metadata: Mapping[str, Any]) -> list[Row]:
    """The ``meta`` and ``desc`` rows of an entry's metadata."""
    rows: list[Row] = []
    for count, (key, value) in enumerate(leaves(metadata)):
        if count >= MAX_LEAVES:
            break
        numbers = _numbers(value)
        if numbers is None:
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            if isinstance(text, (list, tuple)):
                text = ", ".join(map(str, text))
            if text is None or (isinstance(text, float) and not math.isfinite(text)):
                continue
            rows.append(Row("meta", key, text=str(text)[:TEXT_CHARS]))
            continue
        low, high = float(numbers.min()), float(numbers.max())
        rows.append(Row("meta", key, low=low, high=high))
        leaf = key.rsplit("/", 1)[-1]
        named = unit_of_key(leaf)
        rows.append(Row("desc", leaf, low=low, high=high, unit=named[1] if named else None))
        if named is not None:
            rows.append(Row("desc", named[0], low=low, high=high, unit=named[1]))
    return rows


def field_rows(fields: list[tuple[str, Any, str | None]]) -> list[Row]:
    """The rows of a file's own small datasets (:func:`..formats.hdf5.small_fields`):
    ``meta.hdf5_fields/<path>``, and each number as a descriptor under its name, in the unit its
    ``units`` attribute names (else the one its name ends in)."""
    rows: list[Row] = []
    for path, value, units in fields:
        key = "hdf5_fields" + path
        numbers = _numbers(value)
        if numbers is None:
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            if isinstance(text, np.ndarray):
                text = ", ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in text.ravel())
            rows.append(Row("meta", key, text=str(text)[:TEXT_CHARS]))
            continue
        low, high = float(numbers.min()), float(numbers.max())
        rows.append(Row("meta", key, low=low, high=high, unit=units))
        leaf = path.rsplit("/", 1)[-1]
        named = unit_of_key(leaf)
        unit = units if units and to_base(units) is not None else (named[1] if named else None)
        rows.append(Row("desc", leaf, low=low, high=high, unit=unit))
        if named is not None:
            rows.append(Row("desc", named[0], low=low, high=high, unit=named[1]))
    return rows
