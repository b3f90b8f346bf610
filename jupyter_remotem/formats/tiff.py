"""TIFF files (``.tif``/``.tiff``): page stacks, ImageJ hyperstacks, OME-TIFF, tiled or compressed
images, single 2-D images.

tifffile parses the IFD chain and the ImageJ / OME / tifffile metadata into *series* (one array
each); the data are then read the cheapest way the layout allows:

* Uncompressed pages in final form (no predictor, no bit packing) are plain bytes at known
  offsets, read like NPY or contiguous HDF5: pages back to back (what tifffile, ImageJ and most
  acquisition software write) or equally spaced (an IFD between pages) through
  :class:`~.readers.OffsetReader`, pages anywhere else through :class:`~.readers.ChunkTableReader`
  with one frame per chunk.  A memory map locally, merged ranged reads on S3 or WebDAV.
* Compressed, predicted, bit-packed or otherwise encoded pages are decoded by tifffile page by
  page (:class:`TiffPageReader`): a read decodes only the pages it touches, never the stack.
  (tifffile's zarr store, ``TiffFile.aszarr``, needs zarr 3; this package reads zarr 2.)

Geometry: the navigation axes index the pages (tifffile's ``I``/``Q``, or ImageJ's and OME's
``T``, ``Z``, ``C``, kept by name, length-1 axes dropped) and the signal is the page, ``y`` and
``x`` (with the colour samples of an RGB page as a third axis).  A single page is a 2-D image, a
one-axis stack a stack of 2-D images, as for NPY.  Calibrations come from ImageJ (resolution,
``unit``, ``spacing``, ``finterval``, origins), OME (``PhysicalSize*``, ``TimeIncrement``), or a
DNG-style millimetre/micrometre ResolutionUnit; everything else is in pixels.

Hostile files: tifffile is handed the repository's file (containment-checked) as a bare stream,
without a file number or a folder, and with multi-file OME off, so it never opens another file;
errors tifffile only logs while parsing (a broken IFD chain, ImageJ metadata claiming more than
the file holds) are refusals, not quietly shorter stacks; pages of differing shape or type,
sizes beyond reason and pages that would decompress far beyond their stored size are refused
before anything is read.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from xml.etree import ElementTree

import numpy as np

from ..errors import BadParameter, CorruptFile, NotFound, UnsupportedFormat
from .boundary import summary
from .dataset import Axis, Dataset
from .jsonable import jsonable
from .readers import BaseReader, ChunkTableReader, OffsetReader
from .selection import Plan, Selection
from .sources import ByteSource

if TYPE_CHECKING:
    import tifffile

    from ..storage.repository import Repository

LABEL = "TIFF"
#: Internal paths of the arrays of a file holding several declared images (OME, tifffile).
SERIES_PATH = re.compile(r"^/?(?:series/)?(\d+)$")
#: No real array is larger (8 PiB); a header claiming more is corrupt, and numbers this size
#: would overflow the int64 arithmetic of the readers.
MAX_ARRAY_BYTES = 1 << 53
#: A compressed page may decode to at most this many times its stored size (zlib's limit is
#: about 1032, LZMA's on zeros a few thousand) plus :data:`EXPANSION_SLACK`: more is a
#: decompression bomb or a corrupt header, refused rather than allocated.
MAX_EXPANSION = 4096
EXPANSION_SLACK = 64 << 20
#: Block size of remote reads through tifffile.  Each miss fetches what was asked for plus one
#: block, and an IFD is read a few bytes at a time, so with fsspec's default blocks (5-50 MiB) the
#: walk along the IFD chain of a stack with an IFD before each page would fetch the whole file;
#: with 32 KiB it fetches about 64 KiB per page (measured on S3 for 512×512 uint16 pages).  Page
#: data and large tags are read at their own length whatever the block.
PARSE_BLOCK = 32 << 10
#: tifffile's axis codes with the names this package uses (the rest: tifffile's own names).
AXIS_NAMES = {"Y": "y", "X": "x", "Z": "z", "S": "sample", "I": "page", "Q": "page"}
#: Spellings of units found in ImageJ and OME metadata, as the viewer knows them.
UNITS = {"micron": "µm", "microns": "µm", "um": "µm", "μm": "µm", "\\u00b5m": "µm", "angstrom": "Å",
         "nanometer": "nm", "millimeter": "mm", "sec": "s", "second": "s", "seconds": "s"}
#: ImageJ's "unit" when the image is not calibrated.
NO_UNITS = {"", "pixel", "pixels", "px", "none"}
#: Tags shown next to the data when present.
TAGS_OF_INTEREST = ("Software", "DateTime", "Artist", "Make", "Model", "HostComputer")


# -- opening the file ---------------------------------------------------------------------
class _Stream:
    """The repository's file object as tifffile sees it: read and seek only.

    Without ``fileno`` tifffile never memory-maps it or treats it as a path, and without a name
    or folder it cannot look for the other files of a multi-file OME or Micro-Manager data set.
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if hasattr(self._handle, "readinto"):
            return self._handle.readinto(view)
        data = self._handle.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._handle.close()


