"""Batch cutouts over REST on a real server with its own worker: 1,000 positions on the generated
surveys with a few impossible ones complete with the right manifest, each file equal to the
real-time answer for the same parameters; per-row overrides from a CSV written with astropy;
the zip holds every file and both manifests; another user's batch is 404; bad rows are 400s
that name the row, and an over-quota batch is refused with its quote."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest
from _api import call
from _cutouts import error_of, hdus_of, indexed_sky, sky_dir, sky_index_in_place, sync  # noqa: F401 - fixtures
from _cutouts_batch import (  # noqa: F401 - fixtures
    NOWHERE, batch_config, completed, fits_of, manifest_of, mosaic_positions, out_dir, server, submit)
from astropy.io import fits
from astropy.table import Table

from jupyter_remotem.cutouts.manifest import COLUMNS


@pytest.fixture
def jp_server_config(repositories, sky_dir, out_dir, sky_index_in_place):
    return batch_config(repositories, sky_dir, out_dir)


async def test_a_thousand_positions_with_impossible_ones(jp_fetch, server, sky_dir, out_dir):
    positions = mosaic_positions(sky_dir, 997) + [{"id": i, "ra": ra, "dec": dec} for i, ra, dec in NOWHERE]
    body = {"defaults": {"survey": "demo_mosaic", "size": "32pix", "bands": "g"}, "positions": positions,
            "output": {"repository": "out", "path": "run1"}}
    code, dry = await call(jp_fetch, "POST", "cutouts", "jobs", body=body, dry_run=1)
    assert code == 200 and dry["count"] == 1000 and dry["quota"]["fits"]
    assert dry["quote"]["cutouts"] == 1000 and dry["quote"]["bytes_written"] >= 1000 * 32 * 32 * 4
    assert dry["quote"]["seconds"] > 0 and dry["quote"]["queue_position"] >= 0
    assert dry["quote"]["basis"] == "default", "no batch has run on this survey yet"
    job = await submit(jp_fetch, body)
    assert job["kind"] == "cutouts" and job["quote"]["cutouts"] == 1000
    job = await completed(jp_fetch, job["id"])
    assert job["progress"]["done"] == job["progress"]["total"] == 1000
    code, again = await call(jp_fetch, "POST", "cutouts", "jobs", body=body, dry_run=1)
    measured = again["quote"]["surveys"]["demo_mosaic"]
    assert again["quote"]["basis"] == "measured" and measured["bytes_s"] > 0, "quotes follow the history"
    assert again["quote"]["seconds"] == pytest.approx(measured["bytes"] / measured["bytes_s"], rel=1e-2)
    code, listed = await call(jp_fetch, "GET", "jobs", kind="cutouts")
    assert job["id"] in [j["id"] for j in listed["jobs"]], "a batch is a job like every job"
    listed_job = next(j for j in listed["jobs"] if j["id"] == job["id"])
    assert listed_job["request"]["positions"]["count"] == 1000, "lists carry the length, not 1,000 rows"
    code, whole = await call(jp_fetch, "GET", "jobs", job["id"])
    assert code == 200 and len(whole["request"]["positions"]) == 1000

    document = await manifest_of(jp_fetch, job["id"])
    rows = {row["id"]: row for row in document["rows"]}
    assert len(rows) == 1000 and document["ok"] == 997 and document["failed"] == 3
    for identifier, _, _ in NOWHERE:
        row = rows[identifier]
        assert row["status"] == "failed" and row["code"] == "no_overlap" and row["error"] and not row["file"]
        assert not (out_dir / "run1" / f"{identifier}.fits").exists()
    files = sorted(p.name for p in (out_dir / "run1").iterdir())
    assert len(files) == 997 + 2 and "manifest.json" in files and "manifest.csv" in files
    assert not [name for name in files if name.startswith(".")], "no temporary file is left"
    for row in list(rows.values())[:997]:
        assert row["status"] == "ok" and row["file"] == f"{row['id']}.fits" and row["width"] == row["height"] == 32
        assert row["tiles"].startswith("g:t") and row["size"] == (out_dir / "run1" / row["file"]).stat().st_size

    # Files equal the real-time answer for the same parameters (a sample, across tiles and edges).
    rng = np.random.default_rng(0)
    for k in rng.choice(997, 12, replace=False):
        row = rows[f"m{k:04d}"]
        with fits_of(out_dir / "run1" / row["file"]) as got:
            expected = hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=row["ra"], dec=row["dec"], size="32pix",
                                          bands="g"))
            np.testing.assert_array_equal(got["G"].data, expected["G"].data)
            assert got["G"].header.tostring() == expected["G"].header.tostring()

    with open(out_dir / "run1" / "manifest.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == COLUMNS and len(table) == 1000
    assert {r["id"]: r["status"] for r in table} == {r["id"]: r["status"] for r in rows.values()}
    code, text = await call(jp_fetch, "GET", "cutouts", "jobs", job["id"], "manifest", format="csv")
    assert code == 200 and text.splitlines()[0] == ",".join(COLUMNS)

    # The zip: every file and both manifests, each byte for byte.
    response = await jp_fetch("remotem", "api", "cutouts", "jobs", job["id"], "zip")
    assert response.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        names = {name.split("/", 1)[1]: name for name in archive.namelist()}
        assert set(names) == set(files)
        for name in ("manifest.json", "m0005.fits", "m0996.fits"):
            assert archive.read(names[name]) == (out_dir / "run1" / name).read_bytes()

    code, renewed = await call(jp_fetch, "POST", "cutouts", "jobs", job["id"], "renew")
    assert code == 200 and renewed["destruction"] >= job["destruction"], "renewal keeps the files longer"
    # The files are the job's: its ledger lists them, so retention and deletion remove them.
    code, detail = await call(jp_fetch, "GET", "jobs", job["id"])
    assert detail["written"]["files"] == 999 and detail["written"]["bytes"] > 997 * 32 * 32 * 4
    code, _ = await call(jp_fetch, "DELETE", "jobs", job["id"])
    assert code == 204 and not list((out_dir / "run1").glob("*.fits"))


async def test_overrides_per_row_from_a_csv_written_with_astropy(jp_fetch, server, sky_dir, out_dir):
    positions = mosaic_positions(sky_dir, 6, seed=9)
    table = Table(rows=[(p["id"], p["ra"], p["dec"]) for p in positions], names=("id", "ra", "dec"))
    table["size"] = ["16pix", "", "20arcsec", "16pix", "", "24pix"]
    table["bands"] = ["g", "r", "g,i", "", "gri", "i"]
    table["format"] = ["fits", "fits", "fits", "png", "jpg", "fits"]
    table["algorithm"] = ["native", "resample", "native", "native", "native", ""]
    (out_dir / "objects.csv").write_text(_csv(table))
    job = await submit(jp_fetch, {"defaults": {"survey": "demo_mosaic", "size": "12pix"},
                                  "table": {"repository": "out", "path": "objects.csv"},
                                  "output": {"repository": "out", "path": "csvrun"}})
    await completed(jp_fetch, job["id"])
    rows = {row["id"]: row for row in (await manifest_of(jp_fetch, job["id"]))["rows"]}
    assert all(row["status"] == "ok" for row in rows.values()), rows
    folder = out_dir / "csvrun"
    for k, position in enumerate(positions):
        row = rows[position["id"]]
        params = {"survey": "demo_mosaic", "ra": position["ra"], "dec": position["dec"],
                  "size": table["size"][k] or "12pix"}
        if table["bands"][k]:
            params["bands"] = table["bands"][k]
        if table["algorithm"][k]:
            params["algorithm"] = table["algorithm"][k]
        assert row["algorithm"] == (table["algorithm"][k] or "native")
        if table["format"][k] in ("png", "jpg"):
            params["format"] = table["format"][k]
            response = await sync(jp_fetch, **params)
            assert response.code == 200, response.body[:300]
            assert row["file"].endswith("." + table["format"][k])
            assert (folder / row["file"]).read_bytes() == response.body
            continue
        expected = hdus_of(await sync(jp_fetch, **params))
        with fits_of(folder / row["file"]) as got:
            assert [h.name for h in got[1:]] == [h.name for h in expected[1:]]
            for hdu in expected[1:]:
                np.testing.assert_array_equal(got[hdu.name].data, hdu.data)
    assert rows[positions[2]["id"]]["width"] == 40, "20 arcsec at 0.5 arcsec/px"


def _csv(table: Table) -> str:
    buffer = io.StringIO()
    table.write(buffer, format="ascii.csv")
    return buffer.getvalue()


async def test_bad_rows_are_400_naming_the_row(jp_fetch, server, sky_dir):
    good = mosaic_positions(sky_dir, 3)
    cases = [
        ({"defaults": {"survey": "demo_mosaic", "size": "8pix"}, "positions": good + [{"id": "x", "ra": 1, "dec": 95}]},
         "Row 4 (id 'x')"),
        ({"defaults": {"survey": "demo_mosaic", "size": "8pix"},
          "positions": good[:1] + [dict(good[1], bands="z")]}, "Row 2"),
        ({"defaults": {"survey": "demo_mosaic", "size": "8pix"}, "positions": [dict(good[0], colour="red")]},
         "'colour' is not a cutout parameter"),
        ({"defaults": {"survey": "demo_mosaic", "size": "8pix"}, "positions": [good[0], dict(good[1], id=good[0]["id"])]},
         "also that of row 1"),
        ({"defaults": {"survey": "secret_mosaic", "size": "8pix"}, "positions": good}, "no survey 'secret_mosaic'"),
        ({"defaults": {"survey": "demo_mosaic"}, "positions": good}, "Give the size"),
        ({"defaults": {"survey": "demo_mosaic", "size": "8pix"}, "positions": []}, "no positions"),
        ({"defaults": {"survey": "demo_mosaic", "size": "8pix"}, "positions": good, "output": {"repository": "sky"}},
         "read-only"),
        ({"defaults": {"survey": "demo_mosaic", "size": "8pix"}, "positions": good, "colour": 1}, "not colour"),
    ]
    for body, words in cases:
        code, answer = await call(jp_fetch, "POST", "cutouts", "jobs", body=body)
        assert code in (400, 403), (code, answer)
        error = answer["error"]
        assert words.lower() in error["message"].lower(), (words, error)
        assert error["code"] and error["hint"]
    code, answer = await call(jp_fetch, "POST", "cutouts", "jobs", body="[1, 2")
    assert code == 400 and answer["error"]["hint"]
    code, answer = await call(jp_fetch, "POST", "cutouts", "jobs",
                              body={"defaults": {"survey": "demo_mosaic", "size": "8pix"},
                                    "table": {"repository": "out", "path": "missing.csv"}})
    assert code == 404
    code, jobs = await call(jp_fetch, "GET", "cutouts", "jobs")
    assert code == 200 and jobs["jobs"] == [], "nothing was submitted"


async def test_another_users_batch_is_404(jp_fetch, server):
    store = server.web_app.settings["remotem"].jobs
    foreign = store.create("someone-else", "cutouts", {"defaults": {}, "positions": [],
                                                       "output": {"repository": "out", "path": "theirs"},
                                                       "surveys": {}})
    for parts in ((foreign.id,), (foreign.id, "manifest"), (foreign.id, "zip"), (foreign.id, "files", "a.fits")):
        code, answer = await call(jp_fetch, "GET", "cutouts", "jobs", *parts)
        assert code == 404 and answer["error"]["hint"], parts
    code, answer = await call(jp_fetch, "GET", "cutouts", "async", foreign.id)
    assert code == 404
    code, answer = await call(jp_fetch, "GET", "jobs", foreign.id)
    assert code == 404


async def test_an_over_quota_batch_is_refused_with_its_quote(jp_fetch, server, sky_dir):
    server.web_app.settings["remotem"].quotas = {"default": {"storage_bytes": 100_000}}
    body = {"defaults": {"survey": "demo_mosaic", "size": "32pix"}, "positions": mosaic_positions(sky_dir, 50)}
    code, answer = await call(jp_fetch, "POST", "cutouts", "jobs", body=body)
    assert code == 403 and answer["error"]["code"] == "quota_exceeded", answer
    quote = answer["error"]["details"]["quote"]
    assert quote["cutouts"] == 50 and quote["bytes_written"] > 100_000
    body["positions"] = body["positions"][:2]
    await submit(jp_fetch, body)
    server.web_app.settings["remotem"].cutout_batch_max = 10
    code, answer = await call(jp_fetch, "POST", "cutouts", "jobs",
                              body=dict(body, positions=mosaic_positions(sky_dir, 11)))
    assert code == 413 and answer["error"]["details"]["allowed"] == 10 and "at most 10" in answer["error"]["message"]


async def test_submitting_again_redoes_only_what_failed_or_is_missing(jp_fetch, server, sky_dir, out_dir):
    positions = mosaic_positions(sky_dir, 40, seed=5) + [{"id": i, "ra": ra, "dec": dec} for i, ra, dec in NOWHERE]
    body = {"defaults": {"survey": "demo_mosaic", "size": "16pix", "bands": "r"}, "positions": positions}
    first = await submit(jp_fetch, body)
    await completed(jp_fetch, first["id"])
    assert first["request"]["output"]["repository"] == "notebooks", "the home repository by default"
    folder = server.root_dir + "/" + first["request"]["output"]["path"]
    from pathlib import Path

    folder = Path(folder)
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.fits")}
    assert len(stamps) == 40
    (folder / "m0003.fits").unlink()
    (folder / "m0017.fits").unlink()
    second = await submit(jp_fetch, body)
    assert second["request"]["output"] == first["request"]["output"], "the same batch finds the same folder"
    await completed(jp_fetch, second["id"])
    document = await manifest_of(jp_fetch, second["id"])
    assert document["made"] == 2 + len(NOWHERE) and document["kept"] == 38, document
    assert document["ok"] == 40 and document["failed"] == len(NOWHERE)
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.fits")}
    assert set(after) == set(stamps)
    changed = {name for name in after if after[name] != stamps[name]}
    assert changed == {"m0003.fits", "m0017.fits"}, changed
    # The kept files are the new job's now: deleting the first one leaves them.
    code, _ = await call(jp_fetch, "DELETE", "jobs", first["id"])
    assert code == 204 and len(list(folder.glob("*.fits"))) == 40
    code, _ = await call(jp_fetch, "DELETE", "jobs", second["id"])
    assert code == 204 and not list(folder.glob("*.fits"))


@pytest.mark.parametrize("fmt,name", [("votable", "objects.xml"), ("parquet", "objects.parquet")])
async def test_votable_and_parquet_tables_with_a_survey_column(jp_fetch, server, sky_dir, out_dir, fmt, name):
    spots = mosaic_positions(sky_dir, 3, seed=4)
    table = Table(rows=[(p["id"], p["ra"], p["dec"], "demo_mosaic", "g") for p in spots]
                  + [("ra0-a", 0.0, -30.0, "demo_ra0", "r"), ("ra0-b", 359.99, -30.01, "demo_ra0", "r")],
                  names=("id", "ra", "dec", "survey", "bands"))
    table.write(out_dir / name, format=fmt)
    job = await submit(jp_fetch, {"defaults": {"size": "10pix"}, "table": {"repository": "out", "path": name},
                                  "output": {"repository": "out", "path": fmt}})
    await completed(jp_fetch, job["id"])
    rows = {row["id"]: row for row in (await manifest_of(jp_fetch, job["id"]))["rows"]}
    assert [rows[i]["survey"] for i in table["id"]] == list(table["survey"])
    assert all(row["status"] == "ok" for row in rows.values()), rows
    for identifier in ("ra0-a", "ra0-b"):
        row = rows[identifier]
        expected = hdus_of(await sync(jp_fetch, survey="demo_ra0", ra=row["ra"], dec=row["dec"], size="10pix",
                                      bands="r"))
        with fits_of(out_dir / fmt / row["file"]) as got:
            np.testing.assert_array_equal(got["R"].data, expected["R"].data)


async def test_a_table_with_a_column_that_names_nothing_is_refused(jp_fetch, server, out_dir):
    (out_dir / "typo.csv").write_text("id,ra,dec,sise\na,150.0,2.0,10pix\n")
    code, answer = await call(jp_fetch, "POST", "cutouts", "jobs",
                              body={"defaults": {"survey": "demo_mosaic", "size": "8pix"},
                                    "table": {"repository": "out", "path": "typo.csv"}})
    assert code == 400 and "'sise'" in answer["error"]["message"]
    (out_dir / "norad.csv").write_text("id,dec\na,2.0\n")
    code, answer = await call(jp_fetch, "POST", "cutouts", "jobs",
                              body={"defaults": {"survey": "demo_mosaic", "size": "8pix"},
                                    "table": {"repository": "out", "path": "norad.csv"}})
    assert code == 400 and "'ra'" in answer["error"]["message"]


async def test_retention_removes_a_batch_after_its_destruction(jp_fetch, server, sky_dir, out_dir):
    from datetime import timedelta

    from jupyter_remotem.jobs.models import utcnow
    from jupyter_remotem.jobs.retention import collect_expired

    job = await submit(jp_fetch, {"defaults": {"survey": "demo_mosaic", "size": "8pix"},
                                  "positions": mosaic_positions(sky_dir, 5, seed=12),
                                  "output": {"repository": "out", "path": "expiring"}})
    await completed(jp_fetch, job["id"])
    assert len(list((out_dir / "expiring").iterdir())) == 7
    services = server.web_app.settings["remotem"]
    assert collect_expired(services.jobs, services.registry, now=utcnow()) == [], "not yet"
    archived = collect_expired(services.jobs, services.registry, now=utcnow() + timedelta(days=3650))
    assert job["id"] in archived
    assert not (out_dir / "expiring").exists() or not list((out_dir / "expiring").iterdir())


async def test_the_batch_call_a_413_names_runs(jp_fetch, server, out_dir):
    """A real-time request over the budget names the batch call; making it gives the cutout."""
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="600pix", bands="g", mode="partial",
                          fill_value=0)
    batch = error_of(response, 413)["details"]["batch"]
    assert batch["method"] == "POST" and batch["url"] == "remotem/api/cutouts/jobs"
    job = await submit(jp_fetch, dict(batch["body"], output={"repository": "out", "path": "big"}, notify="email"))
    assert job["notify"] == "email", "a batch asks for its e-mail like every job"
    await completed(jp_fetch, job["id"])
    row = (await manifest_of(jp_fetch, job["id"]))["rows"][0]
    assert row["status"] == "ok" and (row["width"], row["height"]) == (600, 600)
    with fits_of(out_dir / "big" / row["file"]) as hdus:
        assert hdus["G"].data.shape == (600, 600) and hdus[0].header["MODE"] == "partial"



async def test_a_soda_circle_over_the_budget_names_a_batch_of_its_size(jp_fetch, server, out_dir):
    """POS=CIRCLE has no size of its own: the batch call carries the circle's square, and a
    polygon (which batches cannot take) names no batch call and says what to do instead."""
    response = await sync(jp_fetch, ID="demo_mosaic", POS="CIRCLE 150.0 2.0 0.045", BAND="g", mode="partial",
                          fill_value=0)
    error = error_of(response, 413)
    batch, (height, width) = error["details"]["batch"], error["details"]["quote"]["shape"]
    assert "details.batch" in error["hint"]
    assert not {"pos", "circle"} & set(batch["body"]["defaults"]), batch
    job = await submit(jp_fetch, dict(batch["body"], output={"repository": "out", "path": "circle"}))
    await completed(jp_fetch, job["id"])
    row = (await manifest_of(jp_fetch, job["id"]))["rows"][0]
    assert row["status"] == "ok", row
    assert abs(row["width"] - width) <= 1 and abs(row["height"] - height) <= 1, (row, width, height)
    assert abs(row["width"] - 0.09 * 3600 / 0.5) <= 1  # 2 × 0.045° at 0.5″ per pixel
    polygon = await sync(jp_fetch, ID="demo_mosaic", BAND="g",
                         POS="POLYGON 149.95 1.95 150.05 1.95 150.05 2.05 149.95 2.05")
    error = error_of(polygon, 413)
    assert error["details"]["batch"] is None and "split the polygon" in error["hint"]

HOSTILE = [
    {"positions": {"id": "a"}}, {"positions": [1, 2]}, {"positions": [[150.0, 2.0]]},
    {"positions": [{"id": ["x"], "ra": 150, "dec": 2}]}, {"positions": [{"id": "a", "ra": "east", "dec": 2}]},
    {"positions": [{"id": "a", "ra": float("inf"), "dec": 2}]}, {"positions": [{"id": "a", "ra": 1e308, "dec": 2}]},
    {"positions": [{"id": "a", "ra": True, "dec": 2}]}, {"positions": [{"id": "a" * 500, "ra": 150, "dec": 2}]},
    {"positions": [{"id": "a\x00b", "ra": 150, "dec": 2}]}, {"positions": [{"id": "a", "ra": 150, "dec": 2, "pos": "x"}]},
    {"positions": [{"id": "a", "ra": 150, "dec": 2, "size": "1e400pix"}]},
    {"positions": [{"id": "a", "ra": 150, "dec": 2, "size": {"nested": [1]}}]},
    {"positions": [{"id": "a", "ra": 150, "dec": 2, "size": "9999999pix"}]},
    {"defaults": [1], "positions": [{"id": "a", "ra": 150, "dec": 2}]},
    {"defaults": {"ra": 1}, "positions": [{"id": "a", "ra": 150, "dec": 2}]},
    {"positions": [{"id": "a", "ra": 150, "dec": 2}], "output": {"repository": "out", "path": "../../escape"}},
    {"positions": [{"id": "a", "ra": 150, "dec": 2}], "output": {"repository": "nowhere", "path": "x"}},
    {"positions": [{"id": "a", "ra": 150, "dec": 2}], "output": "out"},
    {"table": {"repository": "out", "path": "../../../etc/passwd.csv"}},
    {"table": {"repository": "out", "path": "x.exe"}}, {"table": "out:x.csv"},
    {"positions": [{"id": "a", "ra": 150, "dec": 2}], "table": {"repository": "out", "path": "a.csv"}},
    {}, [], "text", 12,
]


async def test_hostile_bodies_get_4xx_never_500(jp_fetch, server):
    # Every body against one server (each server with its worker takes seconds to start): the
    # answers that went wrong are reported together, by their index in HOSTILE.
    wrong = {}
    for k, body in enumerate(HOSTILE):
        if isinstance(body, dict) and body and "defaults" not in body:
            body = dict(body, defaults={"survey": "demo_mosaic", "size": "8pix"})
        code, answer = await call(jp_fetch, "POST", "cutouts", "jobs", body=json.dumps(body))
        error = answer.get("error") if isinstance(answer, dict) else None
        if not (400 <= code < 500 and error and error["message"] and error["hint"] is not None and error["code"]):
            wrong[k] = (code, answer)
    assert not wrong, wrong
