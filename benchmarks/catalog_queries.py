"""Catalog queries at facility scale: a generated catalog of ``--entries`` entries (default one
million, each with six values: two descriptors with units, a title, a sample name and two data
statistics) in SQLite (and on PostgreSQL with ``--postgres URL``), then the issue's query kinds,
each timed over 20 different values (p50 and p95, ms, through ``CatalogStore.search`` with the
access predicate of a caller reading 3 of 4 repositories), against the same queries answered by
a plain scan of the same rows held in Python lists.

    python benchmarks/catalog_queries.py [--entries 1000000] [--postgres postgresql://...]
        [--sqlite kept.db (filled once, timed again on later runs)] [--skip-sqlite]

Each query kind's answer is first checked against the plain scan (its total: exact, or within
10 % where the store answers an estimate).

Targets: an indexed equality or range query with one OR ≤ 50 ms at p95, a full-text query ≤ 200 ms,
facets ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).parent))

from jupyter_remotem.catalog.models import CatalogEntry, CatalogValue  # noqa: E402
from jupyter_remotem.catalog.sql import Caller  # noqa: E402
from jupyter_remotem.catalog.store import CatalogStore  # noqa: E402
from jupyter_remotem.catalog.words import body_of, insert_statement  # noqa: E402
from jupyter_remotem.jobs.models import utcnow  # noqa: E402
from jupyter_remotem.jobs.store import JobStore  # noqa: E402

REPOS = ["beamline1", "beamline2", "microscope", "hidden"]
SAMPLES = [f"sample-{i:04d}" for i in range(2000)]
WORDS = ["silicon", "gold", "grain", "wedge", "vacuum", "lamella", "tilt", "series", "drift", "calibration"]
FORMATS = ["hdf5", "mib", "npy", "zarr", "tiff"]
CALLER = Caller(tuple(REPOS[:3]), "alice", ())


def fill(store: CatalogStore, count: int, seed: int = 0, write: bool = True) -> list[dict]:
    """The catalog, and the same rows in Python for the plain scan (``write`` False: the rows
    alone, for a catalog written by an earlier run)."""
    rng = random.Random(seed)
    rows = []
    batch_entries, batch_values = [], []
    now = utcnow()
    with store.engine.begin() as connection:
        for i in range(count):
            entry = {"id": i + 1, "repository": rng.choice(REPOS), "path": f"run{i // 1000}/scan_{i}.h5",
                     "dataset": "", "kind": "file", "name": f"scan_{i}.h5", "format": rng.choice(FORMATS),
                     "size": rng.randint(10**6, 10**11), "mtime": 1.7e9 + rng.uniform(0, 3e7), "status": "ok",
                     "indexed": now, "ndim": 4}
            energy = rng.choice([80, 120, 200, 300]) + rng.uniform(-0.5, 0.5)
            tilt = rng.uniform(-30, 30)
            title = " ".join(rng.sample(WORDS, 3))
            sample = rng.choice(SAMPLES)
            frame_sum = rng.lognormvariate(7, 1.5)
            values = [("desc", "energy", None, energy, "kV"), ("desc", "tilt", None, tilt, "deg"),
                      ("meta", "title", title, None, None), ("meta", "sample", sample, None, None),
                      ("data", "frame_sum_mean", None, frame_sum, None), ("data", "max", None, frame_sum / 100, None)]
            batch_entries.append(entry)
            for namespace, key, text, number, unit in values:
                batch_values.append({"entry_id": i + 1, "namespace": namespace, "key": key, "text": text,
                                     "low": number, "high": number, "unit": unit, "base_low": None,
                                     "base_high": None, "dimension": None, "ranged": False})
            rows.append({"repository": entry["repository"], "format": entry["format"], "energy": energy,
                         "tilt": tilt, "title": title, "sample": sample, "frame_sum": frame_sum})
            if len(batch_entries) >= 20000:
                if write:
                    _write(store, connection, batch_entries, batch_values)
                batch_entries, batch_values = [], []
        if batch_entries and write:
            _write(store, connection, batch_entries, batch_values)
    if write:
        store.recount()  # the facet counts the store keeps as it writes entries one file at a time
    return rows


def _write(store: CatalogStore, connection, entries: list[dict], values: list[dict]) -> None:
    """What ``CatalogStore.replace_file`` writes, in bulk: entries, values, the word index."""
    connection.execute(insert(CatalogEntry), entries)
    connection.execute(insert(CatalogValue), values)
    texts: dict[int, list[str]] = {}
    for value in values:
        if value["text"]:
            texts.setdefault(value["entry_id"], []).append(value["text"])
    connection.execute(text(insert_statement(store.words)),
                       [{"id": e["id"], "body": body_of([e["name"], e["path"], "", *texts.get(e["id"], [])])}
                        for e in entries])


def queries(rng: random.Random) -> dict[str, tuple[dict, object]]:
    """Each query kind: a tree and the plain scan's test, with fresh values each call."""
    sample, other = rng.choice(SAMPLES), rng.choice(SAMPLES)
    low = rng.uniform(-30, 20)
    word = rng.choice(WORDS)
    threshold = rng.uniform(5e4, 2e5)
    return {
        "equality OR equality": ({"op": "or", "args": [{"op": "eq", "key": "meta.sample", "value": sample},
                                                       {"op": "eq", "key": "meta.sample", "value": other}]},
                                 lambda r: r["sample"] in (sample, other)),
        "range AND range OR eq": ({"op": "or", "args": [
            {"op": "and", "args": [{"op": "between", "key": "desc.tilt", "value": [low, low + 0.05]},
                                   {"op": "gt", "key": "data.frame_sum_mean", "value": threshold}]},
            {"op": "eq", "key": "meta.sample", "value": sample}]},
            lambda r: (low <= r["tilt"] <= low + 0.05 and r["frame_sum"] > threshold) or r["sample"] == sample),
        "full text (two words)": ({"op": "fulltext", "value": f"{word} {rng.choice(WORDS)}"}, None),
        "facets: format, repository": (None, None),
    }


