"""Every query operator and combination against a reference filter written in plain Python, over
generated catalogs (random metadata, missing keys, units, unicode, small arrays), on SQLite and on
a real PostgreSQL; the text syntax round-trips every generated tree; access and tag visibility
hold in hits, totals and facets; cursors page through everything exactly once."""

from __future__ import annotations

import fnmatch
import math
import random
import re

import pytest
from _catalog import catalog  # noqa: F401 - fixture
from _postgres import postgres_server_url  # noqa: F401 - fixture of the catalog's PostgreSQL

from jupyter_remotem.catalog.flatten import Row
from jupyter_remotem.catalog.query import checked
from jupyter_remotem.catalog.sql import Caller
from jupyter_remotem.catalog.store import CatalogStore, EntryRecord
from jupyter_remotem.catalog.syntax import parse, to_text
from jupyter_remotem.catalog.units import to_base
from jupyter_remotem.errors import BadParameter
from jupyter_remotem.jobs.store import JobStore

WORDS = ["alpha", "Beta", "grain", "wedge", "日本", "µm-scale", "50%_off", "x?y", "Ω", "vacuum"]
FORMATS = ["hdf5", "mib", "npy", None]
UNITS = [("keV", 1), ("eV", 1e-3), ("MeV", 1e3)]
REPOS = ["public", "shared", "hidden"]


