"""Native cutouts: the tiles' own pixels, with astropy ``Cutout2D`` semantics.

The cutout's grid is that of ``Cutout2D`` on the *first* tile (the one the target is deepest
inside): the same position rounding, shape from an angular size, ``mode`` (``trim``,
``partial`` with ``fill_value``, ``strict``) and WCS.  Only the overlapping rows and columns are
read (``hdu.section``).  Pixels of the grid outside the first tile are taken from the other
tiles that cover them — the nearest pixel of each, no interpolation — so a target at a tile
edge gets one seamless image; ``strict`` then means "fully inside the survey", ``trim`` keeps
the covered box, ``partial`` fills what no tile covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.nddata import Cutout2D, NoOverlapError
from astropy.wcs import WCS

from ..errors import BadParameter, NotFound
from .footprints import TileRow
from .tiles import OpenTile

MODES = ("trim", "partial", "strict")


class NoOverlap(NotFound):
    """No tile of the survey has a pixel in the requested area (SODA: nothing to answer)."""

    code = "no_overlap"
    default_hint = ("Check the coordinates (degrees, ICRS) against the survey's footprint in "
                    "GET remotem/api/cutouts/surveys.")


class OutsideSurvey(BadParameter):
    """``mode=strict`` and part of the area lies outside every tile."""

    code = "partial_overlap"
    default_hint = "Use mode=partial (with fill_value) or mode=trim, or a smaller size."


@dataclass(frozen=True)
class Target:
    """What to cut: a centre with a size, or a polygon whose pixel box is cut."""

    ra: float
    dec: float
    #: ``(height, width)`` as Quantities in pixels or angles, as ``Cutout2D`` takes them.
    size: tuple[u.Quantity, u.Quantity] | None = None
    #: Polygon vertices (RA, Dec in degrees) for SODA's POLYGON and RANGE.
    polygon: tuple[tuple[float, float], ...] | None = None


@dataclass
class Plan:
    """Where the cutout lies on the first tile's grid, known before any pixel is read."""

    first: TileRow
    tile: OpenTile
    position: tuple[float, float]  # (x, y), 0-based pixels of the first tile
    shape: tuple[int, int]  # the full (partial-mode) grid
    slices_original: tuple[slice, slice]
    slices_cutout: tuple[slice, slice]
    wcs: WCS  # of the full grid

    @property
    def pixels(self) -> int:
        return int(self.shape[0]) * int(self.shape[1])


@dataclass
class Cut:
    """One band's cutout."""

    data: np.ndarray
    wcs: WCS
    tiles: list[str] = field(default_factory=list)
    band: str = ""
    plan: Plan | None = None
    #: A plane of the band (weight, mask ...) on the band's grid; "" for the image itself.
    plane: str = ""


def _position(tile: OpenTile, ra: float, dec: float) -> tuple[float, float]:
    """Pixel position of (ra, dec) as ``Cutout2D`` computes it from a SkyCoord (mode 'all')."""
    from astropy.wcs.utils import skycoord_to_pixel

    if tile.icrs:
        x, y = tile.wcs.all_world2pix(ra, dec, 0)
        return float(x), float(y)
    x, y = skycoord_to_pixel(SkyCoord(ra * u.deg, dec * u.deg, frame="icrs"), tile.wcs, mode="all")
    return float(x), float(y)


def _depth(tile: OpenTile, x: float, y: float) -> float:
    """How far inside the tile a pixel position is (negative outside)."""
    ny, nx = tile.shape
    return min(x + 0.5, nx - 0.5 - x, y + 0.5, ny - 0.5 - y)


