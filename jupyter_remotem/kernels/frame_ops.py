"""What a transformation does to each frame last, after its crop, bin and cast: a mirror, a
quarter turn or a transpose; the Fourier transform (``fft``); or a band-pass in Fourier space
with the inverse transform (``fourier_filter``).

Turns are numpy's views of the last two axes: ``rot90`` is ``np.rot90(frame)``, a quarter turn
counter-clockwise as an image is shown (row 0 at the top); ``flip_x`` mirrors left and right,
``flip_y`` top and bottom.  The transform is scipy's pocketfft over a few frames at a time (the
spectra stay in cache), in single precision unless double is asked for: ``fft`` answers the
spectrum with the zero frequency in the middle of the frame (``fftshift``), as its magnitude or
complex; ``fourier_filter`` keeps the frequencies ``r_in <= |k| <= r_out`` (in pixels of the
transform, ``|k|`` of the integer frequencies) and transforms back to real frames.  A NaN in a
frame spreads over all of that frame's transform (and nowhere else).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .fft import frequency_radius

TURNS = ("flip_x", "flip_y", "rot90", "rot180", "rot270", "transpose")
#: The turns after which a frame's height is its width.
SWAPPING = frozenset({"rot90", "rot270", "transpose"})
FOURIER = ("fft", "fourier_filter")
#: Bytes of spectra made at once.
SPECTRA_BYTES = 2 * 1024**2


@dataclass(frozen=True)
class FrameOp:
    kind: str  # one of TURNS or FOURIER
    #: ``fft``: "magnitude" (real) or "complex".
    output: str = "magnitude"
    #: "single" (float32 / complex64) or "double".
    precision: str = "single"
    r_in: float = 0.0
    r_out: float = math.inf

    def __post_init__(self) -> None:
        assert self.kind in TURNS + FOURIER, self.kind

    @property
    def swaps_axes(self) -> bool:
        return self.kind in SWAPPING

    @property
    def fourier(self) -> bool:
        return self.kind in FOURIER

    def shape(self, sig_shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.swaps_axes:
            return tuple(sig_shape[:-2]) + (sig_shape[-1], sig_shape[-2])
        return tuple(sig_shape)

    def dtype(self, dtype: np.dtype) -> np.dtype:
        if not self.fourier:
            return np.dtype(dtype)
        double = self.precision == "double"
        if self.kind == "fft" and self.output == "complex":
            return np.dtype(np.complex128 if double else np.complex64)
        return np.dtype(np.float64 if double else np.float32)

    def apply(self, block: np.ndarray) -> np.ndarray:
        """``block`` (frames on its last two axes) done; a view where numpy gives one."""
        if self.kind == "flip_x":
            return block[..., ::-1]
        if self.kind == "flip_y":
            return block[..., ::-1, :]
        if self.kind == "transpose":
            return np.swapaxes(block, -1, -2)
        if self.kind in ("rot90", "rot180", "rot270"):
            return np.rot90(block, int(self.kind[3:]) // 90, axes=(-2, -1))
        return self._fourier(block)

    def _fourier(self, block: np.ndarray) -> np.ndarray:
        from scipy.fft import fft2, fftshift, irfft2, rfft2

        real = np.dtype(np.float64 if self.precision == "double" else np.float32)
        height, width = block.shape[-2:]
        frames = block.reshape((-1, height, width))
        out = np.empty(frames.shape, self.dtype(block.dtype))
        per = max(1, SPECTRA_BYTES // (height * width * 2 * real.itemsize))
        if self.kind == "fourier_filter":
            radius = frequency_radius((height, width))[:, : width // 2 + 1]
            keep = ((radius >= self.r_in) & (radius <= self.r_out)).astype(real)
        for lo in range(0, len(frames), per):
            part = np.asarray(frames[lo:lo + per], dtype=real)
            if self.kind == "fft":
                spectra = fftshift(fft2(part, axes=(-2, -1), workers=1), axes=(-2, -1))
                out[lo:lo + per] = spectra if self.output == "complex" else np.abs(spectra)
            else:
                spectra = rfft2(part, axes=(-2, -1), workers=1) * keep
                out[lo:lo + per] = irfft2(spectra, s=(height, width), axes=(-2, -1), workers=1)
        return out.reshape(block.shape)
