"""Datasets as each person sees them, on SQLite and a real PostgreSQL: invisible is exactly
missing, a read grant reads, a write grant edits, only the owner shares or unregisters, a grant
never opens a repository its holder cannot read, and lineage shows only what may be seen."""

from __future__ import annotations

import pytest
from _postgres import database_url, postgres_server_url  # noqa: F401  (fixtures)

from jupyter_remotem.datasets.manifest import Differences, ManifestFile
from jupyter_remotem.datasets.store import DatasetStore, Person
from jupyter_remotem.errors import BadParameter, Conflict, Forbidden, NotFound
from jupyter_remotem.jobs.store import JobStore

ALICE = Person("alice", frozenset({"microscopy"}), frozenset({"lab", "private"}))
BOB = Person("bob", frozenset(), frozenset({"lab"}))
CAROL = Person("carol", frozenset({"microscopy"}), frozenset({"lab", "private"}))


@pytest.fixture
def store(database_url) -> DatasetStore:
    jobs = JobStore(database_url)
    yield DatasetStore(jobs)
    jobs.close()


def close(store: DatasetStore, person: Person, dataset_id: str) -> dict:
    store.check_job(person, dataset_id, "close")
    store.close_as_recorded(dataset_id, [ManifestFile("a.bin", 3, "0" * 64)])
    return store.get(person, dataset_id)


def closed(store: DatasetStore, person: Person, repository: str, path: str, name: str) -> dict:
    return close(store, person, store.register(person, repository, path, name, type="folder")["id"])


def refusal(error: pytest.ExceptionInfo) -> str:
    return error.value.message.replace(error.value.message.split("'")[1], "ID") if "'" in error.value.message \
        else error.value.message


def test_a_dataset_others_may_not_see_answers_like_one_that_does_not_exist(store):
    mine = store.register(ALICE, "lab", "scans/7", "Scan 7", "120 kV", "4d-stem")
    assert (mine["owner"], mine["state"], mine["role"], mine["grants"]) == ("alice", "open", "owner", [])
    with pytest.raises(NotFound) as hidden:
        store.get(BOB, mine["id"])
    with pytest.raises(NotFound) as missing:
        store.get(BOB, "00000000-0000-0000-0000-000000000000")
    assert refusal(hidden) == refusal(missing)
    assert store.list(BOB) == [] and [d["id"] for d in store.list(ALICE)] == [mine["id"]]
    for attempt in (lambda: store.update(BOB, mine["id"], {"name": "mine now"}),
                    lambda: store.share(BOB, mine["id"], []), lambda: store.lineage(BOB, mine["id"]),
                    lambda: store.unregister(BOB, mine["id"]), lambda: store.check_job(BOB, mine["id"], "close")):
        with pytest.raises(NotFound):
            attempt()


def test_read_and_write_grants_to_users_and_groups(store):
    mine = store.register(ALICE, "lab", "scans/7", "Scan 7", type="4d-stem")
    shared = store.share(ALICE, mine["id"], [{"user": "bob", "role": "read"}, {"group": "microscopy", "role": "write"},
                                              {"user": "alice", "role": "read"}])
    assert shared["grants"] == [{"group": "microscopy", "role": "write"}, {"user": "bob", "role": "read"}], \
        "the owner needs no grant"
    seen = store.get(BOB, mine["id"])
    assert seen["role"] == "read" and seen["grants"] is None, "who else may see it is not a reader's business"
    with pytest.raises(Forbidden):
        store.update(BOB, mine["id"], {"description": "bob was here"})
    with pytest.raises(Forbidden):
        store.check_job(BOB, mine["id"], "close")
    edited = store.update(CAROL, mine["id"], {"description": "checked by carol", "type": "image-stack"})
    assert (edited["role"], edited["description"], edited["type"]) == ("write", "checked by carol", "image-stack")
    with pytest.raises(Forbidden):
        store.share(CAROL, mine["id"], [{"user": "carol", "role": "write"}])
    with pytest.raises(Forbidden):
        store.unregister(CAROL, mine["id"])
    assert [d["id"] for d in store.list(BOB)] == [mine["id"]]
    store.share(ALICE, mine["id"], [])
    with pytest.raises(NotFound):
        store.get(BOB, mine["id"])


