"""Running a batch of cutouts as a durable job (kind ``cutouts``).

The cutouts are grouped by the tile their pixels mostly come from and cut group after group,
so each tile is opened once per group and its decompressed rows are reused by its neighbours
(:class:`.tiles.OpenTile` keeps them).  Groups are packed into *units* of at most
:data:`UNIT_CUTOUTS`; a unit is plain data (its cutouts, the tile rows each needs, the two
repositories) and a pure function makes it, so it runs inline for small jobs and on the Dask
cluster for large ones, like the other job kinds (``JobContext.client_for``).  The opened tiles
are as many as one cutout of the batch's surveys needs (:func:`.tiles.cache_entries`: bands ×
(image and planes) × 4 tiles), so a cutout at a tile corner does not reopen what its neighbour
opened; ``manifest.json`` says how often tile HDUs were opened (``tile_opens``) and how many
distinct ones (``tile_hdus``).  Memory is bounded by the opened tiles' decompressed rows
(:data:`.tiles.TILE_CACHE_BYTES`) plus one cutout, whose size the batch limit bounds; a cutout
spanning several tiles is filled tile by tile.

Each file is written under a hidden temporary name and renamed into place, then recorded in
the job's ledger (so retention and deletion remove it), and after each unit its manifest rows
are stored as a checkpoint.  A worker killed mid-batch leaves at most one unit's cutouts to do
again; the recovered job resumes from the checkpoints and never leaves a half-written file.  A
failed cutout is a manifest row with its error; the job goes on.  At the end ``manifest.json``
and ``manifest.csv`` are written beside the files, and the time spent per survey goes to the
history that quotes later batches (:mod:`.history`).  A worker's read-rate limit
(``--max-read-rate``, which leaves shared storage to interactive users) paces a batch by the
bytes it writes, the measure of its work that it knows as it goes.
"""

from __future__ import annotations

import json
import logging
import posixpath
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ..compute.executor import Cancelled, Progress
from ..errors import NotFound, RemotemError
from ..jobs.output import temporary_name
from ..jobs.runner import JobContext, Outcome, Throttle
from ..jobs.written import file_record, fresh_info, record_new_folders
from ..storage.repository import Repository
from . import batch, history, manifest, params
from .footprints import FootprintIndex
from .surveys import Survey
from .tiles import TileCache, cache_entries, header_wcs

#: The job's log (the worker records ``jupyter_remotem.jobs`` at INFO with each job).
log = logging.getLogger("jupyter_remotem.jobs.cutouts")

#: Cutouts per unit: what a crash may make again, and the grain of Dask tasks.
UNIT_CUTOUTS = 100


@dataclass
class Work:
    """One cutout as a unit makes it."""

    item: batch.Item
    request: params.CutoutRequest


@dataclass
class Unit:
    """Cutouts of one survey, grouped by tile: plain data, so a Dask task can take it."""

    index: int
    survey: dict[str, Any]
    repositories: dict[str, Repository]
    target: str
    folder: str
    job_id: str
    #: The job store's URL: a task elsewhere opens the footprint index from it.
    database: str
    works: list[Work] = field(default_factory=list)
    max_pixels: int = batch.DEFAULT_BATCH_PIXELS
    #: The footprint index in this process (inline runs); None in a task, which opens its own.
    footprints: Any = None
    #: The cutout service the job's inline units share (so a tile stays open from one unit of
    #: its group to the next); None in a task, which makes its own.
    service: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__, footprints=None, service=None)


@dataclass
class UnitResult:
    index: int
    survey: str
    rows: list[dict[str, Any]]
    records: list[dict[str, Any]]
    nbytes: int
    seconds: float
    #: Opens per tile HDU by the unit's own service (a task's; empty inline, where the job's
    #: shared service counts them).
    opened: dict[str, int] = field(default_factory=dict)


class _Repositories:
    """The repositories a unit uses, by name (what :class:`.surveys.SurveyCatalog` asks)."""

    def __init__(self, repositories: dict[str, Repository]) -> None:
        self.repositories = repositories

    def get(self, name: str) -> Repository:
        return self.repositories[name]


