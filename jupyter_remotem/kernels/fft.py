"""Fourier transforms of images and frames, as a viewer shows them.

A diffractogram is read by eye: the zero frequency sits in the centre and only the magnitude
matters.  NaN (positions outside an ROI, dead pixels) would spread over the whole transform, so
it is replaced by the mean of the finite values first, which changes only the zero frequency.
"""

from __future__ import annotations

import numpy as np


def fft_magnitude(array: np.ndarray) -> np.ndarray:
    """``|FFT|`` over the first two axes, zero frequency centred, as float64."""
    data = np.asarray(array, dtype=np.complex128 if np.iscomplexobj(array) else np.float64)
    finite = np.isfinite(data)
    if not finite.all():
        fill = data[finite].mean() if finite.any() else 0.0
        data = np.where(finite, data, fill)
    return np.abs(np.fft.fftshift(np.fft.fft2(data, axes=(0, 1)), axes=(0, 1)))
