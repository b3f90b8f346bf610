"""Thumbnails of datasets, chosen by what the data is.

A scan (two or more scan axes of 2-D frames) previews as a virtual bright field, annular dark
field, centre of mass, sum or frame; a 2-D array (an image) as itself; a stack of 2-D images (one
leading axis: a saved result of several detectors, a series) as its first or middle image.  The
kinds each offers are declared once here (:data:`PREVIEW_KINDS`, :func:`kinds_for`) and served
with a file's metadata, so the lab offers only what applies.

A first look at a 40 GB scan must come back in about a second, so previews read a *sample*: an
evenly strided grid of scan positions whose frames fit in ``max_bytes``.  The direct beam is
found on the sampled sum frame, detector geometry is derived from it (unless the caller gives
it), and the sample is reduced by the same operations as a full reduction or a job.  Rendered
PNGs are cached by repository, path, size, modification time and every parameter.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from .. import render
from ..errors import BadParameter
from ..formats import open_dataset
from ..formats.dataset import Dataset
from ..storage.repository import Repository
from .params import require_data
from .reductions import reduce_array

@dataclass(frozen=True)
class PreviewKind:
    """One kind of preview, as offered to users: its key, button label and tooltip."""

    kind: str
    label: str
    title: str
    #: What data it applies to: "scan" (scan axes × 2-D frames), "image" (2-D) or "stack".
    data: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "label": self.label, "title": self.title}


PREVIEW_KINDS: tuple[PreviewKind, ...] = (
    PreviewKind("bf", "BF", "Virtual bright field", "scan"),
    PreviewKind("adf", "ADF", "Virtual annular dark field", "scan"),
    PreviewKind("haadf", "HAADF", "Virtual high-angle annular dark field", "scan"),
    PreviewKind("com", "CoM", "Centre of mass", "scan"),
    PreviewKind("sum", "Sum", "Sum of all diffraction frames", "scan"),
    PreviewKind("frame", "Frame", "The diffraction frame at the middle of the scan", "scan"),
    PreviewKind("image", "Image", "The image, with contrast from its 0.5 and 99.5 percentiles", "image"),
    PreviewKind("first", "First", "The first image of the stack", "stack"),
    PreviewKind("middle", "Middle", "The middle image of the stack", "stack"),
)

KINDS = tuple(kind.kind for kind in PREVIEW_KINDS)


def data_kind(nav_ndim: int, sig_ndim: int) -> str | None:
    """What previews see in an array: "scan", "image" or "stack" of 2-D images; None when its
    frames are not 2-D (spectra, volumes seen whole), which have no picture preview."""
    if sig_ndim != 2:
        return None
    if nav_ndim == 0:
        return "image"
    if nav_ndim == 1:
        return "stack"
    return "scan"


def kinds_for(dataset: Dataset) -> list[PreviewKind]:
    """The previews that apply to ``dataset``, the default first."""
    data = data_kind(dataset.nav_ndim, len(dataset.sig_shape))
    return [kind for kind in PREVIEW_KINDS if kind.data == data]


@dataclass(frozen=True)
class PreviewRequest:
    """Everything that changes a preview's pixels (and so its cache key). ``kind`` None asks
    for the data's default preview."""

    kind: str | None = None
    dataset: str | None = None
    size: int | None = None
    cmap: str | None = None
    scale: str | None = None
    y: int | None = None
    x: int | None = None
    cx: float | None = None
    cy: float | None = None
    r: float | None = None
    ri: float | None = None
    ro: float | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise BadParameter(f"Unknown preview kind '{self.kind}'.", hint=f"Use one of: {', '.join(KINDS)}.")
        if self.size is not None and not 16 <= self.size <= 2048:
            raise BadParameter("Preview size must be between 16 and 2048 pixels.")


@dataclass(frozen=True)
class DirectBeam:
    cy: float
    cx: float
    r: float


@dataclass(frozen=True)
class Sample:
    """Scan positions chosen for a preview: their grid shape and flat indices into the scan."""

    grid_shape: tuple[int, ...]
    flat_indices: np.ndarray
    stride: int


