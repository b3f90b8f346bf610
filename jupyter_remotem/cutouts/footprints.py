"""The footprint index: which tiles of a survey touch a region of the sky.

Each tile file's polygon comes from its WCS (corners and edge midpoints of the pixel grid,
as unit vectors), read from its header alone; rows live in the SQL store
(:class:`.models.CutoutTile`).  A question is answered in two steps: SQL keeps the rows whose
declination band meets the region's, then the exact test (:func:`.sphere.circle_touches_polygon`)
keeps those the region really touches, so the poles and RA = 0 need no special cases.

The index is refreshed by listing the survey's files and re-reading the headers of those whose
size or time changed; rows of files that went away are removed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from astropy.io import fits
from sqlalchemy import delete, func, select

from ..jobs.models import utcnow
from ..jobs.store import JobStore
from . import sphere
from .models import CutoutTile
from .surveys import Survey
from .tiles import header_wcs, read_header

#: Seconds after which a survey's index is checked against its files again on first use.
REFRESH_AFTER_S = 300.0
#: Cards kept from a tile header: the WCS and what describes the pixels (not the data layout).
_LAYOUT = {"SIMPLE", "XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND", "PCOUNT", "GCOUNT",
           "CHECKSUM", "DATASUM", "END"}


def footprint(header: fits.Header) -> dict[str, Any]:
    """The sky polygon of an image header: vertices (unit vectors), centre, radius, Dec band."""
    wcs = header_wcs(header)
    nx, ny = int(header["NAXIS1"]), int(header["NAXIS2"])
    # Pixel edges (0-based centres, so edges at -0.5 and n - 0.5), corners and midpoints in order.
    x0, x1, y0, y1 = -0.5, nx - 0.5, -0.5, ny - 0.5
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    xs = np.array([x0, xm, x1, x1, x1, xm, x0, x0])
    ys = np.array([y0, y0, y0, ym, y1, y1, y1, ym])
    ra, dec = wcs.celestial.all_pix2world(xs, ys, 0)
    if not (np.all(np.isfinite(ra)) and np.all(np.isfinite(dec))):
        raise ValueError("the WCS does not map the tile's corners to the sky")
    vertices = sphere.unit(ra, dec)
    cra, cdec = wcs.celestial.all_pix2world([xm], [ym], 0)
    centre = sphere.unit(cra[0], cdec[0])
    radius = float(np.max(sphere.angle(centre[None, :], vertices)))
    dec_min, dec_max = sphere.dec_range(vertices)
    return {"vertices": vertices.tolist(), "centre": centre.tolist(), "radius": radius,
            "dec_min": dec_min, "dec_max": dec_max}


def kept_header(header: fits.Header) -> str:
    """The header without its data-layout cards (compressed HDUs add their own), as text."""
    kept = fits.Header()
    for card in header.cards:
        if card.keyword not in _LAYOUT or card.keyword in ("NAXIS1", "NAXIS2"):
            kept.append(card)
    kept["NAXIS1"], kept["NAXIS2"] = int(header["NAXIS1"]), int(header["NAXIS2"])
    return kept.tostring()


@dataclass(frozen=True)
class TileRow:
    """A tile file as a cut needs it (detached from the database session)."""

    survey: str
    tile: str
    band: str
    path: str
    hdu: int
    size: int | None
    mtime: float | None
    naxis1: int
    naxis2: int
    header: str
    centre: tuple[float, float, float]
    distance: float  # degrees from the query centre to the tile centre


class FootprintIndex:
    """Footprints of every survey's tiles in the job store's database."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._checked: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}

    def _lock(self, survey: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(survey, threading.Lock())

    def ensure(self, survey: Survey, repository: Any) -> None:
        """Refresh ``survey`` when this server has not checked it for :data:`REFRESH_AFTER_S`."""
        checked = self._checked.get(survey.name)
        if checked is not None and time.monotonic() - checked < REFRESH_AFTER_S:
            return
        with self._lock(survey.name):
            checked = self._checked.get(survey.name)
            if checked is not None and time.monotonic() - checked < REFRESH_AFTER_S:
                return
            self.refresh(survey, repository)

    def refresh(self, survey: Survey, repository: Any) -> dict[str, Any]:
        """Bring the rows of ``survey`` up to its files; answer what changed and what failed."""
        with self.store.reading() as session:
            known = {(r.tile, r.band): (r.path, r.size, r.mtime, r.id) for r in
                     session.scalars(select(CutoutTile).where(CutoutTile.survey == survey.name))}
        seen: set[tuple[str, str]] = set()
        added, updated, failed = 0, 0, []
        rows: list[CutoutTile] = []
        stale: list[int] = []
        for tile, band, path, size, mtime in survey.files(repository):
            key = (tile, band)
            if key in seen:
                failed.append({"path": path, "error": f"tile {tile!r} band {band!r} is named twice"})
                continue
            seen.add(key)
            previous = known.get(key)
            if previous is not None and previous[:3] == (path, size, mtime):
                continue
            try:
                index, header = read_header(repository, path, survey.hdu)
                shape = footprint(header)
            except Exception as error:  # noqa: BLE001 - one bad tile is reported, the others are indexed
                failed.append({"path": path, "error": str(getattr(error, "message", error))})
                continue
            if previous is not None:
                stale.append(previous[3])
                updated += 1
            else:
                added += 1
            rows.append(CutoutTile(survey=survey.name, tile=tile, band=band, path=path, hdu=index, size=size,
                                   mtime=mtime, naxis1=int(header["NAXIS1"]), naxis2=int(header["NAXIS2"]),
                                   header=kept_header(header), indexed=utcnow(), **shape))
        gone = [known[key][3] for key in set(known) - seen]
        with self.store.writing() as session:
            if stale or gone:
                session.execute(delete(CutoutTile).where(CutoutTile.id.in_(stale + gone)))
            session.add_all(rows)
        for key in [key for key in self._cache if key[0] == survey.name]:
            self._cache.pop(key, None)
        self._checked[survey.name] = time.monotonic()
        return {"survey": survey.name, "added": added, "updated": updated, "removed": len(gone),
                "files": len(seen), "failed": failed}

    def _rows(self, survey: str, band: str) -> dict[str, Any]:
        """The rows of one survey band as arrays, kept until the survey is refreshed: a question
        is then a few vector operations, not a database round trip."""
        key = (survey, band)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        with self.store.reading() as session:
            rows = list(session.scalars(select(CutoutTile).where(CutoutTile.survey == survey,
                                                                 CutoutTile.band == band)))
            tiles = [TileRow(r.survey, r.tile, r.band, r.path, r.hdu, r.size, r.mtime, r.naxis1, r.naxis2, r.header,
                             tuple(r.centre), 0.0) for r in rows]
            vertices = [np.asarray(r.vertices, dtype=float) for r in rows]
        cached = {"tiles": tiles, "vertices": vertices,
                  "centres": np.array([t.centre for t in tiles], dtype=float).reshape(-1, 3),
                  "radius": np.array([r.radius for r in rows], dtype=float),
                  "dec_min": np.array([r.dec_min for r in rows], dtype=float),
                  "dec_max": np.array([r.dec_max for r in rows], dtype=float)}
        self._cache[key] = cached
        return cached

    def touching(self, survey: str, band: str, ra: float, dec: float, radius: float) -> list[TileRow]:
        """Tile files of ``band`` whose footprint meets the circle (degrees), nearest centre first:
        the declination band first, then the centre distance, then the exact polygon test."""
        rows = self._rows(survey, band)
        if not rows["tiles"]:
            return []
        centre = sphere.unit(ra, dec)
        near = (rows["dec_max"] >= dec - radius) & (rows["dec_min"] <= dec + radius)
        distance = sphere.angle(centre[None, :], rows["centres"])
        near &= distance <= rows["radius"] + radius
        found = []
        for i in np.nonzero(near)[0]:
            if sphere.circle_touches_polygon(centre, radius, rows["vertices"][i]):
                found.append(replace(rows["tiles"][i], distance=float(distance[i])))
        found.sort(key=lambda r: (r.distance, r.tile))
        return found

    def summary(self, survey: str) -> dict[str, Any]:
        """Tiles, files and the sky they cover, for the survey listing."""
        with self.store.reading() as session:
            files, tiles, dec_min, dec_max, indexed = session.execute(select(
                func.count(CutoutTile.id), func.count(func.distinct(CutoutTile.tile)),
                func.min(CutoutTile.dec_min), func.max(CutoutTile.dec_max), func.max(CutoutTile.indexed))
                .where(CutoutTile.survey == survey)).one()
            centres = [row for row in session.scalars(select(CutoutTile.centre).where(CutoutTile.survey == survey))]
        answer: dict[str, Any] = {"tiles": int(tiles), "files": int(files), "dec_min": dec_min, "dec_max": dec_max,
                                  "indexed": indexed.isoformat() if indexed else None}
        if centres:
            mean = np.mean(np.asarray(centres), axis=0)
            if np.linalg.norm(mean) > 1e-9:
                ra, dec = sphere.radec(mean)
                answer["centre"] = {"ra": float(ra), "dec": float(dec)}
        return answer
