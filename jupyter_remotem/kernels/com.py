"""Centre of mass of diffraction frames, and the derived fields over the scan.

:func:`center_of_mass` makes one pass over each frame, summing per row the intensity and the
column-weighted intensity over that row's span of the detector (the whole row, or the chord of
the disk ``d <= r``, the same disk as :func:`masks.disk`).  Rows weighted by their index give
``sum(y * I)``.  LiberTEM does the same job as three mask products (disk, y-gradient, x-gradient);
one pass with no weight arrays reads the data once and needs no cast, so uint16 data runs at the
speed of the memory, not of a float conversion.

Integer frames accumulate in int64 (exact while ``sum(x * I) < 2**63``: any 16-bit detector, and
32-bit ones up to about 2**31 counts per frame on a 4096-wide detector); float frames, and uint64
frames, in float64.
A frame whose total is zero has no centre: its row is NaN.  NaN in the data makes that frame's
centre NaN.

:func:`com_fields` follows ``libertem.udf.com`` (CoMUDF): shifts relative to a reference centre,
rotated by the scan rotation after an optional flip of y, then magnitude, divergence and curl by
``np.gradient``.  Unlike LiberTEM, a frame without intensity stays NaN instead of becoming a zero
shift, so an empty frame is visible in the maps.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..errors import BadParameter
from ._dtypes import as_kernel_array, is_integer
from ._jit import parallel_jit
from .masks import disk


@parallel_jit
def _com_sums(frames, x_lo, x_hi, out, zero):
    """``out[i] = (sum I, sum y*I, sum x*I)`` over the pixels ``x_lo[y] <= x < x_hi[y]`` of each row."""
    n, h, _ = frames.shape
    for i in prange(n):
        total = zero
        sum_y = zero
        sum_x = zero
        for y in range(h):
            lo = x_lo[y]
            hi = x_hi[y]
            if hi <= lo:
                continue
            row = frames[i, y, lo:hi]
            s = zero
            t = zero
            for q in range(row.shape[0]):
                v = row[q]
                s += v
                t += v * q
            total += s
            sum_y += s * y
            sum_x += t + s * lo
        out[i, 0] = total
        out[i, 1] = sum_y
        out[i, 2] = sum_x


def _row_spans(sig_shape: tuple[int, int], cx: float, cy: float, r: float | None) -> tuple[np.ndarray, np.ndarray]:
    h, w = sig_shape
    if r is None:
        return np.zeros(h, np.int64), np.full(h, w, np.int64)
    inside = disk(cx, cy, r, sig_shape)
    any_ = inside.any(axis=1)
    lo = np.where(any_, inside.argmax(axis=1), 0)
    hi = np.where(any_, w - inside[:, ::-1].argmax(axis=1), 0)
    return lo.astype(np.int64), hi.astype(np.int64)


def com_sums(frames: np.ndarray, cx: float = 0.0, cy: float = 0.0, r: float | None = None) -> np.ndarray:
    """``(n, 3)`` partial sums ``(total, sum y*I, sum x*I)``: what a partition returns, since sums
    (unlike centres) add up across partitions.  int64 for integer frames, else float64."""
    a = as_kernel_array(frames)
    if a.ndim != 3:
        raise BadParameter(f"Centre of mass needs (n, height, width) frames, got shape {a.shape}.")
    if r is not None and not (math.isfinite(r) and r >= 0 and math.isfinite(cx) and math.isfinite(cy)):
        raise BadParameter("The centre-of-mass disk needs finite cx, cy and a radius r >= 0.")
    if a.dtype == np.uint64:
        a = a.astype(np.float64)
    lo, hi = _row_spans(a.shape[1:], cx, cy, r)
    exact = is_integer(a.dtype)
    out = np.zeros((a.shape[0], 3), np.int64 if exact else np.float64)
    if a.shape[0] and a.shape[2]:
        _com_sums(a, lo, hi, out, np.int64(0) if exact else np.float64(0))
    return out


def com_from_sums(sums: np.ndarray) -> np.ndarray:
    """``(..., 3)`` sums to ``(..., 2)`` centres ``(y, x)``; NaN where the total is zero."""
    total = sums[..., 0].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        yx = sums[..., 1:].astype(np.float64) / total[..., None]
    yx[total == 0] = np.nan
    return yx


def center_of_mass(frames: np.ndarray, cx: float = 0.0, cy: float = 0.0, r: float | None = None) -> np.ndarray:
    """``(n, H, W)`` frames to their ``(n, 2)`` centres of mass ``(y, x)`` in pixel coordinates.

    With ``r``, only the disk ``d <= r`` around ``(cx, cy)`` counts (LiberTEM's CoM ``r``).
    """
    return com_from_sums(com_sums(frames, cx, cy, r))


def _gradient(a: np.ndarray, axis: int) -> np.ndarray:
    """``np.gradient`` along ``axis``, zero along an axis of length one (a single scan line)."""
    if a.shape[axis] < 2:
        return np.zeros_like(a)
    return np.gradient(a, axis=axis)


def com_fields(
    com_yx_nav: np.ndarray,
    cy: float,
    cx: float,
    scan_rotation_deg: float = 0.0,
    flip_y: bool = False,
) -> dict[str, np.ndarray]:
    """Shift, magnitude, divergence and curl maps from ``nav_shape + (2,)`` centres ``(y, x)``.

    As CoMUDF: ``shift = R(scan_rotation) @ F @ (com - (cy, cx))`` with ``F = diag(-1, 1)`` when
    ``flip_y`` and ``R = [[cos, sin], [-sin, cos]]`` acting on ``(y, x)``; divergence
    ``d shift_y/dy + d shift_x/dx``, curl ``d shift_y/dx - d shift_x/dy``.  A 1-D scan is treated
    as one scan line (derivatives across it are zero).
    """
    com = np.asarray(com_yx_nav, dtype=np.float64)
    if com.ndim not in (2, 3) or com.shape[-1] != 2:
        raise BadParameter(
            f"Centres must have shape nav_shape + (2,) with a 1-D or 2-D scan, got {com.shape}.",
            hint="Pass the (y, x) centres as an array of shape (scan_y, scan_x, 2).",
        )
    values = (cy, cx, scan_rotation_deg)
    if not all(isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v) for v in values):
        raise BadParameter("cy, cx and scan_rotation_deg must be finite numbers.")
    nav_shape = com.shape[:-1]
    grid = com.reshape((1,) * (3 - com.ndim) + com.shape)
    dy = grid[..., 0] - cy
    dx = grid[..., 1] - cx
    if flip_y:
        dy = -dy
    angle = math.radians(scan_rotation_deg)
    cos, sin = math.cos(angle), math.sin(angle)
    shift_y = cos * dy + sin * dx
    shift_x = -sin * dy + cos * dx
    fields = {
        "shift_y": shift_y,
        "shift_x": shift_x,
        "magnitude": np.sqrt(shift_y**2 + shift_x**2),
        "divergence": _gradient(shift_y, 0) + _gradient(shift_x, 1),
        "curl": _gradient(shift_y, 1) - _gradient(shift_x, 0),
    }
    return {name: value.reshape(nav_shape) for name, value in fields.items()}
