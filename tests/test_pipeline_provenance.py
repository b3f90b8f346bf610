"""Every pipeline run records which code made its products: the git commit of the repository
around the step functions' source, a SHA-256 of any uncommitted diff of those files, library
versions, Python and platform, start and end, who; the record is kept as a run manifest beside the
targets, and each target's manifest names it.

A real git repository in a temporary folder holds the user's step module; the tests commit, edit
without committing, and check what the records say.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from pathlib import Path

import pytest
from _pipeline_cells import build, edited, load, source, table

from jupyter_remotem.pipeline import Store, run
from jupyter_remotem.pipeline.provenance import RUN_PREFIX, git_state, read_run
from jupyter_remotem.pipeline.store import manifest_name


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args], cwd=folder,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    git(folder, "init", "-q")
    return folder


def committed_module(checkout: Path, log_dir: Path):
    """The seed's pipeline as a module committed to ``checkout``; answers (module, its file)."""
    module = load(checkout, source(log_dir))
    path = Path(module.__file__)
    git(checkout, "add", str(path.relative_to(checkout)))
    git(checkout, "commit", "-q", "-m", "cells pipeline")
    return module, path


def test_a_run_records_the_commit_of_the_steps_code_and_each_target_names_the_run(tmp_path, checkout):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    module, path = committed_module(checkout, log_dir)
    head = git(checkout, "rev-parse", "HEAD").strip()
    store = tmp_path / "store"
    result = run(build(module, table(4)), store=str(store))
    record = result.record
    assert record["format"] == "remotem-pipeline-run/1"
    [state] = record["git"]
    assert state["commit"] == head and state["repository"] == str(checkout.resolve())
    assert state["diff_sha256"] is None and not state["dirty"] and state["untracked"] == []
    assert state["files"] == [str(path.relative_to(checkout))]
    assert {s["name"] for s in record["steps"]} == {"select_cell", "normalize_cell", "project_cell"}
    assert all(s["source"] == str(path) for s in record["steps"])
    assert record["python"] == platform.python_version() and record["platform"] == platform.platform()
    import numpy
    import tifffile

    assert record["libraries"]["numpy"] == numpy.__version__
    assert record["libraries"]["tifffile"] == tifffile.__version__
    assert record["who"] and record["started"] <= record["ended"]
    assert record["counts"]["normalize_cell"]["executed"] == 4
    # Stored beside the targets, and reachable from each target's manifest.
    on_disk = json.loads((store / f"{RUN_PREFIX}{record['run']}.json").read_text())
    assert on_disk == json.loads(json.dumps(record))
    opened = Store.from_spec(str(store))
    for i in range(4):
        manifest = opened.read_manifest(f"normalized/{i}.ome.tiff")
        assert manifest["run"]["id"] == record["run"]
        assert read_run(opened, manifest)["git"][0]["commit"] == head
    # A run that makes nothing writes no new record: the products still name the run that made them.
    again = run(build(module, table(4)), store=str(store))
    assert again.executed() == [] and len(list(store.glob(f"{RUN_PREFIX}*.json"))) == 1


def test_an_uncommitted_edit_changes_the_diff_hash_and_a_commit_clears_it(tmp_path, checkout):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    _, path = committed_module(checkout, log_dir)
    clean = git_state([str(path)])[0]
    assert clean["diff_sha256"] is None

    path.write_text(edited(path.read_text(), "Scale every channel to 0..1.", "Scale each channel to 0..1."))
    first = git_state([str(path)])[0]
    expected = hashlib.sha256(git(checkout, "diff", "--no-color", "--no-ext-diff", "HEAD", "--",
                                  path.name if path.parent == checkout else str(path.relative_to(checkout)))
                              .encode()).hexdigest()
    assert first["diff_sha256"] == expected and first["dirty"] and first["commit"] == clean["commit"]

    path.write_text(edited(path.read_text(), "return normed.max(axis=(0, 1))", "return normed.max(axis=(1, 0))"))
    second = git_state([str(path)])[0]
    assert second["diff_sha256"] not in (None, first["diff_sha256"])
    # The run made from the edited file records the same: its products are tied to the edit.
    edited_module = load(tmp_path / "other", path.read_text())
    record = run(build(edited_module, table(2)), store=str(tmp_path / "store")).record
    assert record["git"][0]["repository"] is None  # this copy lives outside git: said so, not guessed
    assert record["git"][0]["dirty"]

    git(checkout, "commit", "-q", "-am", "edit")
    committed = git_state([str(path)])[0]
    assert committed["diff_sha256"] is None and committed["commit"] != clean["commit"]


def test_a_file_not_yet_added_to_git_is_listed_as_untracked(tmp_path, checkout):
    (checkout / "README").write_text("x")
    git(checkout, "add", "README")
    git(checkout, "commit", "-q", "-m", "start")
    extra = checkout / "steps.py"
    extra.write_text("def f():\n    return 1\n")
    [state] = git_state([str(extra)])
    assert state["untracked"] == ["steps.py"] and state["dirty"] and state["diff_sha256"] is None


def test_a_remote_with_a_password_is_never_recorded(tmp_path, checkout):
    (checkout / "a.py").write_text("x = 1\n")
    git(checkout, "add", "a.py")
    git(checkout, "commit", "-q", "-m", "a")
    git(checkout, "remote", "add", "origin", "https://user:hunter2@example.org/repo.git")
    [state] = git_state([str(checkout / "a.py")])
    assert "remote" not in state and "hunter2" not in json.dumps(state)
    git(checkout, "remote", "set-url", "origin", "https://example.org/repo.git")
    assert git_state([str(checkout / "a.py")])[0]["remote"] == "https://example.org/repo.git"


def test_the_manifest_of_a_target_without_a_run_has_no_record(tmp_path):
    store = Store.from_spec(str(tmp_path / "s"))
    store.put_bytes("a.json", b"{}")
    store.put_bytes(manifest_name("a.json"), b'{"run": {"manifest": "../outside.json"}}')
    assert read_run(store, store.read_manifest("a.json")) is None
