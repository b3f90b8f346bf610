"""The manifest of a batch: one row per cutout, as ``manifest.json`` and ``manifest.csv`` beside
the files, tying every file to its id, position and parameters, or saying why it failed.

Both are written under a hidden temporary name and renamed into place, so a reader (or the next
submission of the same batch, which keeps what the manifest says was made) never sees half of one.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from ..errors import NotFound, RemotemError

#: Columns, in order, of both files.  ``planes``: the planes cut with the row's image
#: (``weight,mask``; empty when none), as ``band`` names its bands.
COLUMNS = ("id", "ra", "dec", "survey", "band", "planes", "format", "algorithm", "file", "size", "width", "height",
           "status", "error", "code", "tiles", "key")
#: Columns holding text, where an empty CSV cell is an empty text (no plane, no error), not a
#: missing value: what a reader of ``manifest.csv`` (the client's pandas table) reads as text.
TEXT_COLUMNS = ("id", "survey", "band", "planes", "format", "algorithm", "file", "status", "error", "code", "tiles",
                "key")
#: Whole-number columns, empty when the cutout failed.
INTEGER_COLUMNS = ("size", "width", "height")
JSON_NAME, CSV_NAME = "manifest.json", "manifest.csv"
OK, FAILED = "ok", "failed"


def row(item: Any, request: Any | None, **values: Any) -> dict[str, Any]:
    """A manifest row for ``item`` (:class:`.batch.Item`) with what became of it."""
    arguments = item.arguments
    base: dict[str, Any] = {"id": item.id, "ra": _number(arguments.get("ra")), "dec": _number(arguments.get("dec")),
                            "survey": request.survey if request is not None else arguments.get("survey", ""),
                            "band": arguments.get("bands", ""),
                            "planes": (",".join(request.planes) if request is not None
                                       else str(arguments.get("planes", "") or "")),
                            "format": request.format if request is not None else arguments.get("format", "fits"),
                            "algorithm": request.algorithm if request is not None else arguments.get("algorithm",
                                                                                                     "native"),
                            "file": "", "size": 0, "width": None, "height": None, "status": FAILED, "error": "",
                            "code": "", "tiles": "", "key": item.key}
    base.update(values)
    return base


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def tiles_text(tiles: dict[str, list[str]]) -> str:
    """``g:t00,t01;r:t00``: the tiles each band's pixels came from."""
    return ";".join(f"{band}:{','.join(names)}" for band, names in tiles.items())


def json_bytes(rows: list[dict[str, Any]], summary: dict[str, Any]) -> bytes:
    return json.dumps(dict(summary, columns=list(COLUMNS), rows=rows), indent=1).encode()


def csv_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for entry in rows:
        writer.writerow({k: ("" if entry.get(k) is None else entry.get(k)) for k in COLUMNS})
    return out.getvalue().encode()


def read_previous(repository: Any, folder: str, limit_bytes: int = 512 * 1024**2) -> dict[str, dict[str, Any]]:
    """Rows of the manifest already in ``folder`` by key (empty when there is none or it is not
    one of ours)."""
    path = posixpath.join(folder, JSON_NAME) if folder else JSON_NAME
    try:
        entry = repository.info(path)
        if entry.type == "directory" or (entry.size or 0) > limit_bytes:
            return {}
        with repository.open(path, "rb") as handle:
            document = json.loads(handle.read())
    except (NotFound, RemotemError, OSError, ValueError):
        return {}
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        return {}
    return {r["key"]: r for r in rows if isinstance(r, dict) and isinstance(r.get("key"), str)}


#: The files recent batches made, by job and manifest version (size and time): a UWS client
#: asking for a job document every second (``WAIT``, pyvo's ``wait()``), or fetching a batch's
#: files one by one, does not have the manifest read and parsed again each time.
_MADE: OrderedDict[tuple[str, str, int | None, float | None], tuple[dict[str, str], ...]] = OrderedDict()
_MADE_ENTRIES = 8
_MADE_LOCK = threading.Lock()


def made(job_id: str, repository: Any, folder: str) -> tuple[dict[str, str], ...]:
    """``{"id", "file", "status"}`` of every cutout the batch's manifest lists as made (none
    when there is no manifest), read again only when the file's size or time changed."""
    path = posixpath.join(folder, JSON_NAME) if folder else JSON_NAME
    try:
        info = repository.info(path)
    except (NotFound, RemotemError, OSError):
        return ()
    key = (job_id, f"{getattr(repository, 'name', '')}:{path}", info.size, info.mtime)
    with _MADE_LOCK:
        found = _MADE.get(key)
        if found is not None:
            _MADE.move_to_end(key)
            return found
    found = tuple({"id": str(entry["id"]), "file": str(entry["file"]), "status": OK}
                  for entry in read_previous(repository, folder).values()
                  if entry.get("status") == OK and entry.get("file"))
    with _MADE_LOCK:
        _MADE[key] = found
        while len(_MADE) > _MADE_ENTRIES:
            _MADE.popitem(last=False)
    return found
