"""Pipelines as durable jobs: submitted from a notebook, run by the job worker, resumed from their
checkpoints.

    from jupyter_remotem.pipeline import submit
    job = submit(handles, store="results", path="cells")     # a repository of this product, by name
    job.wait()

The notebook packs the graph (:mod:`.payload`) and its run record (:mod:`.provenance`: the git
commit of the code, versions) and sends both to ``POST remotem/api/pipelines``. The server plans
the run against the store (reading manifests only) to quote it, counting the expected outputs
against the quota (targets to make × their estimated size), and queues a job of kind
``"pipeline"``. The job worker plans again and runs what is not up to date, inline or on a Dask
cluster; after a kill -9 the requeued job plans once more and every target committed before the
kill is skipped by its key: the targets *are* the checkpoints.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..errors import BadParameter
from .planning import IN_MEMORY, RUN, UP_TO_DATE, Plan
from .store import Store

log = logging.getLogger(__name__)

#: Where a durable run computes: in the job worker ("inline"), on a LocalCluster it starts
#: ("local"), or on the server's cluster ("server": the worker's own, or its scheduler address).
CLUSTERS = ("inline", "local", "server")
#: Bytes assumed per target never made before (no manifest of its step to measure), unless the
#: submission says otherwise (``estimate_bytes``).
DEFAULT_TARGET_BYTES = 1024**2
#: Seconds assumed per item to run, for the compute quota, unless earlier targets of the step tell.
DEFAULT_ITEM_SECONDS = 0.05
#: Fsspec protocols that name the server's own disk: outside every repository, so never a store.
LOCAL_PROTOCOLS = ("file", "local", "")


# -- the notebook side ---------------------------------------------------------------------------
def store_spec(store: Any, path: str = "") -> dict[str, Any]:
    """How a submission names its store: ``{"repository", "path"}`` or ``{"url"}``."""
    if hasattr(store, "name") and hasattr(store, "full_path"):  # a Repository object: by its name only
        store = store.name
    if not isinstance(store, str) or not store:
        raise BadParameter("A durable run's store is a repository's name or an fsspec URL.",
                           hint="For example store='results' (a writable repository) or store='s3://bucket/run'.")
    if "://" in store:
        if path:
            raise BadParameter("'path' goes with a repository; put the folder into the URL.")
        return {"url": store}
    return {"repository": store, "path": path}


def submit(handles: Any, store: Any, *, path: str = "", cluster: str | None = None, client: Any = None,
           name: str | None = None, estimate_bytes: int | None = None, priority: int = 0) -> Any:
    """Run ``handles`` as a durable job of the server; answers the client's :class:`Job`.

    ``store``: a repository of the server by name (with ``path``, a folder of it) or an fsspec URL
    the server's workers reach with their own credentials (``storage_options`` never travel).
    ``cluster``: None or "inline", "local" (a LocalCluster on the server) or "server".
    ``estimate_bytes``: the expected size of a target never made before, for the quota check.
    """
    body = submission(handles, store, path=path, cluster=cluster, name=name, estimate_bytes=estimate_bytes,
                      priority=priority)
    if client is None:
        from ..client import connect

        client = connect()
    from ..client.jobs import Job

    return Job(client, client.connection.post_json("pipelines", body=body))


def submission(handles: Any, store: Any, *, path: str = "", cluster: str | None = None, name: str | None = None,
               estimate_bytes: int | None = None, priority: int = 0) -> dict[str, Any]:
    """The ``POST pipelines`` body for ``handles`` (see :func:`submit`)."""
    from .payload import pack
    from .provenance import run_record

    spec = store_spec(store, path)
    params, everything = pack(handles, name)
    described = spec.get("url") or f"repository:{spec['repository']}" + (f"/{path}" if path else "")
    body: dict[str, Any] = {"pipeline": params, "store": spec, "cluster": cluster or "inline",
                            "record": run_record(everything, described), "priority": priority}
    if estimate_bytes is not None:
        body["estimate_bytes"] = int(estimate_bytes)
    return body


# -- the server side -----------------------------------------------------------------------------
@dataclass
class PipelineRequest:
    """A checked ``POST pipelines`` body (the pickled pipeline itself is loaded apart)."""

    params: dict[str, Any]
    store: dict[str, Any]
    cluster: str
    record: dict[str, Any]
    priority: int
    estimate_bytes: int | None

    @classmethod
    def from_json(cls, body: Any) -> PipelineRequest:
        if not isinstance(body, dict):
            raise BadParameter("The body must be a JSON object.",
                               hint="Submit with jupyter_remotem.pipeline.submit(handles, store=...).")
        unknown = sorted(set(body) - {"pipeline", "store", "cluster", "record", "priority", "estimate_bytes"})
        if unknown:
            raise BadParameter(f"Unknown field {unknown[0]!r} in a pipeline submission.",
                               hint="Fields: pipeline, store, cluster, record, priority, estimate_bytes.")
        store = body.get("store")
        if not isinstance(store, dict) or not (isinstance(store.get("repository"), str)
                                               or isinstance(store.get("url"), str)):
            raise BadParameter("'store' must be {\"repository\": name, \"path\": folder} or {\"url\": fsspec URL}.",
                               hint="Name a writable repository of this server, e.g. {\"repository\": \"results\"}.")
        if set(store) - {"repository", "path", "url"} or ("url" in store and "repository" in store):
            raise BadParameter("'store' names a repository (with a path) or a URL, nothing else.",
                               hint="Credentials come from the server's repository configuration, never the request.")
        if "repository" in store and not isinstance(store.get("path", ""), str):
            raise BadParameter("'store.path' must be a folder of the repository (a string).")
        cluster = body.get("cluster", "inline") or "inline"
        if cluster not in CLUSTERS:
            raise BadParameter(f"'cluster' must be one of {', '.join(CLUSTERS)}, not {cluster!r}.",
                               hint="inline: in the job worker; local: a LocalCluster it starts; server: the "
                                    "server's cluster.")
        record = body.get("record") or {}
        if not isinstance(record, dict):
            raise BadParameter("'record' must be the run record object the client made.")
        priority = body.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int) or not -10 <= priority <= 10:
            raise BadParameter("'priority' must be an integer from -10 to 10.")
        estimate = body.get("estimate_bytes")
        if estimate is not None and (isinstance(estimate, bool) or not isinstance(estimate, int) or estimate < 0):
            raise BadParameter("'estimate_bytes' must be a non-negative integer (bytes per new target).")
        return cls(_plain_params(body.get("pipeline")),
                   dict(store, path=store.get("path", "")) if "repository" in store else dict(store),
                   cluster, _plain_record(record), priority, estimate)

    def to_json(self) -> dict[str, Any]:
        """The job's stored request: the payload as ``params.function`` (shown as its digest only)."""
        return {"operation": "pipeline", "params": self.params, "store": self.store, "cluster": self.cluster,
                "record": self.record, "estimate_bytes": self.estimate_bytes}


