"""Resampled cutouts: the survey's tiles reprojected onto one tangent-plane (TAN) grid centred on
the target, at the requested pixel scale and rotation, mosaicking every tile that touches it.

Why this shape:

* The output grid is known before any pixel is read (:func:`grid`), so the work — output pixels
  × the tiles each piece of it overlaps — is quoted exactly (:attr:`Plan.work`) and a request too
  large for real time is refused before anything is allocated.
* The output is made in pieces of at most :data:`PIECE_SIDE` × :data:`PIECE_SIDE` pixels; for each
  piece only the section of each tile under it (plus the interpolation kernel's margin) is read
  (``OpenTile.read``: compressed tiles decompress only the compression tiles needed), so memory is
  bounded by a piece, whatever the area.  Pieces are joined into the answer.
* Each piece is computed by ``reproject`` itself (``reproject_interp`` with the requested order,
  ``reproject_exact`` for ``flux``) and the tiles are combined as ``reproject_and_coadd`` combines
  them (the footprint-weighted mean), so overlapping tiles join without a seam.
* ``interpolation=flux`` conserves total flux: ``reproject_exact`` conserves surface brightness
  (the mean over each output pixel's area), and the values are scaled by the ratio of output to
  input pixel area so each output pixel holds the flux of the sky it covers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from astropy.wcs import WCS, FITSFixedWarning

from ..errors import BadParameter
from . import params
from .footprints import TileRow
from .native import Cut, NoOverlap, settle_mode, shifted_wcs
from .tiles import OpenTile

#: Declared interpolations: reproject's names for each (a spline order, or the exact algorithm).
INTERPOLATIONS = {"nearest": "nearest-neighbor", "bilinear": "bilinear", "bicubic": "bicubic", "flux": "exact"}
assert tuple(INTERPOLATIONS) == params.INTERPOLATIONS, "the declared interpolations and their implementations"
#: Input pixels read beyond a piece's footprint on each side: the interpolation kernel, and for
#: the cubic spline enough that its prefilter (a decay of 0.27 per pixel) no longer sees the cut.
MARGIN = {"nearest": 1, "bilinear": 2, "bicubic": 12, "flux": 2}
#: Relative cost of one output pixel from one tile, measured by ``benchmarks/cutouts_resample.py``
#: (bilinear = 1): what the real-time quote multiplies the work by.
COST = {"nearest": 1.0, "bilinear": 1.0, "bicubic": 1.5, "flux": 10.0}
#: Side (output pixels) of the pieces the output is made in.
PIECE_SIDE = 512
#: Most input pixels one piece may read from one tile: a piece of a much coarser grid is smaller.
PIECE_INPUT_PIXELS = 4_000_000


@dataclass
class Resampled(Cut):
    """A resampled band: also the header text of its first tile (for the descriptive cards)."""

    header: str = ""


def grid(ra: float, dec: float, shape: tuple[int, int], pixscale_deg: float, rotation_deg: float = 0.0) -> WCS:
    """A TAN grid of ``shape`` (ny, nx) centred on (ra, dec): north up and east left when
    ``rotation_deg`` is 0; otherwise the image's up axis points ``rotation_deg`` east of north."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [float(ra), float(dec)]
    wcs.wcs.crpix = [(shape[1] + 1) / 2.0, (shape[0] + 1) / 2.0]
    c, s = math.cos(math.radians(rotation_deg)), math.sin(math.radians(rotation_deg))
    wcs.wcs.cd = np.array([[-pixscale_deg * c, pixscale_deg * s], [pixscale_deg * s, pixscale_deg * c]])
    wcs.wcs.radesys = "ICRS"
    wcs.wcs.set()
    wcs.array_shape = tuple(int(n) for n in shape)
    return wcs


def shape_of(size_deg: tuple[float, float] | None, size_pix: tuple[int | None, int | None],
             pixscale_deg: float) -> tuple[int, int]:
    """Output (ny, nx): sides in pixels as given, angles divided by the pixel scale (rounded)."""
    out = []
    for angle, pixels in zip(size_deg or (None, None), size_pix):
        out.append(int(pixels) if pixels is not None else max(1, int(round(float(angle) / pixscale_deg))))
    return out[0], out[1]


def polygon_shape(ra: float, dec: float, vertices: Sequence[tuple[float, float]], pixscale_deg: float,
                  rotation_deg: float) -> tuple[int, int]:
    """The smallest centred grid holding the polygon's vertices."""
    probe = grid(ra, dec, (1, 1), pixscale_deg, rotation_deg)
    ras, decs = np.array(vertices, dtype=float).T
    xs, ys = probe.all_world2pix(ras, decs, 0)
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise BadParameter("The polygon does not fit one tangent plane about its centre.",
                           hint="Ask for a smaller polygon.")
    nx = max(1, int(math.ceil(2 * np.max(np.abs(xs)))) + 1)
    ny = max(1, int(math.ceil(2 * np.max(np.abs(ys)))) + 1)
    return ny, nx


