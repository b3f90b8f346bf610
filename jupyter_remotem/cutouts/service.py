"""A cutout request from parameters to bytes: who may use which survey, the footprint index,
the real-time budget, the cut and the answer's encoding.  The REST handler only moves bytes;
batch jobs will call the same pieces."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy import units as u

from ..errors import BadParameter, TooLarge
from . import native, params, render
from .footprints import FootprintIndex, TileRow
from .surveys import Survey, SurveyCatalog
from .tiles import OpenTile, TileCache, header_wcs

#: Output pixels (all bands together) one real-time request may make; more is a batch job.
DEFAULT_REALTIME_PIXELS = 4_000_000


@dataclass(frozen=True)
class Answer:
    body: bytes
    content_type: str
    filename: str
    tiles: dict[str, list[str]]
    shape: tuple[int, int]


class CutoutService:
    """Surveys, their footprints and opened tiles, shared by every request of a server."""

    def __init__(self, catalog: SurveyCatalog, index: FootprintIndex, realtime_pixels: int = DEFAULT_REALTIME_PIXELS,
                 tiles: TileCache | None = None) -> None:
        self.catalog = catalog
        self.index = index
        self.realtime_pixels = int(realtime_pixels)
        self.tiles = tiles or TileCache()
        self._pixscales: dict[str, float] = {}

    # -- surveys -----------------------------------------------------------------------------------
    def surveys(self, user: Any) -> list[dict[str, Any]]:
        """The surveys ``user`` may use, with their bands, tiles and footprint."""
        answer = []
        for survey in self.catalog.visible(user):
            self.index.ensure(survey, self.catalog.repository(survey))
            answer.append(dict(survey.to_json(), footprint=self.index.summary(survey.name),
                               realtime_pixels=self.realtime_pixels))
        return answer

    def refresh(self, user: Any, name: str) -> dict[str, Any]:
        """Re-read the headers of the survey's changed tiles now."""
        survey = self.catalog.get(user, name)
        self._pixscales.pop(name, None)
        return self.index.refresh(survey, self.catalog.repository(survey))

    def pixscale_deg(self, survey: Survey) -> float:
        """Degrees per pixel: the declared scale, else that of one tile's WCS."""
        if survey.pixscale:
            return survey.pixscale / 3600.0
        if survey.name not in self._pixscales:
            from astropy.io import fits
            from astropy.wcs.utils import proj_plane_pixel_scales

            rows = self.index._rows(survey.name, survey.bands[0])["tiles"]
            if not rows:
                return 1.0 / 3600.0
            wcs = header_wcs(fits.Header.fromstring(rows[0].header))
            self._pixscales[survey.name] = float(np.max(proj_plane_pixel_scales(wcs)))
        return self._pixscales[survey.name]

    def opener(self, survey: Survey) -> Any:
        repository = self.catalog.repository(survey)

        def open_tile(row: TileRow) -> OpenTile:
            key = (survey.repository, row.path, row.size, row.mtime)
            return self.tiles.get(key, lambda: OpenTile(repository, row.path, row.hdu, row.header))

        return open_tile

    # -- cutouts -----------------------------------------------------------------------------------
    def sync(self, user: Any, arguments: dict[str, list[str]]) -> Answer:
        """One real-time cutout, or the refusal that says why not and what to do instead."""
        request = params.parse(arguments)
        survey = self.catalog.get(user, request.survey)
        bands = (params.split_bands(request.given["bands"], survey.bands) if "bands" in request.given
                 else (survey.bands[0],))
        if request.format == "png" and len(bands) not in (1, 3):
            raise BadParameter(f"A PNG shows one band (grey) or three (colour), not {len(bands)}.",
                               hint=f"For example bands={bands[0]} or three bands; FITS takes any number.")
        request.bands = bands
        self.index.ensure(survey, self.catalog.repository(survey))
        scale = self.pixscale_deg(survey)
        radius = request.radius_deg(scale)
        size = None
        if request.size is not None:
            size = tuple(value * (u.pix if unit == "pix" else u.Unit(unit)) for value, unit in request.size)
        target = native.Target(request.ra, request.dec, size, request.polygon)
        open_tile = self.opener(survey)
        self._refuse_large(request, bands, scale)
        planned = []
        for band in bands:
            rows = self.index.touching(survey.name, band, request.ra, request.dec, radius)
            planned.append((native.plan(rows, open_tile, target), rows))
        pixels = sum(plan.pixels for plan, _ in planned)
        if pixels > self.realtime_pixels:
            raise self._too_large(request, bands, pixels, planned[0][0].shape)
        cuts = [native.read(plan, rows, open_tile, request.mode, request.fill_value) for plan, rows in planned]
        for cut, band in zip(cuts, bands):
            cut.band = band
        stem = f"{survey.name}_{request.ra:.5f}_{request.dec:+.5f}_{''.join(bands)}"
        if request.format == "png":
            if len({c.data.shape for c in cuts}) != 1:
                raise BadParameter("The bands' cutouts differ in shape (the survey's tiles differ between bands), "
                                   "so they cannot be one colour picture.",
                                   hint="Use mode=partial, which gives every band the requested shape.")
            return Answer(render.png_bytes(cuts, request), "image/png", stem + ".png",
                          {c.band: c.tiles for c in cuts}, cuts[0].data.shape)
        return Answer(render.fits_bytes(cuts, request, survey.name), "application/fits", stem + ".fits",
                      {c.band: c.tiles for c in cuts}, cuts[0].data.shape)

    def _refuse_large(self, request: params.CutoutRequest, bands: tuple[str, ...], scale: float) -> None:
        """An early look from the survey's pixel scale, so a huge area is refused before any
        tile is opened (the exact count on the tile's grid follows)."""
        if request.size is None:
            return
        sides = [value if unit == "pix" else value * params.UNITS[unit] / scale for value, unit in request.size]
        estimate = int(math.ceil(sides[0]) * math.ceil(sides[1])) * len(bands)
        if estimate > 1.05 * self.realtime_pixels + 4 * sum(sides) * len(bands):
            raise self._too_large(request, bands, estimate, (int(math.ceil(sides[0])), int(math.ceil(sides[1]))))

    def _too_large(self, request: params.CutoutRequest, bands: tuple[str, ...], pixels: int,
                   shape: tuple[int, int]) -> TooLarge:
        side = int(math.sqrt(self.realtime_pixels / len(bands)))
        batch = {"method": "POST", "url": "remotem/api/cutouts/jobs",
                 "body": {"defaults": {k: v for k, v in request.given.items() if k not in ("ra", "dec", "pos")},
                          "positions": [{"id": "1", "ra": request.ra, "dec": request.dec}]}}
        return TooLarge(
            f"This cutout is {shape[1]}×{shape[0]} px × {len(bands)} band(s) = {pixels:,} pixels; real-time "
            f"cutouts are limited to {self.realtime_pixels:,} pixels.",
            hint=f"Ask for at most {side}×{side} px per band (e.g. size={side}pix), or submit it as a batch job "
                 "(POST remotem/api/cutouts/jobs with the same parameters).",
            limit="cutout_realtime_pixels", allowed=self.realtime_pixels,
            quote={"pixels": pixels, "shape": list(shape), "bands": list(bands),
                   "bytes": pixels * 4, "realtime": False}, batch=batch)
