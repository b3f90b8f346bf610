"""Tokens restricted to places: a personal token made with a ``reach`` (folders of repositories,
or datasets) touches nothing outside it — not by a path, a prefix that only looks alike, a link
inside a file, a job's source or output, an upload's target, nor a list of jobs or datasets —
and endpoints answering across repositories refuse it.  Its owner's session is unaffected."""

from __future__ import annotations

import base64
import json

import h5py
import numpy as np
import pytest
from _api import call, server_config

DETECTOR = {"operation": "virtual_detector", "params": {"detectors": [{"shape": "disk", "cx": 4, "cy": 4, "r": 2}]}}


@pytest.fixture
def out_dir(tmp_path):
    out = tmp_path / "out"
    (out / "beamline-7").mkdir(parents=True)
    (out / "beamline-70").mkdir()
    frames = np.arange(3 * 4 * 8 * 8, dtype=np.float32).reshape(3, 4, 8, 8)
    np.save(out / "beamline-7" / "scan.npy", frames)
    np.save(out / "beamline-70" / "scan.npy", frames)
    with h5py.File(out / "secret.h5", "w") as secret:
        secret["data"] = frames
    with h5py.File(out / "beamline-7" / "linked.h5", "w") as linked:
        linked["data"] = h5py.ExternalLink("../secret.h5", "/data")
    return out


@pytest.fixture
def jp_server_config(repositories, out_dir):
    return server_config(repositories + [{"name": "out", "url": str(out_dir), "writable": True}], owner="ada")


@pytest.fixture
def with_token(http_server_client, jp_base_url):
    async def fetch(secret, path, method="GET", body=None, headers=None):
        response = await http_server_client.fetch(
            f"{jp_base_url}remotem/api/{path}", method=method, raise_error=False,
            headers={"Authorization": f"token {secret}", **(headers or {})},
            body=json.dumps(body) if isinstance(body, (dict, list)) else (body if body is not None else
                                                                            (None if method in ("GET", "HEAD") else b"")),
            allow_nonstandard_methods=True)
        text = response.body.decode() if response.body else ""
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return response.code, (json.loads(text) if text and is_json else text)

    return fetch


async def token(jp_fetch, reach, scopes=("read", "write", "jobs")) -> str:
    code, made = await call(jp_fetch, "POST", "tokens", body={"name": "ingest", "scopes": list(scopes), "reach": reach})
    assert code == 201, made
    assert made["reach"] == [dict(place) for place in reach]
    return made["token"]


def outside(answer) -> bool:
    return answer["error"]["code"] == "outside_token_reach" and "reaches only out:beamline-7" in answer["error"]["message"]


async def test_a_token_reaches_only_its_folder(jp_fetch, with_token, out_dir):
    secret = await token(jp_fetch, [{"repository": "out", "path": "beamline-7"}])
    code, listed = await with_token(secret, "repositories")
    assert code == 200 and [repo["name"] for repo in listed["repositories"]] == ["out"]
    code, tree = await with_token(secret, "repositories/out/tree/beamline-7")
    assert code == 200 and {entry["name"] for entry in tree["entries"]} == {"scan.npy", "linked.h5"}
    for path in ("repositories/out/tree", "repositories/out/tree/beamline-70",
                 "repositories/out/meta/beamline-70/scan.npy", "repositories/out/download/secret.h5",
                 "repositories/demo/tree", "repositories/demo/meta/scan.h5"):
        code, refused = await with_token(secret, path)
        assert code == 403 and refused["error"]["code"] == "outside_token_reach", (path, code, refused)
    code, refused = await with_token(secret, "repositories/out/tree/beamline-7/../secret.h5")
    assert code in (400, 403, 404), (code, refused)
    # A link inside a file in reach, to a file out of it in the same repository, is not followed.
    linked = dict(DETECTOR, repository="out", path="beamline-7/linked.h5", dataset="/data")
    code, refused = await with_token(secret, "reductions", "POST", linked)
    assert code == 403 and refused["error"]["code"] in ("outside_token_reach", "outside_repository"), refused
    assert (await call(jp_fetch, "POST", "reductions", body=linked))[0] == 200  # the owner's session reads it
    # Interactive reductions read only what is in reach.
    code, answer = await with_token(secret, "reductions", "POST", dict(DETECTOR, repository="out",
                                                                        path="beamline-7/scan.npy"))
    assert code == 200, answer
    code, refused = await with_token(secret, "reductions", "POST", dict(DETECTOR, repository="out",
                                                                         path="beamline-70/scan.npy"))
    assert code == 403 and outside(refused), refused

    # Writes too: folders, uploads.
    code, _ = await with_token(secret, "repositories/out/tree/beamline-7/run-2", "PUT", {"type": "directory"})
    assert code == 201 and (out_dir / "beamline-7" / "run-2").is_dir()
    code, refused = await with_token(secret, "repositories/out/tree/run-2", "PUT", {"type": "directory"})
    assert code == 403 and outside(refused) and not (out_dir / "run-2").exists()
    meta = lambda path: ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"  # noqa: E731
                                 for key, value in (("repository", "out"), ("path", path)))
    upload = {"Tus-Resumable": "1.0.0", "Upload-Length": "4"}
    code, refused = await with_token(secret, "uploads", "POST", b"",
                                     headers=dict(upload, **{"Upload-Metadata": meta("elsewhere.txt")}))
    assert code == 403 and outside(refused), refused
    code, _ = await with_token(secret, "uploads", "POST", b"", headers=dict(upload, **{"Upload-Metadata": meta(
        "beamline-7/notes.txt")}))
    assert code == 201

    # Endpoints answering across repositories refuse it; the owner's session is not restricted.
    for path, method in (("search?q=scan", "GET"), ("search/annotations", "GET"), ("tokens", "GET"),
                         ("jobs/clear", "POST")):
        code, refused = await with_token(secret, path, method)
        assert code == 403 and refused["error"]["code"] == "outside_token_reach", (path, refused)
    code, tree = await call(jp_fetch, "GET", "repositories", "out", "tree")
    assert code == 200 and "secret.h5" in {entry["name"] for entry in tree["entries"]}


