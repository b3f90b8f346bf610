"""Publishing pipeline products: an RO-Crate (Workflow Run Crate profile) read back by the
``rocrate`` package's own reader, with the step code as the main ComputationalWorkflow, one
CreateAction per step run (what it read, what it made), the run's CreateAction and its record; and,
against a repository of a real Jupyter server, a derived dataset whose lineage answers its closed
parents (an open parent is refused by name).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from _api import call, job_finished, server_config, stop_started_worker
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _pipeline_cells import build, load, source, table
from rocrate.rocrate import ROCrate

from jupyter_remotem.client import RemotemError
from jupyter_remotem.pipeline import PipelineError, Store, run
from jupyter_remotem.pipeline.publish import PROFILES, publish
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

ITEMS = 4


@pytest.fixture
def module(tmp_path: Path):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    return load(tmp_path / "code", source(log_dir))


def ids(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return sorted(v.id if hasattr(v, "id") else v["@id"] for v in values if v is not None)


def test_the_crate_loads_in_rocrate_with_the_code_the_step_runs_and_the_run_record(tmp_path, module):
    store = tmp_path / "store"
    handles = build(module, table(ITEMS))
    made = run(handles, store=str(store))
    published = publish(handles, tmp_path / "crate", store=str(store), name="Cell projections", license="CC-BY-4.0")
    crate = ROCrate(str(tmp_path / "crate"))

    conforms = ids(crate.root_dataset["conformsTo"])
    assert {profile for profile, _ in PROFILES} <= set(conforms)
    assert any("workflow-ro-crate" in c for c in conforms)
    workflow = crate.mainEntity
    assert {"File", "SoftwareSourceCode", "ComputationalWorkflow"} <= set(workflow.type)
    assert workflow.id == "code/cellpipe.py"
    assert (tmp_path / "crate" / "code" / "cellpipe.py").read_text() == Path(module.__file__).read_text()
    assert workflow["programmingLanguage"]["name"] == "Python"
    assert {e["name"] for e in workflow["softwareRequirements"]} >= {"numpy", "tifffile", "jupyter_remotem"}

    products = sorted(published.products)
    assert len(products) == 2 * ITEMS
    for relative in products:
        entity = crate.get(f"products/{relative}")
        assert entity is not None and "File" in entity.type
        data = (store / relative).read_bytes()
        assert (tmp_path / "crate" / "products" / relative).read_bytes() == data
        assert entity["sha256"] == hashlib.sha256(data).hexdigest() and entity["contentSize"] == len(data)

    run_id = made.record["run"]
    actions = {a.id: a for a in crate.get_entities() if a.type == "CreateAction"}
    assert set(actions) == {f"#run/{run_id}", f"#run/{run_id}/normalize_cell", f"#run/{run_id}/project_cell"}
    normalize, project = actions[f"#run/{run_id}/normalize_cell"], actions[f"#run/{run_id}/project_cell"]
    normalized = [f"products/normalized/{i}.ome.tiff" for i in range(ITEMS)]
    projections = [f"products/projections/{i}.png" for i in range(ITEMS)]
    assert ids(normalize["result"]) == sorted(normalized)
    assert ids(project["object"]) == sorted(normalized)  # what the projections were made from
    assert ids(project["result"]) == sorted(projections)
    assert normalize["instrument"].id == "#step/normalize_cell"
    assert normalize["instrument"]["identifier"].startswith("sha256:")
    assert normalize["startTime"] <= normalize["endTime"] and normalize["agent"]["name"] == made.record["who"]
    whole = actions[f"#run/{run_id}"]
    assert whole["instrument"].id == workflow.id
    assert ids(whole["result"]) == sorted(normalized + projections)
    assert whole["startTime"] == made.record["started"] and whole["endTime"] == made.record["ended"]
    record_entity = crate.get(f"runs/{run_id}.json")
    assert record_entity["about"].id == whole.id
    record = json.loads((tmp_path / "crate" / "runs" / f"{run_id}.json").read_text())
    assert record["run"] == run_id and record["libraries"] == made.record["libraries"]


def test_targets_by_path_publish_too_and_what_is_not_made_is_refused(tmp_path, module):
    store = tmp_path / "store"
    handles = build(module, table(2))
    with pytest.raises(PipelineError, match="not made"):
        publish(handles, tmp_path / "early", store=str(store))
    run(handles, store=str(store))
    published = publish(["projections/0.png", "projections/1.png"], tmp_path / "crate", store=str(store))
    crate = ROCrate(str(tmp_path / "crate"))
    assert {"products/projections/0.png", "products/projections/1.png"} <= {e.id for e in crate.get_entities()}
    assert len(published.runs) == 1
    with pytest.raises(PipelineError, match="not committed"):
        publish(["projections/9.png"], tmp_path / "none", store=str(store))
    with pytest.raises(PipelineError, match="not empty"):
        publish(["projections/0.png"], tmp_path / "crate", store=str(store))
    with pytest.raises(PipelineError, match="repository"):
        publish(handles, tmp_path / "other", store=str(store), dataset="Cells")


class TestDerivedDataset:
    @pytest.fixture
    def results(self, tmp_path: Path) -> Path:
        folder = tmp_path / "results"
        folder.mkdir()
        return folder

    @pytest.fixture
    def jp_server_config(self, repositories, results):
        return server_config(repositories + [{"name": "results", "url": str(results), "writable": True}],
                             start_worker=True)

    @pytest.fixture(autouse=True)
    def stop_worker(self, jp_serverapp):
        yield
        stop_started_worker(jp_serverapp)

    async def test_published_products_are_a_dataset_derived_from_their_closed_inputs(
            self, jp_fetch, client, tmp_path, results, module):  # noqa: F811 - fixture
        code, parent = await call(jp_fetch, "POST", "datasets",
                                  body={"repository": "demo", "path": "scan.npy", "name": "Raw scan"})
        assert code == 201, parent
        code, other = await call(jp_fetch, "POST", "datasets",
                                 body={"repository": "demo", "path": "scan.h5", "name": "Open scan"})
        assert code == 201, other
        code, closing = await call(jp_fetch, "POST", "datasets", parent["id"], "close")
        assert code == 202, closing
        assert (await job_finished(jp_fetch, closing["job"]["id"]))["phase"] == "COMPLETED"

        repository = Repository(RepositoryConfig.from_dict({"name": "results", "url": str(results),
                                                            "writable": True}))
        store = Store.for_repository(repository, "cells")
        handles = build(module, table(ITEMS))
        await in_thread(run, handles, store=store)
        assert (results / "cells" / "projections" / "0.png").exists()

        with pytest.raises(RemotemError, match="Open scan"):
            await in_thread(publish, handles, tmp_path / "refused", store=store, dataset="Cells",
                            parents=[parent["id"], other["id"]], client=client)
        published = await in_thread(publish, handles, tmp_path / "crate", store=store, dataset="Cells",
                                    parents=[parent["id"]], client=client)
        child = published.dataset
        assert child["repository"] == "results" and child["path"] == "cells" and child["name"] == "Cells"
        code, lineage = await call(jp_fetch, "GET", "datasets", child["id"], "lineage")
        assert code == 200, lineage
        assert {"parent": parent["id"], "child": child["id"]} in [
            {"parent": e["parent"], "child": e["child"]} for e in lineage["edges"]]
        assert {n["id"] for n in lineage["nodes"]} >= {parent["id"], child["id"]}
        code, shown = await call(jp_fetch, "GET", "datasets", child["id"])
        assert code == 200 and json.dumps(shown).count("pipeline") >= 1
        ROCrate(str(tmp_path / "crate"))  # the crate of the registered products reads back
