"""Validation of operation parameters, shared by every operation so that refusals read alike."""

from __future__ import annotations

import math
from typing import Any

from ..errors import BadParameter


def number(params: dict[str, Any], key: str, default: float | None = None) -> float | None:
    """``params[key]`` as a finite float (``default`` when absent or null)."""
    value = params.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadParameter(f"Parameter '{key}' must be a finite number, not {value!r}.")
    return float(value)


def integer(value: Any, what: str) -> int:
    """``value`` as an int; JSON booleans and floats are refused rather than silently converted."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadParameter(f"{what} must be an integer, not {value!r}.")
    return value


def known_keys(params: dict[str, Any], allowed: set[str], operation: str) -> None:
    """Refuse misspelt parameters instead of ignoring them."""
    unknown = set(params) - allowed
    if unknown:
        raise BadParameter(
            f"Unknown parameters for {operation}: {', '.join(sorted(unknown))}.",
            hint=f"{operation} takes: {', '.join(sorted(allowed))}.",
        )
