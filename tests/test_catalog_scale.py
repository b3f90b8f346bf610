"""The catalog's answers at scale, on SQLite and a real PostgreSQL: facet counts kept per
repository equal a count of the rows through writes, re-writes and removals; a total past the
exact threshold is an estimate that says so and lands near the truth; full text is answered by
the word index (word starts, not substrings) and the index is rebuilt for a catalog from before
it; numbers compared as scalars and as ranges; a file's SHA-256 from a closed dataset's manifest
is searchable, dropped when the file changes and set when a dataset closes over an unchanged file."""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from _catalog import catalog  # noqa: F401 - fixture
from _postgres import fresh_database, postgres_server_url  # noqa: F401  (fixture)
from sqlalchemy import func, select, text

from jupyter_remotem.catalog import indexer
from jupyter_remotem.catalog import store as store_module
from jupyter_remotem.catalog.flatten import Row
from jupyter_remotem.catalog.models import CatalogEntry
from jupyter_remotem.catalog.sql import Caller
from jupyter_remotem.catalog.store import CatalogStore, EntryRecord
from jupyter_remotem.catalog.syntax import parse
from jupyter_remotem.catalog.words import WORDS_TABLE
from jupyter_remotem.datasets.models import DatasetFile, DatasetRecord
from jupyter_remotem.errors import BadParameter
from jupyter_remotem.jobs.models import utcnow
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.registry import RepositoryRegistry
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

REPOS = ("public", "shared", "hidden")
READER = Caller(("public", "shared"), "alice", ())


def record(repository: str, path: str, rng: random.Random, dataset: str = "", **changes) -> EntryRecord:
    values = dict(repository=repository, path=path, dataset=dataset, kind="array" if dataset else "file",
                  name=path.rsplit("/", 1)[-1], format=rng.choice(["hdf5", "mib", None]), size=rng.randint(1, 99),
                  mtime=1.7e9, dtype=rng.choice(["uint16", "float32", None]), status=rng.choice(["ok", "unreadable"]))
    return EntryRecord(**{**values, **changes})


def row_counts(store: CatalogStore, caller: Caller) -> dict[str, Counter]:
    """The facets counted from the entries' rows, as a plain reference."""
    with store.jobs.reading() as session:
        entries = session.execute(select(CatalogEntry.repository, CatalogEntry.format, CatalogEntry.kind,
                                         CatalogEntry.dtype, CatalogEntry.status)).all()
    counts: dict[str, Counter] = {name: Counter() for name in ("repository", "format", "kind", "dtype", "status")}
    for entry in entries:
        if entry.repository in caller.readable:
            for name in counts:
                if getattr(entry, name) is not None:
                    counts[name][getattr(entry, name)] += 1
    return counts


def kept(store: CatalogStore, caller: Caller) -> tuple[int, dict[str, Counter]]:
    page = store.search(None, caller, facets=["repository", "format", "kind", "dtype", "status"])
    assert page.total_exact
    return page.total, {name: Counter({f["value"]: f["count"] for f in values}) for name, values in page.facets.items()}


def test_kept_facet_counts_follow_every_write_and_removal(catalog):
    rng = random.Random(3)
    files = {}
    for i in range(80):
        repository = rng.choice(REPOS)
        path = f"run{i % 4}/f{i}.h5"
        files[path] = repository
        arrays = [record(repository, path, rng, dataset=f"/a{k}") for k in range(rng.randint(0, 2))]
        catalog.replace_file(repository, path, [record(repository, path, rng), *arrays])
    for step in range(3):  # re-indexing changes formats and arrays; some files go
        for path in rng.sample(sorted(files), 20):
            catalog.replace_file(files[path], path, [record(files[path], path, rng)])
        gone = rng.sample(sorted(files), 5)
        for path in gone:
            catalog.forget(files.pop(path), [path])
        catalog.forget_under("public", "run1")
        files = {p: r for p, r in files.items() if not (r == "public" and p.startswith("run1/"))}
        for caller in (READER, Caller(REPOS, "carol"), Caller(("hidden",), "dave")):
            total, facets = kept(catalog, caller)
            reference = row_counts(catalog, caller)
            assert total == sum(reference["repository"].values()) > 0
            assert facets == reference, (step, caller.user)
    assert "hidden" not in kept(catalog, READER)[1]["repository"]
    assert kept(catalog, Caller((), "nobody")) == (0, {n: Counter() for n in
                                                       ("repository", "format", "kind", "dtype", "status")})
    # recount() (after bulk writes) makes the same counts from the rows.
    before = kept(catalog, Caller(REPOS, "carol"))
    catalog.recount()
    assert kept(catalog, Caller(REPOS, "carol")) == before


