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


#: Bytes of complex spectra made at once by :func:`ring_magnitude_sums`: frames are transformed
#: a few at a time, so that the spectra stay in the core's cache (scipy's pocketfft over a large
#: batch, and numpy's at any size, run several times slower).
SPECTRA_BYTES = 2 * 1024**2


def frequency_radius(sig_shape: tuple[int, int]) -> np.ndarray:
    """Each element's distance, in frequency pixels, from the zero frequency of an unshifted
    ``fft2`` of frames of ``sig_shape`` (what ``fftshift`` would put at ``(h // 2, w // 2)``)."""
    height, width = sig_shape
    ky, kx = (np.where(np.arange(n) < (n + 1) // 2, np.arange(n), np.arange(n) - n) for n in (height, width))
    # Integer frequencies (what fftfreq(n) * n is, without its rounding), so a ring's edge is exact.
    return np.hypot(ky[:, None].astype(np.float64), kx[None, :].astype(np.float64))


def half_spectrum_weights(ring: np.ndarray) -> np.ndarray:
    """``ring`` (a mask over the full unshifted spectrum of real frames) as weights over the half
    spectrum ``rfft2`` gives: each kept column but the zero and Nyquist ones stands for itself
    and its mirror image, whose magnitude is the same."""
    height, width = ring.shape
    half = width // 2 + 1
    weights = ring[:, :half].astype(np.float64)
    mirrored = np.ones(half, bool)
    mirrored[0] = False
    if width % 2 == 0:
        mirrored[-1] = False
    weights[:, mirrored] *= 2
    return weights


def ring_magnitude_sums(frames: np.ndarray, weights: np.ndarray, zeroed: np.ndarray | None = None) -> np.ndarray:
    """For each frame, the sum of ``|fft2(frame)|`` over a ring of frequencies, given as
    :func:`half_spectrum_weights` (real frames need only half the spectrum: ``rfft2``, half the
    work), after setting the pixels of ``zeroed`` to zero (the direct beam, whose edge would
    ring over every frequency).  float32 frames (and integers of up to 16 bits) are transformed
    in single precision, others in double; a frame holding NaN gives NaN."""
    n = len(frames)
    height, width = frames.shape[1:]
    dtype = np.float32 if frames.dtype == np.float32 or (frames.dtype.kind in "iub" and frames.dtype.itemsize <= 2) \
        else np.float64
    from scipy.fft import rfft2

    out = np.empty(n, np.float64)
    batch = max(1, SPECTRA_BYTES // (height * width * 2 * np.dtype(dtype).itemsize))
    factors = weights.ravel().astype(dtype)
    for lo in range(0, n, batch):
        block = frames[lo:lo + batch].astype(dtype, copy=True)
        if zeroed is not None:
            block[:, zeroed] = 0
        spectra = rfft2(block, axes=(-2, -1), workers=1).reshape(len(block), -1)
        out[lo:lo + batch] = np.abs(spectra) @ factors
    return out