def _geometry(tile: OpenTile, target: Target) -> tuple[tuple[float, float], tuple[int, int] | tuple[Any, Any]]:
    """Position and ``Cutout2D`` size on ``tile``'s grid."""
    if target.polygon is None:
        return _position(tile, target.ra, target.dec), target.size  # type: ignore[return-value]
    ras, decs = np.array(target.polygon, dtype=float).T
    xs, ys = tile.wcs.all_world2pix(ras, decs, 0)
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise BadParameter("The polygon does not map to the tile's pixels (is it larger than a hemisphere?).")
    x0, x1 = int(np.round(xs.min())), int(np.round(xs.max()))
    y0, y1 = int(np.round(ys.min())), int(np.round(ys.max()))
    return ((x0 + x1) / 2, (y0 + y1) / 2), (y1 - y0 + 1, x1 - x0 + 1)


def plan(tiles: Sequence[TileRow], open_tile: Callable[[TileRow], OpenTile], target: Target) -> Plan:
    """The grid of the cutout: ``Cutout2D`` (partial) on the first tile that overlaps it."""
    if not tiles:
        raise NoOverlap(f"No tile of the survey touches ({target.ra:.6f}, {target.dec:+.6f}).")
    ranked = []
    for row in tiles:
        tile = open_tile(row)
        with tile.lock:  # a tile's WCS is shared by the requests of a server
            x, y = _position(tile, target.ra, target.dec)
        ranked.append((-_depth(tile, x, y) if np.isfinite(x) and np.isfinite(y) else np.inf, row.tile, row, tile))
    ranked.sort(key=lambda item: (item[0], item[1]))
    for _, _, row, tile in ranked:
        with tile.lock:
            position, size = _geometry(tile, target)
            if not (np.isfinite(position[0]) and np.isfinite(position[1])):
                continue
            stand_in = np.broadcast_to(np.float32(0), tile.shape)  # shapes only: nothing is read
            try:
                geometry = Cutout2D(stand_in, position, size, wcs=tile.wcs, mode="partial", fill_value=0)
            except NoOverlapError:
                continue
        return Plan(row, tile, position, tuple(int(n) for n in geometry.shape), geometry.slices_original,
                    geometry.slices_cutout, geometry.wcs)
    raise NoOverlap(f"No pixel of the survey lies in the requested area around "
                    f"({target.ra:.6f}, {target.dec:+.6f}).")