def write_atomically(repository: Repository, path: str, data: bytes, job_id: str) -> None:
    """``data`` at ``path``, complete or not at all (written aside, then renamed)."""
    temporary = temporary_name(path, job_id)
    with repository.open(temporary, "wb") as out:
        out.write(data)
    repository.fs.mv(repository.full_path(temporary), repository.full_path(path))


def unit_service(unit: Unit) -> tuple[Any, Survey, Any]:
    """The cutout service a unit cuts with: the real-time one's code (so a batch file equals the
    real-time answer), its own opened tiles, the batch's pixel limit instead of the real-time one."""
    survey = Survey.from_dict(unit.survey)
    if unit.service is not None:
        return unit.service, survey, None
    store = None
    index = unit.footprints
    if index is None:
        from ..jobs.store import JobStore

        store = JobStore(unit.database)
        index = FootprintIndex(store)
    return batch_service([survey], unit.repositories, index, unit.max_pixels), survey, store


def batch_service(surveys: list[Survey], repositories: dict[str, Repository], index: FootprintIndex,
                  max_pixels: int) -> Any:
    from ..storage.access import AccessPolicy
    from .service import CutoutService
    from .surveys import SurveyCatalog

    catalog = SurveyCatalog(surveys, _Repositories(repositories), AccessPolicy())
    return CutoutService(catalog, index, max_pixels, TileCache(cache_entries(surveys), counted=True))


def opened_by_name(tiles: TileCache) -> dict[str, int]:
    """How often each tile HDU was opened, as ``repository:path[hdu]`` (``[plane/WGT]`` for a
    plane): plain data a Dask task returns."""
    return {f"{key[0]}:{key[1]}[{'/'.join(str(part) for part in key[4:])}]": count
            for key, count in (tiles.opened or {}).items()}


def run_unit(unit: Unit, cancel: Any = None, throttle: Throttle | None = None) -> UnitResult:
    """Make the unit's cutouts (see module docstring); stops early when ``cancel`` is set."""
    started = time.perf_counter()
    service, survey, store = unit_service(unit)
    target = unit.repositories[unit.target]
    rows, records, nbytes = [], [], 0
    opened: dict[str, int] = {}
    try:
        for work in unit.works:
            if cancel is not None and cancel.is_set():
                break
            item, request = work.item, work.request
            path = posixpath.join(unit.folder, item.file) if unit.folder else item.file
            try:
                answer = service.answer(survey, request)
                write_atomically(target, path, answer.body, unit.job_id)
            except RemotemError as error:
                rows.append(manifest.row(item, request, band=",".join(request.bands or ()) or
                                         request.given.get("bands", ""), error=error.message, code=error.code))
                continue
            except (OSError, ValueError) as error:  # a tile that cannot be read, a storage failure
                rows.append(manifest.row(item, request, error=f"{type(error).__name__}: {error}"[:300],
                                         code="cutout_failed"))
                continue
            records.append(file_record(target, path, request.format))
            nbytes += len(answer.body)
            height, width = answer.shape
            rows.append(manifest.row(item, request, band=",".join(request.bands or ()), file=item.file,
                                     size=len(answer.body), width=int(width), height=int(height),
                                     status=manifest.OK, tiles=manifest.tiles_text(answer.tiles)))
            if throttle is not None:
                throttle.after(len(answer.body))
    finally:
        if unit.service is None:  # a task's own service: its tiles go with it
            opened = opened_by_name(service.tiles)
            service.tiles.clear()
        if store is not None:
            store.close()
    return UnitResult(unit.index, survey.name, rows, records, nbytes, time.perf_counter() - started, opened)


def pixscale_deg(index: FootprintIndex, survey: Survey) -> float:
    """Degrees per pixel, as the real-time service takes it: declared, else a tile's WCS."""
    if survey.pixscale:
        return survey.pixscale / 3600.0
    from astropy.io import fits
    from astropy.wcs.utils import proj_plane_pixel_scales

    tiles = index._rows(survey.name, survey.bands[0])["tiles"]
    if not tiles:
        return 1.0 / 3600.0
    return float(np.max(proj_plane_pixel_scales(header_wcs(fits.Header.fromstring(tiles[0].header)))))