@dataclass
class Section:
    """The part of one tile one piece reads: rows and columns of the tile."""

    row: TileRow
    tile: OpenTile
    rows: slice
    cols: slice

    @property
    def pixels(self) -> int:
        return (self.rows.stop - self.rows.start) * (self.cols.stop - self.cols.start)


@dataclass
class Piece:
    """A rectangle of the output grid and the tile sections under it."""

    rows: slice
    cols: slice
    sections: list[Section] = field(default_factory=list)

    @property
    def pixels(self) -> int:
        return (self.rows.stop - self.rows.start) * (self.cols.stop - self.cols.start)


@dataclass
class Plan:
    """The output grid, its pieces and what each reads: known before any pixel is."""

    wcs: WCS
    shape: tuple[int, int]
    interpolation: str
    pieces: list[Piece]
    band: str = ""

    @property
    def pixels(self) -> int:
        return int(self.shape[0]) * int(self.shape[1])

    @property
    def work(self) -> int:
        """Output pixels × tiles under them, weighted by the interpolation's cost."""
        raw = sum(piece.pixels * len(piece.sections) for piece in self.pieces)
        return int(math.ceil(raw * COST[self.interpolation]))

    @property
    def tiles(self) -> list[str]:
        seen: dict[str, None] = {}
        for piece in self.pieces:
            for section in piece.sections:
                seen.setdefault(section.row.tile, None)
        return list(seen)


