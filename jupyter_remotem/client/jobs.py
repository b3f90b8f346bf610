"""A durable job seen from the notebook: follow it, steer it, open what it wrote.

The job runs in the server's worker and survives the kernel; a :class:`Job` is only a handle
(``client.job(id)`` makes one again later).  ``wait()`` shows a tqdm progress bar — in a
notebook ``tqdm.auto`` draws it as an ipywidget — fed from the job's reported progress.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import RemotemError, Unsupported

if TYPE_CHECKING:
    from .server import Client

#: Phases after which a job never changes again (IVOA UWS).
FINAL_PHASES = frozenset({"COMPLETED", "ERROR", "ABORTED", "ARCHIVED"})


class JobFailed(RemotemError):
    """The job ended in ERROR or ABORTED; ``job`` is the handle, ``kind`` transient or fatal."""

    def __init__(self, job: Job) -> None:
        error = job.info.get("error") or {}
        phase = job.status
        message = error.get("message") or ("The job was cancelled." if phase == "ABORTED" else f"The job ended in {phase}.")
        hint = ("A transient failure: submitting the job again may succeed." if error.get("kind") == "transient"
                else "See job.info['error']; fix the request and submit it again." if phase == "ERROR" else "")
        super().__init__(f"Job {job.id} {phase.lower()}: {message}", hint, code=error.get("code") or phase.lower())
        self.job = job


class Job:
    """Handle on one job of this user (see the module docstring)."""

    def __init__(self, client: Client, info: dict[str, Any]) -> None:
        self.client = client
        self.info = info

    # -- state -------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return str(self.info["id"])

    @property
    def status(self) -> str:
        """The UWS phase: PENDING QUEUED EXECUTING COMPLETED ERROR ABORTED HELD SUSPENDED ARCHIVED."""
        return str(self.info["phase"])

    @property
    def kind(self) -> str:
        """reduction, transformation or copy."""
        return str(self.info.get("kind", ""))

    @property
    def progress(self) -> float | None:
        """Fraction done (0..1) as last reported, None before the worker has counted the work."""
        progress = self.info.get("progress") or {}
        total = progress.get("total")
        if not total:
            return 1.0 if self.status == "COMPLETED" else None
        return min(1.0, float(progress.get("done") or 0) / float(total))

    @property
    def quote(self) -> dict[str, Any] | None:
        """The estimate made at submission: seconds, bytes read and written (and ``cost`` when the
        server sets prices)."""
        return self.info.get("quote")

    @property
    def cost(self) -> dict[str, Any] | None:
        """The quoted cost, ``{"amount", "currency", "parts"}``; None when the server sets no prices."""
        return (self.info.get("quote") or {}).get("cost")

    @property
    def results(self) -> list[dict[str, Any]]:
        """Files written: ``[{repository, path, size, format}]``."""
        return list(self.info.get("results") or [])

    @property
    def done(self) -> bool:
        return self.status in FINAL_PHASES

    @property
    def cluster(self) -> str | None:
        """Where the job runs: the id of your cluster (``c.clusters``) for a reduction sent to one, a
        pipeline's choice (``inline``, ``local``, ``server``), else None (the job worker decides)."""
        return self.info.get("cluster")

    @property
    def history(self) -> list[dict[str, Any]]:
        """Each phase the job entered, oldest first: ``[{phase, at, message}]`` (fetched when
        missing: a listed job carries none)."""
        return list(self._details()["history"])

    @property
    def log(self) -> list[dict[str, Any]]:
        """What the worker logged while running the job: ``[{at, level, message}]``."""
        return list(self._details()["log"])

    def _details(self) -> dict[str, Any]:
        if "history" not in self.info or not self.done:
            self.refresh()
        return self.info

    def __repr__(self) -> str:
        progress = self.progress
        shown = f" {progress:.0%}" if progress is not None and not self.done else ""
        operation = (self.info.get("request") or {}).get("operation", self.kind)
        return f"<Job {self.id} {operation} {self.status}{shown}>"

    # -- control -----------------------------------------------------------------------------
    def refresh(self) -> Job:
        self.info = self.client.connection.get_json("jobs", self.id)
        return self

    def _act(self, action: str, **params: object) -> Job:
        self.info = self.client.connection.post_json("jobs", self.id, action, **params)
        return self

    def cancel(self, keep_files: bool = False) -> Job:
        """Stop the job and remove what it wrote; ``keep_files=True`` keeps the files it
        finished (listed with the job and counted against the storage quota until deleted)."""
        return self._act("cancel", keep_files=1 if keep_files else None)

    def pause(self) -> Job:
        return self._act("pause")

    def resume(self) -> Job:
        return self._act("resume")

    def delete(self, keep_files: bool = False) -> None:
        """Remove the finished job and the files it wrote (``keep_files=True``: keep them)."""
        self.client.connection.request("DELETE", "jobs", self.id, params={"keep_files": "1"} if keep_files else None)

    def wait(self, timeout: float | None = None, progress: bool = True, check: bool = True,
             interval: float = 0.25) -> Job:
        """Block until the job ends (or ``timeout`` seconds pass: ``TimeoutError``).

        Shows a progress bar unless ``progress=False``; with ``check`` a job that ended in
        ERROR or ABORTED raises :class:`JobFailed`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = _progress_bar(self) if progress else None
        try:
            while not self.refresh().done:
                if bar is not None:
                    _update_bar(bar, self)
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"Job {self.id} is still {self.status} after {timeout} s.")
                time.sleep(interval)  # the job API is polled; interval bounds the load on the server
                interval = min(interval * 1.5, 2.0)
            if bar is not None:
                _update_bar(bar, self)
        finally:
            if bar is not None:
                bar.close()
        if check and self.status in ("ERROR", "ABORTED"):
            raise JobFailed(self)
        return self

    # -- results -----------------------------------------------------------------------------
    def open(self, index: int = 0) -> Any:
        """The job's ``index``-th result file as a :class:`~.dataset.RemoteDataset`."""
        self._require_completed()
        result = self._data_results()[index]
        return self.client.open(result["repository"], result["path"])

    def result(self) -> Any:
        """What the job made, ready to use.

        A reduction's result is small, so it is downloaded: one array (npy, tiff, png, hspy)
        or a dict of the file's arrays (hdf5).  A transformation's or copy's result stays
        remote: a :class:`~.dataset.RemoteDataset`.
        """
        self._require_completed()
        if self.kind != "reduction":
            return self.open()
        from .results import download_result

        return download_result(self.client, self._data_results()[0])

    def _data_results(self) -> list[dict[str, Any]]:
        """The result files that hold data: an NPY result's JSON sidecar is listed too."""
        files = [r for r in self.results if r.get("format") != "json"]
        if not files:
            raise Unsupported(f"Job {self.id} wrote no data files.", code="no_results")
        return files

    def _require_completed(self) -> None:
        if not self.done:
            self.refresh()
        if self.status in ("ERROR", "ABORTED"):
            raise JobFailed(self)
        if self.status != "COMPLETED":
            raise RemotemError(f"Job {self.id} is {self.status}; its results are not there yet.",
                               "Call job.wait() first.", code="not_finished")


def clear_finished(client: Client, *kinds: str) -> list[str]:
    """Clear finished jobs (optionally only of ``kinds``) from the list; their files stay.
    Answers the ids cleared (``client.job(id)`` still opens each)."""
    params = {"kind": list(kinds)} if kinds else None
    return list(client.connection.request("POST", "jobs", "clear", params=params).json()["cleared"])


def _progress_bar(job: Job) -> Any:
    from tqdm.auto import tqdm

    operation = (job.info.get("request") or {}).get("operation", job.kind)
    return tqdm(total=1, desc=f"{operation} {job.id[:8]}", unit="part", leave=True)


def _update_bar(bar: Any, job: Job) -> None:
    progress = job.info.get("progress") or {}
    total, done = progress.get("total"), progress.get("done")
    if total:
        bar.total = int(total)
        bar.n = int(done or 0)
    postfix = {"phase": job.status}
    if progress.get("throughput_bytes_s"):
        postfix["MB/s"] = f"{float(progress['throughput_bytes_s']) / 1e6:.0f}"
    if progress.get("eta_s") is not None:
        postfix["eta"] = f"{float(progress['eta_s']):.0f} s"
    bar.set_postfix(postfix, refresh=False)
    bar.refresh()
