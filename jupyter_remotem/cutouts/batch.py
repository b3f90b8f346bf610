"""A batch of cutouts as a job request: defaults, positions with their overrides, the output.

Everything is checked before a job exists.  A row with an unknown parameter or a bad value
(a declination of 95, an unknown band, a size over the batch limit) refuses the whole batch
with a 400 that names the row and the reason; a row that is valid but cannot be answered (no
tile there, part outside the survey with ``mode=strict``) is the job's business: it becomes a
failed row of the manifest.  The stored request carries the checked rows and the definitions
of the surveys they use, so the worker needs neither the server's configuration nor the table
file, which may change after submission.

Each cutout has a *key*: a digest of its id and parameters.  Submitting the same batch to the
same output again keeps the files whose manifest rows have the same key and are still there,
and makes only what failed or is missing.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import BadParameter, NotFound, RemotemError, TooLarge
from . import params, positions
from .surveys import Survey

#: Keys of ``POST cutouts/jobs``.
BODY_KEYS = {"defaults", "positions", "table", "output", "notify"}
#: Positions one batch may have (``c.RemotemApp.cutout_batch_max`` overrides).
DEFAULT_MAX_POSITIONS = 100_000
#: Output pixels (all bands) one cutout of a batch may have: 4000 × 4000 px of one band, which
#: a worker cuts in about 0.7 GB (the pixels, the coverage mask and, across tile edges, the
#: coordinates of the pixels other tiles fill).
DEFAULT_BATCH_PIXELS = 16_000_000
#: Rows whose errors a refusal lists.
LISTED_ERRORS = 10
#: FITS header bytes per file and per band (primary plus one extension header each).
HEADER_BYTES = 2880
EXTENSIONS = {"fits": "fits", "png": "png", "jpg": "jpg", "jpeg": "jpg"}
_SAFE = re.compile(r"[^A-Za-z0-9._+-]")


@dataclass(frozen=True)
class Item:
    """One cutout of a batch: its row, parameters and file name."""

    number: int
    id: str
    arguments: dict[str, str]
    key: str
    file: str

    def request(self) -> params.CutoutRequest:
        return params.parse({name: [value] for name, value in self.arguments.items()})


def survey_dict(survey: Survey) -> dict[str, Any]:
    """A survey's definition as the configuration gives it (what :meth:`Survey.from_dict` reads)."""
    from dataclasses import fields

    raw: dict[str, Any] = {}
    for spec in fields(survey):
        if spec.name.startswith("_"):
            continue
        value = getattr(survey, spec.name)
        if value is None or (spec.name in ("groups", "wavelengths", "planes") and not value):
            continue
        raw[spec.name] = list(value) if isinstance(value, tuple) else value
    return raw