def timed(function, repeat: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def scan(rows: list[dict], tree: dict | None, test) -> int:
    """The hits of one query by a plain scan of the Python rows."""
    readable = set(CALLER.readable)
    if test is None and tree is not None:
        words = tree["value"].split()
        return sum(1 for r in rows if r["repository"] in readable
                   and all(any(t.startswith(w) for t in r["title"].split()) for w in words))
    if test is None:
        counts: dict[str, int] = {}
        for r in rows:
            if r["repository"] in readable:
                counts[r["format"]] = counts.get(r["format"], 0) + 1
        return sum(counts.values())
    return sum(1 for r in rows if r["repository"] in readable and test(r))


def run(store: CatalogStore, rows: list[dict], label: str) -> None:
    print(f"{label}: p50 / p95 in ms over 20 values; plain scan of Python rows alongside")
    rng = random.Random(1)
    for name in queries(rng):
        # The same answer first: the total (exact, or an estimate within 10 %) against the scan's.
        tree, test = queries(random.Random(2))[name]
        page = store.search(tree, CALLER, limit=50, facets=["format", "repository"] if tree is None else [])
        expected = scan(rows, tree, test)
        close = page.total == expected if page.total_exact else abs(page.total - expected) <= 0.1 * expected
        print(f"  {name:28s} total {page.total} ({'exact' if page.total_exact else 'estimated'}), "
              f"scan {expected}: {'same' if close else 'DIFFERENT'}")
        assert close, (name, page.total, expected)

        def ours() -> None:
            tree, _ = queries(rng)[name]
            if tree is None:
                store.search(None, CALLER, limit=1, facets=["format", "repository"])
            else:
                store.search(tree, CALLER, limit=50)

        def plain() -> None:
            scan(rows, *queries(rng)[name])

        p50, p95 = timed(ours)
        s50, s95 = timed(plain, 5)
        print(f"  {name:28s} ours {p50:8.1f} / {p95:8.1f}   plain scan {s50:8.1f} / {s95:8.1f}   "
              f"scan / ours (p95) {s95 / p95:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=None, help="a SQLAlchemy URL of an empty PostgreSQL database")
    parser.add_argument("--sqlite", default=None, help="an SQLite file to keep the catalog in (one this script "
                        "filled before is timed again as it is)")
    parser.add_argument("--skip-sqlite", action="store_true", help="time PostgreSQL alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        targets = ([] if args.skip_sqlite else [("SQLite", f"sqlite:///{args.sqlite or folder + '/catalog.db'}")]) + (
            [("PostgreSQL", args.postgres)] if args.postgres else [])
        for label, url in targets:
            store = CatalogStore(JobStore(url))
            with store.engine.connect() as connection:
                present = connection.execute(text("SELECT count(*) FROM remotem_catalog_entries")).scalar()
            started = time.perf_counter()
            if present == args.entries:
                rows = fill(store, args.entries, write=False)
                print(f"{label}: {present} entries there already")
            else:
                assert present == 0, f"{url} holds {present} entries, not {args.entries}: use an empty one"
                rows = fill(store, args.entries)
                print(f"{label}: {args.entries} entries, {6 * args.entries} values written in "
                      f"{time.perf_counter() - started:.0f} s")
                with store.engine.begin() as connection:  # statistics for the planner, as a running catalog has
                    connection.exec_driver_sql("ANALYZE")
            run(store, rows, label)


if __name__ == "__main__":
    main()