def bulk(store: CatalogStore, count: int, seed: int = 0) -> list[dict]:
    """``count`` entries written in bulk, as the benchmark writes them, and their words and counts."""
    from jupyter_remotem.catalog.models import CatalogValue
    from jupyter_remotem.catalog.words import body_of, insert_statement

    rng = random.Random(seed)
    now, entries, values = utcnow(), [], []
    words = ["silicon", "gold", "grain", "wedge", "vacuum"]
    for i in range(count):
        title = " ".join(rng.sample(words, 2))
        entries.append({"id": i + 1, "repository": rng.choice(REPOS), "path": f"r{i // 500}/s_{i}.h5", "dataset": "",
                        "kind": "file", "name": f"s_{i}.h5", "format": rng.choice(["hdf5", "mib"]), "status": "ok",
                        "indexed": now, "title": title})
        values.append({"entry_id": i + 1, "namespace": "meta", "key": "title", "text": title, "ranged": False})
    with store.engine.begin() as connection:
        connection.execute(CatalogEntry.__table__.insert(), [{k: v for k, v in e.items() if k != "title"}
                                                             for e in entries])
        connection.execute(CatalogValue.__table__.insert(), values)
        connection.execute(text(insert_statement(store.words)),
                           [{"id": e["id"], "body": body_of([e["name"], e["path"], "", e["title"]])} for e in entries])
    store.recount()
    return entries


def test_a_total_past_the_threshold_is_an_estimate_that_says_so(catalog, monkeypatch):
    monkeypatch.setattr(store_module, "EXACT_TOTAL", 300)
    entries = bulk(catalog, 6000)
    for tree, expected in [
            (parse("grain"), sum(e["repository"] != "hidden" and "grain" in e["title"] for e in entries)),
            (parse("format:hdf5"), sum(e["repository"] != "hidden" and e["format"] == "hdf5" for e in entries)),
            (parse("silicon AND gold"), sum(e["repository"] != "hidden" and "silicon" in e["title"]
                                            and "gold" in e["title"] for e in entries))]:
        page = catalog.search(tree, READER, limit=10)
        assert expected > 300 and not page.total_exact
        assert page.total >= 301 and abs(page.total - expected) <= 0.25 * expected, (tree, page.total, expected)
        assert len(page.hits) == 10 and page.cursor is not None
    # Below the threshold the count is exact.
    small = sum(e["repository"] != "hidden" and re.match(r"s_17", e["name"]) is not None for e in entries)
    page = catalog.search({"op": "like", "key": "name", "value": "s_17*"}, READER, limit=1000)
    assert page.total_exact and page.total == small == len(page.hits)
    # Over everything the caller reads, the kept counts answer exactly.
    page = catalog.search(None, READER, limit=1)
    assert page.total_exact and page.total == sum(e["repository"] != "hidden" for e in entries)


def test_full_text_is_word_starts_from_the_word_index(catalog):
    rows = [Row("meta", "title", text="Silicon wedge, grains of gold"), Row("meta", "note", text="rerun3 µm-scale")]
    catalog.replace_file("public", "run3/beam_map.h5",
                         [EntryRecord("public", "run3/beam_map.h5", "", "file", "beam_map.h5", "hdf5", 1, 1.0,
                                      rows=rows)])
    catalog.replace_file("hidden", "run3/beam_map.h5",
                         [EntryRecord("hidden", "run3/beam_map.h5", "", "file", "beam_map.h5", "hdf5", 1, 1.0,
                                      rows=rows)])

    def found(words: str) -> bool:
        page = catalog.search({"op": "fulltext", "value": words}, READER)
        assert page.total == len(page.hits) and all(h["repository"] != "hidden" for h in page.hits)
        return bool(page.hits)

    assert found("silicon") and found("GRAIN") and found("grains gold") and found("run3") and found("map")
    assert found("µm") and found("beam_map") and found("wed sil")
    assert not found("ilicon") and not found("run4") and not found("silicon copper") and not found("ap")
    with pytest.raises(BadParameter, match="has no words"):
        catalog.search({"op": "fulltext", "value": "%%"}, READER)
    # Re-indexing replaces the words; removal takes them away.
    catalog.replace_file("public", "run3/beam_map.h5",
                         [EntryRecord("public", "run3/beam_map.h5", "", "file", "beam_map.h5", "hdf5", 2, 2.0,
                                      rows=[Row("meta", "title", text="copper")])])
    assert found("copper") and not found("silicon")
    catalog.forget("public", ["run3/beam_map.h5"])
    assert not found("copper") and not found("beam")