def plan_units(items: list[batch.Item], surveys: dict[str, Survey], index: FootprintIndex,
               repositories: dict[str, Repository], target: str, folder: str, job_id: str, first_index: int,
               database: str = "") -> tuple[list[Unit], dict[str, dict[str, Any]]]:
    """Units of at most :data:`UNIT_CUTOUTS`, grouped by survey and the tile nearest each target
    (in its first band), each group in order of declination; and the rows of items that fail
    before any tile is read."""
    groups: dict[tuple[str, str], list[Work]] = {}
    failed: dict[str, dict[str, Any]] = {}
    scales: dict[str, float] = {}
    for item in items:
        request = None
        try:
            request = item.request()
            survey = surveys.get(request.survey)
            if survey is None:
                raise NotFound(f"The survey '{request.survey}' is not part of this batch's request.")
            if survey.name not in scales:
                scales[survey.name] = pixscale_deg(index, survey)
            radius = request.radius_deg(scales[survey.name])
            rows = index.touching(survey.name, survey.bands[0], request.ra, request.dec, radius)
        except RemotemError as error:
            failed[item.key] = manifest.row(item, request, error=error.message, code=error.code)
            continue
        groups.setdefault((survey.name, rows[0].tile if rows else ""), []).append(Work(item, request))
    units: list[Unit] = []
    for (name, _), works in sorted(groups.items()):
        # Along declination within a tile: neighbours share the tile rows just decompressed.
        for work in sorted(works, key=lambda w: (w.request.dec, w.request.ra)):
            if not units or units[-1].survey["name"] != name or len(units[-1].works) >= UNIT_CUTOUTS:
                units.append(Unit(first_index + len(units), batch.survey_dict(surveys[name]), repositories, target,
                                  folder, job_id, database, footprints=index))
            units[-1].works.append(work)
    return units, failed


def _kept_from_previous(context: JobContext, target: Repository, folder: str, keys: set[str],
                        done: dict[str, dict[str, Any]]) -> int:
    """Take the rows of an earlier run of the same batch whose files are still there."""
    kept = []
    for key, entry in manifest.read_previous(target, folder).items():
        if key in done or key not in keys or entry.get("status") != manifest.OK or not entry.get("file"):
            continue
        path = posixpath.join(folder, str(entry["file"])) if folder else str(entry["file"])
        try:
            info = fresh_info(target, path)
        except (NotFound, RemotemError):
            continue
        if info.type != "directory" and info.size == entry.get("size"):
            done[key] = entry
            kept.append(path)
    if kept:
        # The earlier job's files are this job's now: its retention and deletion cover them.
        context.store.adopt_written(context.job.id, target.name, kept)
    return len(kept)


