"""Saved results: every output format carries its provenance, the tree marks results with a
badge, and ``meta`` gives back what a viewer needs to reopen one."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _api import call
from _results import jp_server_config, repositories, run_job, stop_worker  # noqa: F401 - fixtures
from PIL import Image

from jupyter_remotem.kernels import from_spec

RING = {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}
DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}
# A view of the contract (jupyter_remotem/view_contract.py): the disk's tab shown with magma, log scale.
VIEW = {"mode": "detector",
        "detectors": [{"id": "d1", "shape": {"kind": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}},
                      {"id": "d2", "shape": {"kind": "disk", "cx": 32, "cy": 32, "r": 9}}],
        "selected": "d2", "nav": {"cmap": "magma", "scaling": {"mode": "log", "vmin": 1.0, "vmax": None},
                                  "auto": False}}


@pytest.fixture(scope="module")
def scan(demo_dir):
    return np.load(demo_dir / "scan.npy").astype(np.float64)


async def save(jp_fetch, path, fmt, **extra):
    body = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
            "params": {"detectors": [RING, DISK]}, "view": VIEW,
            "output": {"repository": "results", "path": path, "format": fmt}}
    body.update(extra)
    return await run_job(jp_fetch, body)


def images(scan):
    return np.stack([np.einsum("yxij,ij->yx", scan, from_spec(d, scan.shape[2:]).astype(float))
                     for d in (RING, DISK)])


async def test_hspy_result_opens_in_hyperspy_with_axes_and_reopens_from_meta(jp_fetch, tmp_path, scan):
    hs = pytest.importorskip("hyperspy.api")
    job = await save(jp_fetch, "viewer/ring.hspy", "hspy")
    signal_ = hs.load(tmp_path / "results" / "viewer" / "ring.hspy")
    np.testing.assert_allclose(signal_.data, images(scan))
    assert signal_.axes_manager.navigation_shape == (2,)
    nav_axes = [a for a in (await call(jp_fetch, "GET", "repositories", "demo", "meta", "scan.h5"))[1]
                ["dataset"]["axes"] if a["navigate"]]
    assert [(a.name, a.scale, a.units) for a in signal_.axes_manager.signal_axes] == \
        [(a["name"], a["scale"], a["units"]) for a in reversed(nav_axes)]
    record = json.loads(signal_.original_metadata.remotem_provenance)
    assert record["job_id"] == job["id"] and record["view"] == VIEW

    code, listing = await call(jp_fetch, "GET", "repositories", "results", "tree", "viewer")
    badge = {e["name"]: e["result"] for e in listing["entries"]}["ring.hspy"]
    assert badge == {"job_id": job["id"], "kind": "reduction", "operation": "virtual_detector", "format": "hspy"}
    code, meta = await call(jp_fetch, "GET", "repositories", "results", "meta", "viewer/ring.hspy")
    assert code == 200, meta
    assert meta["provenance"]["request"] == {"repository": "demo", "path": "scan.h5", "dataset": None,
                                             "operation": "virtual_detector",
                                             "params": {"detectors": [RING, DISK]}, "roi": None}
    assert meta["provenance"]["view"] == VIEW
    code, demo_listing = await call(jp_fetch, "GET", "repositories", "demo", "tree")
    assert all(e["result"] is None for e in demo_listing["entries"]), "input files carry no badge"


async def test_png_is_drawn_as_the_view_and_keeps_its_provenance(jp_fetch, tmp_path, scan):
    await save(jp_fetch, "disk.png", "png")
    with Image.open(tmp_path / "results" / "disk.png") as picture:
        assert picture.size == (scan.shape[1], scan.shape[0])
        record = json.loads(picture.info["remotem_provenance"])
        assert record["provenance"]["view"]["nav"]["cmap"] == "magma"
        rgb = np.asarray(picture.convert("RGB"))
    assert len({tuple(p) for p in rgb.reshape(-1, 3)}) > 10, "a colormapped picture, not a flat one"
    code, meta = await call(jp_fetch, "GET", "repositories", "results", "meta", "disk.png")
    assert code == 200 and meta["provenance"]["request"]["operation"] == "virtual_detector"
    assert meta["dataset"] is None


async def test_pipeline_job_writes_what_the_interactive_pipeline_answers(jp_fetch, tmp_path):
    pipeline = [{"operation": "bin", "params": {"sig": [2, 2], "reduce": "sum"}}]
    detectors = {"detectors": [{"shape": "disk", "cx": 16, "cy": 16, "r": 5}]}
    job = await save(jp_fetch, "binned.npy", "npy", pipeline=pipeline, params=detectors)
    assert job["request"]["pipeline"] == pipeline
    code, interactive = await call(jp_fetch, "POST", "reductions", body={
        "repository": "demo", "path": "scan.h5", "operation": "virtual_detector", "params": detectors,
        "pipeline": pipeline})
    assert code == 200, interactive
    np.testing.assert_array_equal(np.load(tmp_path / "results" / "binned.npy"),
                                  np.array(interactive["arrays"]["intensity"]["data"]))


async def test_jobs_refuse_preview_only_options(jp_fetch):
    body = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
            "params": {"detectors": [DISK]}, "coarse": True,
            "output": {"repository": "results", "path": "x.h5"}}
    code, error = await call(jp_fetch, "POST", "jobs", body=body)
    assert code == 400 and "interactive previews" in error["error"]["message"]
    body.pop("coarse")
    code, error = await call(jp_fetch, "POST", "jobs", body=dict(body, view="magma"))
    assert code == 400 and "'view' must be an object" in error["error"]["message"]