# -- generated catalogs ---------------------------------------------------------------------------
def generated(seed: int, count: int = 120) -> list[EntryRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(count):
        shape = rng.choice([None, [4, 5], [3, 4, 8, 8], [4, 4, 8, 8], [2, 3]])
        rows = []
        if rng.random() < 0.7:  # missing keys are common
            unit, factor = rng.choice(UNITS)
            energy = round(rng.uniform(50, 400) / factor, 6)
            rows.append(Row("desc", "energy", low=energy, high=energy, unit=unit))
        if rng.random() < 0.5:
            values = sorted(round(rng.uniform(-5, 5), 3) for _ in range(rng.randint(1, 4)))
            rows.append(Row("desc", "tilt", low=values[0], high=values[-1]))
        if rng.random() < 0.8:
            rows.append(Row("meta", "title", text=" ".join(rng.sample(WORDS, 2))))
        if rng.random() < 0.3:
            rows.append(Row("meta", "sample", text=rng.choice(WORDS)))
        if rng.random() < 0.3:
            rows.append(Row("meta", "provenance/owner", text=rng.choice(["alice", "bob"])))
        mean = round(rng.uniform(0, 3000), 2)
        rows.append(Row("data", "frame_sum_mean", low=mean, high=mean))
        name = f"{rng.choice(WORDS)}_{i}.{rng.choice(['h5', 'mib', 'npy'])}"
        records.append(EntryRecord(
            repository=rng.choice(REPOS), path=f"run{i % 7}/{name}", dataset="", kind="file", name=name,
            format=rng.choice(FORMATS), size=rng.choice([None, rng.randint(0, 10**9)]),
            mtime=1.7e9 + rng.uniform(0, 1e7), shape=shape, dtype=rng.choice([None, "uint16", "float32"]),
            nav_ndim=None if shape is None else len(shape) - 2, rows=rows))
    return records


TAGS = [  # (target index, tag, author, visibility, group)
    (0, "good", "alice", "readers", None), (1, "good", "bob", "private", None), (2, "good", "alice", "private", None),
    (3, "bad", "bob", "group", "microscopy"), (4, "bad", "carol", "group", "astro"), (5, "calib", "alice", "readers", None),
]


def fill(store: CatalogStore, records: list[EntryRecord]) -> None:
    for record in records:
        store.replace_file(record.repository, record.path, [record])
    for index, tag, author, visibility, group in TAGS:
        record = records[index]
        writer = Caller(tuple(REPOS), author, (group,) if group else ())
        store.annotate(writer, record.repository, record.path, "", "tag", tag, visibility, group)


# -- the reference filter ------------------------------------------------------------------------
def lower(text: str) -> str:
    """SQL's lower(), which folds ASCII letters only (SQLite, and PostgreSQL in the C locale)."""
    return "".join(c.lower() if c.isascii() else c for c in text)


def _rows(record: EntryRecord, namespace: str, key: str) -> list[Row]:
    return [row for row in record.rows if row.namespace == namespace and row.key == key]


def _in_base(row: Row) -> tuple[float, float, str] | None:
    converted = to_base(row.unit) if row.unit else None
    if converted is None or row.low is None:
        return None
    scale, offset, dimension = converted
    ends = sorted((row.low * scale + offset, row.high * scale + offset))
    return ends[0], ends[1], dimension


def _numeric(op: str, low: float, high: float, value) -> bool:
    if op == "between":
        lo, hi = value
        return (lo is None or high >= lo) and (hi is None or low <= hi)
    return {"eq": low <= value <= high, "ne": not (low == value == high), "lt": low < value, "le": low <= value,
            "gt": high > value, "ge": high >= value}[op]


def _row_matches(row: Row, op: str, value, unit) -> bool:
    if op == "exists":
        return True
    if op in ("contains", "like"):
        if row.text is None:
            return False
        return lower(value) in lower(row.text) if op == "contains" else _glob(lower(value), lower(row.text))
    if op == "in":
        return any(_row_matches(row, "eq", v, unit) for v in value)
    if op in ("eq", "ne") and isinstance(value, str):
        return row.text is not None and (row.text == value if op == "eq" else row.text != value)
    if unit is not None:
        base = _in_base(row)
        scale, offset, dimension = to_base(unit)
        if base is None or base[2] != dimension:
            return False
        convert = (lambda v: None if v is None else v * scale + offset)
        target = [convert(v) for v in value] if op == "between" else convert(value)
        return _numeric(op, base[0], base[1], target)
    if row.low is None:
        return False
    return _numeric(op, row.low, row.high, value)


def _glob(pattern: str, text: str) -> bool:
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def reference(node: dict, record: EntryRecord, caller: Caller, tags: list[tuple]) -> bool:
    op, value = node["op"], node.get("value")
    if op == "and":
        return all(reference(a, record, caller, tags) for a in node["args"])
    if op == "or":
        return any(reference(a, record, caller, tags) for a in node["args"])
    if op == "not":
        return not reference(node["args"][0], record, caller, tags)
    if op == "format":
        return record.format == value
    if op == "shape":
        return record.shape is not None and len(record.shape) == len(value) and all(
            v is None or v == s for v, s in zip(value, record.shape))
    if op == "tag":
        return any(tag == value and (visibility == "readers" or (visibility == "private" and author == caller.user)
                                     or (visibility == "group" and group in caller.groups))
                   for target, tag, author, visibility, group in tags if target is record)
    if op == "owner":
        return any(r.text == value for r in _rows(record, "meta", "provenance/owner"))
    if op == "time_range":
        lo, hi = value
        return record.mtime is not None and (lo is None or record.mtime >= lo) and (hi is None or record.mtime <= hi)
    if op == "fulltext":
        # Each word of the query begins a word of the entry (words: runs of letters and digits).
        texts = [record.name, record.path, record.dataset] + [r.text for r in record.rows if r.text is not None]
        found = {w for t in texts for w in re.findall(r"[^\W_]+", t.lower())}
        return all(any(w.startswith(word) for w in found) for word in re.findall(r"[^\W_]+", value.lower()))
    key = node["key"]
    if "." not in key:
        field = getattr(record, key)
        if field is None:
            return False
        if op == "exists":
            return True
        if op == "contains":
            return lower(value) in lower(field)
        if op == "like":
            return _glob(lower(value), lower(field))
        if op == "in":
            return field in value
        if op == "between":
            return (value[0] is None or field >= value[0]) and (value[1] is None or field <= value[1])
        return {"eq": field == value, "ne": field != value, "lt": field < value, "le": field <= value,
                "gt": field > value, "ge": field >= value}[op]
    namespace, path = key.split(".", 1)
    return any(_row_matches(row, op, value, node.get("unit")) for row in _rows(record, namespace, path))


# -- random trees ---------------------------------------------------------------------------------
def random_leaf(rng: random.Random) -> dict:
    choice = rng.randrange(17)
    if choice == 0:
        return {"op": "format", "value": rng.choice(["hdf5", "mib", "npy"])}
    if choice == 1:
        return {"op": "shape", "value": rng.choice([[4, None], [None, 4, 8, 8], [3, 4, 8, 8], [None, None]])}
    if choice == 2:
        return {"op": "tag", "value": rng.choice(["good", "bad", "calib", "none"])}
    if choice == 3:
        return {"op": "fulltext", "value": rng.choice(["alpha", "grain run3", "日本", "µm", "50%", "x?y"])}
    if choice == 4:
        return {"op": "owner", "value": rng.choice(["alice", "bob"])}
    if choice == 5:
        lo = 1.7e9 + rng.uniform(0, 1e7)
        return {"op": "time_range", "value": rng.choice([[lo, None], [None, lo], [lo, lo + 3e6]])}
    if choice == 6:
        op = rng.choice(["between", "gt", "le", "eq"])
        unit, factor = rng.choice(UNITS)
        value = ([round(rng.uniform(50, 250) / factor, 4), round(rng.uniform(250, 450) / factor, 4)]
                 if op == "between" else round(rng.uniform(50, 400) / factor, 4))
        return {"op": op, "key": "desc.energy", "value": value, "unit": unit}
    if choice == 7:
        op = rng.choice(["lt", "ge", "eq", "ne", "between"])
        value = sorted([round(rng.uniform(-5, 5), 3), round(rng.uniform(-5, 5), 3)]) if op == "between" else \
            round(rng.uniform(-5, 5), 3)
        return {"op": op, "key": "desc.tilt", "value": value}
    if choice == 8:
        return {"op": rng.choice(["contains", "like"]), "key": "meta.title",
                "value": rng.choice(["alpha", "*grain*", "be", "日本*", "*50\\%*", "*x?y*", "µ", "*%*"])}
    if choice == 9:
        return {"op": rng.choice(["eq", "ne"]), "key": "meta.sample", "value": rng.choice(WORDS)}
    if choice == 10:
        return {"op": "in", "key": "meta.sample", "value": rng.sample(WORDS, 3)}
    if choice == 11:
        return {"op": "exists", "key": rng.choice(["desc.energy", "desc.tilt", "meta.sample", "size", "format"])}
    if choice == 12:
        op = rng.choice(["gt", "lt", "between"])
        return {"op": op, "key": "data.frame_sum_mean",
                "value": [rng.uniform(0, 1500), rng.uniform(1500, 3000)] if op == "between" else rng.uniform(0, 3000)}
    if choice == 13:
        return {"op": rng.choice(["gt", "le"]), "key": "size", "value": rng.randint(0, 10**9)}
    if choice == 14:
        return {"op": rng.choice(["like", "contains", "eq", "ne"]), "key": "name",
                "value": rng.choice(["*grain*", "alpha", "Beta_3.npy", "*_1?.h5", "ta"])}
    if choice == 15:
        return {"op": "in", "key": "dtype", "value": ["uint16", "float64"]}
    return {"op": rng.choice(["eq", "ne"]), "key": "format", "value": rng.choice(["hdf5", "npy"])}


def random_tree(rng: random.Random, depth: int = 0) -> dict:
    if depth >= 3 or rng.random() < 0.35:
        return random_leaf(rng)
    op = rng.choice(["and", "or", "not"])
    if op == "not":
        return {"op": "not", "args": [random_tree(rng, depth + 1)]}
    return {"op": op, "args": [random_tree(rng, depth + 1) for _ in range(rng.randint(2, 3))]}


# -- the tests -----------------------------------------------------------------------------------


CALLERS = [Caller(("public", "shared"), "alice", ("microscopy",)), Caller(("public",), "bob", ()),
           Caller(("public", "shared", "hidden"), "carol", ("astro",)), Caller((), "nobody", ())]


def _hits(store: CatalogStore, tree, caller: Caller) -> set[tuple[str, str]]:
    page = store.search(tree, caller, limit=1000)
    assert page.total == len(page.hits) and page.cursor is None
    return {(hit["repository"], hit["path"]) for hit in page.hits}


def test_random_queries_find_what_the_reference_finds(catalog):
    records = generated(1)
    fill(catalog, records)
    tags = [(records[i], tag, author, visibility, group) for i, tag, author, visibility, group in TAGS]
    rng = random.Random(7)
    checked_trees = 0
    for _ in range(150):
        tree = checked(random_tree(rng))
        assert parse(to_text(tree)) == tree, to_text(tree)
        for caller in CALLERS[:3]:
            expected = {(r.repository, r.path) for r in records
                        if r.repository in caller.readable and reference(tree, r, caller, tags)}
            assert _hits(catalog, tree, caller) == expected, (to_text(tree), caller.user)
            checked_trees += bool(expected)
    assert checked_trees > 100  # most trees find something: the comparison is not of empty sets


def test_units_convert_and_other_dimensions_never_match(catalog):
    rows = [Row("desc", "energy", low=0.2, high=0.2, unit="MeV"), Row("desc", "length", low=200, high=200, unit="nm")]
    catalog.replace_file("public", "a.h5", [EntryRecord("public", "a.h5", "", "file", "a.h5", "hdf5", 1, 1.0,
                                                        rows=rows)])
    caller = CALLERS[1]
    assert _hits(catalog, {"op": "between", "key": "desc.energy", "value": [199, 201], "unit": "keV"}, caller)
    assert _hits(catalog, {"op": "eq", "key": "desc.energy", "value": 2e5, "unit": "eV"}, caller)
    assert not _hits(catalog, {"op": "gt", "key": "desc.energy", "value": 0.3, "unit": "MeV"}, caller)
    # 200 nm is not an energy: the same numbers in another dimension never answer.
    assert not _hits(catalog, {"op": "between", "key": "desc.length", "value": [199, 201], "unit": "keV"}, caller)
    assert _hits(catalog, {"op": "between", "key": "desc.length", "value": [0.19, 0.21], "unit": "um"}, caller)
    with pytest.raises(BadParameter, match="not a unit"):
        catalog.search(parse("desc.energy:>2furlongs_per_fortnight"), caller)


def test_facets_and_totals_count_only_what_the_caller_may_see(catalog):
    records = generated(2, 60)
    fill(catalog, records)
    for caller in CALLERS:
        page = catalog.search(None, caller, facets=["repository", "format", "tag"], limit=1000)
        visible = [r for r in records if r.repository in caller.readable]
        assert page.total == len(visible)
        assert {f["value"]: f["count"] for f in page.facets["repository"]} == {
            name: sum(r.repository == name for r in visible) for name in {r.repository for r in visible}}
        counted_tags = {f["value"]: f["count"] for f in page.facets["tag"]}
        tags = [(records[i], tag, author, visibility, group) for i, tag, author, visibility, group in TAGS]
        for tag in ("good", "bad", "calib"):
            expected = sum(1 for r in visible if reference({"op": "tag", "value": tag}, r, caller, tags))
            assert counted_tags.get(tag, 0) == expected, (caller.user, tag)
    assert catalog.search(None, CALLERS[3]).total == 0
    # A tag query with the tag facet: the facet's annotations and the query's are told apart.
    page = catalog.search({"op": "tag", "value": "good"}, CALLERS[2], facets=["tag"], limit=1000)
    assert page.total == len(page.hits) >= 1
    assert {f["value"] for f in page.facets["tag"]} >= {"good"}


def test_cursors_page_through_every_hit_once_in_order(catalog):
    records = generated(3, 90)
    fill(catalog, records)
    caller = CALLERS[2]
    for sort in ("name", "-size", "mtime", "-format"):
        seen, cursor = [], None
        while True:
            page = catalog.search(None, caller, sort=sort, cursor=cursor, limit=7)
            seen += page.hits
            cursor = page.cursor
            if cursor is None:
                break
        assert len(seen) == len(records) and len({(h["repository"], h["path"]) for h in seen}) == len(records)
        field = sort.lstrip("-")
        blank = "" if field in ("name", "format") else -1.0
        keys = [blank if h[field] is None else h[field] for h in seen]
        assert keys == sorted(keys, reverse=sort.startswith("-"))
    with pytest.raises(BadParameter, match="not one a search answered"):
        catalog.search(None, caller, cursor="garbage")
    with pytest.raises(BadParameter, match="Cannot sort by"):
        catalog.search(None, caller, sort="secret")


def test_annotations_are_mutable_with_history_and_private_ones_stay_private(catalog):
    catalog.replace_file("public", "x.h5", [EntryRecord("public", "x.h5", "", "file", "x.h5", "hdf5", 1, 1.0)])
    alice, bob = Caller(("public",), "alice", ("microscopy",)), Caller(("public",), "bob", ())
    note = catalog.annotate(alice, "public", "x.h5", "", "note", "beam drifted at 3 min", "private", None)
    tag = catalog.annotate(alice, "public", "x.h5", "", "tag", "drift", "group", "microscopy")
    assert [a["value"] for a in catalog.annotations(bob, "public", "x.h5")] == []
    assert {a["value"] for a in catalog.annotations(alice, "public", "x.h5")} == {"beam drifted at 3 min", "drift"}
    assert not _hits(catalog, {"op": "tag", "value": "drift"}, bob)
    changed = catalog.change_annotation(alice, tag["id"], {"visibility": "readers"})
    assert changed["visibility"] == "readers" and _hits(catalog, {"op": "tag", "value": "drift"}, bob)
    with pytest.raises(Exception, match="No annotation"):
        catalog.change_annotation(bob, note["id"], {"value": "mine now"})
    with pytest.raises(BadParameter, match="one of your groups"):
        catalog.annotate(bob, "public", "x.h5", "", "tag", "x", "group", "microscopy")
    catalog.change_annotation(alice, note["id"], {"value": "beam drifted at 4 min"})
    catalog.change_annotation(alice, note["id"], None)
    history = catalog.history(alice, note["id"])
    assert [h["action"] for h in history] == ["created", "changed", "deleted"]
    assert history[1]["before"]["value"] == "beam drifted at 3 min" and history[2]["before"]["value"].endswith("4 min")
    with pytest.raises(Exception, match="No annotation"):
        catalog.history(bob, note["id"])
    # Re-indexing the file keeps what was said about it.
    catalog.replace_file("public", "x.h5", [EntryRecord("public", "x.h5", "", "file", "x.h5", "hdf5", 2, 2.0)])
    assert _hits(catalog, {"op": "tag", "value": "drift"}, bob) == {("public", "x.h5")}


@pytest.mark.parametrize(("text", "fragment"), [
    ("desc.energy:[1 TO", "at character 18 (the end)"),
    ("name:a AND", "at character 11 (the end)"),
    ("name:a ) b", "at character 8 (')')"),
    ("nokey.x:1", "Unknown key 'nokey.x'"),
    ("desc.energy:[1kV TO 2V]", "two units"),
    ("shape:32xfour", "sizes joined by x"),
    ("time:2026", "time: takes a range"),
    ("size:abc", "holds numbers"),
    ("", "empty"),
])
def test_bad_text_is_a_clear_400(text, fragment, tmp_path):
    store = CatalogStore(JobStore(f"sqlite:///{tmp_path / 'c.db'}"))
    with pytest.raises(BadParameter) as refused:
        store.search(parse(text), CALLERS[0])
    assert fragment in refused.value.message


@pytest.mark.parametrize(("tree", "fragment"), [
    ({"op": "between", "key": "desc.x", "value": [None, None]}, "takes [low, high]"),
    ({"op": "and", "args": []}, "non-empty list"),
    ({"op": "nor", "args": []}, "unknown operator 'nor'"),
    ({"op": "tag", "key": "x", "value": "good"}, "does not take key"),
    ({"op": "eq", "key": "desc.x", "value": True}, "a number or a text"),
    ({"op": "not", "args": [{"op": "tag", "value": "a"}, {"op": "tag", "value": "b"}]}, "one query"),
    ({"op": "or", "args": [{"op": "tag", "value": "x"}] * 300}, "more than 256 conditions"),
])
def test_bad_trees_are_refused_with_the_node_named(tree, fragment):
    with pytest.raises(BadParameter, match=None) as refused:
        checked(tree)
    assert fragment in refused.value.message


def test_deep_trees_are_refused_not_recursed_forever():
    tree = {"op": "tag", "value": "x"}
    for _ in range(40):
        tree = {"op": "not", "args": [tree]}
    with pytest.raises(BadParameter, match="deeper than 32"):
        checked(tree)


def test_numbers_and_text_write_back_exactly():
    for value in (0, -3, 1e-300, 2.5e10, math.pi, "2026", "AND", "a b", 'quo"te', "x:y", "-1", "~tilde"):
        tree = {"op": "eq", "key": "meta.k", "value": value}
        assert parse(to_text(tree)) == tree, to_text(tree)
