"""IVOA UWS 1.1 over the batch jobs: SODA parameters in, job documents out.

A UWS client (pyvo, TOPCAT, Aladin) creates a job by POSTing SODA parameters to
``cutouts/async``: ``ID`` (the survey; repeated for several), ``POS=CIRCLE ra dec r`` or
``CIRCLE`` (repeated for several positions), ``BAND``, ``RESPONSEFORMAT`` and the product's own
aliases (``size``, ``mode``, ...).  Every survey × position is one cutout of one batch, the same
job ``POST cutouts/jobs`` makes; ``PHASE=RUN`` queues it at once, otherwise it waits PENDING.
RANGE and POLYGON cut one area each and are answered by the real-time endpoint (``sync``).

The job document carries the phase, the quote (UWS: when the job should be done), the
destruction time, the parameters as given, the results (every file, both manifests and the zip)
and the error summary.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..errors import BadParameter
from . import params

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: UWS control parameters (not cutout parameters).
CONTROL = {"phase", "runid", "executionduration", "destruction", "request"}
#: Parameters that may repeat: each value is another cutout.
REPEATABLE = {"survey", "pos", "circle"}
#: Longest blocking ``WAIT`` (seconds); ``WAIT=-1`` means this long.
MAX_WAIT_S = 60.0


def batch_body(arguments: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]:
    """``POST cutouts/jobs``'s body from SODA arguments, the UWS control values, and the
    parameters as given (for the job document)."""
    given: list[tuple[str, str]] = [(name, value) for name, values in arguments.items() for value in values]
    control: dict[str, str] = {}
    defaults: dict[str, str] = {}
    surveys: list[str] = []
    shapes: list[tuple[float, float, float]] = []
    for raw_name, values in arguments.items():
        name = raw_name.lower()
        if name in CONTROL:
            if len(values) != 1:
                raise BadParameter(f"'{raw_name}' is given {len(values)} times.", hint="Give it once.")
            control[name] = values[0].strip()
            continue
        canonical = params.ALIASES.get(name)
        if canonical is None or name in params.IGNORED:
            if name in params.IGNORED:
                continue
            raise BadParameter(f"Unknown parameter '{raw_name}'.",
                               hint="GET remotem/api/cutouts/parameters lists the parameters and their aliases.")
        if canonical not in REPEATABLE and len(values) != 1:
            raise BadParameter(f"'{raw_name}' is given {len(values)} times; only ID, POS and CIRCLE repeat.",
                               hint="Give each other parameter once.")
        if canonical == "survey":
            surveys += [v.strip() for v in values if v.strip()]
        elif canonical in ("pos", "circle"):
            shapes += [_circle(canonical, v) for v in values]
        elif canonical == "polygon":
            raise BadParameter("POLYGON cuts one area: ask the real-time endpoint (cutouts/sync) for it.",
                               hint="Batches take POS=CIRCLE ra dec r (repeated), or ra, dec and size.")
        else:
            defaults[canonical] = values[0]
    if not surveys:
        raise BadParameter("Name the survey: ID (repeat it for several).", hint="For example ID=demo_mosaic.")
    if shapes and ({"ra", "dec", "size", "width", "height"} & set(defaults)):
        raise BadParameter("Give positions one way: POS/CIRCLE, or ra, dec and size.",
                           hint="For several positions repeat POS=CIRCLE ra dec r.")
    positions: list[dict[str, Any]] = []
    if shapes:
        for survey in surveys:
            for ra, dec, radius in shapes:
                positions.append({"id": f"{len(positions) + 1:05d}", "ra": repr(ra), "dec": repr(dec),
                                  "size": f"{2 * radius!r}deg", "survey": survey})
    else:
        missing = [n for n in ("ra", "dec") if n not in defaults]
        if missing:
            raise BadParameter(f"Give the position: POS=CIRCLE ra dec r, or ra and dec ({', '.join(missing)} "
                               "missing).", hint="For example POS=CIRCLE 150.0 2.0 0.005.")
        ra, dec = defaults.pop("ra"), defaults.pop("dec")
        for survey in surveys:
            positions.append({"id": f"{len(positions) + 1:05d}", "ra": ra, "dec": dec, "survey": survey})
    return {"defaults": defaults, "positions": positions}, control, given


def _circle(name: str, text: str) -> tuple[float, float, float]:
    words = text.replace(",", " ").split()
    if name == "pos":
        if not words or words[0].upper() != "CIRCLE":
            raise BadParameter(f"POS={text!r}: a batch takes POS=CIRCLE ra dec r; RANGE and POLYGON cut one area "
                               "each and are served by cutouts/sync.", hint="For example POS=CIRCLE 150.0 2.0 0.005.")
        words = words[1:]
    try:
        ra, dec, radius = (float(w) for w in words)
    except ValueError:
        raise BadParameter(f"{name.upper()}={text!r} is not 'ra dec radius' in degrees.",
                           hint="For example POS=CIRCLE 150.0 2.0 0.005.") from None
    if not all(math.isfinite(v) for v in (ra, dec, radius)) or not -90 <= dec <= 90 or radius <= 0:
        raise BadParameter(f"{name.upper()}={text!r}: dec within -90..90 and a radius above 0 degrees.",
                           hint="For example POS=CIRCLE 150.0 2.0 0.005.")
    return ra % 360.0, dec, radius


def execution_duration(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(f"EXECUTIONDURATION={text!r} is not a number of seconds.", hint="For example 600.") from None
    if not math.isfinite(value) or value < 0:
        raise BadParameter("EXECUTIONDURATION is a number of seconds, 0 for no limit.", hint="For example 600.")
    return value or None


def wait_seconds(text: str | None) -> float | None:
    """``WAIT=`` as seconds to block, bounded by :data:`MAX_WAIT_S`; None for no wait."""
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(f"WAIT={text!r} is not a number of seconds.", hint="For example WAIT=30.") from None
    if value < 0:
        return MAX_WAIT_S
    return min(value, MAX_WAIT_S) if math.isfinite(value) else MAX_WAIT_S


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _element(name: str, value: str | None) -> str:
    if value is None:
        return f'<uws:{name} xsi:nil="true"/>'
    return f"<uws:{name}>{escape(value)}</uws:{name}>"


def quote_time(job: Any) -> str | None:
    """UWS's quote: when the job is expected to end (from its start, else its creation)."""
    seconds = (job.quote or {}).get("seconds")
    if seconds is None:
        return None
    return _time((job.started or job.created) + timedelta(seconds=float(seconds)))