def run_cutouts_job(context: JobContext) -> Outcome:
    job, request = context.job, context.job.request
    started = time.perf_counter()
    surveys = {name: Survey.from_dict(raw) for name, raw in request["surveys"].items()}
    output = request["output"]
    target = context.repositories.get(output["repository"])
    folder = str(output.get("path") or "").strip("/")
    target.ensure_inside(folder)
    index = FootprintIndex(context.store)  # as the index jobs keep it (cutouts/index_job.py)
    items = batch.items_of(request)
    done: dict[str, dict[str, Any]] = {}
    partitions = []
    for checkpoint in context.store.checkpoints(job.id, with_data=True):
        partitions.append(checkpoint.partition)
        for entry in json.loads(checkpoint.data or b"[]"):
            done[entry["key"]] = entry
    resumed = len(done)
    kept = _kept_from_previous(context, target, folder, {item.key for item in items}, done)
    record_new_folders(context.recorder, target, [posixpath.join(folder, manifest.JSON_NAME)] if folder else [])
    if folder:
        target.fs.makedirs(target.full_path(folder), exist_ok=True)
    todo = [item for item in items if item.key not in done]
    repositories = {name: context.repositories.get(name)
                    for name in {target.name} | {survey.repository for survey in surveys.values()}}
    units, failed = plan_units(todo, surveys, index, repositories, target.name, folder, job.id,
                               max(partitions, default=-1) + 1,
                               context.store.url.render_as_string(hide_password=False))
    done.update(failed)
    total, written = len(items), 0
    spent: dict[str, list[float]] = {}
    opened: dict[str, int] = {}

    def report() -> None:
        context.progress(Progress(len(done), total, written, time.perf_counter() - started, resumed + kept))

    def absorb(result: UnitResult) -> None:
        nonlocal written
        context.recorder(result.records)
        context.store.record_checkpoint(job.id, context.worker_id, result.index, 0, len(result.rows),
                                        json.dumps(result.rows).encode())
        for entry in result.rows:
            done[entry["key"]] = entry
        written += result.nbytes
        for name, count in result.opened.items():
            opened[name] = opened.get(name, 0) + count
        totals = spent.setdefault(result.survey, [0.0, 0.0])
        totals[0] += result.nbytes
        totals[1] += result.seconds
        report()

    report()
    quoted_bytes = int((job.quote or {}).get("bytes_written") or 0)
    client = context.client_for(quoted_bytes)
    where = "inline" if client is None else "on the cluster"
    log.info("%d cutouts to make in %d units %s (%d resumed, %d kept from an earlier run)",
             sum(len(unit.works) for unit in units), len(units), where, resumed, kept)
    if client is None:
        throttle = Throttle(context.max_read_rate, context.cancel)
        shared = batch_service(list(surveys.values()), repositories, index, batch.DEFAULT_BATCH_PIXELS)
        for unit in units:
            unit.service = shared
            if context.cancel.is_set():
                raise Cancelled("Stopped between two cutouts; a new run goes on from there.")
            absorb(run_unit(unit, context.cancel, throttle))
        opened = opened_by_name(shared.tiles)
        shared.tiles.clear()
        if context.cancel.is_set():
            raise Cancelled("Stopped between two cutouts; a new run goes on from there.")
    else:
        from distributed import as_completed

        futures = client.map(run_unit, units, pure=False)
        for future in as_completed(futures):
            if context.cancel.is_set():
                client.cancel(futures)
                raise Cancelled("Stopped between two units; a new run goes on from there.")
            absorb(future.result())
    rows = [done[item.key] for item in items]
    ok = sum(1 for entry in rows if entry.get("status") == manifest.OK)
    summary = {"job": job.id, "repository": target.name, "folder": folder, "count": total, "ok": ok,
               "failed": total - ok, "made": sum(len(unit.works) for unit in units), "resumed": resumed,
               "kept": kept, "tile_opens": sum(opened.values()), "tile_hdus": len(opened)}
    log.info("tile HDUs opened %d times, %d distinct ones", summary["tile_opens"], summary["tile_hdus"])
    paths = []
    for name, data in ((manifest.JSON_NAME, manifest.json_bytes(rows, summary)),
                       (manifest.CSV_NAME, manifest.csv_bytes(rows))):
        path = posixpath.join(folder, name) if folder else name
        write_atomically(target, path, data, job.id)
        paths.append(path)
    records = [file_record(target, path, "manifest") for path in paths]
    context.recorder(records)
    _remove_leftovers(target, folder, job.id)
    quote_s = (job.quote or {}).get("seconds")
    for name, (nbytes, seconds) in spent.items():
        history.record(context.store, name, surveys[name].repository, int(nbytes), seconds, quote_s)
    # The manifests are the results; each says how many cutouts were made and how many failed.
    results = [dict(record, kind="manifest", count=total, ok=ok, failed=total - ok) for record in records]
    return Outcome(results, "cutouts", target.name, 0, time.perf_counter() - started, len(units), resumed)


def _remove_leftovers(target: Repository, folder: str, job_id: str) -> None:
    """Temporary files a killed attempt of this job left (the renamed ones are complete)."""
    ending = f".partial-{job_id}"
    try:
        entries = target.list(folder, include_hidden=True)
    except (RemotemError, OSError):
        return
    for entry in entries:
        name = posixpath.basename(entry.path)
        if name.startswith(".") and name.endswith(ending):
            try:
                target.fs.rm(target.full_path(entry.path))
            except OSError:
                log.warning("could not remove %s", entry.path)
