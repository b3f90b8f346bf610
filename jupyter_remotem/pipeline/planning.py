"""Keys and plans: which targets will run, which are up to date, which are stale, and why.

A node's key is the hash of its components: the step's code identity, canonical JSON of its plain
parameters, the keys of the handles it consumes and the identity of its input files, the writer with
its configuration and library versions. Each component is kept in the manifest, so a stale target
says *which* one changed. Nothing is computed here: planning reads manifests only.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import canonical
from .canonical import File
from .errors import PipelineError
from .steps import Handle, substitute
from .store import Store

MANIFEST_FORMAT = "remotem-pipeline-target/1"

#: Statuses of a planned node.
RUN, UP_TO_DATE, IN_MEMORY = "run", "up to date", "in memory"
#: Targets to run listed by name when a plan is printed.
SHOWN = 12


@dataclass
class Node:
    """A handle with its key and what the plan decided for it."""

    handle: Handle
    key: str
    components: dict[str, Any]
    status: str = RUN
    reasons: list[str] = field(default_factory=list)
    #: The key of the product downstream steps will read (the manifest's, when it is skipped).
    effective_key: str = ""
    manifest: dict[str, Any] | None = None

    @property
    def step(self) -> str:
        return self.handle.step.name

    @property
    def target(self) -> str | None:
        return self.handle.target

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "target": self.target, "status": self.status, "reasons": self.reasons,
                "key": self.key}


def flatten(handles: Any) -> list[Handle]:
    """The handles asked for, from a handle, a list of them, or nested lists and dicts."""
    found: list[Handle] = []
    if isinstance(handles, Handle):
        return [handles]
    if isinstance(handles, dict):
        handles = list(handles.values())
    if isinstance(handles, Iterable) and not isinstance(handles, (str, bytes)):
        for item in handles:
            found.extend(flatten(item))
        return found
    raise PipelineError(f"Expected step handles, got a {type(handles).__name__}.",
                        hint="Pass what calling a step or step.map(...) returned.")


def graph(requested: list[Handle]) -> list[Handle]:
    """Every handle needed, upstream before downstream, depth first from each requested handle (so
    items proceed one after the other, not one step at a time across all items)."""
    order: list[Handle] = []
    placed: set[int] = set()
    for root in requested:
        stack: list[tuple[Handle, bool]] = [(root, False)]
        while stack:
            handle, expanded = stack.pop()
            if handle._id in placed:
                continue
            if expanded:
                placed.add(handle._id)
                order.append(handle)
                continue
            stack.append((handle, True))
            for upstream in reversed(handle.upstream()):
                if upstream._id not in placed:
                    stack.append((upstream, False))
    return order


def _components(handle: Handle, upstream_keys: dict[int, str], code: dict[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for name, value in handle.arguments.items():
        found: list[Any] = []

        def mark(h: Handle) -> str:
            found.append(upstream_keys[h._id])
            return "$input"

        plain = substitute(value, mark)
        if found:
            inputs[name] = found if len(found) > 1 else found[0]
        if isinstance(plain, File):
            inputs[name] = canonical.canonical(plain, f"parameter {name!r} of step {handle.step.name!r}")
            plain = "$file"
        params[name] = canonical.canonical(plain, f"parameter {name!r} of step {handle.step.name!r}")
    writer = handle.step.writer.identity() if handle.step.writer is not None else None
    return {
        "code": code["hash"],
        "version": handle.step.version,
        "params": canonical.digest(params),
        "inputs": {name: canonical.digest(v) if isinstance(v, dict) else v for name, v in inputs.items()},
        "writer": canonical.digest({"name": writer["name"], "config": writer["config"]}) if writer else None,
        "libraries": writer["libraries"] if writer else {},
        "_params": params,
        "_writer": writer,
        "_code": code,
    }


def key_of(components: dict[str, Any]) -> str:
    return canonical.digest({k: v for k, v in components.items() if not k.startswith("_")})


def _reasons(components: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """What differs between a target's manifest and what would be made now, in words."""
    old = manifest.get("components") or {}
    reasons = []
    if old.get("code") != components["code"]:
        before = (manifest.get("code") or {}).get("functions", {})
        after = components["_code"]["functions"]
        changed = sorted(n.split(":", 1)[-1] for n in set(before) | set(after) if before.get(n) != after.get(n))
        consts = sorted(set((manifest.get("code") or {}).get("constants", {}).items())
                        ^ set(components["_code"]["constants"].items()))
        detail = ", ".join(changed) or ", ".join(sorted({c[0].split(">")[-1] for c in consts}))
        reasons.append(f"code changed ({detail})" if detail else "code changed")
    if old.get("version") != components["version"]:
        reasons.append(f"version changed ({old.get('version')!r} → {components['version']!r})")
    if old.get("params") != components["params"]:
        before = manifest.get("params") or {}
        names = sorted(n for n in set(before) | set(components["_params"])
                       if before.get(n) != components["_params"].get(n))
        reasons.append(f"parameters changed ({', '.join(names)})" if names else "parameters changed")
    if old.get("inputs") != components["inputs"]:
        before = old.get("inputs") or {}
        names = sorted(n for n in set(before) | set(components["inputs"])
                       if before.get(n) != components["inputs"].get(n))
        reasons.append(f"input changed ({', '.join(names)})")
    if old.get("writer") != components["writer"]:
        reasons.append("writer changed")
    if old.get("libraries") != components["libraries"]:
        before = old.get("libraries") or {}
        names = sorted(n for n in set(before) | set(components["libraries"])
                       if before.get(n) != components["libraries"].get(n))
        reasons.append(f"libraries changed ({', '.join(names)})")
    return reasons or ["key changed"]