def defaults_of(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadParameter("'defaults' is an object of cutout parameters.",
                           hint='For example {"survey": "demo_mosaic", "size": "32pix", "bands": "g"}.')
    defaults: dict[str, str] = {}
    for key, value in raw.items():
        name = positions.override_name(str(key), "defaults")
        if str(key).strip().lower() in ("ra", "dec"):
            raise BadParameter("'defaults' cannot hold ra or dec: each position has its own.",
                               hint='Give positions as [{"id", "ra", "dec"}, ...].')
        text = positions._text(value)
        if text is not None:
            defaults[name] = text
    return defaults


def file_name(identifier: str, extension: str) -> str:
    """A file name for an id: the id itself when it is a safe name, else a safe form of it with
    a digest of the id, so two ids never share a file."""
    safe = _SAFE.sub("_", identifier).strip("._") or "cutout"
    if safe != identifier or safe.lower() in ("manifest", "manifest.json", "manifest.csv"):
        safe = f"{safe[:80]}-{hashlib.sha256(identifier.encode()).hexdigest()[:8]}"
    return f"{safe}.{extension}"


def key_of(identifier: str, arguments: dict[str, str]) -> str:
    text = json.dumps({"id": identifier, "arguments": sorted(arguments.items())}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def items_of(request: dict[str, Any]) -> list[Item]:
    """The cutouts of a stored request, in row order."""
    defaults = request.get("defaults") or {}
    items = []
    for number, row in enumerate(request["positions"], start=1):
        arguments = dict(defaults)
        arguments.update({k: v for k, v in row.items() if k != "id"})
        fmt = params.FORMATS.get(arguments.get("format", "fits").strip().lower(), "fits")
        items.append(Item(number, row["id"], arguments, key_of(row["id"], arguments),
                          file_name(row["id"], EXTENSIONS.get(fmt, fmt))))
    return items


def digest_of(defaults: dict[str, str], rows: list[dict[str, str]]) -> str:
    text = json.dumps({"defaults": sorted(defaults.items()), "positions": [sorted(r.items()) for r in rows]},
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Checked:
    """A batch that passed every check: the request to store and what its quote needs."""

    request: dict[str, Any]
    count: int
    #: Estimated output bytes and pixels per survey.
    bytes_by_survey: dict[str, int]
    counts: dict[str, int]
    pixels: int
    surveys: dict[str, Survey]


def estimate(request: params.CutoutRequest, bands: int, pixscale_deg: float) -> tuple[int, int]:
    """(pixels, bytes) of one cutout from the survey's pixel scale, before any tile is opened."""
    resampled = getattr(request, "pixscale", None)
    if resampled and request.algorithm == "resample":
        pixscale_deg = resampled / 3600.0
    if request.size is not None:
        sides = [value if unit == "pix" else value * params.UNITS[unit] / pixscale_deg for value, unit in request.size]
    else:
        sides = [2 * request.radius_deg(pixscale_deg) / pixscale_deg] * 2
    pixels = int(math.ceil(sides[0]) * math.ceil(sides[1])) * bands
    if request.format == "fits":
        return pixels, pixels * 4 + HEADER_BYTES * (2 * bands + 1)
    return pixels, pixels * (3 if bands == 3 else 1) // 2 + 1024


def check(service: Any, user: Any, body: Any, rows: list[dict[str, str]] | None, output: dict[str, str],
          max_pixels: int = DEFAULT_BATCH_PIXELS, table: dict[str, str] | None = None) -> Checked:
    """Validate every row against the declared parameters and the surveys ``user`` may use.

    ``rows`` are the positions (from the body or a table file); ``output`` the folder to write."""
    defaults = defaults_of(body.get("defaults"))
    assert rows is not None
    surveys: dict[str, Survey] = {}
    bytes_by_survey: dict[str, int] = {}
    counts: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    total_pixels = 0
    items = items_of({"defaults": defaults, "positions": rows})
    for item in items:
        try:
            request = item.request()
            survey = surveys.get(request.survey)
            if survey is None:
                survey = service.catalog.get(user, request.survey)
                service.require_index(survey)  # 503 index_pending for a survey never indexed
                surveys[survey.name] = survey
            bands = service.bands_of(survey, request)  # the real-time endpoint's own checks
            # Each plane is one more image of the band's size (and one more extension).
            pixels, nbytes = estimate(request, len(bands) * request.layers, service.pixscale_deg(survey))
            if pixels > max_pixels:
                raise TooLarge(f"The cutout would have about {pixels:,} pixels; one cutout of a batch has at most "
                               f"{max_pixels:,}.", hint="Ask for a smaller size.")
            total_pixels += pixels
            bytes_by_survey[survey.name] = bytes_by_survey.get(survey.name, 0) + nbytes
            counts[survey.name] = counts.get(survey.name, 0) + 1
        except (BadParameter, NotFound, TooLarge) as error:
            errors.append({"row": item.number, "id": item.id, "code": error.code, "message": error.message,
                           "hint": error.hint})
            if len(errors) >= LISTED_ERRORS:
                break
    if errors:
        first = errors[0]
        more = f" ({len(errors)} rows listed in details)" if len(errors) > 1 else ""
        raise BadParameter(f"Row {first['row']} (id '{first['id']}'): {first['message']}{more}",
                           hint=first["hint"] or "Fix the rows listed and submit again.", rows=errors)
    request: dict[str, Any] = {"defaults": defaults, "positions": rows, "output": output,
                               "surveys": {name: survey_dict(s) for name, s in sorted(surveys.items())},
                               "count": len(rows), "digest": digest_of(defaults, rows)}
    if table is not None:
        request["table"] = table
    return Checked(request, len(rows), bytes_by_survey, counts, total_pixels, surveys)


def output_of(raw: Any, home: str | None, defaults: dict[str, str], rows: list[dict[str, str]]) -> dict[str, str]:
    """``{"repository", "path"}``: as given, else a folder in the home repository named after the
    batch's content, so that submitting the same batch again finds its earlier files."""
    if raw is None:
        if home is None:
            raise BadParameter("There is no home repository to write the cutouts into.",
                               hint='Give "output": {"repository": name, "path": folder} in a writable repository.')
        return {"repository": home, "path": f"cutouts/batch-{digest_of(defaults, rows)[:12]}"}
    if not isinstance(raw, dict) or not isinstance(raw.get("repository"), str) or set(raw) - {"repository", "path"}:
        raise BadParameter("'output' is {\"repository\": name, \"path\": folder}.",
                           hint="A folder in a writable repository; it is made when missing.")
    path = raw.get("path") or ""
    if not isinstance(path, str):
        raise BadParameter("'output.path' is a folder path.", hint="For example \"cutouts/ngc\".")
    return {"repository": raw["repository"], "path": path.strip("/")}


def rows_from_body(body: Any, read_table: Any, limit: int) -> tuple[list[dict[str, str]], dict[str, str] | None]:
    """The positions of ``POST cutouts/jobs``: the body's list, or the named table file's rows."""
    if not isinstance(body, dict) or set(body) - BODY_KEYS:
        unknown = sorted(set(body) - BODY_KEYS) if isinstance(body, dict) else []
        raise BadParameter("POST cutouts/jobs takes {\"defaults\", \"positions\" or \"table\", \"output\", \"notify\"}"
                           + (f"; not {', '.join(unknown)}." if unknown else "."),
                           hint='For example {"defaults": {"survey": "demo_mosaic", "size": "32pix"}, '
                                '"positions": [{"id": "a", "ra": 150.0, "dec": 2.0}]}.')
    given = [name for name in ("positions", "table") if body.get(name) is not None]
    if len(given) != 1:
        raise BadParameter("Give the positions one way: \"positions\" (a list) or \"table\" (a file).",
                           hint='"table": {"repository": name, "path": "objects.csv"} with id, ra, dec columns.')
    if given[0] == "positions":
        if not isinstance(body["positions"], list):
            raise BadParameter("'positions' is a list of {id, ra, dec, ...overrides}.",
                               hint='For example [{"id": "a", "ra": 150.0, "dec": 2.0, "size": "64pix"}].')
        return positions.rows_of(body["positions"], limit), None
    table = body["table"]
    if not isinstance(table, dict) or not isinstance(table.get("repository"), str) \
            or not isinstance(table.get("path"), str) or set(table) - {"repository", "path"}:
        raise BadParameter("'table' is {\"repository\": name, \"path\": file}.",
                           hint="A CSV, VOTable or Parquet file with id, ra, dec columns.")
    spec = {"repository": table["repository"], "path": table["path"].strip("/")}
    return read_table(spec, limit), spec


__all__ = ["Checked", "Item", "RemotemError", "check", "items_of", "output_of", "rows_from_body", "survey_dict"]
