"""How frames of any dtype are handed to the numba kernels, and what they accumulate in.

One policy for every kernel: integer data accumulates in int64 so sums are exact (a 256 x 256
frame of 65535s sums to 4.3e9, past uint32), floating data accumulates in float64.  Frames are
passed to numba as C-contiguous, native-endian arrays of their own dtype so that no kernel pays
for a cast of the whole input (numpy's BLAS casts uint16 to float first and runs at ~2 GB/s).
"""

from __future__ import annotations

import numpy as np

from ..errors import BadParameter

#: dtypes the kernels are compiled for; anything else is converted once (a copy).
NATIVE_KINDS = frozenset("iuf")


def as_kernel_array(frames: np.ndarray) -> np.ndarray:
    """``frames`` as a C-contiguous, native-endian array of a dtype the kernels are compiled for.

    Memmaps and C-contiguous slices come through as views (``np.asarray`` drops the memmap
    subclass, which numba does not type).  Non-contiguous input, other byte orders, bool and
    float16 cost one copy.
    """
    a = np.asarray(frames)
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    elif a.dtype.kind not in NATIVE_KINDS:
        raise BadParameter(f"Frames of dtype {a.dtype} cannot be reduced.", hint="Use integer or float data.")
    elif not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if a.dtype == np.float16 or a.dtype.itemsize > 8:
        a = a.astype(np.float64)
    return np.ascontiguousarray(a)


def flat_frames(frames: np.ndarray, sig_shape: tuple[int, ...]) -> np.ndarray:
    """``(n, *sig_shape)`` frames as a kernel array of shape ``(n, pixels)``."""
    a = as_kernel_array(frames)
    if a.ndim < 1 or tuple(a.shape[1:]) != tuple(sig_shape):
        raise BadParameter(
            f"Frames of shape {a.shape} do not match the detector shape {tuple(sig_shape)}.",
            hint="Pass frames as (n, *sig_shape); one frame is frames[None].",
        )
    return a.reshape(a.shape[0], int(np.prod(sig_shape, dtype=np.int64)))


def is_integer(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind in "iu"


def exact_dtype(dtype: np.dtype) -> np.dtype:
    """Result dtype of exact integer sums: uint64 for uint64 data, int64 for every other integer."""
    return np.dtype(np.uint64) if np.dtype(dtype) == np.uint64 else np.dtype(np.int64)


def signed_view(a: np.ndarray) -> np.ndarray:
    """uint64 data seen as int64: two's-complement sums wrap identically, so the int64 sum viewed
    back as uint64 is the exact uint64 sum (modulo 2**64, like any 64-bit accumulator)."""
    return a.view(np.int64) if a.dtype == np.uint64 else a
