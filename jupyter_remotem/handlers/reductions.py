"""``POST reductions``: interactive, synchronous, time-bounded reductions."""

from __future__ import annotations

import threading
from typing import Any

from tornado import web

from .. import encoding, metrics
from ..compute.reductions import ReductionRequest, ReductionResult, ReductionStats, run_reduction
from ..errors import BadParameter
from ..jobs.result_axes import is_colour
from .base import RemotemHandler


class ReductionsHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)
    required_scopes = {"POST": "read"}

    @web.authenticated
    async def post(self) -> None:
        fmt = encoding.check_format(self.get_query_argument("format", "json"))
        request = ReductionRequest.from_json(self.json_body())
        repo = self.repository(request.repository)
        # The interactive limit is judged at the speed this operation reached here (storage/measured.py).
        throughput = self.services.speeds.operation(request.operation, repo).bytes_s
        # A viewer drops a request when a newer drag supersedes it; the work stops with it.
        self.cancel = threading.Event()
        result, stats = await self.run_blocking(self._timed_reduction, repo, request, throughput)
        metrics.reduction_answered(request.operation, repo.name, stats.bytes_read)
        field = self.get_query_argument("field", result.primary)
        if field not in result.arrays:
            raise BadParameter(f"This result has no field '{field}'.", hint=f"Fields: {', '.join(result.arrays)}.")
        self.set_header("X-Remotem-Elapsed", f"{stats.elapsed_s:.4f}")
        self.set_header("X-Remotem-Step", str(stats.step))
        self.set_header("X-Remotem-Shape", ",".join(map(str, result.arrays[field].shape)))
        if fmt == "npz":
            self.set_header("X-Remotem-Primary", result.primary)
            self.finish(encoding.arrays_to_npz(result.arrays), set_content_type="application/octet-stream")
        elif fmt == "npy":
            self.finish(encoding.array_to_npy(result.arrays[field]), set_content_type="application/octet-stream")
        elif fmt == "png":
            png = encoding.array_to_png(
                result.arrays[field],
                cmap=self.get_query_argument("cmap", "gray"),
                scale=self.get_query_argument("scale", "linear"),
                index=self.query_int("index", 0) or 0,
                colour=is_colour(request.operation, field) and not result.attributes.get("fft"),
            )
            self.finish(png, set_content_type="image/png")
        else:
            self.write_json(
                {
                    "operation": request.operation,
                    "primary": result.primary,
                    "arrays": {name: encoding.array_to_json(array) for name, array in result.arrays.items()},
                    "attributes": result.attributes,
                    "stats": stats.to_json(),
                }
            )

    def _timed_reduction(self, repo: Any, request: ReductionRequest,
                         throughput: float | None) -> tuple[ReductionResult, ReductionStats]:
        """Run the reduction; an exact pass's time goes to the measured speeds."""
        result, stats = run_reduction(repo, request, throughput, self.services.interactive_limit_s, self.cancel,
                                      self.services.coarse_frames, self.services.datasets)
        if stats.step == 1 and request.operation != "pick":
            self.services.speeds.record_pass(request.operation, repo, stats.bytes_read, stats.elapsed_s)
        return result, stats

    def on_connection_close(self) -> None:
        super().on_connection_close()  # a body still arriving ends too
        cancel = getattr(self, "cancel", None)
        if cancel is not None and not cancel.is_set() and not self._finished:
            self.log.info("Reduction stopped: its client closed the connection (a newer request superseded it).")
            cancel.set()
