"""Hostile input to the datasets API over HTTP: every malformed edit, grant list or path gets a
named 4xx (never a 500) and changes nothing; and a symbolic link inside a dataset's folder that
points out of its repository is neither listed, nor hashed by ``close``, nor read by ``verify``."""

from __future__ import annotations

import os

import pytest
from _api import call, job_finished
from _owned import jp_server_config, stop_worker  # noqa: F401 - fixtures
from test_datasets_api import error_of, register, run


@pytest.fixture
def lab_dir(tmp_path):
    lab = tmp_path / "lab"
    (lab / "run-1").mkdir(parents=True)
    (lab / "run-1" / "notes.txt").write_text("120 kV\n")
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "credentials.txt").write_text("not part of any repository\n")
    os.symlink(secret / "credentials.txt", lab / "run-1" / "link-to-file.txt")
    os.symlink(secret, lab / "run-1" / "link-to-folder")
    return lab


async def test_bad_edits_are_refused_by_name_and_change_nothing(jp_fetch):
    made = await register(jp_fetch, "run-1", "Run 1", description="first light")
    cases = [
        ("[1, 2]", 400, "JSON object"),
        ("{not json", 400, "JSON"),
        ({"owner": "eve"}, 400, "Unknown keys ['owner']"),
        ({"name": ""}, 400, "name"),
        ({"name": 7}, 400, "name"),
        ({"name": "x" * 10_000}, 400, "name"),
        ({"description": ["a"]}, 400, "description"),
        ({"type": "hologram"}, 400, "type"),
        ({"state": "open"}, 400, "Unknown keys ['state']"),
    ]
    for body, status, words in cases:
        error_of(*await call(jp_fetch, "PATCH", "datasets", made["id"], body=body), status, words)
    code, shown = await call(jp_fetch, "GET", "datasets", made["id"])
    assert code == 200 and (shown["name"], shown["description"], shown["type"]) == ("Run 1", "first light", "folder")


async def test_bad_grant_lists_are_refused_by_name_and_change_nothing(jp_fetch):
    made = await register(jp_fetch, "run-1", "Run 1")
    code, _ = await call(jp_fetch, "PUT", "datasets", made["id"], "grants",
                         body={"grants": [{"user": "bob", "role": "read"}]})
    assert code == 200
    cases = [
        ({}, "grants"),
        ({"grants": "bob"}, "grants"),
        ({"grants": [["bob", "read"]]}, "grant"),
        ({"grants": [{"user": "bob"}]}, "role"),
        ({"grants": [{"user": "bob", "role": "owner"}]}, "role"),
        ({"grants": [{"user": "bob", "group": "g", "role": "read"}]}, "user"),
        ({"grants": [{"role": "read"}]}, "user"),
        ({"grants": [{"user": "", "role": "read"}]}, "user"),
        ({"grants": [{"user": 3, "role": "read"}]}, "user"),
        ({"grants": [{"user": "bob", "role": "read", "until": "never"}]}, "Every grant names"),
        ({"grants": [{"user": f"user{i}", "role": "read"} for i in range(5_000)]}, "grants"),
        ({"grants": [], "more": 1}, "Unknown keys ['more']"),
    ]
    for body, words in cases:
        error_of(*await call(jp_fetch, "PUT", "datasets", made["id"], "grants", body=body), 400, words)
    code, shown = await call(jp_fetch, "GET", "datasets", made["id"])
    assert [(g.get("user"), g["role"]) for g in shown["grants"]] == [("bob", "read")]


@pytest.mark.parametrize("dataset_id", ["..%2F..%2Fetc", "x" * 300, "0" * 36 + "%00", "%E2%80%AE"])
async def test_odd_dataset_ids_are_not_found(jp_fetch, dataset_id):
    for method, parts in (("GET", ()), ("GET", ("files",)), ("GET", ("manifest",)), ("GET", ("lineage",)),
                          ("PATCH", ()), ("PUT", ("grants",)), ("POST", ("verify",)), ("DELETE", ())):
        body = {"grants": []} if parts == ("grants",) else ({"name": "x"} if method == "PATCH" else None)
        code, answer = await call(jp_fetch, method, "datasets", dataset_id, *parts, body=body)
        assert code == 404 and answer["error"]["code"] == "not_found", (method, parts, code, answer)


async def test_links_out_of_the_repository_are_never_read(jp_fetch, lab_dir):
    """A link out of the repository is shown (a copy or a clone would stop at it, not skip it
    unseen) but nothing of its target: no size, no digest; closing refuses it by name and
    leaves the dataset open; a link placed after closing is an addition verify names unread."""
    made = await register(jp_fetch, "run-1", "Run 1")
    code, listed = await call(jp_fetch, "GET", "datasets", made["id"], "files")
    assert code == 200, listed
    sizes = {f["path"]: f["size"] for f in listed["files"]}
    assert sizes == {"link-to-file.txt": 0, "link-to-folder": 0, "notes.txt": 7}, listed
    code, answer = await call(jp_fetch, "POST", "datasets", made["id"], "close")
    assert code == 202, answer
    job = await job_finished(jp_fetch, answer["job"]["id"])
    assert job["phase"] == "ERROR" and "link-to-f" in job["error"]["message"], job
    assert "outside" in job["error"]["message"] + job["error"].get("hint", ""), job["error"]
    code, shown = await call(jp_fetch, "GET", "datasets", made["id"])
    assert shown["state"] == "open"
    code, refused = await call(jp_fetch, "GET", "datasets", made["id"], "manifest")
    assert code == 409 and "no manifest yet" in refused["error"]["message"], refused

    for link in ("link-to-file.txt", "link-to-folder"):
        (lab_dir / "run-1" / link).unlink()
    assert (await run(jp_fetch, made["id"], "close"))["files"] == 1
    os.symlink(lab_dir.parent / "outside" / "credentials.txt", lab_dir / "run-1" / "later.txt")
    verified = await run(jp_fetch, made["id"], "verify")
    assert (verified["intact"], verified["added"], verified["changed"]) == (False, ["later.txt"], [])
    # No dataset on the link itself.
    code, refused = await call(jp_fetch, "POST", "datasets",
                               body={"repository": "lab", "path": "run-1/later.txt", "name": "x"})
    assert code in (403, 404) and refused["error"]["code"] in ("outside_repository", "not_found"), refused
