"""Execution times of cutouts, per survey, for the quotes of later batches and real-time requests.

Each finished batch records, per survey it used, the bytes it wrote and the seconds its cutouts
took, in the job store's throughput table (operation ``cutouts:<survey>``, the survey's
repository); a quote divides the bytes a new batch will write by the rate of the last runs.
Bytes, not counts, because a cutout's time grows with its pixels; small cutouts are dominated by
fixed costs, which the measured rate of small batches carries.  Before any run, a conservative
default per cutout stands in, and the quote says so (``basis``).

Real-time cutouts (``cutouts/sync``) are timed too, each answered request one record, under
``cutouts-sync:<survey>:<algorithm>:<bucket>`` where the bucket is the output's pixel count
rounded up to a power of four: a request is quoted at its pixels over the pixels per second of
the last :data:`RUNS` answers in its bucket (:func:`sync_quote`), and answered only when that
is within the real-time limit.  Records count pixels, not bytes, in the table's ``bytes``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

#: Seconds per cutout assumed before anything was measured (about 100 cutouts per second).
DEFAULT_SECONDS_PER_CUTOUT = 0.01
#: The last runs a rate is taken over.
RUNS = 20


def operation(survey: str) -> str:
    return f"cutouts:{survey}"


def record(store: Any, survey: str, repository: str, nbytes: int, seconds: float, quoted_s: float | None) -> None:
    """One batch's work on one survey."""
    if nbytes > 0 and seconds > 0:
        store.record_throughput(operation(survey), repository, nbytes, seconds, quoted_s)


def rate(store: Any, survey: str, repository: str) -> float | None:
    """Bytes per second the last batches on ``survey`` wrote, if any ran."""
    return store.throughput(operation(survey), repository, last=RUNS)


def quote(store: Any, surveys: dict[str, Any], bytes_by_survey: dict[str, int], counts: dict[str, int],
          queue_position: int) -> dict[str, Any]:
    """Seconds, bytes and the queue position of a batch, from the measured history."""
    seconds = 0.0
    basis = []
    per_survey = {}
    for name, nbytes in sorted(bytes_by_survey.items()):
        measured = rate(store, name, surveys[name].repository)
        if measured:
            spent = nbytes / measured
            basis.append("measured")
        else:
            spent = counts.get(name, 0) * DEFAULT_SECONDS_PER_CUTOUT
            basis.append("default")
        per_survey[name] = {"cutouts": counts.get(name, 0), "bytes": nbytes, "seconds": round(spent, 3),
                            "bytes_s": measured}
        seconds += spent
    return {"seconds": round(seconds, 3), "bytes_read": 0, "bytes_written": int(sum(bytes_by_survey.values())),
            "cutouts": int(sum(counts.values())), "queue_position": int(queue_position),
            "basis": "measured" if basis and all(b == "measured" for b in basis) else "default",
            "surveys": per_survey}


#: The throughput table's operation names are at most this long.
OPERATION_CHARS = 64


def sync_bucket(pixels: int) -> int:
    """The size bucket of a real-time cutout: its pixels rounded up to a power of four (so
    cutouts within a factor of two in side share their history)."""
    return 4 ** max(0, math.ceil(math.log(max(int(pixels), 1), 4) - 1e-9))


def sync_operation(survey: str, algorithm: str, pixels: int) -> str:
    """``cutouts-sync:<survey>:<algorithm>:<bucket>``; a survey name too long for the table
    becomes a digest of it."""
    name = f"cutouts-sync:{survey}:{algorithm}:{sync_bucket(pixels)}"
    if len(name) <= OPERATION_CHARS:
        return name
    digest = hashlib.sha256(survey.encode()).hexdigest()[:16]
    return f"cutouts-sync:{digest}:{algorithm}:{sync_bucket(pixels)}"


def sync_quote(store: Any, survey: str, repository: str, algorithm: str, pixels: int) -> dict[str, Any] | None:
    """Seconds a real-time cutout of ``pixels`` output pixels will take, from the last answers
    in its bucket; None before any was answered."""
    rate = store.throughput(sync_operation(survey, algorithm, pixels), repository, last=RUNS)
    if not rate:
        return None
    return {"seconds": round(pixels / rate, 4), "basis": "history", "pixels_s": round(rate, 1),
            "bucket": sync_bucket(pixels), "algorithm": algorithm}


def record_sync(store: Any, survey: str, repository: str, algorithm: str, pixels: int, seconds: float,
                quoted_s: float | None) -> None:
    """One answered real-time cutout: its output pixels and the seconds it took."""
    if pixels > 0 and seconds > 0:
        store.record_throughput(sync_operation(survey, algorithm, pixels), repository, int(pixels), seconds,
                                quoted_s)
