"""Targets' manifests in the SQL store as well as their sidecars: a row per committed target, written
as it commits, with the key, its parts, the writer, when and the run; a run's targets listed from SQL;
and planning and skipping from the sidecars alone when there is no database. On SQLite and on a real
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from _pipeline_cells import build, edited, load, source, table
from _postgres import database_url, postgres_server_url  # noqa: F401  (fixtures)

from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.pipeline import plan, run
from jupyter_remotem.pipeline.store import Store, manifest_name
from jupyter_remotem.pipeline.target_index import TargetIndex, store_name

ITEMS = table(4)


def sidecar(store: Path, target: str) -> dict:
    return json.loads((store / manifest_name(target)).read_text())


def test_each_committed_target_is_a_row_and_a_run_lists_its_targets_from_sql(tmp_path: Path, database_url: str):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    text = source(log_dir)
    module = load(tmp_path / "code", text)
    folder = tmp_path / "store"
    jobs = JobStore(database_url)  # the schema is the migrations' (0009 makes the table)
    index = TargetIndex(jobs, owner="alice")
    try:
        first = run(build(module, ITEMS), store=str(folder), index=index)
        made = first.executed()
        assert len(made) == 8
        rows = index.run_targets(first.record["run"])
        assert [r["target"] for r in rows] == made  # in the order they committed
        for row in rows:
            manifest = sidecar(folder, row["target"])
            assert row["key"] == manifest["key"] and row["components"] == manifest["components"]
            assert row["writer"] == manifest["writer"] and row["step"] == manifest["step"]
            assert row["run"] == manifest["run"]["id"] == first.record["run"]
            assert row["owner"] == "alice" and row["store"] == store_name(Store.from_spec(str(folder)))
            assert abs(_seconds(row["committed"]) - manifest["finished"]) < 1e-3
        assert rows[0]["writer"]["name"] == "OmeTiff" and rows[0]["writer"]["config"]["dims"] == "CZYX"

        # A re-run that skips everything commits nothing, so it has no rows.
        again = run(build(module, ITEMS), store=str(folder), index=index)
        assert again.executed() == [] and index.run_targets(again.record["run"]) == []

        # After an edit of one step, its targets get new rows; the latest row is the sidecar's key.
        changed = load(tmp_path / "code2", edited(text, "return normed.max(axis=(0, 1))",
                                                 "return normed.max(axis=(0, 1)) * 2"))
        third = run(build(changed, ITEMS), store=str(folder), index=database_url)  # a URL works too
        assert sorted(third.executed()) == [f"projections/{i}.png" for i in range(4)]
        listed = index.run_targets(third.record["run"])
        assert sorted(r["target"] for r in listed) == sorted(third.executed())
        latest = index.latest(Store.from_spec(str(folder)), "projections/2.png")
        assert latest["run"] == third.record["run"] and latest["key"] == sidecar(folder, "projections/2.png")["key"]
        assert index.latest(Store.from_spec(str(folder)), "normalized/2.ome.tiff")["run"] == first.record["run"]
    finally:
        jobs.close()


def test_a_deleted_job_takes_its_target_rows_along_unless_its_files_are_kept(tmp_path: Path):
    """Rows name products that exist: deleting a pipeline job (whose files went first) drops its rows;
    with ``keep_files`` the rows stay, like the files, without the job."""
    from jupyter_remotem.jobs.models import Phase

    log_dir = tmp_path / "log"
    log_dir.mkdir()
    module = load(tmp_path / "code", source(log_dir))
    jobs = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    try:
        rows_of = {}
        for name in ("dropped", "kept"):
            job = jobs.create("alice", "pipeline", {"operation": "pipeline"})
            index = TargetIndex(jobs, owner="alice", job_id=job.id)
            made = run(build(module, ITEMS), store=str(tmp_path / name), index=index)
            rows_of[name] = (job.id, made.record["run"])
            jobs.finish(job.id, Phase.COMPLETED)
            assert len(index.run_targets(made.record["run"])) == 8
        listing = TargetIndex(jobs)
        jobs.delete(rows_of["dropped"][0], "alice")
        assert listing.run_targets(rows_of["dropped"][1]) == []
        jobs.delete(rows_of["kept"][0], "alice", keep_files=True)
        kept = listing.run_targets(rows_of["kept"][1])
        assert len(kept) == 8 and {row["job"] for row in kept} == {None}
    finally:
        jobs.close()


def test_without_a_database_plans_and_skips_come_from_the_sidecars(tmp_path: Path):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    module = load(tmp_path / "code", source(log_dir))
    folder = tmp_path / "store"
    assert len(run(build(module, ITEMS), store=str(folder)).executed()) == 8
    assert not list(tmp_path.rglob("*.sqlite"))  # no database was made or asked for
    assert plan(build(module, ITEMS), store=str(folder)).to_run() == []
    (folder / manifest_name("normalized/1.ome.tiff")).unlink()  # the sidecar alone commits a target
    assert [n.target for n in plan(build(module, ITEMS), store=str(folder)).to_run()] == ["normalized/1.ome.tiff"]


def test_store_names_in_the_table_carry_no_credentials():
    class Described:
        def describe(self) -> str:
            return "webdav://someone:secret@dav.example.org/folder"

    assert store_name(Described()) == "webdav://dav.example.org/folder"


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()
