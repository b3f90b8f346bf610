"""The catalog through a real Jupyter server and its worker: indexing as a job (incremental,
damaged files indexed with their reason), searches by tree and by text, facets, a hidden
repository that never shows, tags and notes, results indexed as their jobs finish, and the
client's query objects and lazy results."""

from __future__ import annotations

import os

import numpy as np
import pytest
from _api import call, job_finished
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _results import jp_server_config, repositories, run_job, stop_worker  # noqa: F401 - fixtures


async def index(jp_fetch, repository: str, path: str = "") -> dict:
    code, job = await call(jp_fetch, "POST", "search", "index", body={"repository": repository, "path": path})
    assert code == 201, job
    done = await job_finished(jp_fetch, job["id"])
    assert done["phase"] == "COMPLETED", done
    return done["results"][0]


async def search(jp_fetch, query, **body) -> dict:
    code, answer = await call(jp_fetch, "POST", "search", body={"query": query, "limit": 1000, **body})
    assert code == 200, answer
    return answer


def where(answer: dict) -> set[tuple[str, str | None]]:
    return {(hit["path"], hit["dataset"]) for hit in answer["hits"]}


async def test_index_then_find_by_descriptor_data_and_text(jp_fetch, demo_dir):
    summary = await index(jp_fetch, "demo")
    assert summary["seen"] >= 10 and summary["indexed"] == summary["seen"]
    # The demo's HDF5 frames say beam_energy_keV = 200: found in keV, in MeV, by its stem.
    hits = where(await search(jp_fetch, {"op": "between", "key": "desc.beam_energy", "value": [0.15, 0.25],
                                         "unit": "MeV"}))
    assert ("scan.h5", "/entry/data/frames") in hits and ("scan.npy", None) not in hits
    assert where(await search(jp_fetch, "desc.beam_energy_keV:200")) >= {("scan.h5", "/entry/data/frames")}
    # Data summaries: every sampled frame of the demo scan has a positive sum.
    frames = np.load(demo_dir / "scan.npy")
    mean_sum = float(frames.reshape(-1, *frames.shape[-2:]).sum(axis=(1, 2)).mean())
    found = where(await search(jp_fetch, {"op": "gt", "key": "data.frame_sum_mean", "value": mean_sum / 10}))
    assert ("scan.npy", None) in found and ("scan.mib", None) in found
    assert ("scan.npy", None) not in where(await search(jp_fetch, {"op": "gt", "key": "data.frame_sum_mean",
                                                                   "value": mean_sum * 1.5}))
    # Text syntax by GET, with facets, shape and format.
    code, answer = await call(jp_fetch, "GET", "search", q="shape:32x48x64x64 AND NOT format:npy",
                              facets="format")
    assert code == 200, answer
    assert answer["total"] == len(answer["hits"]) > 3 and all(h["shape"] == [32, 48, 64, 64] for h in answer["hits"])
    assert "npy" not in {f["value"] for f in answer["facets"]["format"]}
    assert answer["text"] == "shape:32x48x64x64 AND NOT format:npy"
    full = where(await search(jp_fetch, "wedge"))  # the HDF5 title: "synthetic 4D-STEM scan", signal "... wedge ..."
    assert ("scan.h5", "/entry/data/frames") in full


async def test_a_second_run_opens_only_what_changed(jp_fetch, tmp_path):
    results = tmp_path / "results"
    for i in range(5):
        np.save(results / f"a{i}.npy", np.full((2, 3, 4, 4), i, np.uint16))
    first = await index(jp_fetch, "results")
    assert (first["indexed"], first["unchanged"]) == (5, 0)
    np.save(results / "a1.npy", np.full((2, 3, 4, 4), 100, np.uint16))
    os.utime(results / "a1.npy", (1e9, 1e9))
    (results / "a4.npy").unlink()
    second = await index(jp_fetch, "results")
    assert (second["indexed"], second["unchanged"], second["removed"]) == (1, 3, 1)
    hits = await search(jp_fetch, {"op": "ge", "key": "data.max", "value": 100})
    assert where(hits) == {("a1.npy", None)}
    assert not where(await search(jp_fetch, "name:a4.npy"))