class _LoggedErrors(logging.Handler):
    """Collects what tifffile logs from this thread (other threads parse other files)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        # tifffile starts each message with the repr of the object that complained.
        message = re.sub(r"^<[^>]*>\s*", "", record.getMessage())[:300]
        (self.errors if record.levelno >= logging.ERROR else self.warnings).append(message)


@contextmanager
def refusing_logged_errors(path: str) -> Iterator[_LoggedErrors]:
    """Turn the errors tifffile logs (and then works around by reading less) into a 422."""
    handler = _LoggedErrors()
    logger = logging.getLogger("tifffile")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
    if handler.errors:
        raise CorruptFile(
            f"'{path}' is a damaged TIFF file: {handler.errors[0]}",
            hint="The file may be truncated or still being written; check it with the tool that made it.",
        )


def parse_file(repository: Repository, path: str) -> tifffile.TiffFile:
    """The parsed file, its series read; the caller closes it (:func:`close_tiff`).  What tifffile
    warned about on the way is kept as ``tif.remotem_warnings``."""
    import tifffile

    # Small blocks remotely: see PARSE_BLOCK.
    handle = repository.open(path, "rb") if repository.is_local else repository.open(path, "rb", block_size=PARSE_BLOCK)
    tif = None
    try:
        with refusing_logged_errors(path) as logged:
            tif = tifffile.TiffFile(_Stream(handle), name=path.rsplit("/", 1)[-1], _multifile=False)
            tif.series  # noqa: B018 - parses the series now, inside the log capture
    except BaseException:
        if tif is not None:
            tif.close()
        handle.close()
        raise
    tif.remotem_handle = handle  # type: ignore[attr-defined]
    tif.remotem_warnings = logged.warnings  # type: ignore[attr-defined]
    return tif


def close_tiff(tif: tifffile.TiffFile) -> None:
    tif.close()
    handle = getattr(tif, "remotem_handle", None)
    if handle is not None:
        handle.close()


# -- which array, of what shape ------------------------------------------------------------
def _page_summary(series: Any) -> str:
    """``pages 0, 3: 33×17 uint16`` for the message refusing mixed pages."""
    indices = [int(page.index) if isinstance(page.index, int) else int(page.index[0])
               for page in series if page is not None]
    if len(indices) == 1:
        pages = f"page {indices[0]}"
    elif indices == list(range(indices[0], indices[-1] + 1)):
        pages = f"pages {indices[0]}–{indices[-1]}"
    else:
        pages = "pages " + ", ".join(str(i) for i in indices[:4]) + (", …" if len(indices) > 4 else "")
    return f"{pages}: {'×'.join(str(n) for n in series.keyframe.shape)} {series.dtype}"


def choose_series(tif: tifffile.TiffFile, path: str, dataset: str | None) -> int:
    """The index of the series asked for (the first by default), refusing files whose plain
    pages do not form one array."""
    series = tif.series
    if not series:
        raise CorruptFile(f"'{path}' holds no readable image.",
                          hint="The file may be truncated, or not a TIFF file despite its name.")
    if len(series) > 1 and series[0].kind in ("generic", "uniform"):
        groups = "; ".join(_page_summary(s) for s in series[:4]) + ("; …" if len(series) > 4 else "")
        hint = "A stack needs pages of one shape and type: save each kind of image in a file of its own."
        if tif.is_ome:
            hint += " (OME-TIFF data sets spread over several files are read one file at a time.)"
        raise UnsupportedFormat(f"The pages of '{path}' differ in shape or type ({groups}), so they are not one array.",
                                hint=hint)
    if dataset in (None, "", "/"):
        return 0
    match = SERIES_PATH.match(str(dataset))
    if match is None:
        raise BadParameter(f"'{path}' is a TIFF file; its images are '/series/0' … , not '{dataset}'.",
                           hint="List the file's arrays to see them.")
    index = int(match.group(1))
    if index >= len(series):
        raise NotFound(f"'{path}' holds {len(series)} image(s); there is no '/series/{index}'.",
                       hint="List the file's arrays to see them.")
    return index


@dataclass(frozen=True)
class Geometry:
    """A series seen as navigation (what indexes the pages) × signal (the page)."""

    shape: tuple[int, ...]
    axes: str  # tifffile's axis code of each dimension of ``shape``
    nav_ndim: int
    pages: int
    frames_per_page: int

    @property
    def sig_shape(self) -> tuple[int, ...]:
        return self.shape[self.nav_ndim:]

    @property
    def n_frames(self) -> int:
        return math.prod(self.shape[: self.nav_ndim])


def geometry_of(series: Any, path: str) -> Geometry:
    """Navigation and signal axes from the series' full (unsqueezed) shape: every axis before
    ``YX`` navigates unless its length is 1; ``YX`` and contiguous colour samples are the frame."""
    shape = tuple(int(n) for n in series.get_shape(False))
    axes = str(series.get_axes(False))
    y = axes.rfind("Y")
    x = y + 1
    if y < 0 or axes[x : x + 1] != "X" or axes[x + 1 :] not in ("", "S"):
        raise UnsupportedFormat(f"'{path}' stores its images with axes '{axes}', which cannot be read as frames.")
    samples = shape[x + 1] if axes[x + 1 :] == "S" else 1
    nav = [(code, n) for code, n in zip(axes[:y], shape[:y]) if n > 1]
    sig = [("Y", shape[y]), ("X", shape[x])] + ([("S", samples)] if samples > 1 else [])
    kept = nav + sig
    geometry_shape = tuple(n for _, n in kept)
    itemsize = np.dtype(series.dtype).itemsize
    if math.prod(geometry_shape) * itemsize > MAX_ARRAY_BYTES or 0 in geometry_shape:
        raise CorruptFile(f"'{path}' claims an image of shape {list(geometry_shape)} ({series.dtype}), which "
                          "no file holds: its header is corrupt.")
    pages = len(series)
    n_frames = math.prod(n for _, n in nav)
    frame_elements = math.prod(n for _, n in sig)
    page_elements = math.prod(int(n) for n in series.keyframe.shaped)
    if pages == 0 or n_frames % pages or page_elements != (n_frames // pages) * frame_elements:
        raise UnsupportedFormat(f"'{path}' declares {n_frames} images of {frame_elements} pixels in {pages} pages "
                                f"of {page_elements} pixels, which does not add up.",
                                hint="The ImageJ or OME metadata may not match the pages.")
    return Geometry(geometry_shape, "".join(code for code, _ in kept), len(nav), pages, n_frames // pages)


# -- calibration ---------------------------------------------------------------------------
Calibration = dict[str, tuple[float, float, str]]  # axis code -> (scale, offset, units)


def _unit(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    if text.lower() in NO_UNITS:
        return None
    return UNITS.get(text.lower(), text)


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _finite(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _pixels_per_unit(page: Any, code: int) -> float | None:
    """XResolution (282) or YResolution (283) as a number, from its rational."""
    tag = page.tags.get(code)
    if tag is None:
        return None
    value = tag.value
    try:
        numerator, denominator = (value[0], value[1]) if isinstance(value, tuple) else (value, 1)
        return _positive(float(numerator) / float(denominator))
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return None


def imagej_calibration(tif: tifffile.TiffFile, page: Any) -> Calibration:
    """ImageJ: pixels per ``unit`` in the resolution tags, ``spacing`` between slices,
    ``finterval`` between frames, origins in pixels (calibrated = (index - origin) × scale)."""
    meta = tif.imagej_metadata or {}
    found: Calibration = {}
    unit = _unit(meta.get("unit"))
    if unit:
        for axis, code, origin, units in (("X", 282, "xorigin", unit),
                                          ("Y", 283, "yorigin", _unit(meta.get("yunit")) or unit)):
            per_unit = _pixels_per_unit(page, code)
            if per_unit:
                scale = 1.0 / per_unit
                found[axis] = (scale, -_finite(meta.get(origin)) * scale, units)
        spacing = _positive(meta.get("spacing"))
        if spacing:
            found["Z"] = (spacing, -_finite(meta.get("zorigin")) * spacing, _unit(meta.get("zunit")) or unit)
    interval = _positive(meta.get("finterval"))
    if interval:
        found["T"] = (interval, 0.0, _unit(meta.get("tunit")) or "s")
    return found


def ome_calibration(tif: tifffile.TiffFile, index: int) -> Calibration:
    """OME: the ``PhysicalSize`` of X, Y, Z (µm unless said) and ``TimeIncrement`` (s) of the
    series' Image."""
    try:
        root = ElementTree.fromstring(tif.ome_metadata or "")
    except ElementTree.ParseError:
        return {}
    images = [element for element in root if element.tag.endswith("}Image") or element.tag == "Image"]
    if not images:
        return {}
    image = images[index] if index < len(images) else images[0]
    pixels = next((element for element in image if element.tag.endswith("Pixels")), None)
    if pixels is None:
        return {}
    found: Calibration = {}
    for axis in "XYZ":
        size = _positive(pixels.get(f"PhysicalSize{axis}"))
        if size:
            found[axis] = (size, 0.0, _unit(pixels.get(f"PhysicalSize{axis}Unit")) or "µm")
    increment = _positive(pixels.get("TimeIncrement"))
    if increment:
        found["T"] = (increment, 0.0, _unit(pixels.get("TimeIncrementUnit")) or "s")
    return found


