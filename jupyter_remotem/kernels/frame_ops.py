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

The geometric and corrective operations carry more than a few numbers, each in its own class:
:class:`AffineOp` (an affine resampling of the frame, scipy's ``affine_transform``),
:class:`PolarOp` (the frame on radius and angle, scipy's ``map_coordinates``), :class:`MaskOp`
(pixels outside a region set to a fill value) and :class:`FlatfieldOp` (dark and flat-field
correction with reference frames the plan loaded once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .fft import frequency_radius
from .resample import Taps, gather, taps

TURNS = ("flip_x", "flip_y", "rot90", "rot180", "rot270", "transpose")
#: The turns after which a frame's height is its width.
SWAPPING = frozenset({"rot90", "rot270", "transpose"})
FOURIER = ("fft", "fourier_filter")
#: Interpolation orders of the resampling operations: nearest (0), linear (1), cubic spline (3).
ORDERS = (0, 1, 3)
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


# -- geometry, masks and corrections of frames -------------------------------------------------
def resampled_dtype(dtype: np.dtype) -> np.dtype:
    """What interpolated frames are: float32, or float64 from 64-bit data (as a binned mean)."""
    return np.dtype(np.float64 if np.dtype(dtype).itemsize >= 8 else np.float32)


class _Resampling(FrameOp):
    """What the affine and polar resamplings share: the input coordinates of every output pixel
    are the same for all frames, so nearest and linear sampling gather precomputed taps
    (:mod:`.resample`, scipy's answers); a cubic spline, which needs each frame prefiltered, is
    scipy's own per frame."""

    order: int
    fill: float

    def coordinates(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The input ``(rows, cols)`` sampled for each output pixel of a frame of ``shape``."""
        raise NotImplementedError

    def out_frame(self, shape: tuple[int, int]) -> tuple[int, int]:
        return shape

    def dtype(self, dtype: np.dtype) -> np.dtype:
        return resampled_dtype(dtype)

    def apply(self, block: np.ndarray) -> np.ndarray:
        height, width = block.shape[-2:]
        out_frame = self.out_frame((height, width))
        frames = block.reshape((-1, height * width))
        out = np.empty((len(frames), out_frame[0] * out_frame[1]), self.dtype(block.dtype))
        if self.order <= 1:
            gather(frames, _taps_of(self, (height, width)), self.fill, out)
        else:
            from scipy.ndimage import map_coordinates

            where = np.stack(self.coordinates((height, width))).reshape(2, -1)
            for i, frame in enumerate(frames):
                out[i] = map_coordinates(frame.reshape(height, width).astype(out.dtype), where, order=self.order,
                                         mode="constant", cval=self.fill)
        return out.reshape(block.shape[:-2] + out_frame)


@lru_cache(maxsize=16)
def _taps_of(op: _Resampling, shape: tuple[int, int]) -> Taps:
    rows, cols = op.coordinates(shape)
    return taps(rows, cols, shape, op.order)


@dataclass(frozen=True)
class AffineOp(_Resampling):
    """Each frame resampled through an affine map, as ``scipy.ndimage.affine_transform`` does it:
    output pixel ``o`` (row, column) takes the input at ``matrix @ o + offset``, interpolated to
    ``order`` (0 nearest, 1 linear, 3 cubic spline), ``fill`` where that lies outside the frame
    (scipy's ``mode="constant"``).  The frame keeps its shape; values are float32 (float64 from
    64-bit data).  A NaN spoils only the output pixels that take something of it."""

    kind: str = "affine"
    matrix: tuple[tuple[float, float], tuple[float, float]] = ((1.0, 0.0), (0.0, 1.0))
    offset: tuple[float, float] = (0.0, 0.0)
    order: int = 1
    fill: float = 0.0

    def __post_init__(self) -> None:
        assert self.kind == "affine" and self.order in ORDERS, (self.kind, self.order)

    def coordinates(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        (a, b), (c, d) = self.matrix
        rows, cols = np.indices(shape, dtype=np.float64)
        return a * rows + b * cols + self.offset[0], c * rows + d * cols + self.offset[1]


@dataclass(frozen=True)
class PolarOp(_Resampling):
    """Each frame resampled onto angle (rows) and radius (columns) about ``(cx, cy)``: row ``i``
    is the angle ``i * 360 / n_angle`` degrees from +x towards +y (y grows down the frame, as the
    radial profile's sectors), column ``j`` the radius ``j * r_max / (n_radius - 1)`` pixels.  The
    frame's value there is interpolated by ``scipy.ndimage.map_coordinates`` to ``order``,
    ``fill`` beyond the frame.  Values are float32 (float64 from 64-bit data)."""

    kind: str = "polar"
    cx: float = 0.0
    cy: float = 0.0
    r_max: float = 1.0
    n_radius: int = 2
    n_angle: int = 360
    order: int = 1
    fill: float = 0.0

    def __post_init__(self) -> None:
        assert self.kind == "polar" and self.order in ORDERS and self.n_radius >= 2 and self.n_angle >= 1, self

    @property
    def radius_step(self) -> float:
        """Pixels between two columns."""
        return self.r_max / (self.n_radius - 1)

    @property
    def angle_step(self) -> float:
        """Degrees between two rows."""
        return 360.0 / self.n_angle

    def shape(self, sig_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sig_shape[:-2]) + (self.n_angle, self.n_radius)

    def out_frame(self, shape: tuple[int, int]) -> tuple[int, int]:
        return (self.n_angle, self.n_radius)

    def coordinates(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Row ``i`` the angle, column ``j`` the radius (``n_angle × n_radius`` of each)."""
        radii = np.arange(self.n_radius) * self.radius_step
        angles = np.deg2rad(np.arange(self.n_angle) * self.angle_step)
        return (self.cy + np.sin(angles)[:, None] * radii[None, :],
                self.cx + np.cos(angles)[:, None] * radii[None, :])


@dataclass(frozen=True, eq=False)
class MaskOp(FrameOp):
    """The pixels outside ``keep`` (a boolean frame) set to ``fill``; shape and dtype stay (the
    plan checked that ``fill`` fits the dtype)."""

    kind: str = "mask"
    keep: np.ndarray | None = None
    fill: float = 0.0

    __eq__ = object.__eq__  # the mask is an array: an operation equals itself only
    __hash__ = object.__hash__

    def __post_init__(self) -> None:
        assert self.kind == "mask" and self.keep is not None and self.keep.dtype == bool

    def apply(self, block: np.ndarray) -> np.ndarray:
        assert self.keep is not None
        out = np.array(block)  # a copy: the block may be the source's own memory
        out[..., ~self.keep] = self.fill
        return out


@dataclass(frozen=True, eq=False)
class FlatfieldOp(FrameOp):
    """``(frame - dark) * gain`` in float32 (``precision`` "single") or float64 ("double"), where
    the plan made ``gain`` = ``1 / (flat - dark)`` from the reference frames, times the mean of
    ``flat - dark`` when normalised (either reference may be None: nothing subtracted, nothing
    multiplied); the pixels in ``bad`` (no usable gain or dark) become ``fill``.  A NaN in a frame
    stays in its pixel."""

    kind: str = "flatfield"
    dark: np.ndarray | None = None
    gain: np.ndarray | None = None
    bad: np.ndarray | None = None
    fill: float = math.nan

    __eq__ = object.__eq__  # the references are arrays: an operation equals itself only
    __hash__ = object.__hash__

    def __post_init__(self) -> None:
        assert self.kind == "flatfield" and self.precision in ("single", "double"), (self.kind, self.precision)

    def dtype(self, dtype: np.dtype) -> np.dtype:
        return np.dtype(np.float64 if self.precision == "double" else np.float32)

    def apply(self, block: np.ndarray) -> np.ndarray:
        out = np.array(block, dtype=self.dtype(block.dtype))  # a copy, corrected in place
        if self.dark is not None:
            out -= self.dark
        if self.gain is not None:
            out *= self.gain
        if self.bad is not None and self.bad.any():
            out[..., self.bad] = self.fill
        return out
