"""Datasets through the REST API, with the server's own worker: register with a guessed type,
close (a job that records every file's SHA-256), refuse every change through this API to what
is closed, report with ``verify`` what changed behind its back, derive results of jobs on
closed datasets automatically with a run record, and trace the lineage both ways."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil

import numpy as np
import pytest
from _api import call, job_finished
from _owned import jp_server_config, stop_worker  # noqa: F401 - fixtures

from jupyter_remotem.datasets.types import TYPES


#: A bright-field image: the job whose results become derived datasets.
BF = {"operation": "virtual_detector", "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]}}


@pytest.fixture
def lab_dir(tmp_path, demo_dir):
    lab = tmp_path / "lab"
    (lab / "run-1").mkdir(parents=True)
    shutil.copy(demo_dir / "scan.h5", lab / "run-1" / "scan.h5")
    (lab / "run-1" / "notes.txt").write_text("120 kV, 2026-12-06\n")
    (lab / "run-1" / ".hidden").write_text("part of the data too\n")
    np.save(lab / "stack.npy", np.zeros((3, 8, 8), dtype=np.float32))
    return lab


def error_of(code: int, body, status: int, words: str) -> dict:
    assert code == status, (code, body)
    error = body["error"]
    assert set(error) >= {"code", "message", "hint"} and words in error["message"], error
    return error


async def register(jp_fetch, path: str, name: str, **more) -> dict:
    code, made = await call(jp_fetch, "POST", "datasets", body={"repository": "lab", "path": path, "name": name, **more})
    assert code == 201, made
    return made


async def run(jp_fetch, dataset_id: str, action: str) -> dict:
    code, answer = await call(jp_fetch, "POST", "datasets", dataset_id, action)
    assert code == 202, answer
    job = await job_finished(jp_fetch, answer["job"]["id"])
    assert job["phase"] == "COMPLETED", job.get("error")
    return job["results"][0]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_types_are_served_and_guessed_from_format_and_shape(jp_fetch):
    code, served = await call(jp_fetch, "GET", "datasets", "types")
    assert code == 200 and [t["name"] for t in served["types"]] == [t.name for t in TYPES]
    assert all(set(t) == {"name", "label", "preview", "description"} for t in served["types"])
    folder = await register(jp_fetch, "run-1", "Run 1", description="first light")
    scan = await register(jp_fetch, "run-1/scan.h5", "The scan")
    stack = await register(jp_fetch, "stack.npy", "Stack")
    volume = await register(jp_fetch, "run-1/notes.txt", "Notes", type="table")
    assert [d["type"] for d in (folder, scan, stack, volume)] == ["folder", "4d-stem", "image-stack", "table"]
    assert (folder["owner"], folder["state"], folder["description"]) == ("ada", "open", "first light")
    code, listed = await call(jp_fetch, "GET", "datasets", repository="lab", path="run-1")
    assert code == 200 and {d["id"] for d in listed["datasets"]} == {folder["id"], scan["id"], volume["id"]}
    code, listed = await call(jp_fetch, "GET", "datasets", type="image-stack")
    assert [d["id"] for d in listed["datasets"]] == [stack["id"]]


async def test_an_unregistered_file_is_told_the_type_it_would_get(jp_fetch, lab_dir):
    """The lab asks before opening an unregistered array, so a 3-D label volume opens in the
    volume view, a scan in the 4-D viewer; nothing is registered by asking."""
    labels = np.zeros((6, 7, 8), dtype=np.uint8)
    labels[2:4, 1:5, 3:7] = 3
    np.save(lab_dir / "labels.npy", labels)
    guessed = {}
    for path in ("labels.npy", "stack.npy", "run-1/scan.h5", "run-1", "run-1/notes.txt"):
        code, answer = await call(jp_fetch, "GET", "datasets", "types", repository="lab", path=path)
        assert code == 200 and [t["name"] for t in answer["types"]] == [t.name for t in TYPES], answer
        guessed[path] = answer["guess"]
    assert guessed == {"labels.npy": "label-volume", "stack.npy": "image-stack", "run-1/scan.h5": "4d-stem",
                       "run-1": "folder", "run-1/notes.txt": "file"}
    code, listed = await call(jp_fetch, "GET", "datasets")
    assert code == 200 and listed["datasets"] == []
    error_of(*await call(jp_fetch, "GET", "datasets", "types", repository="lab"), 400, "'path'")
    error_of(*await call(jp_fetch, "GET", "datasets", "types", repository="lab", path="gone.npy"), 404, "gone.npy")
    error_of(*await call(jp_fetch, "GET", "datasets", "types", repository="private", path="scan.h5"), 404, "private")
    error_of(*await call(jp_fetch, "GET", "datasets", "types", repository="lab", path="../x"), 400,
             "may not leave the repository")


async def test_bad_requests_get_named_refusals(jp_fetch):
    await register(jp_fetch, "stack.npy", "Stack")
    cases = [
        ({"repository": "lab", "path": "stack.npy", "name": "again"}, 409, "already a dataset"),
        ({"repository": "lab", "path": "nothing-here", "name": "x"}, 404, "nothing-here"),
        ({"repository": "private", "path": "scan.h5", "name": "x"}, 404, "private"),
        ({"repository": "lab", "path": "../outside", "name": "x"}, 400, "may not leave the repository"),
        ({"repository": "lab", "path": "stack.npy"}, 400, "'name'"),
        ({"repository": "lab", "path": "run-1", "name": "x", "type": "hologram"}, 400, "'type'"),
        ({"repository": "lab", "path": "run-1", "name": "x", "owner": "eve"}, 400, "owner"),
        ({"path": "run-1", "name": "x"}, 400, "'repository'"),
    ]
    codes = [error_of(*await call(jp_fetch, "POST", "datasets", body=body), status, words)["code"]
             for body, status, words in cases]
    assert codes == ["conflict", "not_found", "not_found", "bad_parameter", "bad_parameter", "bad_parameter",
                     "bad_parameter", "bad_parameter"]
    error_of(*await call(jp_fetch, "POST", "datasets", body="[1, 2"), 400, "JSON")
    error_of(*await call(jp_fetch, "GET", "datasets", "0" * 36), 404, "no dataset")
    error_of(*await call(jp_fetch, "GET", "datasets", state="half"), 400, "'state'")
    error_of(*await call(jp_fetch, "POST", "datasets", "0" * 36, "close"), 404, "no dataset")


async def test_close_verify_and_the_guard_on_closed_files(jp_fetch, lab_dir):
    run_1 = await register(jp_fetch, "run-1", "Run 1")
    closing = await run(jp_fetch, run_1["id"], "close")
    assert (closing["action"], closing["files"]) == ("close", 3)
    code, shown = await call(jp_fetch, "GET", "datasets", run_1["id"])
    assert shown["state"] == "closed" and shown["closed"] and shown["verification"]["intact"]
    code, manifest = await call(jp_fetch, "GET", "datasets", run_1["id"], "manifest")
    assert manifest["files"] == [{"path": name, "size": (lab_dir / "run-1" / name).stat().st_size,
                                  "sha256": sha256(lab_dir / "run-1" / name)}
                                 for name in sorted((".hidden", "notes.txt", "scan.h5"))]
    error_of(*await call(jp_fetch, "POST", "datasets", run_1["id"], "close"), 409, "already closed")

    # Nothing in it changes through this API: not its files, not the folder, not what holds it.
    refusals = [
        await call(jp_fetch, "PUT", "repositories", "lab", "tree", "run-1", "new", body={"type": "directory"}),
        await call(jp_fetch, "PATCH", "repositories", "lab", "tree", "run-1", "notes.txt",
                   body={"path": "run-1/renamed.txt"}),
        await call(jp_fetch, "PATCH", "repositories", "lab", "tree", "stack.npy", body={"path": "run-1/stack.npy"}),
        await call(jp_fetch, "DELETE", "repositories", "lab", "tree", "run-1", "notes.txt"),
        await call(jp_fetch, "DELETE", "repositories", "lab", "tree", "run-1", recursive="true"),
        await call(jp_fetch, "POST", "jobs", body=dict(BF, repository="demo", path="scan.h5",
                                                       output={"repository": "lab", "path": "run-1/bf.h5"})),
    ]
    upload = await jp_fetch("remotem", "api", "uploads", method="POST", body=b"", raise_error=False, headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": "4",
        "Upload-Metadata": f"repository {b64('lab')},path {b64('run-1/more.txt')}"})
    refusals.append((upload.code, json.loads(upload.body)))
    for code, body in refusals:
        error = error_of(code, body, 409, "closed")
        assert error["code"] == "dataset_closed" and "Run 1" in error["message"]
    assert sorted(p.name for p in (lab_dir / "run-1").iterdir()) == [".hidden", "notes.txt", "scan.h5"]

    # What changes behind its back is found by verify, file by file.
    (lab_dir / "run-1" / "notes.txt").write_text("120 kV, 2026-12-07\n")  # same size, other bytes
    (lab_dir / "run-1" / ".hidden").unlink()
    (lab_dir / "run-1" / "extra.txt").write_text("new\n")
    verified = await run(jp_fetch, run_1["id"], "verify")
    assert (verified["intact"], verified["changed"], verified["missing"], verified["added"]) == \
        (False, ["notes.txt"], [".hidden"], ["extra.txt"])
    code, shown = await call(jp_fetch, "GET", "datasets", run_1["id"])
    assert shown["verification"]["changed"] == ["notes.txt"] and shown["verified"] >= shown["closed"]


async def test_results_of_jobs_on_closed_datasets_are_derived_with_a_run_record(jp_fetch, lab_dir):
    scan = await register(jp_fetch, "run-1/scan.h5", "Scan 1")
    error_of(*await call(jp_fetch, "POST", "datasets", body={
        "repository": "lab", "path": "stack.npy", "name": "x", "parents": [scan["id"]]}), 409, "open")
    await run(jp_fetch, scan["id"], "close")
    code, job = await call(jp_fetch, "POST", "jobs", body=dict(
        BF, repository="lab", path="run-1/scan.h5", output={"repository": "lab", "path": "derived/bf.h5"}))
    assert code == 201, job
    finished = await job_finished(jp_fetch, job["id"])
    assert finished["phase"] == "COMPLETED", finished
    code, listed = await call(jp_fetch, "GET", "datasets", repository="lab", path="derived")
    [derived] = listed["datasets"]
    assert (derived["path"], derived["parents"], derived["job_id"], derived["state"]) == \
        ("derived/bf.h5", [scan["id"]], job["id"], "open")
    record = derived["run"]
    assert record["operation"] == "virtual_detector" and record["who"] == "ada" and record["job_id"] == job["id"]
    lines = f"\t{(lab_dir / 'run-1' / 'scan.h5').stat().st_size}\t{sha256(lab_dir / 'run-1' / 'scan.h5')}\n"
    assert record["inputs"] == [{"dataset": scan["id"], "repository": "lab", "path": "run-1/scan.h5",
                                 "manifest_sha256": hashlib.sha256(lines.encode()).hexdigest()}]
    assert {"jupyter_remotem", "numpy"} <= set(record["software"])
    assert "output" not in record["parameters"]
    code, graph = await call(jp_fetch, "GET", "datasets", scan["id"], "lineage")
    assert graph["edges"] == [{"parent": scan["id"], "child": derived["id"]}]
    assert {node["id"] for node in graph["nodes"]} == {scan["id"], derived["id"]}
    code, parent = await call(jp_fetch, "GET", "datasets", scan["id"])
    assert parent["children"] == [derived["id"]]
    error_of(*await call(jp_fetch, "DELETE", "datasets", scan["id"]), 409, "derived")
    assert (await call(jp_fetch, "DELETE", "datasets", derived["id"]))[0] == 204
    assert (await call(jp_fetch, "DELETE", "datasets", scan["id"]))[0] == 204
    assert (lab_dir / "run-1" / "scan.h5").exists(), "unregistering leaves the files"
    assert json.dumps(listed).count("secret") == 0


async def test_a_closed_result_outlives_the_job_that_wrote_it(jp_fetch, lab_dir):
    code, job = await call(jp_fetch, "POST", "jobs", body=dict(
        BF, repository="lab", path="run-1/scan.h5", output={"repository": "lab", "path": "bf.h5"}))
    assert code == 201, job
    assert (await job_finished(jp_fetch, job["id"]))["phase"] == "COMPLETED"
    bf = await register(jp_fetch, "bf.h5", "BF")
    await run(jp_fetch, bf["id"], "close")
    code, _ = await call(jp_fetch, "DELETE", "jobs", job["id"])
    assert code == 204
    assert (lab_dir / "bf.h5").exists(), "deleting the job leaves the closed dataset's file"
    code, quota = await call(jp_fetch, "GET", "quota")
    assert quota["usage"]["kept_files"] >= 1, quota


async def test_the_python_client_closes_verifies_and_traces(jp_fetch, jp_http_port, jp_base_url, jp_auth_header, lab_dir):
    import asyncio

    import jupyter_remotem as remotem

    token = jp_auth_header["Authorization"].split(" ", 1)[1]
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"

    def session() -> tuple:
        with remotem.connect(url, token) as c:
            made = c.datasets.register("lab", "run-1", "Run 1", description="by the client")
            closed = c.datasets.close(made["id"])
            verified = c.datasets.verify(made["id"])
            return made, closed, verified, c.datasets.get(made["id"]), c.datasets.manifest(made["id"]), \
                c.datasets.list(mine=True), c.datasets.lineage(made["id"]), c.datasets.types()

    made, closed, verified, shown, manifest, mine, lineage, types = await asyncio.to_thread(session)
    assert made["type"] == "folder" and closed["files"] == 3 and verified["intact"]
    assert shown["state"] == "closed" and [f["path"] for f in manifest] == [".hidden", "notes.txt", "scan.h5"]
    assert [d["id"] for d in mine] == [made["id"]] and lineage["nodes"][0]["id"] == made["id"]
    assert [t["name"] for t in types] == [t.name for t in TYPES]


async def test_the_tree_marks_datasets_and_their_state(jp_fetch):
    run_1 = await register(jp_fetch, "run-1", "Run 1")
    scan = await register(jp_fetch, "run-1/scan.h5", "Scan")
    await run(jp_fetch, scan["id"], "close")
    code, top = await call(jp_fetch, "GET", "repositories", "lab", "tree")
    marks = {entry["path"]: entry["registered"] for entry in top["entries"]}
    assert marks["run-1"] == {"id": run_1["id"], "name": "Run 1", "state": "open", "type": "folder"}
    assert marks["stack.npy"] is None
    code, inside = await call(jp_fetch, "GET", "repositories", "lab", "tree", "run-1")
    marks = {entry["path"]: entry["registered"] for entry in inside["entries"]}
    assert marks["run-1/scan.h5"]["state"] == "closed" and marks["run-1/notes.txt"] is None
