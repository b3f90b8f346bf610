"""The record of a pipeline run: which code (its git commit, a hash of any uncommitted edit), which
libraries, Python and platform, which workers, when and by whom.

A product is publishable only if its making can be retraced, and a key (:mod:`.planning`) says *that*
the code changed, not *which version* of it made the product. So every run, inline or durable, keeps
this record: in ``RunResult.record``, in a durable job's results, and as a run manifest beside the
targets (``.remotem-run-<run id>.json``, hidden like the targets' own manifests) that each target's
manifest names (``manifest["run"]``).

The git facts come from the repository around each step function's source file, asked where the
code was written (the notebook's machine): a durable run's record is made before its code is sent,
since the job worker has the pickled functions but not their checkout.
"""

from __future__ import annotations

import getpass
import hashlib
import importlib
import inspect
import os
import platform
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

RECORD_FORMAT = "remotem-pipeline-run/1"
#: How the run manifests (at the store's root) are named: this, the run's id, ".json".
RUN_PREFIX = ".remotem-run-"
_RUN_NAME = re.compile(r"^\.remotem-run-[0-9a-f]{32}\.json$")
#: Libraries whose versions every record names, beside those of the writers used.
LIBRARIES = ("jupyter_remotem", "numpy", "dask", "distributed", "cloudpickle", "fsspec")
#: Seconds a git command may take before the record says "unknown" instead of waiting.
GIT_TIMEOUT_S = 10.0


#: The fields of a record (what a submitted record is kept to).
RECORD_KEYS = ("format", "run", "who", "started", "ended", "store", "steps", "git", "python", "implementation",
               "platform", "host", "libraries", "executable", "workers", "job", "counts", "submitted_from")


def run_manifest_name(run_id: str) -> str:
    return f"{RUN_PREFIX}{run_id}.json"


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def library_versions(names: list[str] | tuple[str, ...]) -> dict[str, str | None]:
    """Installed versions (None: not installed), read from the package metadata where there is some."""
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in sorted(set(names)):
        version: str | None
        try:
            version = metadata.version({"PIL": "pillow"}.get(name, name))
        except metadata.PackageNotFoundError:
            try:
                version = str(getattr(importlib.import_module(name), "__version__", None))
            except ImportError:
                version = None
        found[name] = version
    return found


def _git(folder: str, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def git_state(files: list[str]) -> list[dict[str, Any]]:
    """Per git repository holding any of ``files``: its commit, and the SHA-256 of ``git diff HEAD``
    of those files (None when they are as committed); files outside git are listed apart."""
    by_root: dict[str, list[str]] = {}
    outside: list[str] = []
    for path in sorted(set(files)):
        root = _git(os.path.dirname(path) or ".", "rev-parse", "--show-toplevel")
        if root is None:
            outside.append(path)
        else:
            by_root.setdefault(root.strip(), []).append(path)
    states: list[dict[str, Any]] = []
    for root, paths in sorted(by_root.items()):
        relative = [os.path.relpath(os.path.realpath(p), os.path.realpath(root)) for p in paths]
        commit = (_git(root, "rev-parse", "HEAD") or "").strip() or None
        diff = _git(root, "diff", "--no-color", "--no-ext-diff", "HEAD", "--", *relative)
        tracked = _git(root, "ls-files", "--", *relative)
        untracked = sorted(set(relative) - set((tracked or "").split()))
        state: dict[str, Any] = {
            "repository": root, "commit": commit, "files": relative, "untracked": untracked,
            "diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None,
            "dirty": bool(diff) or bool(untracked),
        }
        remote = (_git(root, "config", "--get", "remote.origin.url") or "").strip()
        if remote and "@" not in remote.split("://")[-1].split("/")[0]:  # never a URL with a password
            state["remote"] = remote
        states.append(state)
    if outside:
        states.append({"repository": None, "commit": None, "files": outside, "untracked": outside,
                       "diff_sha256": None, "dirty": True})
    return states


def _source_file(fn: Any) -> str | None:
    try:
        path = inspect.getsourcefile(inspect.unwrap(fn))
    except (TypeError, OSError):
        return None
    if not path or path.startswith("<") or not os.path.exists(path):
        return None  # a notebook cell or an interactive definition: its code hash stands for it
    return os.path.abspath(path)


def steps_of(handles: list[Any]) -> list[dict[str, Any]]:
    """Each step of the handles once: its name, code hash, source file, target template and writer."""
    seen: dict[int, dict[str, Any]] = {}
    for handle in handles:
        step = handle.step
        if id(step) in seen:
            continue
        writer = step.writer
        seen[id(step)] = {
            "name": step.name,
            "code_sha256": step.code_identity()["hash"],
            "functions": sorted(step.code_identity().get("functions", {})),
            "source": _source_file(step.fn),
            "target": step.target if isinstance(step.target, str) else (None if step.target is None else "callable"),
            "writer": None if writer is None else writer.identity(),
            "version": step.version,
        }
    return list(seen.values())


def run_record(handles: list[Any], store: str, who: str | None = None) -> dict[str, Any]:
    """A new run's record, before anything runs (see module docstring): ``handles`` every handle of
    the graph, ``store`` the store as it is described."""
    steps = steps_of(handles)
    libraries = set(LIBRARIES)
    for step in steps:
        libraries |= set((step["writer"] or {}).get("libraries", {}))
    return {
        "format": RECORD_FORMAT,
        "run": uuid.uuid4().hex,
        "who": who or _user(),
        "started": now(),
        "ended": None,
        "store": store,
        "steps": steps,
        "git": git_state([s["source"] for s in steps if s["source"]]),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": platform.node(),
        "libraries": library_versions(sorted(libraries)),
        "executable": sys.executable,
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def finish_record(store: Any, record: dict[str, Any], counts: dict[str, dict[str, int]]) -> None:
    """End the record and, when the run wrote any target, store it beside the targets."""
    record["ended"] = now()
    record["counts"] = counts
    if not any(per.get("executed") for per in counts.values()):
        return  # nothing new: the products' manifests name the runs that made them
    import json

    store.put_bytes(run_manifest_name(record["run"]), json.dumps(record, sort_keys=True, indent=1).encode())


def read_run(store: Any, manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The record of the run that made the target whose manifest is ``manifest`` (None if unknown)."""
    import json

    run = manifest.get("run") or {}
    name = run.get("manifest")
    if not isinstance(name, str) or not _RUN_NAME.match(name):
        return None
    try:
        with store.open(name) as handle:
            return json.loads(handle.read())
    except (FileNotFoundError, ValueError):
        return None