async def test_jobs_of_a_restricted_token_stay_within_its_reach(jp_fetch, with_token):
    secret = await token(jp_fetch, [{"repository": "out", "path": "beamline-7"}])
    inside = dict(DETECTOR, repository="out", path="beamline-7/scan.npy",
                  output={"repository": "out", "path": "beamline-7/bf.h5"})
    code, job = await with_token(secret, "jobs", "POST", inside)
    assert code == 201, job
    for body in (dict(inside, output={"repository": "out", "path": "bf.h5"}),
                 dict(inside, path="beamline-70/scan.npy"),
                 dict(inside, repository="demo", path="scan.h5")):
        code, refused = await with_token(secret, "jobs", "POST", body)
        assert code == 403 and refused["error"]["code"] == "outside_token_reach", (body, refused)
    # The owner's job elsewhere: not listed for the token, and 404 by its id.
    code, theirs = await call(jp_fetch, "POST", "jobs", body=dict(inside, output={"repository": "out",
                                                                                 "path": "elsewhere.h5"}))
    assert code == 201, theirs
    code, listed = await with_token(secret, "jobs")
    assert code == 200 and [j["id"] for j in listed["jobs"]] == [job["id"]]
    code, listed = await call(jp_fetch, "GET", "jobs")
    assert {j["id"] for j in listed["jobs"]} == {job["id"], theirs["id"]}
    assert (await with_token(secret, f"jobs/{job['id']}"))[0] == 200
    for path, method in ((f"jobs/{theirs['id']}", "GET"), (f"jobs/{theirs['id']}/results", "GET"),
                         (f"jobs/{theirs['id']}/cancel", "POST"), (f"jobs/{theirs['id']}", "DELETE")):
        code, refused = await with_token(secret, path, method)
        assert code == 404 and refused["error"]["code"] == "not_found", (path, refused)


async def test_a_token_restricted_to_a_dataset(jp_fetch, with_token):
    code, mine = await call(jp_fetch, "POST", "datasets", body={"repository": "out", "path": "beamline-7", "name": "B7"})
    assert code == 201, mine
    code, other = await call(jp_fetch, "POST", "datasets", body={"repository": "out", "path": "beamline-70",
                                                                "name": "B70"})
    assert code == 201
    secret = await token(jp_fetch, [{"dataset": mine["id"]}], scopes=("read", "datasets:admin"))
    code, listed = await with_token(secret, "datasets")
    assert code == 200 and [d["id"] for d in listed["datasets"]] == [mine["id"]]
    code, files = await with_token(secret, f"datasets/{mine['id']}/files")
    assert code == 200 and {f["path"] for f in files["files"]} == {"scan.npy", "linked.h5"}
    for path in (f"datasets/{other['id']}", f"datasets/{other['id']}/files", "repositories/out/tree/beamline-70"):
        code, refused = await with_token(secret, path)
        assert code == 403 and refused["error"]["code"] == "outside_token_reach", (path, refused)
    code, refused = await with_token(secret, f"datasets/{other['id']}", "PATCH", {"name": "mine now"})
    assert code == 403
    assert (await with_token(secret, "repositories/out/meta/beamline-7/scan.npy"))[0] == 200
    # Unregistered: the token reaches nothing any more.
    assert (await call(jp_fetch, "DELETE", "datasets", mine["id"]))[0] == 204
    code, refused = await with_token(secret, "repositories/out/meta/beamline-7/scan.npy")
    assert code == 403 and "nothing" in refused["error"]["message"], refused


@pytest.mark.parametrize("reach, status, words", [
    ([], 400, "'reach'"),
    ("out", 400, "'reach'"),
    ([{"repository": "out", "path": "../etc"}], 400, "leave the repository"),
    ([{"repository": "out", "prefix": "x"}], 400, "Every place"),
    ([{"repository": ""}], 400, "Every place"),
    ([{"dataset": 7}], 400, "Every place"),
    ([{"repository": "out"}] * 101, 400, "at most 100"),
    ([{"repository": "nowhere"}], 404, "nowhere"),
    ([{"dataset": "0" * 36}], 404, "no dataset"),
])
async def test_bad_reaches_are_refused(jp_fetch, reach, status, words):
    code, refused = await call(jp_fetch, "POST", "tokens", body={"name": "x", "reach": reach})
    assert code == status and words in refused["error"]["message"], refused