def resolution_calibration(page: Any) -> Calibration:
    """The resolution tags, when their unit is a length a microscope means (DNG's millimetre or
    micrometre; inch and centimetre are what photo software writes for print)."""
    import tifffile

    units = {int(tifffile.RESUNIT.MILLIMETER): "mm", int(tifffile.RESUNIT.MICROMETER): "µm"}
    tag = page.tags.get(296)  # ResolutionUnit
    unit = units.get(int(tag.value)) if tag is not None and isinstance(tag.value, int) else None
    if unit is None:
        return {}
    found: Calibration = {}
    for axis, code in (("X", 282), ("Y", 283)):
        per_unit = _pixels_per_unit(page, code)
        if per_unit:
            found[axis] = (1.0 / per_unit, 0.0, unit)
    return found


def calibration_of(tif: tifffile.TiffFile, series: Any, index: int) -> Calibration:
    if series.kind == "imagej":
        return imagej_calibration(tif, series.keyframe)
    if series.kind == "ome":
        return ome_calibration(tif, index)
    return resolution_calibration(series.keyframe)


def axes_of(geometry: Geometry, calibration: Calibration) -> list[Axis]:
    import tifffile

    axes: list[Axis] = []
    used: set[str] = set()
    for i, (code, size) in enumerate(zip(geometry.axes, geometry.shape)):
        name = AXIS_NAMES.get(code) or tifffile.TIFF.AXES_NAMES.get(code, code.lower())
        if name in used:
            name = f"{name}{i}"
        used.add(name)
        scale, offset, units = calibration.get(code, (1.0, 0.0, "px" if code in "YX" else ""))
        axes.append(Axis(name=name, size=size, scale=scale, offset=offset, units=units,
                         navigate=i < geometry.nav_ndim))
    return axes