async def test_damaged_files_are_indexed_with_their_reason(jp_fetch, broken_dir):
    summary = await index(jp_fetch, "broken")
    assert summary["unreadable"] >= 1
    answer = await search(jp_fetch, {"op": "eq", "key": "status", "value": "unreadable"})
    assert answer["hits"] and all(hit["reason"] for hit in answer["hits"])


async def test_a_hidden_repository_never_shows(jp_fetch):
    await index(jp_fetch, "demo")
    code, refused = await call(jp_fetch, "POST", "search", "index", body={"repository": "private"})
    assert code == 404, refused
    everything = await search(jp_fetch, None, facets=["repository"])
    assert {hit["repository"] for hit in everything["hits"]} == {"demo"}
    assert {f["value"] for f in everything["facets"]["repository"]} == {"demo"}
    code, refused = await call(jp_fetch, "GET", "search", "annotations", repository="private", path="scan.h5")
    assert code == 404, refused


async def test_tags_and_notes_through_the_api(jp_fetch):
    await index(jp_fetch, "demo", "scan.h5")
    code, tag = await call(jp_fetch, "POST", "search", "annotations",
                           body={"repository": "demo", "path": "scan.h5", "kind": "tag", "value": "good"})
    assert code == 201 and tag["mine"] is True, tag
    hits = where(await search(jp_fetch, "tag:good"))
    assert hits == {("scan.h5", None)}
    code, changed = await call(jp_fetch, "PATCH", "search", "annotations", str(tag["id"]), body={"value": "best"})
    assert code == 200 and changed["value"] == "best"
    assert not where(await search(jp_fetch, "tag:good")) and where(await search(jp_fetch, "tag:best"))
    code, history = await call(jp_fetch, "GET", "search", "annotations", str(tag["id"]))
    assert [h["action"] for h in history["history"]] == ["created", "changed"]
    code, _ = await call(jp_fetch, "DELETE", "search", "annotations", str(tag["id"]))
    assert code == 204 and not where(await search(jp_fetch, "tag:best"))
    for body, status, fragment in (
        ({"repository": "demo", "path": "scan.h5", "kind": "tag", "value": ""}, 400, "text value"),
        ({"repository": "demo", "path": "scan.h5", "kind": "tag", "value": "x", "visibility": "group",
          "group": "nobody"}, 400, "one of your groups"),
        ({"repository": "demo", "path": "../../etc/passwd", "kind": "tag", "value": "x"}, 400, "repository"),
        ({"repository": "demo", "path": "scan.h5", "kind": "label", "value": "x"}, 400, "'tag' or a 'note'"),
    ):
        code, answer = await call(jp_fetch, "POST", "search", "annotations", body=body)
        assert code == status, answer
        assert fragment in answer["error"]["message"] and answer["error"]["hint"] is not None


@pytest.mark.parametrize(("request_body", "fragment"), [
    ({"query": "name:(unclosed"}, "Cannot read the query at character"),
    ({"query": {"op": "xor"}}, "unknown operator 'xor'"),
    ({"query": None, "sort": "password"}, "Cannot sort by"),
    ({"query": None, "limit": 10 ** 6}, "'limit'"),
    ({"query": None, "cursor": "not-a-cursor"}, "not one a search answered"),
    ({"query": None, "facets": ["secret"]}, "No facet"),
    ({"query": None, "select": "*"}, "POST search takes"),
])
async def test_bad_searches_are_400_with_a_hint(jp_fetch, request_body, fragment):
    code, answer = await call(jp_fetch, "POST", "search", body=request_body)
    assert code == 400, answer
    assert fragment in answer["error"]["message"] and set(answer["error"]) == {"code", "message", "hint"}


