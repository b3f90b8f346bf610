"""The footprint index: which tiles of a survey touch a region of the sky.

Each tile file's polygon comes from its WCS (corners and edge midpoints of the pixel grid,
as unit vectors), read from its header alone; rows live in the SQL store
(:class:`.models.CutoutTile`).  A question is answered in two steps: SQL keeps the rows whose
declination band meets the region's, then the exact test (:func:`.sphere.circle_touches_polygon`)
keeps those the region really touches, so the poles and RA = 0 need no special cases.

The index is refreshed in two steps: a cheap listing diff (:meth:`FootprintIndex.diff`: which
files are new, changed by size or time, or gone) and an apply step that reads the headers of the
new and changed ones (:meth:`FootprintIndex.apply`), one batch per transaction.  A refresh
stopped between batches leaves every committed row right, and the next diff finds only what is
left.  On a request the index is only checked: the refresh itself is a durable job
(:mod:`.index_job`), and a server that shares the database with that job's worker notices its
commits by the rows' version (:meth:`FootprintIndex.version`), not by being told.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
#: Seconds between looks at the rows' version: how soon a server sees what an index job committed.
VERSION_CHECK_S = 1.0
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


@dataclass(frozen=True)
class TileFile:
    """A tile file the listing found new or changed: what the apply step reads."""

    tile: str
    band: str
    path: str
    size: int | None
    mtime: float | None
    #: The row it replaces (None: a new file).
    previous: int | None = None


@dataclass
class ListingDiff:
    """What a survey's listing says the index lacks: no header was read to know it."""

    survey: str
    #: New or changed files, in listing order.
    todo: list[TileFile] = field(default_factory=list)
    #: Row ids of files that went away.
    gone: list[int] = field(default_factory=list)
    #: Files the index cannot take (a tile and band named twice).
    failed: list[dict[str, str]] = field(default_factory=list)
    #: Files listed (those indexed already included).
    files: int = 0
    #: Rows the index holds for the survey.
    known: int = 0

    @property
    def empty(self) -> bool:
        return not self.todo and not self.gone


#: Has the index of a survey that lacks something refreshed: answers the refreshing job's id
#: (see :mod:`.index_job`).
Submitter = Callable[[Survey], str]


