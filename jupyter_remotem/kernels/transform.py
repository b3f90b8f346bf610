"""Binning and casting of blocks of data: the arithmetic of the transformations, nothing else.

Both are memory-bound single passes that numpy already runs at memory speed (a reshape is a view,
the sums are vectorised), so there is no numba here.  Every rule that decides a value lives in
this module, so the results of a job can be checked against these functions on a few frames.
"""

from __future__ import annotations

import math

import numpy as np

#: Output dtypes a cast may ask for.
CAST_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
               "float16", "float32", "float64")


def value_range(dtype: np.dtype) -> tuple[float, float]:
    """Smallest and largest value of ``dtype``: exact ints for integers, infinite for complex."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return 0, 1
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return int(info.min), int(info.max)
    if dtype.kind == "f":
        limit = float(np.finfo(dtype).max)
        return -limit, limit
    return -math.inf, math.inf


def binned_dtype(dtype: np.dtype, reduce: str, count: int) -> np.dtype:
    """The dtype of binned values.

    A mean is float32 for data of up to 32 bits (float64 for 64-bit data, complex stays complex).
    A sum of integers takes the narrowest integer of the same signedness that holds ``count``
    times the extreme values, so sums are exact and never wrap; a sum of floats keeps the dtype.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return dtype
    if reduce == "mean":
        return np.dtype(np.float64) if dtype.itemsize >= 8 else np.dtype(np.float32)
    if dtype.kind == "f":
        return dtype
    lo, hi = value_range(dtype)
    candidates = ("int8", "int16", "int32", "int64") if lo < 0 else ("uint8", "uint16", "uint32", "uint64")
    for name in candidates:
        target_lo, target_hi = value_range(np.dtype(name))
        if target_lo <= lo * count and hi * count <= target_hi:
            return np.dtype(name)
    return np.dtype(candidates[-1])


def bin_block(block: np.ndarray, factors: tuple[int, ...], reduce: str, out_dtype: np.dtype) -> np.ndarray:
    """Sum or mean over non-overlapping ``factors``-sized boxes; every axis must divide evenly.

    Means are computed as a float64 (complex128) sum divided by the box size, then rounded once
    to ``out_dtype``; integer sums accumulate in ``out_dtype`` itself (see :func:`binned_dtype`).
    """
    shape: list[int] = []
    for size, factor in zip(block.shape, factors):
        shape += [size // factor, factor]
    boxes = np.asarray(block).reshape(shape)
    axes = tuple(range(1, 2 * block.ndim, 2))
    out_dtype = np.dtype(out_dtype)
    if reduce == "sum" and out_dtype.kind in "iu":
        return boxes.sum(axis=axes, dtype=out_dtype)
    wide = np.complex128 if out_dtype.kind == "c" else np.float64
    total = boxes.sum(axis=axes, dtype=wide)
    if reduce == "mean":
        total /= math.prod(factors)
    return total.astype(out_dtype)


def cast_overflows(dtype: np.dtype, target: np.dtype, scale: float, offset: float) -> bool:
    """Whether some value of ``dtype``, scaled, falls outside what ``target`` can hold."""
    lo, hi = value_range(dtype)
    ends = [lo * scale + offset, hi * scale + offset] if math.isfinite(lo) else [-math.inf, math.inf]
    target_lo, target_hi = value_range(target)
    return min(ends) < target_lo or max(ends) > target_hi


def cast_block(block: np.ndarray, target: np.dtype, scale: float = 1.0, offset: float = 0.0,
               clip: bool = False) -> np.ndarray:
    """``block * scale + offset`` as ``target``.

    Without scale or offset the values are converted directly (``astype``).  Otherwise they are
    computed in float64.  Conversions to integers round to the nearest integer (halves to even);
    with ``clip`` values are first clamped to the target's range and NaN becomes 0.
    """
    target = np.dtype(target)
    data = np.asarray(block)
    if scale != 1.0 or offset != 0.0:
        data = data * scale + offset if data.dtype == np.float64 else data.astype(np.float64) * scale + offset
    float_to_int = target.kind in "iu" and data.dtype.kind == "f"
    if float_to_int:
        data = np.rint(data)
    if clip:
        lo, hi = value_range(target)
        if data.dtype.kind == "f":
            data = np.nan_to_num(data, nan=0.0) if float_to_int else data
            data = np.clip(data, lo, hi)
        else:
            data_lo, data_hi = value_range(data.dtype)
            data = np.clip(data, max(lo, data_lo), min(hi, data_hi))
    return data.astype(target)
