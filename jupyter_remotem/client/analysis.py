"""The operations a dataset offers, identical for remote and local data.

:class:`Analysis` turns method calls (``virtual_detector``, ``com``, ``frame_stats``, ``pick``,
``crop``/``bin``/``cast``) into the API's operation names and parameters, and shapes the answer
(numpy, a dict of arrays, or xarray).  Subclasses only say *where* an operation runs: a
:class:`~.dataset.RemoteDataset` sends it to the server, a :class:`~.local.LocalDataset` runs
the same kernels in this process.  So a script does not change when the data moves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import declared
from . import pipeline as chain
from .geometry import Axis, Geometry
from .pipeline import Step

if TYPE_CHECKING:
    from typing_extensions import Self

@dataclass
class Reduced:
    """The arrays of one reduction, as either side computed them."""

    operation: str
    arrays: dict[str, np.ndarray]
    primary: str
    #: The scan step the result was computed on (1: every position).
    step: int = 1
    attributes: dict[str, Any] = field(default_factory=dict)
    fft: bool = False


class Analysis(ABC):
    """Dataset operations; see the module docstring."""

    pipeline: tuple[Step, ...] = ()

    # -- what subclasses provide -------------------------------------------------------------
    @property
    @abstractmethod
    def geometry(self) -> Geometry:
        """Shape, dtype and axes after the pipeline."""

    @abstractmethod
    def _run(self, operation: str, params: dict[str, Any], roi: dict[str, Any] | None, *,
             field: str | None, step: int, coarse: bool, fft: bool) -> Reduced:
        """Run one reduction over this dataset (pipeline included)."""

    @abstractmethod
    def _chained(self, step: Step) -> Self:
        """The same dataset with one more pipeline step."""

    @abstractmethod
    def _declarations(self) -> list[dict[str, Any]]:
        """Every operation as the server declares it (``GET operations``: ``name``, ``kind``,
        ``description``, ``parameters``, ``outputs``, ``primary``, ...)."""

    def _declaration(self, operation: str) -> dict[str, Any] | None:
        """What ``operation`` takes and gives; None when it is not declared."""
        return next((entry for entry in self._declarations() if entry.get("name") == operation), None)

    def __getattr__(self, name: str) -> Any:
        """A declared operation without a method of its own (one added to the server later, or
        ``direct_beam``) is still ``ds.<name>(...)``, named and documented by its declaration."""
        if name.startswith("_"):
            raise AttributeError(name)
        declaration = self._declaration(name)
        if not declared.offers_method(declaration):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return declared.method_for(self, {"name": name, **(declaration or {})})

    def __dir__(self) -> list[str]:
        """Tab completion offers the declared operations too."""
        return sorted(set(super().__dir__()) | set(self._declared_methods()))

    def _declared_methods(self) -> list[str]:
        """Names of the declared operations that are dataset methods (see :mod:`.declared`)."""
        return [entry["name"] for entry in self._declarations() if declared.offers_method(entry)]

    def _single_array(self, operation: str) -> str | None:
        """The name of the one array ``operation`` answers, when its declaration has one."""
        outputs = (self._declaration(operation) or {}).get("outputs") or []
        return outputs[0]["name"] if len(outputs) == 1 else None

    # -- geometry ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.geometry.shape

    @property
    def dtype(self) -> np.dtype:
        return self.geometry.dtype

    @property
    def ndim(self) -> int:
        return len(self.geometry.shape)

    @property
    def nav_shape(self) -> tuple[int, ...]:
        """Shape of the scan (navigation) axes."""
        return self.geometry.nav_shape

    @property
    def sig_shape(self) -> tuple[int, ...]:
        """Shape of one frame (signal axes)."""
        return self.geometry.sig_shape

    @property
    def axes(self) -> tuple[Axis, ...]:
        """Calibrated axes: name, size, scale, offset, units, navigate."""
        return self.geometry.axes

    @property
    def nbytes(self) -> int:
        return self.geometry.nbytes

    # -- reductions --------------------------------------------------------------------------
    def virtual_detector(self, detectors: Mapping[str, Any] | Sequence[Mapping[str, Any]], roi: dict[str, Any] | None = None,
                         *, step: int = 1, coarse: bool = False, as_xarray: bool = False) -> Any:
        """Masked sums over each frame: one image per detector.

        ``detectors`` is a list of shapes (see :mod:`.detectors`); the answer has shape
        ``nav_shape + (len(detectors),)``.  A single shape (not in a list) gives one
        ``nav_shape`` image.  ``roi`` restricts the scan positions (NaN elsewhere); ``step``
        reads every step-th position only and ``coarse`` lets the server pick that step.
        """
        single = isinstance(detectors, Mapping)
        specs = [dict(detectors)] if single else [dict(d) for d in detectors]
        reduced = self._run("virtual_detector", {"detectors": specs}, roi, field="intensity", step=step,
                            coarse=coarse, fft=False)
        if single:
            reduced.arrays["intensity"] = reduced.arrays["intensity"][..., 0]
        return self._present(reduced, "intensity", as_xarray)

    def com(self, cx: float | None = None, cy: float | None = None, r: float | None = None, *,
            scan_rotation: float = 0.0, flip_y: bool = False, roi: dict[str, Any] | None = None,
            field: str | None = None, step: int = 1, coarse: bool = False, as_xarray: bool = False) -> Any:
        """Centre of mass of every frame, relative to ``(cx, cy)`` (default: the frame centre),
        within a disk of radius ``r`` when given; ``scan_rotation`` in degrees.

        Returns a dict ``magnitude, com_y, com_x, shift_y, shift_x, divergence, curl`` (an
        ``xarray.Dataset`` with ``as_xarray``), or the one array ``field`` names.
        """
        params: dict[str, Any] = {"scan_rotation": float(scan_rotation), "flip_y": bool(flip_y)}
        for name, value in (("cx", cx), ("cy", cy), ("r", r)):
            if value is not None:
                params[name] = float(value)
        return self._present(self._run("com", params, roi, field=field, step=step, coarse=coarse, fft=False),
                             field, as_xarray)

    def radial_profile(self, cx: float | None = None, cy: float | None = None, *, bins: int = 32,
                       sectors: int = 1, r_min: float = 0.0, r_max: float | None = None, angle_offset: float = 0.0,
                       roi: dict[str, Any] | None = None, field: str | None = "profile", step: int = 1,
                       coarse: bool = False, as_xarray: bool = False) -> Any:
        """Mean intensity of every frame over ``bins`` rings of equal width around ``(cx, cy)``
        (default: the frame centre), from ``r_min`` to ``r_max`` pixels (default: the farthest
        pixel), cut into ``sectors`` of equal angle from ``angle_offset`` degrees (from +x
        towards +y): ``nav_shape + (sectors, bins)``, NaN where a bin holds no pixel.
        ``field="radius"`` gives the rings' middle radii, ``"pixels"`` their pixel counts, and
        ``field=None`` all three.
        """
        params: dict[str, Any] = {"bins": int(bins), "sectors": int(sectors), "r_min": float(r_min),
                                  "angle_offset": float(angle_offset)}
        for name, value in (("cx", cx), ("cy", cy), ("r_max", r_max)):
            if value is not None:
                params[name] = float(value)
        return self._present(self._run("radial_profile", params, roi, field=field, step=step, coarse=coarse,
                                       fft=False), field, as_xarray)

    def crystallinity(self, r_in: float, r_out: float, *, beam_r: float | None = None,
                      beam_cx: float | None = None, beam_cy: float | None = None,
                      roi: dict[str, Any] | None = None, step: int = 1, coarse: bool = False,
                      as_xarray: bool = False) -> Any:
        """The magnitude of each frame's 2-D Fourier transform summed over the frequencies
        ``r_in <= |k| <= r_out`` (pixels of the transform), after zeroing a disk of ``beam_r``
        pixels around ``(beam_cx, beam_cy)`` (default: the frame centre) when given: one value
        per scan position, high where the scan is crystalline (LiberTEM's crystallinity map).
        """
        params: dict[str, Any] = {"r_in": float(r_in), "r_out": float(r_out)}
        for name, value in (("beam_r", beam_r), ("beam_cx", beam_cx), ("beam_cy", beam_cy)):
            if value is not None:
                params[name] = float(value)
        return self._present(self._run("crystallinity", params, roi, field="crystallinity", step=step,
                                       coarse=coarse, fft=False), "crystallinity", as_xarray)

    def fem(self, ri: float, ro: float, *, cx: float | None = None, cy: float | None = None,
            field: str | None = "std", roi: dict[str, Any] | None = None, step: int = 1, coarse: bool = False,
            as_xarray: bool = False) -> Any:
        """Fluctuation electron microscopy over the ring ``ri < d <= ro`` around ``(cx, cy)``
        (default: the frame centre): at each scan position the standard deviation (``std``, the
        default ``field``) and the mean (``mean``) of the ring's pixels, and ``variance``, the
        normalised variance ``<I^2> / <I>^2 - 1`` of that mean over the scan.  ``field=None``
        returns all three (a dict, or an ``xarray.Dataset`` with ``as_xarray``).
        """
        params: dict[str, Any] = {"ri": float(ri), "ro": float(ro)}
        for name, value in (("cx", cx), ("cy", cy)):
            if value is not None:
                params[name] = float(value)
        return self._present(self._run("fem", params, roi, field=field, step=step, coarse=coarse, fft=False),
                             field, as_xarray)

    def blobs(self, radius: float, *, n_peaks: int = 16, min_distance: float | None = None,
              threshold: float = 0.2, template: str = "disk", ring_width: float | None = None,
              field: str | None = "count", roi: dict[str, Any] | None = None,
              step: int = 1, coarse: bool = False, as_xarray: bool = False) -> Any:
        """The diffraction disks of about ``radius`` pixels in every frame (LiberTEM's
        blobfinder): ``count`` per scan position (the default ``field``), ``positions`` (x, y of
        at most ``n_peaks`` disks, strongest first, refined to a fraction of a pixel; NaN beyond
        the count) and their ``strength``.  Disks weaker than ``threshold`` times the frame's
        strongest, or nearer than ``min_distance`` (default: the radius) to a stronger one, are
        left out.  ``template`` says what a disk looks like: ``"disk"`` (against a dark ring
        around it), ``"ring"`` (its rim only, ``ring_width`` pixels wide: disks with an uneven
        inside) or ``"gaussian"`` (blurred spots).  ``field=None`` returns all three.
        """
        params: dict[str, Any] = {"radius": float(radius), "n_peaks": int(n_peaks), "threshold": float(threshold),
                                  "template": template}
        if min_distance is not None:
            params["min_distance"] = float(min_distance)
        if ring_width is not None:
            params["ring_width"] = float(ring_width)
        return self._present(self._run("blobs", params, roi, field=field, step=step, coarse=coarse, fft=False),
                             field, as_xarray)

    def neighbour_correlation(self, *, field: str | None = "correlation", roi: dict[str, Any] | None = None,
                              step: int = 1, coarse: bool = False, as_xarray: bool = False) -> Any:
        """How alike each frame is to its neighbours on the scan (left, right, above, below):
        ``correlation``, the mean Pearson correlation with them (the default ``field``; near 1
        inside a grain, lower at boundaries), and ``difference``, the mean RMS difference.
        ``field=None`` returns both.
        """
        return self._present(self._run("neighbour_correlation", {}, roi, field=field, step=step, coarse=coarse,
                                       fft=False), field, as_xarray)

    def decomposition(self, components: int = 8, *, method: str = "pca", iterations: int = 10,
                      field: str | None = "scores", roi: dict[str, Any] | None = None,
                      step: int = 1, coarse: bool = False, as_xarray: bool = False) -> Any:
        """Principal components of the frames (``method="pca"``, two streamed passes) or a
        non-negative factorisation (``"nmf"``: parts that add up, such as phases, refined over
        ``iterations`` further passes), computed next to the data: ``scores`` (each position's
        coordinate along each component, the default ``field``), ``rgb`` (the first three
        scores as an 8-bit colour image), ``components`` (unit frames; PCA's strongest first,
        signed so the largest entry is positive), the ``mean`` frame, and the ``variance`` and
        ``variance_ratio`` of each component's scores.  ``field=None`` returns them all.
        """
        params: dict[str, Any] = {"components": int(components), "method": method}
        if method == "nmf":
            params["iterations"] = int(iterations)
        return self._present(self._run("decomposition", params, roi, field=field, step=step, coarse=coarse,
                                       fft=False), field, as_xarray)

    def map(self, function: Any, *, roi: dict[str, Any] | None = None, step: int = 1, coarse: bool = False,
            name: str | None = None, as_xarray: bool = False) -> Any:
        """``function(frame)`` on every frame, next to the data: its answer (a number, or an
        array of the same shape for every frame) at each scan position, ``nav_shape +
        answer.shape`` (NaN outside ``roi``).  The function is tried on the first frame first,
        so a function that fails, or answers something that is not numbers, is refused before
        any work.  Remote data runs it on the server's executor (pickled by value with
        cloudpickle; the server checks that its Python, cloudpickle and numpy match this
        kernel's), interactively when it is quick and otherwise as a durable job whose result
        is returned when it ends; local data runs the same code here.  Only a logged-in
        session may send code: a personal token is refused (403).
        """
        from .functions import code_params

        params = code_params(function, name)
        return self._present(self._run_code("map", params, roi, step=step, coarse=coarse), "result", as_xarray)

    def apply(self, udf: Any, *, roi: dict[str, Any] | None = None, step: int = 1, coarse: bool = False,
              name: str | None = None) -> Any:
        """Your own reduction of blocks of frames, merged over the scan as a LiberTEM UDF's
        merge is: ``udf.process(frames)`` (``frames`` of shape ``(n,) + frame``) gives a partial,
        ``udf.merge(a, b)`` combines two (in any order), and ``udf.finish(partial)``, when
        defined, shapes the answer, which must be numbers.  Runs like :meth:`map`.
        """
        from .functions import code_params

        params = code_params(udf, name)
        return self._run_code("apply", params, roi, step=step, coarse=coarse).arrays["result"]

    def _run_code(self, operation: str, params: dict[str, Any], roi: dict[str, Any] | None, *,
                  step: int, coarse: bool) -> Reduced:
        """A user function's run; remote data turns one too slow for an interactive answer into
        a job."""
        return self._run(operation, params, roi, field="result", step=step, coarse=coarse, fft=False)

    def frame_stats(self, roi: dict[str, Any] | None = None, *, field: str | None = None,
                    as_xarray: bool = False) -> Any:
        """Mean, sum, std, max and min frame over the scan (or the positions in ``roi``).

        Returns a dict of frames (an ``xarray.Dataset`` with ``as_xarray``), or the one ``field``.
        """
        return self._present(self._run("frame_stats", {}, roi, field=field, step=1, coarse=False, fft=False),
                             field, as_xarray)

    def pick(self, y: int | Sequence[int], x: int | None = None, *, as_xarray: bool = False) -> Any:
        """The frame at scan position ``(y, x)`` (or ``pick([z, y, x])`` for other scans)."""
        if x is not None:
            position = [int(y), int(x)]  # type: ignore[arg-type]
        else:
            position = [int(y)] if isinstance(y, (int, np.integer)) else [int(v) for v in y]
        reduced = self._run("pick", {"position": position}, None, field="frame", step=1, coarse=False, fft=False)
        reduced.attributes.setdefault("position", position)
        return self._present(reduced, "frame", as_xarray)

    def reduce(self, operation: str, params: dict[str, Any] | None = None, roi: dict[str, Any] | None = None, *,
               field: str | None = None, step: int = 1, coarse: bool = False, fft: bool = False,
               as_xarray: bool = False) -> Any:
        """Any reduction by its API name and parameters; ``fft`` answers the centred |FFT| of each array."""
        reduced = self._run(operation, dict(params or {}), roi, field=field, step=step, coarse=coarse, fft=fft)
        return self._present(reduced, field, as_xarray)

    # -- transformations (lazy) --------------------------------------------------------------
    def crop(self, nav: Any = None, sig: Any = None) -> Self:
        """Keep part of the scan and/or of each frame: half-open ``(start, stop)`` per axis (or None),
        or one pair for every axis of that part.  Lazy: runs inside the reduction that follows."""
        return self._chained(chain.crop_step(self.geometry, nav, sig))

    def bin(self, sig: Any = None, nav: Any = None, reduce: str = "mean") -> Self:
        """Bin frames by ``sig`` (one int for every frame axis, or one per axis) and the scan by
        ``nav``; ``reduce`` is "mean" or "sum".  ``ds.bin(2)`` halves each frame side.  Lazy."""
        return self._chained(chain.bin_step(self.geometry, sig, nav, reduce))

    def cast(self, dtype: Any, scale: float = 1.0, offset: float = 0.0, clip: bool = False) -> Self:
        """Values as ``dtype`` after ``value * scale + offset`` (``clip`` clamps to its range).  Lazy."""
        return self._chained(chain.cast_step(dtype, scale, offset, clip))

    def flip(self, axis: str, on: str = "frame") -> Self:
        """Frames mirrored: ``"x"`` left and right, ``"y"`` top and bottom; ``on="scan"``
        mirrors the scan instead (the positions of the frames).  Lazy."""
        return self._chained(chain.flip_step(axis, on))

    def rotate(self, quarter_turns: int = 1, on: str = "frame") -> Self:
        """Frames (or with ``on="scan"`` the scan) turned counter-clockwise by ``quarter_turns``
        (as ``np.rot90``; -1 turns clockwise); a quarter turn swaps their axes.  Lazy."""
        return self._chained(chain.rotate_step(quarter_turns, on))

    def transpose(self, on: str = "frame") -> Self:
        """Frames (or with ``on="scan"`` the scan) transposed: x and y trade places, with their
        calibrations.  Lazy."""
        return self._chained(chain.transpose_step(on))

    def fft(self, output: str = "magnitude", precision: str = "single") -> Self:
        """Each frame's Fourier transform, the zero frequency in the middle: its ``magnitude``
        or ``complex``; float32 (complex64) unless ``precision="double"``.  Lazy."""
        return self._chained(chain.fft_step(output, precision))

    def fourier_filter(self, r_out: float, r_in: float = 0.0, precision: str = "single") -> Self:
        """Frames with only the spatial frequencies ``r_in <= |k| <= r_out`` (pixels of the
        transform) kept, transformed back: a low-pass with ``r_in=0``, else a band-pass.  Lazy."""
        return self._chained(chain.fourier_filter_step(r_out, r_in, precision))

    def affine(self, matrix: Any = ((1.0, 0.0), (0.0, 1.0)), offset: Any = (0.0, 0.0), order: int = 1,
               fill: float = 0.0) -> Self:
        """Frames resampled through an affine map, as ``scipy.ndimage.affine_transform``: output
        pixel ``(row, column)`` takes the input at ``matrix @ (row, column) + offset``,
        interpolated to ``order`` (0 nearest, 1 linear, 3 cubic), ``fill`` outside.  Lazy."""
        return self._chained(chain.affine_step(matrix, offset, order, fill))

    def polar(self, cx: float | None = None, cy: float | None = None, r_max: float | None = None,
              n_radius: int | None = None, n_angle: int = 360, order: int = 1, fill: float = 0.0) -> Self:
        """Frames on angle (rows, ``360 / n_angle`` degrees apart from +x towards +y) and radius
        (columns, 0 to ``r_max``, ``n_radius`` of them) about ``(cx, cy)`` (default: the
        centre; ``r_max`` the farthest pixel).  Lazy."""
        return self._chained(chain.polar_step(cx, cy, r_max, n_radius, n_angle, order, fill))

    def mask_crop(self, polygon: Any = None, mask: Any = None, fill: float = 0.0) -> Self:
        """Frames cropped to a free-form region, ``polygon`` ``[(x, y), ...]`` in pixels (pixel
        centres inside are kept) or a boolean ``mask`` of the frame's shape: outside set to
        ``fill``, the bounding box kept.  Lazy (a region of the scan is a job's, or an ROI)."""
        return self._chained(chain.mask_crop_step(polygon, mask, fill))

    def flatfield(self, dark: Any = None, flat: Any = None, normalise: bool = True, precision: str = "single",
                  fill: float | None = None) -> Self:
        """Frames corrected with references, ``(frame - dark) / (flat - dark)`` (times the mean
        of ``flat - dark`` when ``normalise``): each ``"repository:path"`` of a frame or of a
        stack (averaged) on the server, or the frame itself.  Pixels without a usable reference
        become ``fill`` (NaN).  Lazy."""
        return self._chained(chain.flatfield_step(dark, flat, normalise, precision, fill))

    # -- answers -----------------------------------------------------------------------------
    def _present(self, reduced: Reduced, field: str | None, as_xarray: bool) -> Any:
        name = field or self._single_array(reduced.operation)
        if as_xarray:
            from .interop import reduction_to_xarray

            outputs = (self._declaration(reduced.operation) or {}).get("outputs") or []
            return reduction_to_xarray(reduced, self.geometry.subsampled(reduced.step), name,
                                       {output["name"]: output for output in outputs})
        if name is not None:
            return reduced.arrays[name]
        return dict(reduced.arrays)