def _fill_from(other: OpenTile, grid: WCS, where: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``other`` at the grid pixels ``where`` (nearest pixel), and which it covers."""
    iy, ix = where
    ra, dec = grid.all_pix2world(ix.astype(float), iy.astype(float), 0)
    with other.lock:
        ox, oy = other.wcs.all_world2pix(ra, dec, 0)
    finite = np.isfinite(ox) & np.isfinite(oy)
    cx = np.floor(np.where(finite, ox, -1) + 0.5).astype(np.int64)
    cy = np.floor(np.where(finite, oy, -1) + 0.5).astype(np.int64)
    ny, nx = other.shape
    inside = finite & (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
    values = np.zeros(len(ix), dtype=np.float64)
    if inside.any():
        x0, x1, y0, y1 = cx[inside].min(), cx[inside].max() + 1, cy[inside].min(), cy[inside].max() + 1
        block = other.read(slice(int(y0), int(y1)), slice(int(x0), int(x1)))
        values = np.zeros(len(ix), dtype=block.dtype)
        values[inside] = block[cy[inside] - y0, cx[inside] - x0]
    return values, inside


def read(chosen: Plan, tiles: Sequence[TileRow], open_tile: Callable[[TileRow], OpenTile], mode: str,
         fill_value: float) -> Cut:
    """The cutout's pixels: the first tile's section, then the other tiles where it has none."""
    if mode not in MODES:
        raise BadParameter(f"mode must be one of {', '.join(MODES)}, not '{mode}'.")
    first = chosen.tile
    block = first.read(*chosen.slices_original)
    data = np.empty(chosen.shape, dtype=block.dtype)
    covered = np.zeros(chosen.shape, dtype=bool)
    data[chosen.slices_cutout] = block
    covered[chosen.slices_cutout] = True
    used = [chosen.first.tile]
    if not covered.all():
        for row in tiles:
            if row.tile == chosen.first.tile:
                continue
            where = np.nonzero(~covered)
            if not len(where[0]):
                break
            values, inside = _fill_from(open_tile(row), chosen.wcs, where)
            if inside.any():
                if np.result_type(data.dtype, values.dtype) != data.dtype:
                    data = data.astype(np.result_type(data.dtype, values.dtype))
                data[where[0][inside], where[1][inside]] = values[inside]
                covered[where[0][inside], where[1][inside]] = True
                used.append(row.tile)
    data, wcs = settle_mode(data, covered, chosen.wcs, mode, fill_value)
    return Cut(data=data, wcs=wcs, tiles=used, band=chosen.first.band, plan=chosen)


def read_plane(chosen: Plan, tiles: Sequence[TileRow], open_plane: Callable[[TileRow], OpenTile], mode: str,
               plane: str) -> Cut:
    """A plane of the tiles (weight, mask ...) cut with the image's own plan: the plan's tile
    replaced by the plane opened with the image's header (:func:`.tiles.open_plane`), so the
    grid, the tiles filling it, ``trim`` and ``strict`` are the image's; what no tile covers is 0
    (no weight, no mask bit), and the plane keeps its dtype (a mask stays integer)."""
    from dataclasses import replace

    cut = read(replace(chosen, tile=open_plane(chosen.first)), tiles, open_plane, mode, 0.0)
    cut.plane = plane
    return cut


def shifted_wcs(wcs: WCS, rows: slice, cols: slice) -> WCS:
    """The WCS of the part ``rows`` × ``cols`` of an image whose WCS is ``wcs``."""
    out = wcs.deepcopy()
    out.wcs.crpix = [wcs.wcs.crpix[0] - cols.start, wcs.wcs.crpix[1] - rows.start]
    out.wcs.set()
    out.array_shape = (rows.stop - rows.start, cols.stop - cols.start)
    return out


def settle_mode(data: np.ndarray, covered: np.ndarray, wcs: WCS, mode: str,
                fill_value: float) -> tuple[np.ndarray, WCS]:
    """What ``mode`` makes of a cutout the survey covers only in part (``covered``), as astropy's
    ``Cutout2D`` does: ``strict`` refuses it, ``trim`` keeps the covered box, and what stays
    uncovered is ``fill_value`` (both algorithms end here)."""
    if covered.all():
        return data, wcs
    if mode == "strict":
        raise OutsideSurvey(f"Part of the {data.shape[1]}×{data.shape[0]} px cutout lies outside every "
                            "tile of the survey (mode=strict).")
    if mode == "trim":
        rows, cols = np.nonzero(covered.any(axis=1))[0], np.nonzero(covered.any(axis=0))[0]
        keep = slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
        data, covered, wcs = data[keep], covered[keep], shifted_wcs(wcs, *keep)
    if not covered.all():
        if np.issubdtype(data.dtype, np.integer) and not float(fill_value).is_integer():
            raise BadParameter(f"The survey's pixels are integers ({data.dtype}); fill_value={fill_value} "
                               "cannot be stored in them.", hint="Give an integer fill_value, e.g. fill_value=0.")
        data = data.copy() if not data.flags.writeable else data
        data[~covered] = fill_value
    return data, wcs


def cutout(tiles: Sequence[TileRow], open_tile: Callable[[TileRow], OpenTile], target: Target, mode: str = "trim",
           fill_value: float = np.nan) -> Cut:
    """Plan and read in one call (what the batch jobs and the benchmark use)."""
    return read(plan(tiles, open_tile, target), tiles, open_tile, mode, fill_value)


__all__ = ["Cut", "MODES", "NoOverlap", "OutsideSurvey", "Plan", "Target", "cutout", "plan", "read", "read_plane",
           "settle_mode", "shifted_wcs"]
