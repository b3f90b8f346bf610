"""A large batch runs on the Dask cluster like other job kinds: here every batch counts as large
(``--cluster-threshold 1``), so its units are tasks of the worker's local cluster; the manifest and
the files are those the inline path makes (equal to the real-time answers)."""

from __future__ import annotations

import numpy as np
import pytest
from _api import call
from _cutouts import hdus_of, indexed_sky, sky_dir, sky_index_in_place, sync  # noqa: F401 - fixtures
from _cutouts_batch import (  # noqa: F401 - fixtures
    NOWHERE, batch_config, completed, fits_of, manifest_of, mosaic_positions, out_dir, server, submit)


@pytest.fixture
def jp_server_config(repositories, sky_dir, out_dir, sky_index_in_place):
    config = batch_config(repositories, sky_dir, out_dir)
    arguments = config["RemotemApp"]["worker_arguments"]
    at = arguments.index("--scheduler")
    arguments[at:at + 2] = ["--scheduler", "local", "--cluster-threshold", "1"]
    return config


async def test_units_run_as_cluster_tasks(jp_fetch, server, sky_dir, out_dir):
    positions = mosaic_positions(sky_dir, 250, seed=8) + [{"id": i, "ra": ra, "dec": dec} for i, ra, dec in NOWHERE]
    job = await submit(jp_fetch, {"defaults": {"survey": "demo_mosaic", "size": "24pix", "bands": "g,r"},
                                  "positions": positions, "output": {"repository": "out", "path": "cluster"}})
    finished = await completed(jp_fetch, job["id"], timeout=300)
    code, detail = await call(jp_fetch, "GET", "jobs", job["id"])
    assert any("in 3 units on the cluster" in line["message"] for line in detail["log"]), detail["log"]
    document = await manifest_of(jp_fetch, job["id"])
    assert document["ok"] == 250 and document["failed"] == 3 and document["made"] == 253
    rows = {row["id"]: row for row in document["rows"]}
    for k in np.random.default_rng(3).choice(250, 6, replace=False):
        row = rows[f"m{k:04d}"]
        expected = hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=row["ra"], dec=row["dec"], size="24pix",
                                      bands="g,r"))
        with fits_of(out_dir / "cluster" / row["file"]) as got:
            for band in ("G", "R"):
                np.testing.assert_array_equal(got[band].data, expected[band].data)
