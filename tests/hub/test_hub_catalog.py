"""The catalog on a real JupyterHub, two users sharing one catalog: alice (group ``microscopy``)
finds the ``private`` repository's file, bob never does — not as a hit, not in ``total``, not in a
facet count — and bob never sees alice's private or group tags, while her tags for every reader
reach him on what he may read."""

from __future__ import annotations

import pytest
from _scenario import PRIVATE_FILE

from jupyter_remotem.catalog.indexer import index
from jupyter_remotem.catalog.store import CatalogStore
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def indexed(hub, demo_dir, private_dir):
    """Both repositories indexed into the hub's shared catalog (as a worker would)."""
    jobs = JobStore(hub.job_database_url)
    catalog = CatalogStore(jobs)
    for name, folder in (("demo", demo_dir), ("private", private_dir)):
        index(Repository(RepositoryConfig.from_dict({"name": name, "url": str(folder)})), catalog)
    yield catalog
    jobs.close()


def search(hub, user: str, query, **body) -> dict:
    response = hub.user_api(user, "POST", "search", {"query": query, "limit": 1000, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_hidden_repository_is_never_found_nor_counted(hub, indexed):
    mine = search(hub, "alice", None, facets=["repository", "format"])
    theirs = search(hub, "bob", None, facets=["repository", "format"])
    assert PRIVATE_FILE in {hit["path"] for hit in mine["hits"]}
    assert "private" in {facet["value"] for facet in mine["facets"]["repository"]}
    assert {hit["repository"] for hit in theirs["hits"]} == {"demo"}
    assert {facet["value"] for facet in theirs["facets"]["repository"]} == {"demo"}
    assert theirs["total"] == mine["total"] - sum(hit["repository"] == "private" for hit in mine["hits"])
    npy = {facet["value"]: facet["count"] for facet in theirs["facets"]["format"]}.get("npy")
    assert npy == sum(hit["format"] == "npy" for hit in theirs["hits"])
    for query in (f"name:{PRIVATE_FILE}", "repository:private", "shape:4x5x8x8", "beamtime"):
        assert search(hub, "bob", query)["total"] == 0, query
        assert search(hub, "alice", query)["total"] >= 1, query
    text = hub.user_api("bob", "GET", "search", q="repository:private", facets="repository").text
    assert PRIVATE_FILE not in text


def test_tags_keep_to_whom_they_are_shown(hub, indexed):
    def tag(path: str, value: str, visibility: str, group: str | None = None, repository: str = "demo") -> None:
        body = {"repository": repository, "path": path, "kind": "tag", "value": value, "visibility": visibility,
                "group": group}
        response = hub.user_api("alice", "POST", "search/annotations", body)
        assert response.status_code == 201, response.text

    tag("scan.npy", "alice-only", "private")
    tag("scan.h5", "team", "group", "microscopy")
    tag("scan.mib", "everyone", "readers")
    tag(PRIVATE_FILE, "everyone", "readers", repository="private")
    for value, alice, bob in (("alice-only", {"scan.npy"}, set()), ("team", {"scan.h5"}, set()),
                              ("everyone", {"scan.mib", PRIVATE_FILE}, {"scan.mib"})):
        assert {h["path"] for h in search(hub, "alice", f"tag:{value}")["hits"]} == alice, value
        assert {h["path"] for h in search(hub, "bob", f"tag:{value}")["hits"]} == bob, value
    facets = search(hub, "bob", None, facets=["tag"])["facets"]["tag"]
    assert {f["value"]: f["count"] for f in facets} == {"everyone": 1}
    listed = hub.user_api("bob", "GET", "search/annotations?repository=demo&path=scan.npy")
    assert listed.status_code == 200 and listed.json()["annotations"] == []
    # Each answer says whose an annotation is, to the one asking: alice's tag is hers, not bob's.
    for user, mine in (("alice", True), ("bob", False)):
        shown = hub.user_api(user, "GET", "search/annotations?repository=demo&path=scan.mib").json()["annotations"]
        assert [(a["value"], a["author"], a["mine"]) for a in shown] == [("everyone", "alice", mine)], (user, shown)
    hidden = hub.user_api("bob", "GET", f"search/annotations?repository=private&path={PRIVATE_FILE}")
    missing = hub.user_api("bob", "GET", f"search/annotations?repository=nosuch&path={PRIVATE_FILE}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace("private", "nosuch") == missing.text
