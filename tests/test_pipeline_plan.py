"""Plans and re-runs inline: what is skipped, what is redone after which edit, and why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import tifffile
from _pipeline_cells import CHANNELS, build, edited, executions, load, reference, source, table
from PIL import Image

from jupyter_remotem.pipeline import File, PipelineError, PipelineRunError, plan, run, step, unmapped
from jupyter_remotem.pipeline.planning import key_of
from jupyter_remotem.pipeline.store import manifest_name
from jupyter_remotem.pipeline.writers import Json, OmeZarr

#: Enough cells to span several fields of view; the 200-cell run is on the cluster (test_pipeline_cluster).
COUNT = 60
ITEMS = table(COUNT)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "log"
    folder.mkdir()
    return folder


@pytest.fixture
def first_run(tmp_path: Path, log_dir: Path):
    """The pipeline over COUNT cells, run once inline."""
    text = source(log_dir)
    module = load(tmp_path / "code", text)
    store = tmp_path / "store"
    result = run(build(module, ITEMS), store=str(store))
    return text, module, store, result


def reasons_by_step(the_plan) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for node in the_plan.nodes:
        if node.target:
            found.setdefault(node.step, set()).update(node.reasons)
    return found


def test_first_run_makes_every_target_and_a_rerun_skips_them_all(first_run, log_dir: Path):
    text, module, store, result = first_run
    assert result.counts()["normalize_cell"]["executed"] == COUNT
    assert result.counts()["project_cell"]["executed"] == COUNT
    assert len(list((store / "normalized").glob("*.ome.tiff"))) == COUNT
    assert executions(log_dir, "normalize") == dict.fromkeys(range(COUNT), 1)

    again = run(build(module, ITEMS), store=str(store))
    assert again.executed() == []
    assert again.counts()["project_cell"]["skipped"] == COUNT
    assert "select_cell" not in again.counts()  # nothing upstream of an up-to-date target is computed
    assert executions(log_dir, "normalize") == dict.fromkeys(range(COUNT), 1)


def test_products_match_a_numpy_reference(first_run):
    text, module, store, result = first_run
    for cell_id in (0, 1, 2, 31, COUNT - 1):
        normed, projection = reference(module, cell_id, ITEMS["fov_seed"][cell_id], ITEMS["cell_index"][cell_id])
        with tifffile.TiffFile(store / "normalized" / f"{cell_id}.ome.tiff") as tif:
            assert tif.series[0].axes == "CZYX"
            np.testing.assert_array_equal(tif.series[0].asarray(), normed)
            assert tif.is_ome and [c.split('"')[0] for c in tif.ome_metadata.split('Channel ID=')[1:]]
            assert all(f'Name="{name}"' in tif.ome_metadata for name in CHANNELS)
        png = np.asarray(Image.open(store / "projections" / f"{cell_id}.png"))
        low, high = projection.min(), projection.max()
        expected = np.round((projection.astype(np.float64) - low) / (high - low) * 255).astype(np.uint8)
        np.testing.assert_array_equal(png, expected)


def test_editing_a_step_redoes_that_step_and_its_downstream_only(first_run, tmp_path: Path, log_dir: Path):
    text, module, store, _ = first_run
    changed = load(tmp_path / "code", edited(text, "return normed.max(axis=(0, 1))",
                                             "return normed.max(axis=(0, 1)) ** 0.5"))
    the_plan = plan(build(changed, ITEMS), store=str(store))
    assert the_plan.counts()["normalize_cell"] == {"run": 0, "up to date": COUNT, "in memory": 0}
    assert the_plan.counts()["project_cell"]["run"] == COUNT
    assert reasons_by_step(the_plan)["project_cell"] == {"code changed (project_cell)"}

    result = run(build(changed, ITEMS), store=str(store))
    assert result.counts()["project_cell"]["executed"] == COUNT
    assert result.counts()["normalize_cell"] == {"executed": 0, "skipped": COUNT, "failed": 0, "in memory": 0}
    assert executions(log_dir, "normalize") == dict.fromkeys(range(COUNT), 1)
    assert set(executions(log_dir, "project").values()) == {2}

    upstream = load(tmp_path / "code", edited(text, "data = cell_data.astype(np.float32)",
                                              "data = cell_data.astype(np.float32) + 1"))
    reasons = reasons_by_step(plan(build(upstream, ITEMS), store=str(store)))
    assert reasons["normalize_cell"] == {"code changed (normalize_cell)"}
    assert reasons["project_cell"] == {"code changed (project_cell)", "input changed (normed)"}


def test_editing_a_helper_of_the_users_module_redoes_what_depends_on_it(first_run, tmp_path: Path):
    text, _, store, _ = first_run
    changed = load(tmp_path / "code", edited(text, "+ 50) for c in range(3)]", "+ 60) for c in range(3)]"))
    the_plan = plan(build(changed, ITEMS), store=str(store))
    reasons = reasons_by_step(the_plan)
    # select_cell keeps no target: its new key reaches normalize_cell as a changed input.
    assert reasons["normalize_cell"] == {"input changed (cell_data)"}
    assert reasons["project_cell"] == {"input changed (normed)"}
    assert the_plan.counts()["select_cell"]["in memory"] == COUNT


def test_docstring_and_comment_edits_redo_nothing(first_run, tmp_path: Path, log_dir: Path):
    text, _, store, _ = first_run
    cosmetic = edited(text, '"""Scale every channel to 0..1."""', '"""Scale each channel to [0, 1].\n\n    Longer."""')
    cosmetic = edited(cosmetic, "    data = cell_data.astype(np.float32)\n",
                      "    # float32 is enough for the products\n    data = cell_data.astype(np.float32)  # copy\n\n")
    cosmetic = edited(cosmetic, '"""A field of view: three channels', '"""A synthetic field: three channels')
    module = load(tmp_path / "code", cosmetic)
    assert plan(build(module, ITEMS), store=str(store)).to_run() == []
    assert run(build(module, ITEMS), store=str(store)).executed() == []
    assert set(executions(log_dir, "normalize").values()) == {1}


def test_plan_says_why_for_each_kind_of_staleness(first_run, tmp_path: Path):
    text, module, store, _ = first_run
    handles = build(module, ITEMS)
    # missing: neither data nor manifest
    (store / "projections" / "3.png").unlink()
    (store / "projections" / manifest_name("3.png")).unlink()
    # half-written: data without its manifest (a crash before the commit mark)
    (store / "normalized" / manifest_name("4.ome.tiff")).unlink()
    # half-written: the manifest's recorded size does not match (a torn rewrite)
    with open(store / "normalized" / "5.ome.tiff", "r+b") as handle:
        handle.truncate(100)
    # half-written: an unreadable manifest
    (store / "projections" / manifest_name("6.png")).write_text('{"format": "remotem-pip')
    # libraries changed: a target made with another tifffile
    manifest_path = store / "normalized" / manifest_name("7.ome.tiff")
    manifest = json.loads(manifest_path.read_text())
    manifest["components"]["libraries"]["tifffile"] = "2020.1.1"
    manifest["key"] = key_of(manifest["components"])  # as that tifffile's run computed it
    manifest_path.write_text(json.dumps(manifest))

    by_target = {n.target: n for n in plan(handles, store=str(store)).nodes if n.target}
    assert by_target["projections/3.png"].reasons == ["missing"]
    assert by_target["normalized/4.ome.tiff"].reasons == ["half-written"]
    assert by_target["normalized/5.ome.tiff"].reasons == ["half-written"]
    assert by_target["projections/6.png"].reasons == ["half-written"]
    assert by_target["normalized/7.ome.tiff"].reasons == ["libraries changed (tifffile)"]
    assert by_target["projections/4.png"].status == "up to date"  # its input's key is unchanged
    assert by_target["projections/8.png"].status == "up to date"

    result = run(handles, store=str(store))
    assert sorted(result.executed()) == sorted(["projections/3.png", "normalized/4.ome.tiff", "normalized/5.ome.tiff",
                                                "projections/6.png", "normalized/7.ome.tiff"])
    with tifffile.TiffFile(store / "normalized" / "5.ome.tiff") as tif:  # redone, not read torn
        assert tif.series[0].shape == (3, 4, 12, 12)
    assert plan(handles, store=str(store)).to_run() == []

    # writer configuration and version
    renamed = load(tmp_path / "code", source(tmp_path / "log", channels=["a", "b", "c"]))
    reasons = reasons_by_step(plan(build(renamed, ITEMS), store=str(store)))
    assert "writer changed" in reasons["normalize_cell"]


def test_parameters_inputs_versions_and_skip_policies(tmp_path: Path):
    data = tmp_path / "inputs"
    data.mkdir()
    for name in ("a", "b"):
        np.save(data / f"{name}.npy", np.arange(10) * (2 if name == "b" else 1))

    def summarise(name: str, source: File, scale: float = 1.0) -> dict:
        with source.open() as handle:
            values = np.load(handle) * scale
        return {"name": name, "sum": float(values.sum())}

    store = str(tmp_path / "store")
    names = ["a", "b"]
    sources = [File(str(data / f"{n}.npy")) for n in names]
    base = step(target="sums/{name}.json", writer=Json())(summarise)
    assert run(base.map(names, sources), store=store).executed() == ["sums/a.json", "sums/b.json"]
    assert json.loads((tmp_path / "store" / "sums" / "b.json").read_text()) == {"name": "b", "sum": 90.0}

    def reasons(handles) -> dict[str, list[str]]:
        return {n.target: n.reasons for n in plan(handles, store=store).nodes}

    assert reasons(base.map(names, sources, scale=unmapped(2.0))) == {
        "sums/a.json": ["parameters changed (scale)"], "sums/b.json": ["parameters changed (scale)"]}
    np.save(data / "b.npy", np.arange(10) * 3)  # an input file overwritten
    assert reasons(base.map(names, sources)) == {"sums/a.json": [], "sums/b.json": ["input changed (source)"]}
    versioned = step(target="sums/{name}.json", writer=Json(), version="2")(summarise)
    assert reasons(versioned.map(names, sources))["sums/a.json"] == ["version changed (None → '2')"]
    kept = step(target="sums/{name}.json", writer=Json(), skip="exists")(summarise)
    kept_plan = plan(kept.map(names, sources), store=store)
    assert [n.status for n in kept_plan.nodes] == ["up to date", "up to date"]
    assert kept_plan.nodes[1].reasons == ["exists (skip='exists')", "stale but kept: input changed (source)"]
    always = step(target="sums/{name}.json", writer=Json(), skip="never")(summarise)
    assert run(always.map(names, sources), store=store).executed() == ["sums/a.json", "sums/b.json"]


def test_a_half_written_directory_target_is_redone_not_read(tmp_path: Path):
    @step(target="stacks/{n}.ome.zarr", writer=OmeZarr(dims="CYX", channel_names=["x", "y"]))
    def stack(n: int):
        return np.full((2, 8, 8), n, dtype=np.uint16)

    @step(target="sums/{n}.json")
    def total(n: int, image):
        return {"sum": int(np.asarray(image).sum())}

    store = tmp_path / "store"
    (store / "stacks" / "3.ome.zarr" / "0").mkdir(parents=True)
    (store / "stacks" / "3.ome.zarr" / "0" / "0.0.0").write_bytes(b"torn chunk")  # a crash mid-write
    handles = [total(n, stack(n)) for n in (2, 3)]
    by_target = {n.target: n.reasons for n in plan(handles, store=str(store)).nodes}
    assert by_target["stacks/3.ome.zarr"] == ["half-written"]
    result = run(handles, store=str(store))
    assert json.loads((store / "sums" / "3.json").read_text()) == {"sum": 3 * 2 * 64}
    assert result.counts()["total"]["executed"] == 2


def test_bad_pipelines_are_refused_by_name(tmp_path: Path):
    @step(target="out/{missing}.json")
    def needs(x: int):
        return {}

    with pytest.raises(PipelineError, match="missing"):
        needs(1)

    @step(target="../escape/{x}.json")
    def escapes(x: int):
        return {}

    with pytest.raises(Exception, match="leave the repository"):
        escapes(1)

    @step(target="same.json")
    def collide(x: int):
        return {"x": x}

    with pytest.raises(PipelineError, match="same target"):
        plan(collide.map([1, 2]), store=str(tmp_path))

    @step(target="o/{x}.json")
    def opaque(x: int, thing):
        return {}

    with pytest.raises(PipelineError, match="no canonical form"):
        plan(opaque(1, object()), store=str(tmp_path))
    with pytest.raises(PipelineError, match="skip policy"):
        step(skip="sometimes")(lambda: 1)


def test_one_failing_item_leaves_the_others_checkpointed(tmp_path: Path):
    @step(target="v/{x}.json")
    def fragile(x: int):
        if x == 3:
            raise ValueError("bad cell")
        return {"x": x}

    store = str(tmp_path / "s")
    with pytest.raises(PipelineRunError, match="bad cell") as caught:
        run(fragile.map(list(range(6))), store=store)
    assert sorted(caught.value.result.executed()) == [f"v/{x}.json" for x in (0, 1, 2, 4, 5)]
    assert [n.target for n in plan(fragile.map(list(range(6))), store=store).to_run()] == ["v/3.json"]
    assert not any(name.endswith(".json") and "3" in name for name in os.listdir(tmp_path / "s" / "v"))


def test_map_over_a_table_matches_columns_to_parameters():
    import pandas as pd

    @step(target="t/{cell_id}.json")
    def describe(cell_id: int, area: float, label: str = "cell"):
        return {"cell_id": cell_id, "area": area, "label": label}

    frame = pd.DataFrame({"cell_id": [4, 5], "area": [1.5, 2.5], "unused": ["x", "y"]})
    handles = describe.map(frame)
    assert [h.target for h in handles] == ["t/4.json", "t/5.json"]
    assert [h.arguments for h in handles] == [{"cell_id": 4, "area": 1.5, "label": "cell"},
                                              {"cell_id": 5, "area": 2.5, "label": "cell"}]
    assert [h.arguments["area"] for h in describe.map({"cell_id": [1, 2], "area": [0.5, 0.25]})] == [0.5, 0.25]
    with pytest.raises(PipelineError, match="different lengths"):
        describe.map([1, 2], [1.0])


def test_a_repository_is_a_store_and_its_path_gate_applies(tmp_path: Path):
    from jupyter_remotem.storage.repository import Repository, RepositoryConfig

    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "linked")

    @step(target="{folder}/{x}.json")
    def value(folder: str, x: int):
        return {"x": x}

    repository = Repository(RepositoryConfig(name="results", url=str(root), writable=True))
    result = run(value.map("sums", [1, 2]), store=repository)
    assert result.executed() == ["sums/1.json", "sums/2.json"]
    assert json.loads((root / "sums" / "2.json").read_text()) == {"x": 2}
    with pytest.raises(Exception) as escaped:  # a symlink out of the repository is refused, not followed
        run(value.map("linked", [1]), store=repository)
    assert getattr(escaped.value, "status", None) == 404
    assert list(outside.iterdir()) == []
    read_only = Repository(RepositoryConfig(name="scans", url=str(root)))
    with pytest.raises(PipelineError, match="read-only"):
        plan(value.map("sums", [1]), store=read_only)


def test_planning_writes_nothing_and_a_plain_store_keeps_targets_inside(tmp_path: Path):
    @step(target="{folder}/{x}.json")
    def value(folder: str, x: int):
        return {"x": x}

    store = tmp_path / "fresh"
    assert [n.reasons for n in plan(value.map("a", [1, 2]), store=str(store)).nodes] == [["missing"], ["missing"]]
    assert not store.exists()
    run(value.map("a", [1]), store=str(store))
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, store / "out")
    with pytest.raises(Exception) as escaped:
        run(value.map("out", [1]), store=str(store))
    assert getattr(escaped.value, "status", None) == 404
    assert list(outside.iterdir()) == []