def _plain_params(params: Any) -> Any:
    """The pipeline's fields that are kept with the job: the payload, its environment, a short name
    and the step names (anything else a client sends is dropped; the payload is checked apart)."""
    if not isinstance(params, dict):
        return params
    kept = {key: params[key] for key in ("function", "environment") if key in params}
    if isinstance(params.get("name"), str):
        kept["name"] = params["name"][:200]
    steps = params.get("steps")
    if isinstance(steps, list):
        kept["steps"] = [str(name)[:200] for name in steps[:100]]
    return kept


def _plain_record(record: dict[str, Any]) -> dict[str, Any]:
    """The client's record, kept to its known fields (it is shown to the owner with the job)."""
    from .provenance import RECORD_KEYS

    return {key: record[key] for key in RECORD_KEYS if key in record}


def covering_repository(url: str, repositories: list[Any]) -> tuple[Any, str] | None:
    """The repository whose remote URL holds ``url`` (the deepest, if several), with the folder of it
    that ``url`` names; None when no repository holds it. A bare ``s3://bucket/run`` inside a
    configured repository is written with that repository's credentials, under its checks (who may
    see it, whether it is writable), never with whatever the server's environment holds."""
    import fsspec

    protocol, path = fsspec.core.split_protocol(url)
    if not protocol or protocol in LOCAL_PROTOCOLS:
        return None
    path = path.strip("/")
    found: tuple[Any, str] | None = None
    depth = -1
    for repository in repositories:
        theirs, root = fsspec.core.split_protocol(repository.config.url)
        root = (root or "").strip("/")
        if theirs != protocol or not root or not (path == root or path.startswith(root + "/")):
            continue
        if len(root) > depth:
            from ..storage import paths

            found, depth = (repository, paths.normalise(path[len(root):].strip("/"))), len(root)
    return found


def open_store(spec: dict[str, Any], repository: Any = None) -> Store:
    """The store a job names: ``repository`` (already resolved and checked by the caller) or a URL
    that is not the server's own disk."""
    if "repository" in spec:
        if repository is None:
            raise BadParameter("A repository store needs its repository.")
        return Store.for_repository(repository, spec.get("path") or "")
    import fsspec

    url = spec["url"]
    protocol = fsspec.core.split_protocol(url)[0] or ""
    if protocol in LOCAL_PROTOCOLS or url.startswith("/"):
        raise BadParameter(f"The store {url!r} is a folder of the server's disk, outside every repository.",
                           hint="Use a writable repository of this server as the store (store='results').")
    return Store.from_spec(url)