# -- what can be read how ------------------------------------------------------------------
def _compression_name(page: Any) -> str | None:
    return None if int(page.compression) == 1 else str(getattr(page.compression, "name", page.compression)).lower()


def check_decodable(page: Any, path: str) -> None:
    """Refuse, before reading, codecs this server does not have (tifffile's pure-Python ones are
    zlib/deflate, LZMA and the horizontal predictor; the rest need imagecodecs)."""
    import tifffile

    try:
        if int(page.compression) != 1:
            tifffile.TIFF.DECOMPRESSORS[page.compression]
        if int(page.predictor) != 1:
            tifffile.TIFF.UNPREDICTORS[page.predictor]
    except (KeyError, ImportError, ValueError) as error:
        raise UnsupportedFormat(
            f"'{path}' is stored with {_compression_name(page) or 'a predictor'}, which this server cannot decode "
            f"({summary(error)}).",
            hint="Install the imagecodecs package on the server, or save the file uncompressed or with zlib.",
        ) from error


def check_stored(page: Any, size: int, path: str, number: int) -> None:
    """Refuse a page whose data end past the end of the file (its IFD survived a truncation)."""
    ends = [int(o) + int(c) for o, c in zip(page.dataoffsets, page.databytecounts) if c]
    if ends and max(ends) > size:
        raise CorruptFile(f"'{path}' is truncated: page {number} needs {max(ends)} bytes, the file has {size}.",
                          hint="The file may still be being written or was copied incompletely.")