async def test_results_are_found_as_their_jobs_finish(jp_fetch, tmp_path):
    await run_job(jp_fetch, {"repository": "demo", "path": "scan.h5", "operation": "frame_stats",
                             "output": {"repository": "results", "path": "stats.h5", "format": "hdf5"}})
    code, jobs = await call(jp_fetch, "GET", "jobs")
    owner = jobs["jobs"][0]["owner"]
    answer = await search(jp_fetch, f"owner:{owner} AND name:stats.h5")
    assert ("stats.h5", None) in where(answer), jobs["jobs"][0]["results"]


async def test_the_client_queries_and_opens_what_it_finds(jp_fetch, client):  # noqa: F811
    from jupyter_remotem.client import Format, Key, Name, Tag

    job = await in_thread(client.index, "demo")
    await in_thread(job.wait, progress=False)
    await in_thread(client.tag, "demo", "scan.npy", "good", "readers")
    query = (Key("desc.beam_energy").between(150, 250, unit="keV") | Tag("good")) & ~Name.like("*contiguous*")
    results = await in_thread(client.search, query, "path", ("format",), 2)
    hits = await in_thread(list, results)
    assert len(hits) == results.total >= 3  # more than one page of 2
    assert ("scan.npy", None) in {(h.path, h.dataset) for h in hits}
    assert all("contiguous" not in h.path for h in hits)
    opened = await in_thread(next(h for h in hits if h.path == "scan.npy").open)
    assert opened.shape == (32, 48, 64, 64)
    table = await in_thread(results.to_pandas)
    assert len(table) == results.total and {"repository", "path", "shape"} <= set(table.columns)
    text = await in_thread(client.search, "format:npy")
    assert [h.path for h in await in_thread(list, text)] == ["scan.npy"] and text.query == Format("npy").to_json()


async def test_saved_searches_are_named_owned_and_run_again(jp_fetch, client):  # noqa: F811
    from jupyter_remotem.client import Format

    await index(jp_fetch, "demo")
    saved = await in_thread(client.save_search, "npy files", Format("npy"))
    assert saved["name"] == "npy files" and saved["query"] == {"op": "format", "value": "npy"}
    code, again = await call(jp_fetch, "POST", "search", "saved", body={"name": "npy files", "query": "format:mib"})
    assert code == 409 and "overwrite" in again["error"]["hint"]
    code, replaced = await call(jp_fetch, "POST", "search", "saved",
                                body={"name": "npy files", "query": "format:npy OR format:mib", "overwrite": True})
    assert code == 201 and replaced["id"] == saved["id"]
    listed = await in_thread(client.saved_searches)
    assert [(s["name"], s["mine"]) for s in listed] == [("npy files", True)]
    code, ran = await call(jp_fetch, "GET", "search", "saved", str(saved["id"]))
    assert code == 200 and {h["path"] for h in ran["hits"]} == {"scan.npy", "scan.mib"}
    code, refused = await call(jp_fetch, "POST", "search", "saved",
                               body={"name": "x", "query": "tag:a", "visibility": "group", "group": "astro"})
    assert code == 400 and "one of your groups" in refused["error"]["message"]
    code, _ = await call(jp_fetch, "DELETE", "search", "saved", str(saved["id"]))
    assert code == 204 and await in_thread(client.saved_searches) == []
    code, gone = await call(jp_fetch, "GET", "search", "saved", str(saved["id"]))
    assert code == 404, gone