def quote_for(plan: Plan, estimate_bytes: int | None) -> dict[str, Any]:
    """Expected outputs of a plan: per step the targets to make and their estimated size (the mean
    of the step's committed targets when there are some, else ``estimate_bytes``), in total."""
    per_step: dict[str, dict[str, Any]] = {}
    for node in plan.nodes:
        if node.target is None:
            continue
        entry = per_step.setdefault(node.step, {"targets": 0, "to_run": 0, "sizes": [], "seconds": []})
        entry["targets"] += 1
        if node.status == RUN:
            entry["to_run"] += 1
        manifest = node.manifest or {}
        size = (manifest.get("data") or {}).get("size")
        if isinstance(size, int) and (manifest.get("data") or {}).get("type") == "file":
            entry["sizes"].append(size)
        if isinstance(manifest.get("started"), (int, float)) and isinstance(manifest.get("finished"), (int, float)):
            entry["seconds"].append(max(manifest["finished"] - manifest["started"], 0.0))
    steps, total_bytes, total_s = {}, 0, 0.0
    for name, entry in per_step.items():
        each = (sum(entry["sizes"]) / len(entry["sizes"]) if entry["sizes"]
                else (DEFAULT_TARGET_BYTES if estimate_bytes is None else estimate_bytes))
        seconds = sum(entry["seconds"]) / len(entry["seconds"]) if entry["seconds"] else DEFAULT_ITEM_SECONDS
        steps[name] = {"targets": entry["targets"], "to_run": entry["to_run"], "bytes_each": int(each),
                       "measured": bool(entry["sizes"])}
        total_bytes += int(each * entry["to_run"])
        total_s += seconds * entry["to_run"]
    return {"bytes_written": total_bytes, "seconds": round(total_s, 3), "targets": sum(
        e["to_run"] for e in steps.values()), "steps": steps}


def _memory_upstream(node: Any, by_id: dict[int, Any]) -> list[int]:
    """The in-memory nodes a target's node consumes, directly or through other in-memory nodes."""
    found: list[int] = []
    stack = list(node.handle.upstream())
    seen: set[int] = set()
    while stack:
        handle = stack.pop()
        if handle._id in seen:
            continue
        seen.add(handle._id)
        upstream = by_id.get(handle._id)
        if upstream is not None and upstream.status == IN_MEMORY:
            found.append(handle._id)
            stack.extend(handle.upstream())
    return found


# -- progress ------------------------------------------------------------------------------------
class StepCounts:
    """Per step: done / skipped / failed / pending, updated as outcomes arrive (from any thread).

    Outcomes come for targets; a step without a target (kept in memory, for the steps that consume
    it) counts as done once a target made from it is, and as failed when that target failed."""

    def __init__(self, plan: Plan, needed: list[Any]) -> None:
        self._lock = threading.Lock()
        self.totals: dict[str, int] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.kinds: dict[str, str] = {}
        needed_ids = {n.handle._id for n in needed}
        by_id = {n.handle._id: n for n in plan.nodes}
        #: For each target, the in-memory nodes it was made from (that it alone does not make).
        self._memory_of: dict[str, list[int]] = {}
        self._memory_state: dict[int, str] = {}
        for node in plan.nodes:
            if node.status == UP_TO_DATE or node.handle._id in needed_ids:
                self.totals[node.step] = self.totals.get(node.step, 0) + 1
            self.counts.setdefault(node.step, {"done": 0, "skipped": 0, "failed": 0})
            self.kinds[node.step] = "in memory" if node.status == IN_MEMORY else "target"
            if node.target is not None:
                self._memory_of[node.target] = _memory_upstream(node, by_id)
        self._step_of = {n.handle._id: n.step for n in plan.nodes}
        self.started = time.monotonic()

    def add(self, outcome: Any) -> None:
        status = {"executed": "done", "in memory": "done", "skipped": "skipped", "failed": "failed"}[outcome.status]
        with self._lock:
            self.counts[outcome.step][status] += 1
            if outcome.target is None or status == "skipped":
                return
            for hid in self._memory_of.get(outcome.target, ()):
                before = self._memory_state.get(hid)
                if before == "done" or before == status:
                    continue
                counts = self.counts[self._step_of[hid]]
                if before is not None:
                    counts[before] -= 1
                counts[status] += 1
                self._memory_state[hid] = status

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            steps = []
            for name, per in self.counts.items():
                total = self.totals.get(name, 0)
                finished = per["done"] + per["skipped"] + per["failed"]
                steps.append({"step": name, "kind": self.kinds[name], "total": total, **per,
                              "pending": max(total - finished, 0)})
            return steps

    def finished(self) -> tuple[int, int]:
        steps = self.to_json()
        return (sum(s["done"] + s["skipped"] + s["failed"] for s in steps), sum(s["total"] for s in steps))