class FootprintIndex:
    """Footprints of every survey's tiles in the job store's database."""

    def __init__(self, store: JobStore, submit: Submitter | None = None) -> None:
        self.store = store
        #: None: :meth:`ensure` refreshes in place (a worker's index, or one used directly).
        self.submit = submit
        self._checked: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        #: survey -> (monotonic time of the last look, the version seen then).
        self._versions: dict[str, tuple[float, tuple[Any, ...]]] = {}

    def _lock(self, survey: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(survey, threading.Lock())

    def ensure(self, survey: Survey, repository: Any) -> str | None:
        """Check ``survey`` when this server has not done so for :data:`REFRESH_AFTER_S`: list its
        files and, when the index lacks any, have it refreshed (:attr:`submit`; in place without
        one).  Never reads a header when a submitter is set.  Answers the refreshing job's id,
        if one was asked for; the index keeps answering from its committed rows meanwhile."""
        self._drop_stale_cache(survey.name)
        checked = self._checked.get(survey.name)
        if checked is not None and time.monotonic() - checked < REFRESH_AFTER_S:
            return None
        with self._lock(survey.name):
            checked = self._checked.get(survey.name)
            if checked is not None and time.monotonic() - checked < REFRESH_AFTER_S:
                return None
            if self.submit is None:
                self.refresh(survey, repository)
                return None
            diff = self.diff(survey, repository)
            job = None if diff.empty else self.submit(survey)
            self._checked[survey.name] = time.monotonic()
            return job

    def recheck(self, survey: str) -> None:
        """Have the next :meth:`ensure` list the survey again (an index job just ended)."""
        self._checked.pop(survey, None)

    def diff(self, survey: Survey, repository: Any) -> ListingDiff:
        """Which of the survey's files the index lacks or holds in an older version, and which
        rows are of files gone, by size and time (an object store's listing gives both)."""
        with self.store.reading() as session:
            known = {(r.tile, r.band): (r.path, r.size, r.mtime, r.id) for r in
                     session.scalars(select(CutoutTile).where(CutoutTile.survey == survey.name))}
        diff = ListingDiff(survey.name, known=len(known))
        seen: set[tuple[str, str]] = set()
        for tile, band, path, size, mtime in survey.files(repository):
            key = (tile, band)
            if key in seen:
                diff.failed.append({"path": path, "error": f"tile {tile!r} band {band!r} is named twice"})
                continue
            seen.add(key)
            previous = known.get(key)
            if previous is not None and previous[:3] == (path, size, mtime):
                continue
            diff.todo.append(TileFile(tile, band, path, size, mtime, None if previous is None else previous[3]))
        diff.files = len(seen)
        diff.gone = [known[key][3] for key in set(known) - seen]
        return diff

    def remove(self, survey: str, row_ids: list[int]) -> None:
        """Drop the rows of files that went away (one transaction)."""
        if row_ids:
            with self.store.writing() as session:
                session.execute(delete(CutoutTile).where(CutoutTile.survey == survey, CutoutTile.id.in_(row_ids)))
            self._forget(survey)

    def apply(self, survey: Survey, repository: Any, files: list[TileFile]) -> dict[str, Any]:
        """Read the headers of ``files`` and commit their rows in one transaction, each replacing
        the survey's row of the same tile and band: what is committed is right on its own."""
        added, updated, failed = 0, 0, []
        rows: list[CutoutTile] = []
        for item in files:
            try:
                index, header = read_header(repository, item.path, survey.hdu)
                shape = footprint(header)
            except Exception as error:  # noqa: BLE001 - one bad tile is reported, the others are indexed
                failed.append({"path": item.path, "error": str(getattr(error, "message", error))})
                continue
            if item.previous is None:
                added += 1
            else:
                updated += 1
            rows.append(CutoutTile(survey=survey.name, tile=item.tile, band=item.band, path=item.path, hdu=index,
                                   size=item.size, mtime=item.mtime, naxis1=int(header["NAXIS1"]),
                                   naxis2=int(header["NAXIS2"]), header=kept_header(header), indexed=utcnow(),
                                   **shape))
        with self.store.writing() as session:
            for row in rows:
                session.execute(delete(CutoutTile).where(CutoutTile.survey == survey.name,
                                                         CutoutTile.tile == row.tile, CutoutTile.band == row.band))
            session.add_all(rows)
        self._forget(survey.name)
        return {"added": added, "updated": updated, "failed": failed}

    def refresh(self, survey: Survey, repository: Any) -> dict[str, Any]:
        """Bring the rows of ``survey`` up to its files in place; answer what changed and what
        failed (what the index job does in batches, for direct use)."""
        diff = self.diff(survey, repository)
        self.remove(survey.name, diff.gone)
        applied = self.apply(survey, repository, diff.todo) if diff.todo else {"added": 0, "updated": 0, "failed": []}
        self._checked[survey.name] = time.monotonic()
        return {"survey": survey.name, "added": applied["added"], "updated": applied["updated"],
                "removed": len(diff.gone), "files": diff.files, "failed": diff.failed + applied["failed"]}

    def version(self, survey: str) -> tuple[Any, ...]:
        """What changes whenever the survey's rows do (an insert raises the largest id, a delete
        lowers the count): one indexed aggregate, cheap enough to ask every second."""
        with self.store.reading() as session:
            return tuple(session.execute(select(func.count(CutoutTile.id), func.max(CutoutTile.id),
                                                func.max(CutoutTile.indexed))
                                         .where(CutoutTile.survey == survey)).one())

    def _forget(self, survey: str) -> None:
        for key in [key for key in self._cache if key[0] == survey]:
            self._cache.pop(key, None)
        self._versions.pop(survey, None)

    def _drop_stale_cache(self, survey: str) -> None:
        """Forget the cached rows of ``survey`` when another process changed them (looked at
        most every :data:`VERSION_CHECK_S`)."""
        seen = self._versions.get(survey)
        now = time.monotonic()
        if seen is not None and now - seen[0] < VERSION_CHECK_S:
            return
        current = self.version(survey)
        if seen is not None and seen[1] != current:
            for key in [key for key in self._cache if key[0] == survey]:
                self._cache.pop(key, None)
        self._versions[survey] = (now, current)

    def _rows(self, survey: str, band: str) -> dict[str, Any]:
        """The rows of one survey band as arrays, kept until the survey is refreshed: a question
        is then a few vector operations, not a database round trip."""
        key = (survey, band)
        self._drop_stale_cache(survey)
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