def _border(rows: slice, cols: slice, samples: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Points along the edges of a block of output pixels (pixel edges, 0-based)."""
    y0, y1, x0, x1 = rows.start - 0.5, rows.stop - 0.5, cols.start - 0.5, cols.stop - 0.5
    t = np.linspace(0.0, 1.0, samples)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(samples, x1), x1 - (x1 - x0) * t, np.full(samples, x0)])
    ys = np.concatenate([np.full(samples, y0), y0 + (y1 - y0) * t, np.full(samples, y1), y1 - (y1 - y0) * t])
    return xs, ys


def _section(tile: OpenTile, ra: np.ndarray, dec: np.ndarray, margin: int) -> tuple[slice, slice] | None:
    """Rows and columns of ``tile`` under the sky points (a piece's border), with ``margin``."""
    with tile.lock:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            xs, ys = tile.wcs.all_world2pix(ra, dec, 0)
    ny, nx = tile.shape
    finite = np.isfinite(xs) & np.isfinite(ys)
    if not finite.any():
        return None
    if not finite.all():  # part of the piece lies behind the tile's projection: take what may be seen
        x0, x1, y0, y1 = 0, nx, 0, ny
    else:
        x0 = int(math.floor(xs.min())) - margin
        x1 = int(math.ceil(xs.max())) + margin + 1
        y0 = int(math.floor(ys.min())) - margin
        y1 = int(math.ceil(ys.max())) + margin + 1
    x0, x1, y0, y1 = max(x0, 0), min(x1, nx), max(y0, 0), min(y1, ny)
    if x0 >= x1 or y0 >= y1:
        return None
    return slice(y0, y1), slice(x0, x1)


def piece_side(output_scale_deg: float, tile_scale_deg: float, piece_side: int = PIECE_SIDE) -> int:
    """Side of the pieces so a piece reads at most :data:`PIECE_INPUT_PIXELS` from a tile."""
    ratio = max(output_scale_deg / tile_scale_deg, 1.0)
    return max(16, min(piece_side, int(math.sqrt(PIECE_INPUT_PIXELS) / ratio)))


def plan(tiles: Sequence[TileRow], open_tile: Callable[[TileRow], OpenTile], wcs: WCS, shape: tuple[int, int],
         interpolation: str = "bilinear", side: int = PIECE_SIDE) -> Plan:
    """Pieces of the output grid and the section of every tile under each."""
    if interpolation not in INTERPOLATIONS:
        raise BadParameter(f"interpolation must be one of {', '.join(INTERPOLATIONS)}, not '{interpolation}'.")
    opened = [(row, open_tile(row)) for row in tiles]
    if opened:
        from astropy.wcs.utils import proj_plane_pixel_scales

        out_scale = float(np.max(proj_plane_pixel_scales(wcs)))
        tile_scale = min(float(np.min(proj_plane_pixel_scales(t.wcs))) for _, t in opened)
        side = piece_side(out_scale, tile_scale, side)
    ny, nx = shape
    pieces = []
    for y in range(0, ny, side):
        for x in range(0, nx, side):
            piece = Piece(slice(y, min(y + side, ny)), slice(x, min(x + side, nx)))
            xs, ys = _border(piece.rows, piece.cols)
            ra, dec = wcs.all_pix2world(xs, ys, 0)
            for row, tile in opened:
                found = _section(tile, ra, dec, MARGIN[interpolation])
                if found is not None:
                    piece.sections.append(Section(row, tile, *found))
            pieces.append(piece)
    return Plan(wcs=wcs, shape=(int(ny), int(nx)), interpolation=interpolation, pieces=pieces,
                band=tiles[0].band if tiles else "")


def _section_wcs(tile: OpenTile, rows: slice, cols: slice) -> WCS:
    with tile.lock:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            return tile.wcs.slice((rows, cols))


def _area(wcs: WCS) -> float:
    return float(abs(np.linalg.det(wcs.pixel_scale_matrix)))


def reproject_section(data: np.ndarray, wcs_in: WCS, wcs_out: WCS, shape_out: tuple[int, int],
                      interpolation: str) -> tuple[np.ndarray, np.ndarray]:
    """One tile section on one piece of the output grid, by reproject: values and footprint."""
    from reproject import reproject_exact, reproject_interp

    values = np.asarray(data, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        if interpolation == "flux":
            out, footprint = reproject_exact((values, wcs_in), wcs_out, shape_out=shape_out)
            out = out * (_area(wcs_out) / _area(wcs_in))
        else:
            out, footprint = reproject_interp((values, wcs_in), wcs_out, shape_out=shape_out,
                                              order=INTERPOLATIONS[interpolation])
    return out, footprint


def plane_interpolation(dtype: np.dtype, interpolation: str) -> str:
    """How a plane is resampled: an integer plane (a mask's bits) by its nearest pixel, whatever
    was asked, since a mean of bits means nothing; a float plane (a weight) as the image, but
    bilinear for ``flux``, since weights are not flux and are not scaled by pixel area."""
    if np.dtype(dtype).kind in "iub":
        return "nearest"
    return "bilinear" if interpolation == "flux" else interpolation


def plane_dtype(tile: OpenTile) -> np.dtype:
    """The dtype a plane's pixels are read as (one pixel read: scaling cards decide it)."""
    return tile.read(slice(0, 1), slice(0, 1)).dtype


def read_plane(chosen: Plan, dtype: np.dtype, image: Cut, plane: str) -> Cut:
    """A plane on the image's resampled grid, then cut to the image's box (``trim`` may have
    kept part of the grid): the same shape and WCS as the image, 0 where no tile covers it, its
    own dtype for integers (the first tile covering a pixel gives it, never a mean)."""
    cut = read(chosen, "partial", 0.0, dtype=dtype)
    r0 = int(round(chosen.wcs.wcs.crpix[1] - image.wcs.wcs.crpix[1]))
    c0 = int(round(chosen.wcs.wcs.crpix[0] - image.wcs.wcs.crpix[0]))
    height, width = image.data.shape
    cut.data = cut.data[r0:r0 + height, c0:c0 + width]
    cut.wcs, cut.plane = image.wcs, plane
    return cut


def read(chosen: Plan, mode: str = "trim", fill_value: float = np.nan, dtype: np.dtype | None = None) -> Cut:
    """The pixels: every piece from its sections (footprint-weighted mean of the tiles), joined.

    ``dtype`` (a plane's): integers take the first covering tile's value, floats keep their width."""
    ny, nx = chosen.shape
    integer = dtype is not None and np.dtype(dtype).kind in "iub"
    if dtype is None:
        data = np.full((ny, nx), np.nan, dtype=np.float32)
    else:
        data = np.full((ny, nx), 0 if integer else np.nan, dtype=np.dtype(dtype) if integer else
                       np.result_type(dtype, np.float32))
    covered = np.zeros((ny, nx), dtype=bool)
    for piece in chosen.pieces:
        if not piece.sections:
            continue
        shape = (piece.rows.stop - piece.rows.start, piece.cols.stop - piece.cols.start)
        wcs_out = shifted_wcs(chosen.wcs, piece.rows, piece.cols)
        total = np.zeros(shape, dtype=np.float64)
        weight = np.zeros(shape, dtype=np.float64)
        for section in piece.sections:
            block = section.tile.read(section.rows, section.cols)
            values, footprint = reproject_section(block, _section_wcs(section.tile, section.rows, section.cols),
                                                  wcs_out, shape, chosen.interpolation)
            good = np.isfinite(values) & (footprint > 0)
            if integer:
                good &= weight == 0
                total[good], weight[good] = values[good], 1.0
                continue
            total[good] += values[good] * footprint[good]
            weight[good] += footprint[good]
        seen = weight > 0
        out = np.full(shape, 0.0 if integer else np.nan)
        out[seen] = total[seen] / weight[seen]
        data[piece.rows, piece.cols] = out
        covered[piece.rows, piece.cols] = seen
    if not covered.any():
        raise NoOverlap("No pixel of the survey lies in the requested area.")
    data, wcs = settle_mode(data, covered, chosen.wcs, mode, fill_value)
    first = next((s.row.header for p in chosen.pieces for s in p.sections), "")
    return Resampled(data=data, wcs=wcs, tiles=chosen.tiles, band=chosen.band, plan=None, header=first)


__all__ = ["COST", "INTERPOLATIONS", "PIECE_SIDE", "Plan", "grid", "plan", "plane_dtype", "plane_interpolation",
           "polygon_shape", "read", "read_plane", "shape_of"]