def test_a_grant_never_opens_a_repository_its_holder_cannot_read(store):
    hidden = store.register(ALICE, "private", "beamtime", "Beamtime", type="folder")
    store.share(ALICE, hidden["id"], [{"user": "bob", "role": "write"}])
    with pytest.raises(NotFound):
        store.get(BOB, hidden["id"])
    assert store.list(BOB) == []


def test_derived_datasets_need_closed_parents_and_lineage_goes_both_ways(store):
    raw = store.register(ALICE, "lab", "raw", "Raw", type="folder")
    with pytest.raises(Conflict) as still_open:
        store.register(ALICE, "lab", "bf.h5", "BF", type="image", parents=[raw["id"]])
    assert "open" in still_open.value.message and "close" in still_open.value.hint.lower()
    raw = close(store, ALICE, raw["id"])
    bf = store.register(ALICE, "lab", "bf.h5", "BF", type="image", parents=[raw["id"]])
    close(store, ALICE, bf["id"])
    fit = store.register(ALICE, "lab", "fit.h5", "Fit", type="image", parents=[bf["id"]])
    assert bf["parents"] == [raw["id"]] and bf["derived"]
    assert store.get(ALICE, raw["id"])["children"] == [bf["id"]]
    for start in (raw["id"], bf["id"], fit["id"]):
        graph = store.lineage(ALICE, start)
        assert {node["id"] for node in graph["nodes"]} == {raw["id"], bf["id"], fit["id"]}, start
        assert {(e["parent"], e["child"]) for e in graph["edges"]} == {(raw["id"], bf["id"]), (bf["id"], fit["id"])}
    # bob sees the middle one only: the lineage he is shown stops where his rights do.
    store.share(ALICE, bf["id"], [{"user": "bob", "role": "read"}])
    graph = store.lineage(BOB, bf["id"])
    assert [node["id"] for node in graph["nodes"]] == [bf["id"]] and graph["edges"] == []
    assert store.get(BOB, bf["id"])["parents"] == []
    with pytest.raises(Conflict):
        store.unregister(ALICE, raw["id"])
    store.unregister(ALICE, fit["id"])
    store.unregister(ALICE, bf["id"])
    store.unregister(ALICE, raw["id"])
    assert store.list(ALICE) == []


def test_closed_datasets_guard_their_place_and_hold_their_manifest(store):
    raw = closed(store, ALICE, "lab", "runs/raw", "Raw")
    assert raw["state"] == "closed" and raw["verification"] == Differences().to_json()
    assert [f.to_json() for f in store.manifest(ALICE, raw["id"])] == [{"path": "a.bin", "size": 3,
                                                                        "sha256": "0" * 64}]
    with pytest.raises(Conflict):
        store.check_job(ALICE, raw["id"], "close")
    for path in ("runs/raw", "runs/raw/a.bin", "runs/raw/new/deeper.txt", "runs", ""):
        assert store.closed_at("lab", path) == {"id": raw["id"], "name": "Raw", "path": "runs/raw"}, path
    for path in ("runs/raw2", "runs/other", "elsewhere/runs/raw"):
        assert store.closed_at("lab", path) is None, path
    assert store.closed_at("private", "runs/raw") is None
    opened = store.register(ALICE, "lab", "open", "Open", type="folder")
    with pytest.raises(Conflict):
        store.manifest(ALICE, opened["id"])
    with pytest.raises(Conflict):
        store.check_job(ALICE, opened["id"], "verify")
    assert store.closed_at("lab", "open/x") is None


def test_bad_requests_are_named(store):
    with pytest.raises(Conflict):
        store.register(ALICE, "lab", "x", "X", type="file")
        store.register(ALICE, "lab", "x", "Y", type="file")
    for call, words in ((lambda: store.register(ALICE, "lab", "y", "  ", type="file"), "'name'"),
                        (lambda: store.register(ALICE, "lab", "y", "Y", type="hologram"), "'type'"),
                        (lambda: store.register(ALICE, "lab", "y", "Y", type="file", parents="x"), "'parents'"),
                        (lambda: store.share(ALICE, "x", [{"user": "bob"}]), "role"),
                        (lambda: store.share(ALICE, "x", [{"user": "bob", "group": "g", "role": "read"}]), "one user"),
                        (lambda: store.list(ALICE, state="half"), "'state'")):
        with pytest.raises(BadParameter) as refused:
            call()
        assert words in refused.value.message, refused.value.message