def test_a_catalog_without_its_word_index_gets_it_rebuilt(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = CatalogStore(JobStore(url))
    store.replace_file("public", "a/silicon_1.h5", [EntryRecord(
        "public", "a/silicon_1.h5", "", "file", "silicon_1.h5", "hdf5", 1, 1.0, rows=[Row("meta", "t", text="gold")])])
    with store.engine.begin() as connection:  # as a catalog from before the word index was
        connection.exec_driver_sql(f"DROP TABLE {WORDS_TABLE}")
        connection.exec_driver_sql("CREATE VIRTUAL TABLE remotem_catalog_text USING fts5(body, tokenize='trigram')")
    store.jobs.close()
    again = CatalogStore(JobStore(url))
    assert again.words == "fts5"
    assert [h["path"] for h in again.search(parse("gold silic"), READER).hits] == ["a/silicon_1.h5"]
    with again.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'remotem_catalog_text'"
                                       )).scalar() == 0


def test_scalars_and_ranges_are_both_compared(catalog):
    rng = random.Random(5)
    values = []
    for i in range(300):
        numbers = sorted(rng.uniform(-10, 10) for _ in range(rng.choice([1, 1, 1, 3])))
        values.append((numbers[0], numbers[-1]))
        catalog.replace_file("public", f"v{i}.h5", [EntryRecord("public", f"v{i}.h5", "", "file", f"v{i}.h5", "hdf5",
                                                                1, 1.0, rows=[Row("desc", "x", low=numbers[0],
                                                                                  high=numbers[-1])])])
    checks = {"gt": lambda lo, hi, v: hi > v, "ge": lambda lo, hi, v: hi >= v, "lt": lambda lo, hi, v: lo < v,
              "le": lambda lo, hi, v: lo <= v, "eq": lambda lo, hi, v: lo <= v <= hi,
              "ne": lambda lo, hi, v: not (lo == v == hi)}
    for _ in range(40):
        op = rng.choice([*checks, "between"])
        if op == "between":
            value = sorted([rng.uniform(-10, 10), rng.uniform(-10, 10)])
            expected = {f"v{i}.h5" for i, (lo, hi) in enumerate(values) if hi >= value[0] and lo <= value[1]}
        else:
            value = rng.choice([rng.uniform(-10, 10), values[rng.randrange(300)][0]])
            expected = {f"v{i}.h5" for i, (lo, hi) in enumerate(values) if checks[op](lo, hi, value)}
        page = catalog.search({"op": op, "key": "desc.x", "value": value}, READER, limit=1000)
        assert {h["path"] for h in page.hits} == expected, (op, value)
    assert any(lo != hi for lo, hi in values) and any(lo == hi for lo, hi in values)


def close_dataset(store: CatalogStore, repository: str, root: str, files: dict[str, bytes]) -> None:
    """A closed dataset with its manifest, as the datasets' close writes them."""
    with store.jobs.writing() as session:
        record = DatasetRecord(id=str(uuid.uuid4()), name=root or "all", description="", type="file", owner="alice",
                               repository=repository, path=root, state="closed", created=utcnow(),
                               modified=utcnow(), closed=utcnow())
        session.add(record)
        session.flush()
        for name, content in files.items():
            session.add(DatasetFile(dataset_id=record.id, path=name, size=len(content),
                                    sha256=hashlib.sha256(content).hexdigest()))


