"""A cutout request from parameters to bytes: who may use which survey, the footprint index,
the real-time budget, the cut and the answer's encoding.  The REST handler only moves bytes;
batch jobs call the same pieces.

The real-time budget has two parts: the size rule (output pixels, :data:`DEFAULT_REALTIME_PIXELS`:
the hard cap, and the only rule before anything was measured), and, once real-time cutouts of
the survey, algorithm and size were answered, the quote from their measured durations
(:func:`.history.sync_quote`) against the real-time limit in seconds.  A refusal (413) carries
the quote with its ``basis`` ("history" or "size rule") and the batch call to make instead.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy import units as u

from ..errors import BadParameter, TooLarge
from . import history, native, params, render, resample
from .footprints import FootprintIndex, TileRow
from .surveys import Survey, SurveyCatalog
from .tiles import OpenTile, TileCache, cache_entries, header_wcs, open_plane

log = logging.getLogger(__name__)

#: Output pixels (all bands together) one real-time request may make; more is a batch job.
DEFAULT_REALTIME_PIXELS = 4_000_000
#: Seconds a real-time request may be quoted at (the server's ``interactive_limit``).
DEFAULT_REALTIME_SECONDS = 10.0


@dataclass(frozen=True)
class Answer:
    body: bytes
    content_type: str
    filename: str
    tiles: dict[str, list[str]]
    shape: tuple[int, int]
    #: What the answer says beside the bytes (picture limits, downscaling, overlays' geometry).
    headers: dict[str, str] = field(default_factory=dict)


class CutoutService:
    """Surveys, their footprints and opened tiles, shared by every request of a server."""

    def __init__(self, catalog: SurveyCatalog, index: FootprintIndex, realtime_pixels: int = DEFAULT_REALTIME_PIXELS,
                 tiles: TileCache | None = None, indexing: Any = None,
                 realtime_seconds: float = DEFAULT_REALTIME_SECONDS) -> None:
        self.catalog = catalog
        self.index = index
        self.realtime_pixels = int(realtime_pixels)
        #: Sized for the configured surveys' bands and planes (:func:`.tiles.cache_entries`).
        self.tiles = tiles or TileCache(cache_entries(catalog.surveys.values()))
        #: Index jobs (:class:`.index_job.IndexJobs`) of the real-time service: it checks each
        #: survey's index and has it refreshed.  None (a batch's own service, a benchmark's): the
        #: index is used as it is, and nothing is timed for real-time quotes.
        self.indexing = indexing
        self.realtime_seconds = float(realtime_seconds)
        self._pixscales: dict[str, float] = {}
        self._quoted = threading.local()
        #: Surveys whose index was built once (it never goes back to none).
        self._indexed: set[str] = set()

    # -- surveys -----------------------------------------------------------------------------------
    def surveys(self, user: Any) -> list[dict[str, Any]]:
        """The surveys ``user`` may use, with their bands, tiles, footprint and index state."""
        visible = self.catalog.visible(user)
        if self.indexing is not None:
            for survey in visible:
                try:
                    self.index.ensure(survey, self.catalog.repository(survey))
                except Exception:  # noqa: BLE001 - its storage gone: its index state says so, the others are listed
                    log.warning("could not list the files of survey %s", survey.name, exc_info=True)
        states = self.indexing.states(self.index, [s.name for s in visible]) if self.indexing is not None else {}
        return [dict(survey.to_json(), footprint=self.index.summary(survey.name), realtime_pixels=self.realtime_pixels,
                     realtime_seconds=self.realtime_seconds,
                     index=states.get(survey.name, {"state": "current", "job": None, "indexed_at": None}))
                for survey in visible]

    def reindex(self, name: str) -> Any:
        """The survey's index job (queued now, or the one queued or running already): an
        administrator's "re-read the tiles now", whoever may use the survey."""
        survey = self.catalog.surveys.get(name)
        if survey is None or self.indexing is None:
            from .surveys import unknown_survey

            raise unknown_survey(name)
        self._pixscales.pop(name, None)
        self.index.recheck(name)
        return self.indexing.submit(survey)

    def require_index(self, survey: Survey) -> None:
        """Check the survey's index (a listing at most every few minutes, a job when it lacks
        something); 503 ``index_pending`` while a survey has never been indexed."""
        if self.indexing is None:
            return
        self.index.ensure(survey, self.catalog.repository(survey))
        if survey.name in self._indexed:
            return
        refused = self.indexing.pending(self.index, survey)
        if refused is not None:
            raise refused
        self._indexed.add(survey.name)

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
            key = (survey.repository, row.path, row.size, row.mtime, row.hdu)
            return self.tiles.get(key, lambda: OpenTile(repository, row.path, row.hdu, row.header))

        return open_tile

    def plane_opener(self, survey: Survey, plane: str) -> Any:
        """Opens a plane of a tile (its own HDU, the image's header); the HDU is part of the key,
        so a plane and its image are two entries of the tile cache."""
        repository = self.catalog.repository(survey)
        hdu = survey.planes[plane]

        def open_tile(row: TileRow) -> OpenTile:
            key = (survey.repository, row.path, row.size, row.mtime, "plane", hdu)
            return self.tiles.get(key, lambda: open_plane(repository, row.path, hdu, row.header, plane))

        return open_tile

    # -- cutouts -----------------------------------------------------------------------------------
    def sync(self, user: Any, arguments: dict[str, list[str]]) -> Answer:
        """One real-time cutout, or the refusal that says why not and what to do instead."""
        request = params.parse(arguments)
        survey = self.catalog.get(user, request.survey)
        if self.indexing is None:
            return self.answer(survey, request)
        self._quoted.value = None
        started = time.perf_counter()
        answer = self.answer(survey, request)
        seconds = time.perf_counter() - started
        quote = self._quoted.value
        pixels = int(answer.shape[0] * answer.shape[1] * len(request.bands or ())) * request.layers
        try:
            history.record_sync(self.index.store, survey.name, survey.repository, request.algorithm, pixels, seconds,
                                quote["seconds"] if quote else None)
        except Exception:  # noqa: BLE001 - a quote's history is best effort; the answer stands
            log.warning("could not record the duration of a real-time cutout of %s", survey.name, exc_info=True)
        if quote is not None:
            return Answer(answer.body, answer.content_type, answer.filename, answer.tiles, answer.shape,
                          dict(answer.headers, **{"X-Cutout-Quote": f"seconds={quote['seconds']:g}; basis=history"}))
        return answer

    def bands_of(self, survey: Survey, request: params.CutoutRequest) -> tuple[str, ...]:
        """The request's bands: named, or SODA's wavelength interval; the survey's first by default."""
        params.check_planes(request.planes, survey.name, tuple(survey.planes))
        bands = (params.split_bands(request.given["bands"], survey.bands, survey.wavelengths)
                 if "bands" in request.given else (survey.bands[0],))
        if request.format in params.PICTURES and len(bands) == 2:
            raise BadParameter(f"A picture shows one band (grey or a colormap) or three or more (colour), not "
                               f"{len(bands)}.", hint=f"For example bands={bands[0]} or three bands; FITS takes any "
                                                   "number.")
        if request.format in params.PICTURES:
            colour_only = [n for n in ("rgb", "q", "minimum") if n in request.given]
            if len(bands) == 1 and colour_only:
                raise BadParameter(f"{', '.join(colour_only)} shape colour pictures; this one shows one band.",
                                   hint="Ask for three or more bands (e.g. bands=gri), or leave them out.")
            if len(bands) >= 3 and "cmap" in request.given:
                raise BadParameter("cmap colours a single band; this picture is colour from "
                                   f"{len(bands)} bands.", hint="Ask for one band, or leave cmap out.")
        return bands

    def answer(self, survey: Survey, request: params.CutoutRequest) -> Answer:
        """The cutout of a parsed request on a survey the caller may use (what batch jobs call too)."""
        bands = self.bands_of(survey, request)
        request.bands = bands
        self.require_index(survey)
        if request.algorithm == "resample":
            cuts = self._resampled(survey, request, bands)
        else:
            cuts = self._native(survey, request, bands)
        stem = f"{survey.name}_{request.ra:.5f}_{request.dec:+.5f}_{''.join(bands)}"
        tiles = {c.band: c.tiles for c in cuts if not c.plane}
        if request.format in params.PICTURES:
            if len({c.data.shape for c in cuts}) != 1:
                raise BadParameter("The bands' cutouts differ in shape (the survey's tiles differ between bands), "
                                   "so they cannot be one colour picture.",
                                   hint="Use mode=partial, which gives every band the requested shape.")
            made = render.picture(cuts, request, survey.name)
            return Answer(made.body, made.content_type, f"{stem}.{request.format}", tiles, cuts[0].data.shape,
                          made.headers)
        return Answer(render.fits_bytes(cuts, request, survey.name), "application/fits", stem + ".fits",
                      tiles, cuts[0].data.shape)

    def _native(self, survey: Survey, request: params.CutoutRequest, bands: tuple[str, ...]) -> list[native.Cut]:
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
        pixels = sum(plan.pixels for plan, _ in planned) * request.layers  # planes are work too
        if pixels > self.realtime_pixels:
            raise self._too_large(request, bands, pixels, planned[0][0].shape)
        self._within_time(survey, request, bands, pixels, planned[0][0].shape)
        openers = {plane: self.plane_opener(survey, plane) for plane in request.planes}
        cuts = []
        for (plan, rows), band in zip(planned, bands):
            cut = native.read(plan, rows, open_tile, request.mode, request.fill_value)
            cuts.append(cut)
            for plane, open_plane_tile in openers.items():
                cuts.append(native.read_plane(plan, rows, open_plane_tile, request.mode, plane))
            for made in cuts[-1 - len(openers):]:
                made.band = band
        return cuts

    def resample_grid(self, survey: Survey, request: params.CutoutRequest) -> tuple[Any, tuple[int, int], float]:
        """The output grid of a resampled cutout: its WCS, shape and degrees per pixel."""
        native_scale = self.pixscale_deg(survey)
        scale = request.pixscale / 3600.0 if request.pixscale is not None else native_scale
        ratio = scale / native_scale
        if not 1 / params.PIXSCALE_RATIO <= ratio <= params.PIXSCALE_RATIO:
            raise BadParameter(f"pixscale={scale * 3600:g} arcsec is {ratio:.3g} times the survey's "
                               f"{native_scale * 3600:g} arcsec; at most {params.PIXSCALE_RATIO:g} times either way.",
                               hint=f"For example pixscale={native_scale * 3600:g}.")
        if request.polygon is not None:
            shape = resample.polygon_shape(request.ra, request.dec, request.polygon, scale, request.rotation)
        else:
            assert request.size is not None
            shape = tuple(int(value) if unit == "pix" else max(1, int(round(value * params.UNITS[unit] / scale)))
                          for value, unit in request.size)  # type: ignore[assignment]
        return resample.grid(request.ra, request.dec, shape, scale, request.rotation), shape, scale

    def _resampled(self, survey: Survey, request: params.CutoutRequest,
                   bands: tuple[str, ...]) -> list[resample.Resampled]:
        wcs, shape, scale = self.resample_grid(survey, request)
        pixels = shape[0] * shape[1] * len(bands) * request.layers
        if pixels > self.realtime_pixels:
            raise self._too_large(request, bands, pixels, shape)
        radius = 0.5 * math.hypot(*shape) * scale + 2 * self.pixscale_deg(survey)
        open_tile = self.opener(survey)
        openers = {plane: self.plane_opener(survey, plane) for plane in request.planes}
        plans = []
        #: Per band: (plane, its plan, its dtype) — a mask by nearest pixel, a weight as the image.
        plane_plans: list[list[tuple[str, resample.Plan, Any]]] = []
        for band in bands:
            rows = self.index.touching(survey.name, band, request.ra, request.dec, radius)
            if not rows:
                raise native.NoOverlap(f"No tile of the survey touches ({request.ra:.6f}, {request.dec:+.6f}).")
            plans.append(resample.plan(rows, open_tile, wcs, shape, request.interpolation))
            plane_plans.append([])
            for plane, open_plane_tile in openers.items():
                dtype = resample.plane_dtype(open_plane_tile(rows[0]))
                how = resample.plane_interpolation(dtype, request.interpolation)
                plane_plans[-1].append((plane, resample.plan(rows, open_plane_tile, wcs, shape, how), dtype))
        work = sum(plan.work for plan in plans) + sum(p.work for band in plane_plans for _, p, _ in band)
        if work > self.realtime_pixels:
            raise self._too_large(request, bands, pixels, shape, work=work,
                                  tiles=sorted({t for plan in plans for t in plan.tiles}))
        self._within_time(survey, request, bands, pixels, shape)
        cuts = []
        for plan, band_planes, band in zip(plans, plane_plans, bands):
            image = resample.read(plan, request.mode, request.fill_value)
            cuts.append(image)
            cuts += [resample.read_plane(p, dtype, image, plane) for plane, p, dtype in band_planes]
            for made in cuts[-1 - len(band_planes):]:
                made.band = band
        return cuts

    def _within_time(self, survey: Survey, request: params.CutoutRequest, bands: tuple[str, ...], pixels: int,
                     shape: tuple[int, int]) -> None:
        """Refuse a real-time request whose quote from the measured history is over the
        real-time limit (nothing measured yet: the size rule alone decides)."""
        if self.indexing is None:
            return
        quote = history.sync_quote(self.index.store, survey.name, survey.repository, request.algorithm, pixels)
        self._quoted.value = quote
        if quote is None or quote["seconds"] <= self.realtime_seconds:
            return
        raise TooLarge(
            f"This cutout ({shape[1]}×{shape[0]} px × {_layers(request, bands)}) is quoted at "
            f"{quote['seconds']:.3g} s "
            f"from the last real-time {request.algorithm} cutouts of '{survey.name}' of its size; real-time "
            f"cutouts are answered within {self.realtime_seconds:g} s.",
            hint=f"Ask for a smaller area, or {self._batch_advice(request)}.",
            limit="cutout_realtime_seconds", allowed=self.realtime_seconds,
            quote=dict(quote, pixels=pixels, shape=list(shape), bands=list(bands), planes=list(request.planes),
                       bytes=pixels * 4, realtime=False),
            batch=self._batch_call(request))

    def _refuse_large(self, request: params.CutoutRequest, bands: tuple[str, ...], scale: float) -> None:
        """An early look from the survey's pixel scale, so a huge area is refused before any
        tile is opened (the exact count on the tile's grid follows)."""
        if request.size is None:
            return
        sides = [value if unit == "pix" else value * params.UNITS[unit] / scale for value, unit in request.size]
        layers = len(bands) * request.layers
        estimate = int(math.ceil(sides[0]) * math.ceil(sides[1])) * layers
        if estimate > 1.05 * self.realtime_pixels + 4 * sum(sides) * layers:
            raise self._too_large(request, bands, estimate, (int(math.ceil(sides[0])), int(math.ceil(sides[1]))))

    def _too_large(self, request: params.CutoutRequest, bands: tuple[str, ...], pixels: int,
                   shape: tuple[int, int], work: int | None = None, tiles: list[str] | None = None) -> TooLarge:
        if work is not None:
            cost = resample.COST[request.interpolation]
            per_pixel = work / max(pixels, 1)
            side = int(math.sqrt(self.realtime_pixels / (len(bands) * request.layers)
                                 / max(per_pixel, 1e-9)))
            return TooLarge(
                f"This resampled cutout is {shape[1]}×{shape[0]} px × {_layers(request, bands)} from "
                f"{len(tiles or [])} "
                f"tile(s): {work:,} units of work (output pixels × the tiles under them × {cost:g} for "
                f"interpolation={request.interpolation}); real-time cutouts are limited to "
                f"{self.realtime_pixels:,}.",
                hint=f"Ask for at most about {side}×{side} px per band, a coarser pixscale, a cheaper "
                     f"interpolation, or {self._batch_advice(request)}.",
                limit="cutout_realtime_pixels", allowed=self.realtime_pixels,
                quote={"pixels": pixels, "work": work, "shape": list(shape), "bands": list(bands),
                       "planes": list(request.planes),
                       "tiles": tiles or [], "cost": cost, "bytes": pixels * 4, "realtime": False,
                       "basis": "size rule"},
                batch=self._batch_call(request))
        side = int(math.sqrt(self.realtime_pixels / (len(bands) * request.layers)))
        batch = self._batch_call(request)
        return TooLarge(
            f"This cutout is {shape[1]}×{shape[0]} px × {_layers(request, bands)} = {pixels:,} pixels; real-time "
            f"cutouts are limited to {self.realtime_pixels:,} pixels.",
            hint=f"Ask for at most {side}×{side} px per band (e.g. size={side}pix), or "
                 f"{self._batch_advice(request)}.",
            limit="cutout_realtime_pixels", allowed=self.realtime_pixels,
            quote={"pixels": pixels, "shape": list(shape), "bands": list(bands), "planes": list(request.planes),
                   "bytes": pixels * 4, "realtime": False, "basis": "size rule"}, batch=batch)

    @staticmethod
    def _batch_advice(request: params.CutoutRequest) -> str:
        if request.polygon is not None:
            return "split the polygon into smaller ones (batches take centres and sizes, not polygons)"
        return "submit it as a batch job (POST remotem/api/cutouts/jobs: the call is in details.batch)"

    @staticmethod
    def _batch_call(request: params.CutoutRequest) -> dict[str, Any] | None:
        """The batch job that makes the same cutout: a SODA circle becomes its centre and size;
        a polygon or a range has no batch form (None: batches take centres and sizes)."""
        if request.polygon is not None:
            return None
        defaults = {k: v for k, v in request.given.items() if k not in ("ra", "dec", "pos", "circle")}
        if request.size is not None and not {"size", "width", "height"} & set(defaults):
            (height, h_unit), (width, w_unit) = request.size
            defaults |= {"width": f"{width!r}{w_unit}", "height": f"{height!r}{h_unit}"}
        return {"method": "POST", "url": "remotem/api/cutouts/jobs",
                "body": {"defaults": defaults, "positions": [{"id": "1", "ra": request.ra, "dec": request.dec}]}}


def _layers(request: params.CutoutRequest, bands: tuple[str, ...]) -> str:
    """``3 band(s)``, or with planes ``3 band(s) × 3 (image, weight, mask)``: what a size counts."""
    if not request.planes:
        return f"{len(bands)} band(s)"
    return f"{len(bands)} band(s) × {request.layers} (image, {', '.join(request.planes)})"