def check_expansion(page: Any, path: str, number: int = 0) -> None:
    """Refuse a page that would decode to far more than it stores (a decompression bomb, or a
    header whose image size or byte counts are corrupt), before its output is allocated."""
    keyframe = page.keyframe
    stored = sum(int(c) for c in page.databytecounts)
    if keyframe.nbytes > MAX_EXPANSION * stored + EXPANSION_SLACK:
        raise CorruptFile(f"Page {number} of '{path}' would decompress {stored:,} bytes into {keyframe.nbytes:,}: "
                          "its header is corrupt, or the file is a decompression bomb.")


def _stored_contiguously(page: Any, nbytes: int) -> bool:
    """A page's own segments (a TiffFrame shares only its keyframe's tags) back to back."""
    offsets, counts = page.dataoffsets, page.databytecounts
    if len(offsets) == 0 or offsets[0] <= 0:
        return False
    if len(offsets) == 1:
        return True
    if sum(counts) != nbytes:
        return False
    return all(offsets[i] + counts[i] == offsets[i + 1] for i in range(len(offsets) - 1))


def byte_reader(repository: Repository, path: str, tif: tifffile.TiffFile, series: Any,
                geometry: Geometry) -> OffsetReader | ChunkTableReader | None:
    """A byte-offset reader when every page of the series is stored uncompressed in final form;
    None when the pages must be decoded."""
    keyframe = series.keyframe
    if (
        series.transform is not None
        or not keyframe.is_final
        or keyframe.dtype is None
        or np.dtype(keyframe.dtype) != np.dtype(series.dtype)
        or np.dtype(series.dtype).kind not in "biufc"
    ):
        return None
    file_dtype = np.dtype(keyframe.dtype).newbyteorder(tif.byteorder)
    source = ByteSource(repository, path)
    offset = series.dataoffset  # tifffile's check that all pages lie back to back
    if offset is not None:
        return OffsetReader(source, int(offset), geometry.shape, file_dtype, geometry.nav_ndim, label=LABEL)
    frame_nbytes = math.prod(geometry.sig_shape) * file_dtype.itemsize
    starts: list[int] = []
    for page in series:  # reads every IFD: the pages are spread through the file
        if page is None or not _stored_contiguously(page, keyframe.nbytes):
            return None
        starts.extend(int(page.dataoffsets[0]) + k * frame_nbytes for k in range(geometry.frames_per_page))
    table = np.asarray(starts, dtype=np.int64)
    steps = np.diff(table)
    if len(table) == 1 or (steps.min() == steps.max() and int(steps[0]) >= frame_nbytes):
        stride = int(steps[0]) if len(steps) else None
        return OffsetReader(source, int(table[0]), geometry.shape, file_dtype, geometry.nav_ndim,
                            frame_stride=stride, label=LABEL)
    sig_ndim = len(geometry.sig_shape)
    return ChunkTableReader(source, geometry.shape, file_dtype, geometry.nav_ndim,
                            (1,) * geometry.nav_ndim + geometry.sig_shape,
                            table.reshape(geometry.shape[: geometry.nav_ndim] + (1,) * sig_ndim), label=LABEL)


