"""Storages of one's own on a real hub: alice and bob, each in their own single-user server over
one shared job store, add their own bucket with their own keys on a moto server that enforces IAM.
Neither sees the other's storage, neither's server opens the other's bucket, and the keys appear in
no answer, in no log of the hub or the servers, and nowhere in the shared database file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _iam_s3 import BUCKETS, iam_s3_server

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def iam_s3(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Iterator[dict[str, Any]]:
    with iam_s3_server(tmp_path_factory.mktemp("hub-moto-iam"), demo_dir) as server:
        yield server


def body_of(iam_s3: dict[str, Any], owner: str, bucket: str | None = None) -> dict[str, Any]:
    keys = iam_s3["keys"][owner]
    return {"name": f"{owner}-bucket", "protocol": "s3", "url": f"s3://{bucket or BUCKETS[owner]}/lab",
            "options": {"endpoint_url": iam_s3["endpoint"]}, "secrets": {"key": keys["key"], "secret": keys["secret"]}}


def test_two_hub_users_each_add_their_own_bucket_and_see_only_their_own(hub, iam_s3):
    answers: list[str] = []

    def call(user: str, method: str, path: str, body: Any = None, **params: Any):
        response = hub.user_api(user, method, path, body, **params)
        answers.append(f"{method} {path} {response.status_code} {dict(response.headers)} {response.text}")
        return response

    # Keys valid for a bucket that is not theirs fail the connection test: nothing is saved.
    refused = call("bob", "POST", "storage", dict(body_of(iam_s3, "bob", bucket=BUCKETS["alice"]), name="theirs"))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "connection_failed", refused.text
    for user in ("alice", "bob"):
        saved = call(user, "POST", "storage", body_of(iam_s3, user))
        assert saved.status_code == 201, saved.text
        assert saved.json()["secrets_set"] == ["key", "secret"]
    try:
        for user, other in (("alice", "bob"), ("bob", "alice")):
            mine, theirs = f"{user}-bucket", f"{other}-bucket"
            assert [s["name"] for s in call(user, "GET", "storage").json()["storages"]] == [mine]
            names = {r["name"] for r in call(user, "GET", "repositories").json()["repositories"]}
            assert mine in names and theirs not in names
            tree = call(user, "GET", f"repositories/{mine}/tree/")
            assert tree.status_code == 200 and {e["name"] for e in tree.json()["entries"]} == {"scan.npy", "scan.h5"}
            preview = call(user, "GET", f"repositories/{mine}/preview/scan.npy", kind="bf", size=32)
            local = call(user, "GET", "repositories/demo/preview/scan.npy", kind="bf", size=32)
            assert preview.status_code == 200 and preview.content == local.content
            for method, path in (("GET", f"repositories/{theirs}/tree/"), ("GET", f"repositories/{theirs}/meta/scan.npy"),
                                 ("DELETE", f"storage/{theirs}")):
                hidden = call(user, method, path)
                assert hidden.status_code == 404, (user, method, path, hidden.text)
                assert hidden.json()["error"]["code"] and BUCKETS[other] not in hidden.text
    finally:
        for user in ("alice", "bob"):
            removed = call(user, "DELETE", f"storage/{user}-bucket")
            assert removed.status_code in (200, 204), removed.text

    secrets = [keys["secret"] for keys in iam_s3["keys"].values()]
    database = Path(hub.job_database_url.removeprefix("sqlite:///"))
    places = {"answers": "\n".join(answers), "hub and server logs": hub.log.read_text(errors="replace"),
              "job store file": database.read_bytes().decode("latin-1")}
    for wal in database.parent.glob(database.name + "-*"):  # SQLite's write-ahead log, if any
        places[wal.name] = wal.read_bytes().decode("latin-1")
    for place, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret key in the {place}"