async def test_curated_metadata_has_revisions_and_is_searchable(jp_fetch, tmp_path, client):  # noqa: F811
    from jupyter_remotem.client.errors import Conflict

    np.save(tmp_path / "results" / "grain.npy", np.ones((2, 2, 4, 4), np.float32))
    await index(jp_fetch, "results")
    first = await in_thread(client.curate, "results", "grain.npy", {"sample": {"name": "Si wedge", "tilt_deg": 3},
                                                                    "operator": "alice"})
    assert first["revision"] == 1
    assert where(await search(jp_fetch, 'meta.curated/sample/name:"Si wedge"')) == {("grain.npy", None)}
    assert where(await search(jp_fetch, "desc.tilt:[0.04rad TO 0.06rad]")) == {("grain.npy", None)}
    second = await in_thread(lambda: client.curate("results", "grain.npy", {"sample": {"tilt_deg": None},
                                                                            "operator": "bob"}, revision=1))
    assert second["document"] == {"sample": {"name": "Si wedge"}, "operator": "bob"}
    assert not where(await search(jp_fetch, "desc.tilt_deg:*"))  # the removed key is no longer found
    with pytest.raises(Conflict, match="changed since revision 1"):
        await in_thread(lambda: client.curate("results", "grain.npy", {"x": 1}, revision=1))
    np.save(tmp_path / "results" / "grain.npy", np.zeros((2, 2, 4, 4), np.float32))  # the file changes
    await index(jp_fetch, "results")
    assert where(await search(jp_fetch, "meta.curated/operator:bob")) == {("grain.npy", None)}  # kept
    state = await in_thread(client.curated, "results", "grain.npy")
    assert [r["revision"] for r in state["history"]] == [1, 2] and state["history"][1]["patch"]["operator"] == "bob"
    code, refused = await call(jp_fetch, "PATCH", "search", "curated",
                               body={"repository": "demo", "path": "scan.h5", "patch": {"x": 1}})
    assert code == 403 and "read-only" in refused["error"]["message"], refused
    code, refused = await call(jp_fetch, "PATCH", "search", "curated",
                               body={"repository": "results", "path": "grain.npy", "patch": []})
    assert code == 400 and "Merge Patch" in refused["error"]["message"], refused


async def test_the_fields_of_a_nexus_file_are_descriptors_with_their_units(jp_fetch, tmp_path):
    import h5py

    outside = tmp_path / "outside.raw"
    np.arange(4, dtype=np.float64).tofile(outside)
    with h5py.File(tmp_path / "results" / "run.nxs", "w") as f:
        f["entry/instrument/energy"] = 200.0
        f["entry/instrument/energy"].attrs["units"] = "kV"
        f["entry/sample/name"] = b"Si wedge"
        f["entry/motors/theta"] = np.array([2.5, 2.75])
        f["entry/motors/theta"].attrs["units"] = "deg"
        f.create_dataset("entry/outside", shape=(4,), dtype=np.float64, external=[(str(outside), 0, 32)])
        f["entry/data/frames"] = np.ones((2, 3, 4, 4), np.float32)
    await index(jp_fetch, "results")
    assert where(await search(jp_fetch, "desc.energy:[0.19MV TO 0.21MV]")) == {("run.nxs", None)}
    assert where(await search(jp_fetch, "desc.theta:[0.047rad TO 0.05rad]")) == {("run.nxs", None)}  # 2.75°
    assert not where(await search(jp_fetch, "desc.theta:>3deg"))
    assert where(await search(jp_fetch, 'meta.hdf5_fields/entry/sample/name:"Si wedge"')) == {("run.nxs", None)}
    code, keys = await call(jp_fetch, "GET", "search", "keys", prefix="meta.hdf5_fields")
    assert code == 200 and "meta.hdf5_fields/entry/instrument/energy" in keys["keys"]
    assert not any("outside" in key for key in keys["keys"])  # data in another file is never read


async def test_deleted_and_moved_files_leave_the_catalog_at_once(jp_fetch, tmp_path):
    folder = tmp_path / "results" / "batch"
    folder.mkdir()
    for name in ("a.npy", "b.npy", "c.npy"):
        np.save(folder / name, np.ones((2, 2, 3, 3), np.uint8))
    await index(jp_fetch, "results")
    assert len(where(await search(jp_fetch, "path:~batch/"))) == 3
    code, _ = await call(jp_fetch, "DELETE", "repositories", "results", "tree", "batch/a.npy")
    assert code == 204
    code, _ = await call(jp_fetch, "PATCH", "repositories", "results", "tree", "batch/b.npy", body={"path": "b2.npy"})
    assert code == 200
    assert where(await search(jp_fetch, "path:~batch/")) == {("batch/c.npy", None)}
    code, _ = await call(jp_fetch, "DELETE", "repositories", "results", "tree", "batch", recursive="1")
    assert code == 204 and not where(await search(jp_fetch, "path:~batch/"))
