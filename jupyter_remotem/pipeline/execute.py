"""Running a plan: inline, on a LocalCluster, or on any Dask scheduler, chosen by one argument.

Only the nodes the plan says must run (and the in-memory steps they need) are submitted. Each runs on
a worker, its writer writes there, and only a small :class:`TargetRef` comes back; a downstream step
reads its input through the writer's reader, so a skipped and a freshly made input look the same.
Submission is bounded: at most ``window`` tasks are in flight, nodes are submitted depth first (item
by item) and a finished in-memory result is released as soon as its consumers have been submitted,
so 100,000 mapped items need memory for ``window`` of them, not all.
"""

from __future__ import annotations

import os
import platform
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import PipelineRunError, PreflightError
from .planning import IN_MEMORY, RUN, UP_TO_DATE, Node, Plan, make_plan, new_manifest
from .steps import Handle, Step, substitute
from .store import Store
from .writers import Writer


@dataclass(frozen=True)
class TargetRef:
    """A committed target: what travels between tasks instead of its data."""

    relative: str
    key: str
    writer: Writer
    #: When its manifest says it was finished (seconds since the epoch), for the SQL index.
    committed: float | None = field(default=None, compare=False)

    def read(self, store: Store) -> Any:
        return self.writer.read(store, self.relative)


@dataclass(frozen=True)
class _Slot:
    """Where an upstream value goes in a task's arguments (handles stay on the client)."""

    index: int


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to run one node, and no more: the step (its function travels with
    cloudpickle), the arguments with upstream handles replaced by slots, the target, key and the
    manifest's fixed part."""

    step: Step
    arguments: dict[str, Any]
    target: str | None
    key: str
    manifest: dict[str, Any] | None
    #: Whether the plan found something at the target (an old or half-written product) to uncommit.
    occupied: bool = True


def execute(task: Task, store: Store, *inputs: Any, recheck: bool = True) -> Any:
    """Run one node where it is scheduled: read committed inputs, call the step, write and commit.

    A target already committed under this key is not made again: the scheduler recomputes a finished
    task whose result lived on a worker that died, and that must not redo (or rewrite) the product."""
    writer = task.step.writer
    if recheck and task.target is not None and task.step.skip != "never":
        manifest = store.read_manifest(task.target)
        if manifest is not None and manifest.get("key") == task.key and store.data_info(task.target) is not None:
            assert writer is not None
            return TargetRef(task.target, task.key, writer, manifest.get("finished"))
    values = [i.read(store) if isinstance(i, TargetRef) else i for i in inputs]
    arguments = {name: _fill(value, values) for name, value in task.arguments.items()}
    started = time.time()
    result = _call(task.step, arguments)
    if task.target is None:
        return result
    assert writer is not None and task.manifest is not None
    # Uncommit an old or half-written product first: from here until the manifest, it does not exist.
    if task.occupied:
        store.remove(task.target)
    writer.write(result, store, task.target, task.key)
    manifest = {**task.manifest, "data": store.data_info(task.target), "started": started, "finished": time.time(),
                "host": platform.node()}
    store.write_manifest(task.target, manifest)
    return TargetRef(task.target, task.key, writer, manifest["finished"])