def test_checksums_from_a_closed_manifest_are_searchable_and_kept_current(catalog, tmp_path):
    import os

    root = tmp_path / "files"
    (root / "run").mkdir(parents=True)
    contents = {"a.txt": b"alpha" * 100, "b.txt": b"beta" * 50, "c.txt": b"gamma"}
    for name, content in contents.items():
        (root / "run" / name).write_bytes(content)
        os.utime(root / "run" / name, (1.7e9, 1.7e9))
    repository = Repository(RepositoryConfig.from_dict({"name": "public", "url": str(root)}))
    indexer.index(repository, catalog)
    assert all(h["checksum"] is None for h in catalog.search(None, READER, limit=100).hits)
    # A dataset closes over the folder: the next run sets the checksums of its unchanged files.
    close_dataset(catalog, "public", "run", {"a.txt": contents["a.txt"], "b.txt": contents["b.txt"]})
    progress = indexer.index(repository, catalog)
    assert progress.indexed == 0 and progress.unchanged == 3
    digest = hashlib.sha256(contents["a.txt"]).hexdigest()
    for query in (parse(f"checksum:{digest}"), parse(f"checksum:{digest.upper()}"),
                  {"op": "eq", "key": "checksum", "value": digest}):
        hits = catalog.search(query, READER).hits
        assert [(h["path"], h["checksum"]) for h in hits] == [("run/a.txt", digest)]
    from jupyter_remotem.client.query import Checksum

    assert [h["path"] for h in catalog.search((Checksum == digest.upper()).to_json(), READER).hits] == ["run/a.txt"]
    assert not catalog.search(parse(f"checksum:{digest}"), Caller(("shared",), "bob")).hits
    assert [h["path"] for h in catalog.search(parse("checksum:*"), READER, sort="path").hits] == \
        ["run/a.txt", "run/b.txt"]
    # A file changed after the dataset closed has no known checksum any more.
    (root / "run" / "b.txt").write_bytes(b"BETA" * 50)  # same size, new content and mtime
    indexer.index(repository, catalog)
    assert [h["path"] for h in catalog.search(parse("checksum:*"), READER).hits] == ["run/a.txt"]
    # A file a job wrote with a reported checksum gets it (and the manifest's otherwise).
    from jupyter_remotem.catalog.index_runner import index_written

    (root / "up.bin").write_bytes(b"uploaded")
    index_written(catalog.jobs, RepositoryRegistry([repository]), [{"repository": "public", "path": "up.bin", "size": 8,
                                            "sha256": hashlib.sha256(b"uploaded").hexdigest().upper()}])
    hits = catalog.search(parse(f"checksum:{hashlib.sha256(b'uploaded').hexdigest()}"), READER).hits
    assert [h["path"] for h in hits] == ["up.bin"]
    with catalog.jobs.reading() as session:
        assert session.execute(select(func.count()).select_from(CatalogEntry).where(
            CatalogEntry.checksum.is_not(None))).scalar() == 2


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    yield fresh_database(request.getfixturevalue("postgres_server_url"))


def test_a_catalog_from_before_0007_upgrades_with_its_counts_ranges_and_words(database_url):
    from alembic import command
    from sqlalchemy import create_engine

    from jupyter_remotem import migrations

    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(migrations._config(connection), "0006")
    with engine.begin() as connection:
        for i, (fmt, low, high, words) in enumerate([("hdf5", 1.0, 1.0, None), ("mib", 2.0, 5.0, None),
                                                     (None, None, None, "alpha beta")]):
            connection.execute(text(
                "INSERT INTO remotem_catalog_entries (id, repository, path, dataset, kind, name, format, status, "
                "indexed) VALUES (:i, 'public', :p, '', 'file', :p, :f, 'ok', '2026-01-01 00:00:00')"),
                {"i": i + 1, "p": f"x{i}.h5", "f": fmt})
            connection.execute(text("INSERT INTO remotem_catalog_values (entry_id, namespace, key, text, low, high) "
                                    "VALUES (:i, 'desc', 'x', :t, :lo, :hi)"),
                               {"i": i + 1, "t": words, "lo": low, "hi": high})
    engine.dispose()
    jobs = JobStore(database_url)
    store = CatalogStore(jobs)
    page = store.search(None, READER, facets=["format"])
    assert page.total == 3 and {f["value"]: f["count"] for f in page.facets["format"]} == {"hdf5": 1, "mib": 1}
    assert [h["path"] for h in store.search({"op": "gt", "key": "desc.x", "value": 4}, READER).hits] == ["x1.h5"]
    assert [h["path"] for h in store.search({"op": "eq", "key": "desc.x", "value": 1}, READER).hits] == ["x0.h5"]
    assert [h["path"] for h in store.search(parse("alp"), READER).hits] == ["x2.h5"]
    jobs.close()
