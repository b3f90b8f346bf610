"""``JobProgress``: a job's phase, progress bar, ETA and throughput, with a cancel button.

The job runs in the server's worker, not in this kernel, so the widget only *watches* it: a
background thread asks for the job's state every ``interval`` seconds until it ends (the same
``GET jobs/{id}`` the client's ``job.refresh()`` makes), and the bar is redrawn from what the
worker last reported.  The kernel stays free meanwhile, so a notebook can go on working while a
long copy runs, and closing the notebook does not touch the job.  The text is made by the pure
:func:`progress_summary`, tested apart from the widget.
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets

from ._status import ERROR_COLOUR, message_of
from ._style import whole_description

#: Phases after which a job never changes again (IVOA UWS).
FINAL_PHASES = frozenset({"COMPLETED", "ERROR", "ABORTED", "ARCHIVED"})
#: Bar styles per phase.
BAR_STYLES = {"COMPLETED": "success", "ERROR": "danger", "ABORTED": "warning", "SUSPENDED": "info", "HELD": "info"}
#: Steps of the progress bar (a per-mille bar moves visibly even on very long jobs).
BAR_STEPS = 1000


def _quantity(value: float, unit: str) -> str:
    for prefix in ("", "k", "M", "G", "T"):
        if abs(value) < 1000 or prefix == "T":
            return f"{value:.3g} {prefix}{unit}"
        value /= 1000
    return f"{value:.3g} {unit}"  # pragma: no cover - the loop always returns


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_summary(info: dict[str, Any]) -> tuple[float | None, str]:
    """The fraction done (None when unknown) and a one-line text for a job's JSON ``info``:
    phase, percentage, ETA and throughput, or the error message when it failed."""
    phase = str(info.get("phase", "?"))
    progress = info.get("progress") or {}
    total, done = progress.get("total"), progress.get("done")
    if progress.get("fraction") is not None:
        fraction: float | None = float(progress["fraction"])
    elif total:
        fraction = float(done or 0) / float(total)
    else:
        fraction = 1.0 if phase == "COMPLETED" else None
    parts = [phase.lower()]
    if fraction is not None:
        parts.append(f"{fraction:.0%}")
    if phase == "EXECUTING" and progress.get("eta_s") is not None:
        parts.append(f"about {_duration(progress['eta_s'])} left")
    if progress.get("throughput_bytes_s"):
        parts.append(_quantity(float(progress["throughput_bytes_s"]), "B/s"))
    error = info.get("error") or {}
    if phase in ("ERROR", "ABORTED") and error.get("message"):
        parts.append(str(error["message"]))
    written = [f"{r.get('repository')}:{r.get('path')}" for r in info.get("results") or []]
    if phase == "COMPLETED" and written:
        parts.append("wrote " + ", ".join(written))
    return (None if fraction is None else min(max(fraction, 0.0), 1.0)), " · ".join(parts)


class JobProgress(ipywidgets.VBox):
    """Live progress of ``job`` (a client ``Job``: ``info``, ``refresh()``, ``cancel()``).

    ``interval`` is the polling period in seconds.  :meth:`wait` blocks until the job ended (or
    a timeout), for scripts and tests; :attr:`phase` is the last phase seen.
    """

    def __init__(self, job: Any, interval: float = 0.5) -> None:
        self.job = job
        self.interval = float(interval)
        request = job.info.get("request") or {}
        title = request.get("operation") or job.info.get("kind") or "job"
        self.bar = ipywidgets.IntProgress(min=0, max=BAR_STEPS, description=str(title), style=whole_description(),
                                          layout=ipywidgets.Layout(width="60%"))
        self.label = ipywidgets.HTML()
        self.cancel_button = ipywidgets.Button(description="Cancel", button_style="warning",
                                               tooltip="Ask the worker to stop this job")
        self.cancel_button.on_click(lambda _button: self.cancel())
        #: The last failure to reach the server while watching (the job itself goes on).
        self.error: BaseException | None = None
        self._ended = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        super().__init__(children=[ipywidgets.HBox([self.bar, self.cancel_button]), self.label])
        self._draw()
        self._thread = threading.Thread(target=self._watch, name=f"remotem-job-{job.id}", daemon=True)
        if not self._ended.is_set():
            self._thread.start()

    @property
    def phase(self) -> str:
        return str(self.job.info.get("phase", ""))

    def cancel(self) -> None:
        """Ask the server to cancel the job (the worker stops after its current partition)."""
        try:
            with self._lock:
                self.job.cancel()
        except Exception as error:  # noqa: BLE001 - shown in the widget, the job is unchanged
            self.error = error
        self._draw()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended; False if ``timeout`` seconds passed first."""
        return self._ended.wait(timeout)

    def close(self) -> None:
        stop = getattr(self, "_stop", None)  # absent when the constructor failed
        if stop is not None:
            stop.set()
        super().close()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self._lock:
                    self.job.refresh()
                self.error = None
            except Exception as error:  # noqa: BLE001 - a lost connection is shown, and watching goes on
                self.error = error
            self._draw()
            if self._ended.is_set():
                return

    def _draw(self) -> None:
        fraction, text = progress_summary(self.job.info)
        phase = self.phase
        with self.bar.hold_sync():
            if fraction is not None:
                self.bar.value = round(fraction * BAR_STEPS)
            self.bar.bar_style = BAR_STYLES.get(phase, "")
        shown = html.escape(text)
        if self.error is not None:
            shown += f" · <span style='color: {ERROR_COLOUR}'>{html.escape(message_of(self.error))}</span>"
        self.label.value = shown
        final = phase in FINAL_PHASES
        self.cancel_button.disabled = final
        if final:
            self._ended.set()