class TiffPageReader(BaseReader):
    """Compressed or otherwise encoded pages, decoded by tifffile one page at a time.

    A read decodes the pages holding the frames asked for and nothing else.  The parsed file is
    kept open between reads; the reader reopens it lazily after pickling (dask workers).  tifffile's
    page list is not thread-safe, so lookups hold a lock, which tifffile also takes around its
    seeks and reads; decoding runs outside it.
    """

    def __init__(self, repository: Repository, path: str, index: int, geometry: Geometry, dtype: np.dtype,
                 tif: tifffile.TiffFile | None = None) -> None:
        self._setup(geometry.shape, dtype, geometry.nav_ndim, path, LABEL)
        self.repository = repository
        self.index = index
        self.frames_per_page = geometry.frames_per_page
        self.storage_chunks = (1,) * geometry.nav_ndim + geometry.sig_shape
        self._tif = tif
        self._lock = threading.RLock()

    def _series(self) -> Any:
        with self._lock:
            if self._tif is None:
                self._tif = parse_file(self.repository, self.path)
            return self._tif.series[self.index]

    def _page(self, number: int) -> np.ndarray:
        """One page's frames, shape ``(frames_per_page, *sig_shape)``."""
        series = self._series()
        with self._lock, refusing_logged_errors(self.path):
            page = series[number]
            size = self._tif.filehandle.size  # type: ignore[union-attr]
        if page is None:  # a plane an OME file declares but does not hold
            return np.zeros((self.frames_per_page,) + self.sig_shape, dtype=self.dtype)
        check_stored(page, size, self.path, number)  # the file may have shrunk since it was opened
        check_expansion(page, self.path, number)
        try:
            data = page.asarray(lock=self._lock)
        except (KeyError, ImportError, NotImplementedError) as error:
            raise UnsupportedFormat(f"Page {number} of '{self.path}' cannot be decoded here ({summary(error)}).",
                                    hint="Install the imagecodecs package on the server, or save the file "
                                    "uncompressed or with zlib.") from error
        if series.transform is not None:
            data = series.transform(data)
        return np.asarray(data).reshape((self.frames_per_page,) + self.sig_shape)

    def _read_frames(self, flat: np.ndarray) -> np.ndarray:
        out = np.empty((len(flat),) + self.sig_shape, dtype=self.dtype)
        pages = flat // self.frames_per_page
        for number in np.unique(pages).tolist():
            positions = np.nonzero(pages == number)[0]
            out[positions] = self._page(number)[flat[positions] - number * self.frames_per_page]
        return out

    def _read(self, selection: Selection) -> np.ndarray:
        plan = Plan.of(selection, self.shape)
        nav = self.nav_ndim
        if nav:
            grid = np.meshgrid(*plan.indices[:nav], indexing="ij")
            flat = np.ravel_multi_index(grid, self.nav_shape).ravel()
        else:
            flat = np.zeros(1, dtype=np.int64)
        frames = self._read_frames(flat).reshape(plan.full_shape[:nav] + self.sig_shape)
        picked = frames[(slice(None),) * nav + np.ix_(*plan.indices[nav:])]
        return np.asarray(picked, dtype=self.dtype).reshape(plan.out_shape)

    def close(self) -> None:
        with self._lock:
            if self._tif is not None:
                close_tiff(self._tif)
                self._tif = None

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__, _tif=None, _lock=None)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()


# -- entry points --------------------------------------------------------------------------
def _series_path(tif: tifffile.TiffFile, index: int) -> str:
    return "/" if len(tif.series) == 1 else f"/series/{index}"