def sample_positions(nav_shape: tuple[int, ...], frame_nbytes: int, max_bytes: int, max_side: int) -> Sample:
    """An evenly strided grid of scan positions that reads at most ``max_bytes``.

    The same stride is used on both scan axes so the thumbnail keeps the scan's aspect ratio.
    """
    if not nav_shape:
        return Sample((), np.zeros(1, dtype=np.int64), 1)
    budget_frames = max(1, max_bytes // max(frame_nbytes, 1))
    stride = max(1, math.ceil(max(nav_shape) / max_side))
    while math.prod(math.ceil(n / stride) for n in nav_shape) > budget_frames and stride < max(nav_shape):
        stride += max(1, stride // 4)
    axes = [np.arange(0, n, stride) for n in nav_shape]
    grid = np.meshgrid(*axes, indexing="ij")
    flat = np.ravel_multi_index(tuple(g.ravel() for g in grid), nav_shape).astype(np.int64)
    return Sample(tuple(len(a) for a in axes), flat, stride)


def estimate_direct_beam(sum_frame: np.ndarray) -> DirectBeam:
    """Centre and radius of the brightest disk: centroid and area of pixels above half maximum."""
    frame = np.nan_to_num(np.asarray(sum_frame, dtype=np.float64))
    height, width = frame.shape
    background = np.median(frame)
    peak = frame.max()
    if peak <= background:
        return DirectBeam((height - 1) / 2, (width - 1) / 2, max(1.0, min(height, width) / 8))
    bright = frame >= background + 0.5 * (peak - background)
    ys, xs = np.nonzero(bright)
    weights = frame[bright] - background
    cy = float(np.average(ys, weights=weights))
    cx = float(np.average(xs, weights=weights))
    radius = max(1.0, math.sqrt(bright.sum() / math.pi))
    return DirectBeam(cy, cx, radius)


def _detector(kind: str, beam: DirectBeam, request: PreviewRequest, sig_shape: tuple[int, ...]) -> dict[str, Any]:
    cx = beam.cx if request.cx is None else request.cx
    cy = beam.cy if request.cy is None else request.cy
    edge = max(math.hypot(max(cx, sig_shape[1] - 1 - cx), max(cy, sig_shape[0] - 1 - cy)), 1.0)
    if kind == "bf":
        return {"shape": "disk", "cx": cx, "cy": cy, "r": request.r if request.r is not None else beam.r * 1.1}
    if kind == "adf":
        ri = request.ri if request.ri is not None else beam.r * 1.3
        ro = request.ro if request.ro is not None else min(beam.r * 3.0, edge)
    else:  # haadf
        ri = request.ri if request.ri is not None else min(beam.r * 3.0, edge * 0.6)
        ro = request.ro if request.ro is not None else edge
    return {"shape": "ring", "cx": cx, "cy": cy, "ri": ri, "ro": max(ro, ri + 1.0)}


def virtual_images(frames: np.ndarray, kinds: tuple[str, ...] = ("bf", "adf")) -> dict[str, np.ndarray]:
    """The intensity of each of ``frames`` (n × height × width) in the detectors the previews
    of ``kinds`` place by default (a disk on the direct beam found in their sum, rings around
    it): the same virtual images the BF/ADF previews draw, one value per frame."""
    frames = np.asarray(frames)
    sum_frame = np.nansum(frames, axis=0, dtype=np.float64)
    beam = estimate_direct_beam(sum_frame)
    detectors = [_detector(kind, beam, PreviewRequest(kind=kind), frames.shape[1:]) for kind in kinds]
    intensity = reduce_array(frames, "virtual_detector", {"detectors": detectors}, nav_ndim=1).arrays["intensity"]
    return {kind: np.asarray(intensity[:, index], dtype=np.float64) for index, kind in enumerate(kinds)}


def _frame_position(dataset: Dataset, request: PreviewRequest) -> int:
    nav = dataset.nav_shape
    if not nav:
        return 0
    if len(nav) == 1:
        index = (request.x if request.x is not None else nav[0] // 2,)
    else:
        default = [n // 2 for n in nav]
        index = tuple(default[:-2]) + (
            request.y if request.y is not None else default[-2],
            request.x if request.x is not None else default[-1],
        )
    if any(i < 0 or i >= n for i, n in zip(index, nav)):
        raise BadParameter(f"Scan position {index} is outside the scan of shape {tuple(nav)}.")
    return int(np.ravel_multi_index(index, nav))


def _applicable(dataset: Dataset, kind: str | None) -> str:
    """The preview kind to draw: the requested one if it applies to this data, the default
    when none was asked for; a kind of another sort of data is a 400 naming those that apply."""
    offered = kinds_for(dataset)
    if kind is None:
        return offered[0].kind
    if kind not in {k.kind for k in offered}:
        what = {"image": "a 2-D image", "stack": "a stack of 2-D images", "scan": "a scan"}
        raise BadParameter(
            f"A '{kind}' preview does not apply to {what[offered[0].data]} of shape {tuple(dataset.shape)}.",
            hint=f"Use one of: {', '.join(k.kind for k in offered)}.",
        )
    return kind


def _image_png(image: np.ndarray, request: PreviewRequest, longest: int) -> bytes:
    """A 2-D result or image: linear between its 0.5 and 99.5 percentiles, so one hot pixel
    or a NaN border does not leave the rest black."""
    return render.to_png(np.asarray(image), cmap=request.cmap or "gray", scale=request.scale or "percentile",
                         longest=longest)


def compute_preview(dataset: Dataset, request: PreviewRequest, max_bytes: int, longest: int) -> bytes:
    """PNG bytes of one preview of an open dataset."""
    if len(dataset.sig_shape) != 2:
        raise BadParameter(
            f"Previews need 2-D frames; this dataset's frames have shape {dataset.sig_shape}.",
            hint="Open a dataset whose last two axes are the detector frame.",
        )
    require_data(dataset.shape, dataset.nav_ndim, "preview")
    kind = _applicable(dataset, request.kind)
    if kind == "image":
        return _image_png(dataset.read_frames(np.array([0]))[0], request, longest)
    if kind in ("first", "middle"):
        plane = 0 if kind == "first" else dataset.nav_shape[0] // 2
        return _image_png(dataset.read_frames(np.array([plane]))[0], request, longest)
    request = replace(request, kind=kind)
    if request.kind == "frame":
        frame = dataset.read_frames(np.array([_frame_position(dataset, request)]))[0]
        return render.to_png(frame, cmap=request.cmap or "gray", scale=request.scale or "log", longest=longest)

    sample = sample_positions(dataset.nav_shape, dataset.frame_nbytes, max_bytes, longest)
    frames = dataset.read_frames(sample.flat_indices)
    grid = sample.grid_shape if len(sample.grid_shape) >= 2 else (1, sample.grid_shape[0])
    # Extra leading scan axes (5-D and more) are folded into rows so the picture stays 2-D.
    grid = (math.prod(grid[:-1]), grid[-1])
    sum_frame = reduce_array(frames, "frame_stats", {}, nav_ndim=1).arrays["sum"].astype(np.float64)
    if request.kind == "sum":
        return render.to_png(sum_frame, cmap=request.cmap or "gray", scale=request.scale or "log", longest=longest)

    beam = estimate_direct_beam(sum_frame)
    if request.kind == "com":
        cx = beam.cx if request.cx is None else request.cx
        cy = beam.cy if request.cy is None else request.cy
        params = {"cx": cx, "cy": cy} | ({"r": request.r} if request.r is not None else {})
        com = reduce_array(frames, "com", params, nav_ndim=1).arrays
        shift_y = (com["com_y"] - cy).reshape(grid)
        shift_x = (com["com_x"] - cx).reshape(grid)
        return render.encode_png(render.colour_wheel(shift_y, shift_x), longest)

    detector = _detector(request.kind, beam, request, dataset.sig_shape)
    image = reduce_array(frames, "virtual_detector", {"detectors": [detector]}, nav_ndim=1).arrays["intensity"]
    image = image[:, 0].reshape(grid)
    return render.to_png(image, cmap=request.cmap or "gray", scale=request.scale or "percentile", longest=longest)


class PreviewService:
    """Opens, samples, reduces and renders, with an LRU cache of PNG bytes."""

    def __init__(self, size: int = 256, max_bytes: int = 64 * 1024**2, cache_entries: int = 256) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.cache_entries = cache_entries
        self._cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def render(self, repository: Repository, path: str, request: PreviewRequest) -> bytes:
        entry = repository.info(path)
        key = (repository.name, entry.path, entry.size, entry.mtime, tuple(asdict(request).items()))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
        with open_dataset(repository, entry.path, request.dataset) as dataset:
            png = compute_preview(dataset, request, self.max_bytes, request.size or self.size)
        with self._lock:
            self._cache[key] = png
            while len(self._cache) > self.cache_entries:
                self._cache.popitem(last=False)
        return png