def _fill(value: Any, values: list[Any]) -> Any:
    if isinstance(value, _Slot):
        return values[value.index]
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, tuple):
        return tuple(_fill(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _call(step: Step, arguments: dict[str, Any]) -> Any:
    import inspect

    bound = inspect.BoundArguments(step.signature, arguments)
    return step.fn(*bound.args, **bound.kwargs)


@dataclass
class Outcome:
    """What happened to one node in a run."""

    step: str
    target: str | None
    status: str  # "executed", "skipped", "failed", "in memory"
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "target": self.target, "status": self.status, "error": self.error}


@dataclass
class RunResult:
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    values: dict[int, Any] = field(default_factory=dict)
    seconds: float = 0.0
    #: Called with each outcome as it happens (a durable run's progress).
    observer: Callable[[Outcome], None] | None = None
    #: The run's record (who, when, the code's commit, versions): see :mod:`.provenance`.
    record: dict[str, Any] | None = None
    #: Where committed targets' manifests also go as rows (:class:`.target_index.TargetIndex`), if anywhere.
    index: Any = None

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if self.observer is not None:
            self.observer(outcome)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per step: executed / skipped / failed (and in-memory results computed)."""
        out: dict[str, dict[str, int]] = {}
        for outcome in self.outcomes:
            per = out.setdefault(outcome.step, {"executed": 0, "skipped": 0, "failed": 0, "in memory": 0})
            per[outcome.status] += 1
        return out

    def executed(self, step: str | None = None) -> list[str | None]:
        return [o.target for o in self.outcomes if o.status == "executed" and (step is None or o.step == step)]

    def value(self, handle: Handle) -> Any:
        """The product of a requested handle: a target read back from the store, or an in-memory result."""
        found = self.values[handle._id]
        return found.read(self.plan.store) if isinstance(found, TargetRef) else found

    def to_json(self) -> dict[str, Any]:
        return {"store": self.plan.store.describe(), "counts": self.counts(), "seconds": self.seconds,
                "outcomes": [o.to_json() for o in self.outcomes], "record": self.record}


def _needed(plan: Plan) -> list[Node]:
    """The nodes to compute: targets that run, requested in-memory results, and in-memory steps those
    consume; in upstream-first, item-by-item order."""
    by_id = {n.handle._id: n for n in plan.nodes}
    requested = {h._id for h in plan.requested}
    needed: set[int] = set()
    for node in reversed(plan.nodes):
        hid = node.handle._id
        if node.status == RUN or (node.status == IN_MEMORY and hid in requested) or hid in needed:
            if node.status == UP_TO_DATE:
                continue
            needed.add(hid)
            for upstream in node.handle.upstream():
                if by_id[upstream._id].status != UP_TO_DATE:
                    needed.add(upstream._id)
    return [n for n in plan.nodes if n.handle._id in needed]


def _upstream_ids(node: Node) -> tuple[int, ...]:
    return tuple(dict.fromkeys(h._id for h in node.handle.upstream()))


def _task(node: Node, run_id: str | None = None) -> tuple[Task, tuple[int, ...]]:
    """The task for a node, and the ids of the handles whose values fill its slots, in order."""
    upstream = _upstream_ids(node)
    slots = {hid: _Slot(i) for i, hid in enumerate(upstream)}
    arguments = {name: substitute(value, lambda h: slots[h._id]) for name, value in node.handle.arguments.items()}
    manifest = new_manifest(node, None, 0.0, 0.0) if node.target is not None else None
    if manifest is not None and run_id is not None:
        from .provenance import run_manifest_name

        manifest["run"] = {"id": run_id, "manifest": run_manifest_name(run_id)}
    occupied = node.reasons != ["missing"]
    return Task(node.handle.step, arguments, node.target, node.key, manifest, occupied), upstream


def _committed_ref(node: Node) -> TargetRef:
    assert node.target is not None and node.handle.step.writer is not None
    return TargetRef(node.target, node.effective_key, node.handle.step.writer)


def run(handles: Any, store: Any, *, storage_options: dict[str, Any] | None = None, cluster: Any = None,
        window: int | None = None, errors: str = "raise", preflight: bool = True,
        observer: Callable[[Outcome], None] | None = None, cancel: threading.Event | None = None,
        record: dict[str, Any] | bool = True, index: Any = None) -> RunResult:
    """Compute the targets of ``handles`` that are not up to date, and return what happened.

    ``store``: a local path, an fsspec URL (with ``storage_options``) or a repository. ``cluster``:
    None (inline, in this process, for debugging), ``"local"`` (a LocalCluster started and stopped
    here), a ``LocalCluster`` or ``distributed.Client``, or a scheduler address ``"tcp://host:8786"``.
    ``errors="raise"`` raises :class:`PipelineRunError` at the end if any item failed (every other item
    still runs and is checkpointed); ``"collect"`` only reports them.

    ``observer`` hears of every outcome as it happens; ``cancel``, once set, stops the run before
    its next item (:class:`Cancelled`; what was committed stays committed). Every run keeps a record
    of who ran which code where (:mod:`.provenance`) in ``result.record`` and, when it wrote
    anything, as a run manifest beside the targets that each new target's manifest names;
    ``record`` may be that record already made (a durable run's, made in the notebook), or False.

    ``index``: a :class:`.target_index.TargetIndex` (or a database URL for one) that gets a row per
    target as it commits, so that a run's targets can be listed from SQL; planning and skipping
    still read the sidecars only, so without one nothing changes.
    """
    from .provenance import finish_record, run_record

    started = time.perf_counter()
    plan = handles if isinstance(handles, Plan) else make_plan(handles, store, storage_options)
    opened = None
    if isinstance(index, str):
        from .target_index import TargetIndex

        index = opened = TargetIndex(index)
    result = RunResult(plan, observer=observer, index=index)
    if record is not False:
        result.record = record if isinstance(record, dict) else run_record([n.handle for n in plan.nodes],
                                                                             plan.store.describe())
    for node in plan.nodes:
        if node.status == UP_TO_DATE:
            result.add(Outcome(node.step, node.target, "skipped"))
            result.values[node.handle._id] = _committed_ref(node)
    todo = _needed(plan)
    if todo:
        run_id = result.record["run"] if result.record else None
        try:
            if cluster is None:
                _run_inline(plan, todo, result, cancel, run_id)
            else:
                with _client(cluster) as client:
                    if preflight:
                        check_cluster(client, plan.store,
                                      [n.handle.step.writer for n in todo if n.handle.step.writer])
                    if result.record is not None:
                        result.record["workers"] = _worker_versions(client)
                    _run_distributed(client, plan, todo, result, window, cancel, run_id)
        finally:
            if result.record is not None:
                finish_record(plan.store, result.record, result.counts())
            if opened is not None:
                opened.close()
    elif opened is not None:
        opened.close()
    result.seconds = time.perf_counter() - started
    failures = [o for o in result.outcomes if o.status == "failed"]
    if failures and errors == "raise":
        first = failures[0]
        raise PipelineRunError(f"{len(failures)} of {len(todo)} calls failed; the first: {first.step} "
                               f"({first.target or 'in memory'}): {first.error}", failures, result)
    return result


def _consumers(todo: list[Node]) -> dict[int, int]:
    count: dict[int, int] = {}
    for node in todo:
        for hid in dict.fromkeys(h._id for h in node.handle.upstream()):
            count[hid] = count.get(hid, 0) + 1
    return count


def _record(result: RunResult, node: Node, value: Any = None, error: BaseException | None = None) -> None:
    if error is not None:
        result.add(Outcome(node.step, node.target, "failed", f"{type(error).__name__}: {error}"))
        return
    status = "executed" if node.target is not None else "in memory"
    if result.index is not None and node.target is not None and isinstance(value, TargetRef):
        # Committed (its sidecar is written): now its row, before anyone hears of the outcome.
        result.index.add(result.plan.store, node, value.committed, result.record["run"] if result.record else None)
    result.add(Outcome(node.step, node.target, status))


def _stop_if(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        from ..compute.executor import Cancelled

        raise Cancelled("The pipeline run was cancelled; the targets committed so far stay.",
                        hint="Run it again to make the rest: committed targets are skipped.")


def _run_inline(plan: Plan, todo: list[Node], result: RunResult, cancel: threading.Event | None = None,
                run_id: str | None = None) -> None:
    requested = {h._id for h in plan.requested}
    remaining = _consumers(todo)
    values: dict[int, Any] = {hid: v for hid, v in result.values.items()}
    failed: set[int] = set()
    for node in todo:
        _stop_if(cancel)
        task, upstream_ids = _task(node, run_id)
        hid = node.handle._id
        if any(u in failed for u in upstream_ids):
            failed.add(hid)
            _record(result, node, error=RuntimeError("an upstream step failed"))
            continue
        try:
            # In this process nothing can have committed the target since the plan looked.
            value = execute(task, plan.store, *(values[u] for u in upstream_ids), recheck=False)
        except Exception as error:  # noqa: BLE001 - one item's failure is reported, the others run
            failed.add(hid)
            _record(result, node, error=error)
            continue
        if node.target is not None or hid in requested:
            _record(result, node, value)
        values[hid] = value
        for upstream in upstream_ids:
            remaining[upstream] -= 1
            if remaining[upstream] == 0 and upstream not in requested:
                values.pop(upstream, None)
        if hid in requested:
            result.values[hid] = value


class _client:
    """A distributed Client for the ``cluster`` argument, closing only what it opened."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self._opened: list[Any] = []

    def __enter__(self):
        from distributed import Client, LocalCluster

        spec = self.cluster
        if isinstance(spec, Client):
            return spec
        if spec == "local":
            spec = LocalCluster(processes=True, dashboard_address=":0")
            self._opened.append(spec)
        if isinstance(spec, str):
            client = Client(spec)
        else:
            client = Client(spec)
        self._opened.insert(0, client)
        return client

    def __exit__(self, *exc: Any) -> None:
        for thing in self._opened:
            thing.close()


def _run_distributed(client: Any, plan: Plan, todo: list[Node], result: RunResult, window: int | None,
                     cancel: threading.Event | None = None, run_id: str | None = None) -> None:
    from distributed import as_completed

    if window is None:
        threads = sum(client.nthreads().values()) or 1
        window = max(64, 8 * threads)
    requested = {h._id for h in plan.requested}
    remaining = _consumers(todo)
    live: dict[int, Any] = {hid: v for hid, v in result.values.items()}  # futures or TargetRefs
    nodes: dict[str, Node] = {}
    pending = deque(todo)
    in_flight = 0
    tag = uuid.uuid4().hex[:8]
    # Results (small TargetRefs) come with the completions, not one round trip each.
    completed = as_completed(with_results=True, raise_errors=False)

    def submit(node: Node) -> None:
        nonlocal in_flight
        task, upstream_ids = _task(node, run_id)
        hid = node.handle._id
        key = f"{node.step}-{tag}-{hid}"
        future = client.submit(execute, task, plan.store, *(live[u] for u in upstream_ids), key=key, pure=False)
        live[hid] = future
        if node.target is not None or hid in requested:
            # In-memory results stay on the workers: their consumers' completions stand for them.
            nodes[future.key] = node
            in_flight += 1
            completed.add(future)
        for upstream in upstream_ids:
            remaining[upstream] -= 1
            if remaining[upstream] == 0 and upstream not in requested and not _done_target(live[upstream]):
                live.pop(upstream, None)  # the consumer's task holds it now

    while pending or in_flight:
        if cancel is not None and cancel.is_set():
            client.cancel([f for f in live.values() if not isinstance(f, TargetRef)])
            _stop_if(cancel)
        while pending and in_flight < window:
            submit(pending.popleft())
        if not in_flight:
            continue
        if cancel is not None:
            # Wake up for a cancel even while a long item runs.
            while not cancel.is_set() and not completed.has_ready():
                cancel.wait(0.2)
            if cancel.is_set():
                continue
        future, value = next(completed)
        in_flight -= 1
        node = nodes.pop(future.key)
        hid = node.handle._id
        if future.status == "finished":
            _record(result, node, value)
            if isinstance(value, TargetRef):
                live[hid] = value  # downstream reads it from the store; the worker may forget it
            if hid in requested:
                result.values[hid] = value
        else:
            _record(result, node, error=value if isinstance(value, BaseException) else RuntimeError(str(value)))


def _worker_versions(client: Any) -> dict[str, Any]:
    """What each Dask worker runs (the run record's "workers"): Python, platform, the core libraries."""
    def versions() -> dict[str, Any]:
        found = _versions(list(CORE_LIBRARIES))
        found["platform"] = platform.platform()
        return found

    try:
        return dict(client.run(versions))
    except Exception as error:  # noqa: BLE001 - a record without workers beats a failed run
        return {"unknown": f"{type(error).__name__}: {error}"}


def _done_target(value: Any) -> bool:
    return isinstance(value, TargetRef)


# -- preflight ------------------------------------------------------------------------------------
def _versions(libraries: list[str]) -> dict[str, str | None]:
    import importlib
    import platform

    found: dict[str, str | None] = {"python": ".".join(platform.python_version_tuple()[:2])}
    for name in libraries:
        try:
            found[name] = str(getattr(importlib.import_module(name), "__version__", None))
        except ImportError:
            found[name] = None
    return found


def _sees(path: str) -> bool:
    return os.path.exists(path)


#: Libraries whose versions must agree between client and workers whatever the writers.
CORE_LIBRARIES = ("numpy", "dask", "distributed", "cloudpickle", "fsspec")


def check_cluster(client: Any, store: Store, writers: list[Writer]) -> None:
    """Refuse, before submitting anything, a cluster that would make different products than the keys
    say (other versions of the libraries in the keys) or that cannot see a local store."""
    libraries = sorted(set(CORE_LIBRARIES) | {lib for w in {type(w): w for w in writers}.values()
                                               for lib in w.libraries})
    mine = _versions(libraries)
    theirs = dict(client.run(_versions, libraries))
    # The scheduler runs no step, but it unpickles the graph: dask, distributed and cloudpickle matter.
    theirs["scheduler"] = {name: version for name, version in
                           client.run_on_scheduler(_versions, ["dask", "distributed", "cloudpickle"]).items()}
    differences = []
    for worker, versions in theirs.items():
        for name, version in versions.items():
            if version != mine.get(name):
                differences.append(f"{name} {version} on {worker} (here {mine.get(name)})")
    if differences:
        raise PreflightError("The workers run other library versions than this client: " + "; ".join(differences[:8]),
                             hint="Install the same versions on the workers (the keys and the products depend on "
                                  "them), or run inline.")
    if store.is_local:
        os.makedirs(store.root, exist_ok=True)
        probe_name = f".remotem-probe-{uuid.uuid4().hex}"
        probe = os.path.join(store.root, probe_name)
        with open(probe, "w") as handle:
            handle.write("probe")
        try:
            seen = client.run(_sees, probe)
        finally:
            os.remove(probe)
        blind = sorted(worker for worker, ok in seen.items() if not ok)
        if blind:
            raise PreflightError(f"The store {store.root!r} is a local folder that {len(blind)} of {len(seen)} "
                                 f"workers cannot see ({', '.join(blind[:4])}).",
                                 hint="Use a store every worker reaches (s3://..., a shared file system), or a "
                                      "LocalCluster on this machine.")