def _description(series: Any, tif: tifffile.TiffFile, index: int, path: str) -> dict[str, Any]:
    geometry = geometry_of(series, path)
    page = [1] * geometry.nav_ndim + list(geometry.sig_shape)
    return {"path": _series_path(tif, index), "shape": list(geometry.shape), "dtype": np.dtype(series.dtype).str,
            "chunks": None if series.keyframe.is_final else page, "compression": _compression_name(series.keyframe)}


def list_tiff(repository: Repository, path: str) -> list[dict[str, Any]]:
    """Each image of the file: one for a stack, several for OME or tifffile files declaring more."""
    tif = parse_file(repository, path)
    try:
        choose_series(tif, path, None)  # refuses mixed pages here too
        return [_description(series, tif, i, path) for i, series in enumerate(tif.series)]
    finally:
        close_tiff(tif)


def _metadata(tif: tifffile.TiffFile, series: Any, index: int, geometry: Geometry, path: str,
              warnings: list[str], decoded: bool) -> dict[str, Any]:
    keyframe = series.keyframe
    info: dict[str, Any] = {
        "series": series.kind,
        "axes": geometry.axes,
        "pages": geometry.pages,
        "compression": _compression_name(keyframe),
        "tiled": bool(keyframe.is_tiled),
        "photometric": str(getattr(keyframe.photometric, "name", keyframe.photometric)).lower(),
        "byteorder": tif.byteorder,
        "bigtiff": bool(tif.is_bigtiff),
        "read": "decoded page by page" if decoded else "by byte offset",
    }
    if len(series.levels) > 1:
        info["levels"] = [list(level.shape) for level in series.levels]
    if len(tif.series) > 1:
        info["other_series"] = [_description(s, tif, i, path) for i, s in enumerate(tif.series) if i != index][:50]
    if warnings:
        info["warnings"] = warnings[:10]
    metadata: dict[str, Any] = {"tiff": info}
    first = tif.pages.first
    if first.description:
        metadata["description"] = jsonable(first.description)
    tags = {name: first.tags.valueof(name) for name in TAGS_OF_INTEREST if first.tags.valueof(name) is not None}
    if tags:
        metadata["tags"] = jsonable(tags)
    if series.kind == "imagej" and tif.imagej_metadata:
        metadata["imagej"] = jsonable(tif.imagej_metadata)
    if series.name:
        metadata["title"] = jsonable(series.name)
    return metadata


def open_tiff(repository: Repository, path: str, dataset: str | None = None) -> Dataset:
    tif = parse_file(repository, path)
    try:
        with refusing_logged_errors(path) as logged:
            index = choose_series(tif, path, dataset)
            series = tif.series[index]
            geometry = geometry_of(series, path)
            reader: OffsetReader | ChunkTableReader | TiffPageReader | None = byte_reader(
                repository, path, tif, series, geometry)
        decoded = reader is None
        if reader is None:
            check_decodable(series.keyframe, path)
            with refusing_logged_errors(path):
                for number, page in enumerate(series):  # tifffile has read these IFDs for the series already
                    if page is not None:
                        check_stored(page, tif.filehandle.size, path, number)
                        check_expansion(page, path, number)
            if np.dtype(series.dtype).kind not in "biufc":
                raise UnsupportedFormat(f"'{path}' holds {series.dtype} values; only numbers can be read.")
            reader = TiffPageReader(repository, path, index, geometry, np.dtype(series.dtype), tif)
        warnings = tif.remotem_warnings + logged.warnings  # type: ignore[attr-defined]
        opened = Dataset(
            shape=geometry.shape,
            dtype=reader.dtype,
            nav_ndim=geometry.nav_ndim,
            format="tiff",
            reader=reader,
            chunks=reader.storage_chunks if decoded else None,
            internal_path=None if len(tif.series) == 1 else _series_path(tif, index),
            axes=axes_of(geometry, calibration_of(tif, series, index)),
            metadata=_metadata(tif, series, index, geometry, path, warnings, decoded),
            frame_kind="image",
        )
    except BaseException:
        close_tiff(tif)
        raise
    if not decoded:
        close_tiff(tif)  # the byte-offset readers need nothing parsed any more
    return opened
