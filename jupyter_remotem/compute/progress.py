"""Where a run stands, and the error that ends a cancelled one.

Kept apart from :mod:`.executor` (which pulls in the formats and the numba kernels) so that a job
worker can follow and stop jobs without paying for what only some of its jobs run.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RemotemError


class Cancelled(RemotemError):
    status, code = 409, "cancelled"
    default_hint = "The work was cancelled before it finished; nothing was written."


@dataclass
class Progress:
    """Where a run stands; passed to the progress callback after every partition."""

    frames_done: int
    frames_total: int
    bytes_read: int
    elapsed_s: float
    #: Frames whose partial results were given (resumed from checkpoints) rather than read now.
    frames_resumed: int = 0

    @property
    def fraction(self) -> float:
        return self.frames_done / self.frames_total if self.frames_total else 1.0

    @property
    def throughput_bytes_s(self) -> float:
        return self.bytes_read / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        processed = self.frames_done - self.frames_resumed
        if processed <= 0 or not self.frames_total:
            return None
        return self.elapsed_s * (self.frames_total - self.frames_done) / processed
