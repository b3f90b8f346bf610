"""When to warn: transfers that will be large or slow, and data small enough to work on locally.

The advice rests on what was measured on this connection (round-trip latency, bytes/s of data
answers) and, before any data has moved, on the repository's speed that the server probed.
Each warning is a :class:`RemotemWarning`, so a script can silence or escalate them with the
``warnings`` module.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from ..sizes import format_bytes
from .connection import LinkMeasurements
from .errors import RemotemWarning


@dataclass
class Thresholds:
    """Limits the advice uses; change them on ``client.thresholds``."""

    #: Warn before a transfer of more bytes than this.
    large_transfer_bytes: int = 1 << 30
    #: ... or one expected to take longer than this many seconds.
    slow_transfer_s: float = 30.0
    #: Datasets up to this size may be worth working on locally.
    local_bytes: int = 2 << 30
    #: Remote reductions of one dataset counted before suggesting a local copy.
    round_trips_before_advice: int = 3
    #: Largest array ``to_local`` downloads directly instead of copying the file with a job.
    direct_download_bytes: int = 256 << 20
    #: Largest single ``GET data`` answer asked for when slicing.
    piece_bytes: int = 16 << 20


def warn_if_large(nbytes: int, what: str, link: LinkMeasurements, thresholds: Thresholds,
                  repository_bytes_s: float | None) -> None:
    """Warn before moving ``nbytes`` when that is large or expected to be slow."""
    seconds = link.transfer_seconds(nbytes, repository_bytes_s)
    if nbytes > thresholds.large_transfer_bytes or (seconds is not None and seconds > thresholds.slow_transfer_s):
        eta = f", about {seconds:.0f} s at the measured speed" if seconds is not None else ""
        warnings.warn(
            f"{what} moves {format_bytes(nbytes)} to this kernel{eta}. Reduce it remotely first (virtual_detector, com, "
            "frame_stats, a crop or bin) or select less.",
            RemotemWarning, stacklevel=4,
        )


@dataclass
class LocalAdvisor:
    """Counts the time a dataset's remote reductions spend on round trips, and says (once) when
    downloading it would have cost less than that."""

    round_trip_s: list[float] = field(default_factory=list)
    advised: bool = False

    def record(self, seconds: float, nbytes: int, link: LinkMeasurements, thresholds: Thresholds,
               repository_bytes_s: float | None) -> None:
        self.round_trip_s.append(seconds)
        if self.advised or nbytes > thresholds.local_bytes or len(self.round_trip_s) < thresholds.round_trips_before_advice:
            return
        download = link.transfer_seconds(nbytes, repository_bytes_s)
        spent = sum(self.round_trip_s)
        if download is not None and download < spent:
            self.advised = True
            warnings.warn(
                f"This dataset is {format_bytes(nbytes)}: downloading it once takes about {download:.2f} s at the measured "
                f"speed, while its last {len(self.round_trip_s)} remote reductions spent {spent:.2f} s in round trips. "
                "Working locally would be faster: local = ds.to_local() runs the same methods in this kernel.",
                RemotemWarning, stacklevel=4,
            )