def _committed(store: Store, node: Node) -> tuple[dict[str, Any] | None, str | None]:
    """The target's manifest if it is committed and intact; otherwise why not ("missing", "half-written")."""
    relative = node.target
    assert relative is not None
    manifest = store.read_manifest(relative)
    data = store.data_info(relative)
    if manifest is None or manifest.get("format") != MANIFEST_FORMAT:
        return None, ("half-written" if data is not None else "missing")
    if data is None:
        return None, "half-written"
    recorded = manifest.get("data") or {}
    if recorded.get("type") == "file" and data.get("size") != recorded.get("size"):
        return None, "half-written"
    return manifest, None


@dataclass
class Plan:
    """The decision for every node, in execution order."""

    nodes: list[Node]
    store: Store
    requested: list[Handle]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per step: how many targets run, are up to date, or stay in memory."""
        out: dict[str, dict[str, int]] = {}
        for node in self.nodes:
            per = out.setdefault(node.step, {RUN: 0, UP_TO_DATE: 0, IN_MEMORY: 0})
            per[node.status] += 1
        return out

    def to_run(self) -> list[Node]:
        return [n for n in self.nodes if n.status == RUN]

    def node(self, handle: Handle) -> Node:
        for candidate in self.nodes:
            if candidate.handle is handle:
                return candidate
        raise KeyError(handle)

    def to_json(self) -> dict[str, Any]:
        return {"store": self.store.describe(), "counts": self.counts(), "nodes": [n.to_json() for n in self.nodes]}

    def __str__(self) -> str:
        lines = [f"Plan for {len(self.nodes)} calls in {self.store.describe()}:"]
        for name, per in self.counts().items():
            lines.append(f"  {name}: " + ", ".join(f"{count} {status}" for status, count in per.items() if count))
        running = [n for n in self.nodes if n.status == RUN and n.target]
        for node in running[:SHOWN]:
            lines.append(f"  run {node.target}: {'; '.join(node.reasons)}")
        if len(running) > SHOWN:
            lines.append(f"  ... and {len(running) - SHOWN} more targets to run (plan.to_json() lists all)")
        return "\n".join(lines)

    __repr__ = __str__


def make_plan(handles: Any, store: Any, storage_options: dict[str, Any] | None = None) -> Plan:
    """Decide, without computing anything, what :func:`run` would do."""
    requested = flatten(handles)
    target_store = Store.from_spec(store, storage_options)
    codes: dict[int, dict[str, Any]] = {}
    keys: dict[int, str] = {}
    nodes: list[Node] = []
    by_id: dict[int, Node] = {}
    seen_targets: dict[str, str] = {}
    for handle in graph(requested):
        step_ = handle.step
        if id(step_) not in codes:
            codes[id(step_)] = step_.code_identity()
        components = _components(handle, keys, codes[id(step_)])
        key = key_of(components)
        node = Node(handle, key, components, effective_key=key)
        if handle.target is None:
            node.status, node.reasons = IN_MEMORY, ["no target: computed when a step that runs needs it"]
        else:
            previous = seen_targets.setdefault(handle.target, key)
            if previous != key:
                raise PipelineError(f"Two different calls write the same target {handle.target!r}.",
                                    hint="Put every argument that differs between calls into the target template.")
            manifest, missing = _committed(target_store, node)
            node.manifest = manifest
            if step_.skip == "never":
                node.reasons = ["skip='never'"]
            elif missing:
                node.reasons = [missing]
            elif step_.skip == "exists":
                node.status = UP_TO_DATE
                node.effective_key = manifest["key"]
                node.reasons = ["exists (skip='exists')"] + (
                    [f"stale but kept: {r}" for r in _reasons(components, manifest)] if manifest["key"] != key else [])
            elif manifest["key"] == key:
                node.status, node.reasons = UP_TO_DATE, []
            else:
                node.reasons = _reasons(components, manifest)
        keys[handle._id] = node.effective_key
        nodes.append(node)
        by_id[handle._id] = node
    return Plan(nodes, target_store, requested)


def new_manifest(node: Node, data: dict[str, Any] | None, started: float, finished: float) -> dict[str, Any]:
    """The sidecar written after a target: its key, each component (to explain a later staleness), and
    what made it."""
    components = node.components
    return {
        "format": MANIFEST_FORMAT,
        "key": node.key,
        "step": node.step,
        "target": node.target,
        "components": {k: v for k, v in components.items() if not k.startswith("_")},
        "params": components["_params"],
        "code": components["_code"],
        "writer": components["_writer"],
        "data": data,
        "started": started,
        "finished": finished,
        "host": platform.node(),
        "python": platform.python_version(),
    }
