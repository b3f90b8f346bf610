"""Walking a repository into the catalog: one entry per file, one per array inside a container.

The walk is incremental: a file whose size and modification time are those indexed is not
opened again, so a re-run (or the next attempt after a crash) touches only what changed, and
files that are gone leave the catalog.  A file that cannot be read is indexed with the reason;
it never stops the walk.  Each dataset gets statistics of a sample of its frames (the same
subsampled views the viewer's coarse answers read): :data:`STATISTICS`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..compute.views import coarse_step, subsampled
from ..errors import RemotemError
from ..formats import list_arrays, open_dataset
from ..formats.dataset import Dataset
from ..file_formats import BY_KEY, opens_as_dataset
from ..formats.provenance import read_provenance
from ..storage.repository import Entry, Repository
from . import fits
from .flatten import Row, field_rows, rows_of
from .store import CatalogStore, EntryRecord

#: The ``data.<statistic>`` keys every dataset gets, from its sampled frames.
STATISTICS = {
    "mean": "mean of the sampled frames' pixels",
    "min": "smallest pixel of the sampled frames",
    "max": "largest pixel of the sampled frames",
    "std": "standard deviation of the sampled frames' pixels",
    "frame_sum_mean": "mean of the sampled frames' sums",
    "frame_sum_min": "smallest sum of a sampled frame",
    "frame_sum_max": "largest sum of a sampled frame",
    "sampled_frames": "how many frames were sampled",
    **{f"{kind}_{stat}": f"{text} of the {label} image over the sampled scan positions (the preview's detector)"
       for kind, label in (("bf", "virtual bright-field"), ("adf", "virtual annular dark-field"))
       for stat, text in (("mean", "mean"), ("min", "smallest value"), ("max", "largest value"))},
    **{f"{kind}_sum": f"sum of the {label} image over the whole scan, estimated from the sampled positions "
                      "(their mean times the number of positions)"
       for kind, label in (("bf", "virtual bright-field"), ("adf", "virtual annular dark-field"))},
}
#: Frames sampled per dataset, and the most bytes read for them.
SAMPLE_FRAMES, SAMPLE_BYTES = 64, 64 * 1024**2
#: Bytes of a ``.json`` file read as metadata.
JSON_BYTES = 1024**2
#: Files written to the catalog in one transaction.
BATCH_FILES = 200


@dataclass
class Progress:
    seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    unreadable: int = 0
    removed: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(vars(self))


def walk(repository: Repository, under: str) -> Iterator[Entry]:
    """Files and folder datasets (Zarr, ...) at any depth under ``under``, in listing order;
    hidden names are left out, and a folder that cannot be listed is skipped."""
    pending = [under]
    while pending:
        folder = pending.pop()
        try:
            entries = repository.list(folder)
        except RemotemError:
            continue
        for entry in entries:
            if entry.type == "directory" and entry.format is None:
                pending.append(entry.path)
            else:
                yield entry


def index(repository: Repository, store: CatalogStore, under: str = "",
          stop: Callable[[], bool] = lambda: False, report: Callable[[Progress], None] = lambda p: None) -> Progress:
    """Bring the catalog of ``repository`` under ``under`` up to date (see module docstring)."""
    return index_entries(repository, store, under, walk(repository, under), stop, report)


def index_entries(repository: Repository, store: CatalogStore, under: str, entries: Iterable[Entry],
                  stop: Callable[[], bool] = lambda: False,
                  report: Callable[[Progress], None] = lambda p: None) -> Progress:
    """:func:`index` over ``entries``, every file there is under ``under`` (the others leave)."""
    known = store.indexed_files(repository.name, under)
    had = store.indexed_checksums(repository.name, under)
    progress = Progress()
    present = set()
    batch: list[tuple[str, list[EntryRecord]]] = []
    unchanged: dict[str, tuple[int | None, float | None]] = {}

    def write() -> None:
        vouched = store.manifest_checksums(repository.name, {path: (records[0].size, records[0].mtime)
                                                             for path, records in batch})
        for path, records in batch:
            records[0].checksum = vouched.get(path)
        store.replace_files(repository.name, batch, new=[path for path, _ in batch if path not in known])
        batch.clear()
        # A file unchanged since it was indexed may have had a dataset closed over it since.
        vouched = store.manifest_checksums(repository.name, unchanged)
        changed = {path: vouched.get(path) for path in unchanged if vouched.get(path) != had.get(path)}
        if changed:
            store.set_checksums(repository.name, changed)
        unchanged.clear()
        report(progress)

    for entry in entries:
        if stop():
            break
        progress.seen += 1
        present.add(entry.path)
        if known.get(entry.path) == (entry.size, entry.mtime):
            progress.unchanged += 1
            unchanged[entry.path] = (entry.size, entry.mtime)
        else:
            records = records_of(repository, entry)
            progress.unreadable += any(r.status != "ok" for r in records)
            batch.append((entry.path, records))
            progress.indexed += 1
        if len(batch) >= BATCH_FILES or len(unchanged) >= 10 * BATCH_FILES or (
                not batch and progress.seen % BATCH_FILES == 0):
            write()  # a crash loses at most one batch: the next run indexes it again
    write()
    if stop():
        return progress
    gone = [path for path in known if path not in present]
    if gone:
        store.forget(repository.name, gone)
        progress.removed = len(gone)
    report(progress)
    return progress


def records_of(repository: Repository, entry: Entry) -> list[EntryRecord]:
    """The entries of one file: the file itself, and each array when it holds several."""
    name = entry.path.rsplit("/", 1)[-1]
    base = EntryRecord(repository.name, entry.path, "", "file", name, entry.format, entry.size, entry.mtime)
    if not opens_as_dataset(entry.format, entry.type == "directory"):  # text, a sidecar, a picture of a result
        if name.endswith(".json") and (entry.size or 0) <= JSON_BYTES:
            base.rows = _json_rows(repository, entry.path)
        elif fits.is_fits(name) and entry.type != "directory":
            base.format = base.format or "fits"
            try:
                base.rows = fits.header_rows(repository, entry.path)
            except Exception as error:  # noqa: BLE001 - astropy's own errors on a damaged file are many kinds
                base.status, base.reason = "unreadable", f"Not a readable FITS file: {error}"[:1000]
        return [base]
    try:
        # A format of one array is described by opening it once; a container lists its arrays.
        single = BY_KEY[entry.format].lister is None if entry.format in BY_KEY else True
        arrays = [] if single else list_arrays(repository, entry.path)
        provenance = _provenance_rows(repository, entry.path) + _field_rows(repository, entry.path, entry.format)
        single = single or (len(arrays) == 1 and arrays[0]["path"] == "/")
        _describe_into(base, repository, entry.path, None)
        base.rows += provenance
        if single:
            return [base]
        records = [base]
        for array in arrays:
            record = EntryRecord(repository.name, entry.path, array["path"], "array", name, entry.format,
                                 entry.size, entry.mtime)
            _describe_into(record, repository, entry.path, array["path"])
            records.append(record)
        return records
    except RemotemError as error:
        base.status, base.reason = "unreadable", error.message
        return [base]


def _describe_into(record: EntryRecord, repository: Repository, path: str, dataset: str | None) -> None:
    try:
        with open_dataset(repository, path, dataset) as opened:
            described = opened.describe()
            record.shape = [int(n) for n in opened.shape]
            record.dtype = opened.dtype.name
            record.nav_ndim = opened.nav_ndim
            record.axes = described.get("axes")
            record.rows = rows_of(opened.metadata or {}) + statistics_rows(opened)
    except RemotemError as error:
        record.status, record.reason = "unreadable", error.message


def statistics_rows(dataset: Dataset) -> list[Row]:
    """:data:`STATISTICS` of a sample of ``dataset``'s frames (none for complex or empty data)."""
    if dataset.dtype.kind not in "biuf" or 0 in dataset.shape:
        return []
    if dataset.nav_ndim == 0:
        frames = np.asarray(dataset.read((slice(None),) * len(dataset.shape)))[None]
    else:
        per_frame = max(1, dataset.frame_nbytes)
        wanted = max(1, min(SAMPLE_FRAMES, SAMPLE_BYTES // per_frame))
        with subsampled(dataset, coarse_step(dataset.nav_shape, wanted)) as sample:
            count = min(sample.n_frames, wanted)
            frames = np.asarray(sample.read_frames(np.arange(count)), dtype=np.float64)
    images = _virtual_image_values(dataset, frames)
    frames = frames.reshape(len(frames), -1).astype(np.float64)
    finite = frames[np.isfinite(frames)]
    if finite.size == 0:
        return []
    sums = np.nansum(frames, axis=1)
    values = {"mean": finite.mean(), "min": finite.min(), "max": finite.max(), "std": finite.std(),
              "frame_sum_mean": sums.mean(), "frame_sum_min": sums.min(), "frame_sum_max": sums.max(),
              "sampled_frames": float(len(frames)), **images}
    return [Row("data", key, low=float(v), high=float(v)) for key, v in values.items() if math.isfinite(v)]


def _virtual_image_values(dataset: Dataset, frames: np.ndarray) -> dict[str, float]:
    """``bf_*`` and ``adf_*`` of :data:`STATISTICS` for a scan of 2-D frames (none otherwise),
    from the sampled ``frames`` the other statistics come from."""
    if dataset.nav_ndim == 0 or len(dataset.sig_shape) != 2 or len(frames) == 0:
        return {}
    from ..compute.preview import virtual_images

    values: dict[str, float] = {}
    positions = math.prod(dataset.nav_shape)
    for kind, image in virtual_images(np.asarray(frames, dtype=np.float64)).items():
        finite = image[np.isfinite(image)]
        if finite.size:
            values |= {f"{kind}_mean": finite.mean(), f"{kind}_min": finite.min(), f"{kind}_max": finite.max(),
                       f"{kind}_sum": finite.mean() * positions}
    return values


def _field_rows(repository: Repository, path: str, fmt: str | None) -> list[Row]:
    """The small datasets of an HDF5 or NeXus file, as fields of its file entry."""
    if fmt != "hdf5":
        return []
    from ..formats.hdf5 import small_fields

    try:
        return field_rows(small_fields(repository, path))
    except (RemotemError, OSError):
        return []


def _provenance_rows(repository: Repository, path: str) -> list[Row]:
    try:
        record = read_provenance(repository, path)
    except RemotemError:
        return []
    return [Row(r.namespace, f"provenance/{r.key}", r.text, r.low, r.high, r.unit)
            for r in rows_of(record) if r.namespace == "meta"] if record else []


def _json_rows(repository: Repository, path: str) -> list[Row]:
    try:
        with repository.open(path) as handle:
            content = json.loads(handle.read(JSON_BYTES + 1))
    except (RemotemError, OSError, ValueError):
        return []
    return rows_of(content) if isinstance(content, dict) else []