def results(job: Any, base: str, rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(id, href, mime type) of every result: each file, both manifests, the zip."""
    if job.phase != "COMPLETED":
        return []
    files = f"{base}jobs/{job.id}/files/"
    found = [(str(r["id"]), files + str(r["file"]), _mime(str(r["file"]))) for r in rows
             if r.get("status") == "ok" and r.get("file")]
    found += [("manifest", f"{base}jobs/{job.id}/manifest?format=json", "application/json"),
              ("manifest-csv", f"{base}jobs/{job.id}/manifest?format=csv", "text/csv"),
              ("zip", f"{base}jobs/{job.id}/zip", "application/zip")]
    return found


def _mime(name: str) -> str:
    return {"fits": "application/fits", "png": "image/png", "jpg": "image/jpeg"}.get(name.rsplit(".", 1)[-1],
                                                                                     "application/octet-stream")


def results_xml(found: list[tuple[str, str, str]]) -> str:
    items = "".join(f'<uws:result id={quoteattr(rid)} xlink:type="simple" xlink:href={quoteattr(href)} '
                    f'mime-type={quoteattr(mime)}/>' for rid, href, mime in found)
    return f"<uws:results>{items}</uws:results>"


def job_xml(job: Any, base: str, rows: list[dict[str, Any]]) -> str:
    """The UWS 1.1 job document."""
    request = job.request or {}
    parameters = "".join(f"<uws:parameter id={quoteattr(name)}>{escape(value)}</uws:parameter>"
                         for name, value in request.get("parameters") or _parameters_of(request))
    parts = [_element("jobId", job.id)]
    if request.get("runid"):
        parts.append(_element("runId", str(request["runid"])))
    parts += [_element("ownerId", job.owner or None), _element("phase", job.phase), _element("quote", quote_time(job)),
              _element("creationTime", _time(job.created)), _element("startTime", _time(job.started)),
              _element("endTime", _time(job.ended)),
              _element("executionDuration", str(int(job.execution_duration or 0))),
              _element("destruction", _time(job.destruction)),
              f"<uws:parameters>{parameters}</uws:parameters>", results_xml(results(job, base, rows))]
    if job.error:
        kind = "transient" if job.error.get("kind") == "transient" else "fatal"
        parts.append(f'<uws:errorSummary type="{kind}" hasDetail="false"><uws:message>'
                     f'{escape(str(job.error.get("message") or ""))}</uws:message></uws:errorSummary>')
    progress = job.progress or {}
    parts.append(f'<uws:jobInfo><progress done="{int(progress.get("done") or 0)}" '
                 f'total="{int(progress.get("total") or request.get("count") or 0)}"/></uws:jobInfo>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<uws:job xmlns:uws="{UWS_NS}" xmlns:xlink="{XLINK_NS}" '
            f'xmlns:xsi="{XSI_NS}" version="1.1">' + "".join(parts) + "</uws:job>")


def _parameters_of(request: dict[str, Any]) -> list[tuple[str, str]]:
    """A batch submitted over REST, shown as parameters: its defaults and its number of positions."""
    pairs = sorted((request.get("defaults") or {}).items())
    return pairs + [("positions", str(len(request.get("positions") or [])))]


def jobs_xml(jobs: list[Any], base: str) -> str:
    """The UWS job list."""
    items = "".join(f'<uws:jobref id={quoteattr(job.id)} xlink:href={quoteattr(base + "async/" + job.id)}>'
                    f"<uws:phase>{job.phase}</uws:phase>{_element('creationTime', _time(job.created))}</uws:jobref>"
                    for job in jobs)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<uws:jobs xmlns:uws="{UWS_NS}" xmlns:xlink="{XLINK_NS}" '
            f'xmlns:xsi="{XSI_NS}" version="1.1">{items}</uws:jobs>')
