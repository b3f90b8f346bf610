"""Finding diffraction disks: correlate each frame with a template, keep the strongest local
maxima, refine each to a fraction of a pixel — the job of LiberTEM's blobfinder.

Templates (:data:`TEMPLATES`) sum to zero, so a flat background correlates to zero and the
correlation peaks where a disk of about that radius sits: ``disk`` is a disk of ones with a ring
of negative weight around it (out to 1.5 radii; LiberTEM's background-subtracted circle);
``ring`` weighs only the disk's rim, ``ring_width`` wide, against the inside and the outside (for
disks whose inside varies: thick samples, dynamical contrast, hollow rings); ``gaussian`` is a
Gaussian of standard deviation half the radius less its mean (for blurred spots).  Correlation runs through real FFTs of zero-padded frames
(``scipy.fft``, single precision, frames batched to bound the spectra's memory), so a disk near
the edge is not confused with one on the opposite side.  Maxima are the pixels equal to the
maximum of their ``(2 * min_distance + 1)``-square neighbourhood and above ``threshold`` times
the frame's strongest correlation (found by a numba kernel, frames in parallel, keeping the
strongest ``n_peaks`` as it goes); each is refined by a parabola through it and its neighbours
along x and along y.  A frame holding NaN finds nothing: its count is NaN.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import jit, parallel_jit

#: Bytes of complex spectra made at once: a few frames at a time, so the spectra stay in cache.
SPECTRA_BYTES = 2 * 1024**2


#: The templates a search can correlate with (see the module docstring).
TEMPLATES = ("disk", "ring", "gaussian")


def _balanced(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """Ones on ``positive``, and on ``negative`` the weight that makes the whole sum to zero."""
    kernel = np.zeros(positive.shape)
    kernel[positive] = 1.0
    if negative.any():
        kernel[negative] = -positive.sum() / negative.sum()
    return kernel


def template_kernel(radius: float, template: str = "disk", ring_width: float | None = None) -> np.ndarray:
    """The template as a small centred kernel ``(2p + 1)²`` (``p`` = :func:`reach`), summing to
    zero (see the module docstring)."""
    p = reach(radius, template, ring_width)
    y, x = np.indices((2 * p + 1, 2 * p + 1), dtype=np.float64) - p
    d = np.hypot(y, x)
    if template == "disk":
        return _balanced(d <= radius, (d > radius) & (d <= 1.5 * radius))
    if template == "ring":
        half = _ring_width(radius, ring_width) / 2
        rim = (d > radius - half) & (d <= radius + half)
        return _balanced(rim, (d <= p) & ~rim)
    if template == "gaussian":
        support = d <= 1.5 * radius
        kernel = np.where(support, np.exp(-(d**2) / (2 * (radius / 2) ** 2)), 0.0)
        kernel[support] -= kernel[support].mean()
        return kernel
    raise ValueError(f"unknown template {template!r}")


def _ring_width(radius: float, ring_width: float | None) -> float:
    return float(ring_width) if ring_width is not None else max(1.0, radius / 4)


def reach(radius: float, template: str = "disk", ring_width: float | None = None) -> int:
    """How far the template reaches from its centre, in whole pixels."""
    if template == "ring":
        return int(math.ceil(max(1.5 * radius, radius + _ring_width(radius, ring_width) / 2 + 1)))
    return int(math.ceil(1.5 * radius))


def _padded_shape(sig_shape: tuple[int, int], p: int) -> tuple[int, int]:
    from scipy.fft import next_fast_len

    return next_fast_len(sig_shape[0] + p, real=True), next_fast_len(sig_shape[1] + p, real=True)


def template_spectrum(radius: float, sig_shape: tuple[int, int], template: str = "disk",
                      ring_width: float | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """The conjugate half spectrum of the template wrapped around the origin of the padded frame."""
    from scipy.fft import rfft2

    p = reach(radius, template, ring_width)
    shape = _padded_shape(sig_shape, p)
    wrapped = np.zeros(shape, np.float32)
    kernel = template_kernel(radius, template, ring_width).astype(np.float32)
    for dy in range(-p, p + 1):
        for dx in range(-p, p + 1):
            wrapped[dy % shape[0], dx % shape[1]] = kernel[dy + p, dx + p]
    return np.conj(rfft2(wrapped)).astype(np.complex64), shape


def correlate(frames: np.ndarray, spectrum: np.ndarray, padded: tuple[int, int]) -> np.ndarray:
    """``(n, h, w)`` float32: each frame correlated with the template (``corr[y, x]`` = the sum of
    ``frame[y + u, x + v] * kernel[u, v]``, zero outside the frame)."""
    from scipy.fft import irfft2, rfft2

    n, height, width = frames.shape
    out = np.empty((n, height, width), np.float32)
    per = max(1, SPECTRA_BYTES // (spectrum.size * 8 * 2))
    for start in range(0, n, per):
        batch = np.asarray(frames[start:start + per], dtype=np.float32)
        product = rfft2(batch, s=padded, axes=(-2, -1), workers=1) * spectrum
        out[start:start + per] = irfft2(product, s=padded, axes=(-2, -1), workers=1)[:, :height, :width]
    return out


@parallel_jit
def _peaks(corr, n_peaks, distance, threshold, out):
    n, height, width = corr.shape
    for f in prange(n):
        c = corr[f]
        strongest = -np.inf
        finite = True
        for y in range(height):
            for x in range(width):
                v = c[y, x]
                if not np.isfinite(v):
                    finite = False
                elif v > strongest:
                    strongest = v
        if not finite:
            continue  # the row stays NaN
        out[f, 0] = 0.0
        if strongest <= 0:
            continue
        floor = threshold * strongest
        # The strongest maxima so far, weakest last (insertion into a short sorted list).
        values = np.full(n_peaks, -np.inf)
        ys = np.zeros(n_peaks, np.int64)
        xs = np.zeros(n_peaks, np.int64)
        kept = 0
        for y in range(height):
            for x in range(width):
                v = c[y, x]
                if v <= floor or (kept == n_peaks and v <= values[n_peaks - 1]):
                    continue
                local = True
                for yy in range(max(0, y - distance), min(height, y + distance + 1)):
                    for xx in range(max(0, x - distance), min(width, x + distance + 1)):
                        if c[yy, xx] > v:
                            local = False
                            break
                    if not local:
                        break
                if not local:
                    continue
                i = min(kept, n_peaks - 1)
                while i > 0 and values[i - 1] < v:
                    values[i] = values[i - 1]
                    ys[i] = ys[i - 1]
                    xs[i] = xs[i - 1]
                    i -= 1
                values[i] = v
                ys[i] = y
                xs[i] = x
                kept = min(kept + 1, n_peaks)
        out[f, 0] = kept
        for i in range(kept):
            y, x = ys[i], xs[i]
            dx = _refine(c[y, x - 1], c[y, x], c[y, x + 1]) if 0 < x < width - 1 else 0.0
            dy = _refine(c[y - 1, x], c[y, x], c[y + 1, x]) if 0 < y < height - 1 else 0.0
            out[f, 1 + i] = x + dx
            out[f, 1 + n_peaks + i] = y + dy
            out[f, 1 + 2 * n_peaks + i] = values[i]


@jit
def _refine(c_minus, c_0, c_plus):
    """The offset of a parabola's vertex through three equally spaced values (0 when flat)."""
    curvature = c_minus - 2 * c_0 + c_plus
    if curvature >= 0:
        return 0.0
    return min(0.5, max(-0.5, 0.5 * (c_minus - c_plus) / curvature))


def find_peaks(corr: np.ndarray, n_peaks: int, min_distance: int, threshold: float) -> np.ndarray:
    """``(n, 1 + 3 * n_peaks)`` float64 rows: the count, then x, y and correlation of each peak,
    strongest first, NaN where fewer were found (everything NaN for a frame that is not finite)."""
    out = np.full((corr.shape[0], 1 + 3 * n_peaks), np.nan)
    if corr.shape[0]:
        _peaks(np.ascontiguousarray(corr, dtype=np.float32), int(n_peaks), int(min_distance), float(threshold), out)
    return out
