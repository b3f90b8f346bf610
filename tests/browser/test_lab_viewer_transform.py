"""The viewer's "Transform…" dialog in a real JupyterLab: the transformations it offers are the
ones ``GET operations`` declares for the open dataset, two of them are chained (rotate, then bin)
with forms made from their schemas, the quote of the chain is shown, and the job it submits is
followed by the viewer and the Jobs section until the new dataset is written; that file holds
numpy's ``rot90`` of the source, binned."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import numpy as np
import pytest
from _lab import ARTIFACTS, api, keep_screenshot, run_from_palette
from _viewer import SCAN, open_scan_from_tree

pytestmark = pytest.mark.browser

JOBS = '[id="jupyter-remotem:jobs"]'
OUTPUT = "scan_rotate_bin.h5"


def _is_submission(request) -> bool:
    """``POST jobs`` itself, not its dry run (the quote)."""
    url = urlparse(request.url)
    return request.method == "POST" and url.path.endswith("/remotem/api/jobs") and "dry_run" not in url.query


def _expected(demo_data) -> np.ndarray:
    """The source's frames turned a quarter counter-clockwise, then 2 × 2 binned (mean) over the
    scan and over the frame, as the job is asked."""
    frames = np.rot90(np.load(demo_data / "scan.npy").astype(np.float64), 1, axes=(-2, -1))
    ny, nx, fy, fx = frames.shape
    return frames.reshape(ny // 2, 2, nx // 2, 2, fy // 2, 2, fx // 2, 2).mean(axis=(1, 3, 5, 7))


def test_a_chain_of_declared_transformations_is_written_by_a_job(page, lab_server, demo_data) -> None:
    import h5py
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    page.locator(f"{viewer} .jp-remotem-viewer-transform").click()
    form = page.locator(".jp-Dialog .jp-remotem-transform-form")
    expect(form).to_be_visible()
    pick = form.locator('[data-testid="transform-pick"]')
    # The dialog starts on the transformation picker, for the keyboard.
    expect(pick).to_be_focused()

    declared = api(lab_server, "GET", f"operations?repository=demo&path={SCAN}").json()["operations"]
    transformations = [op for op in declared if op["kind"] == "transformation"]
    options = pick.locator("option")
    assert [options.nth(i).get_attribute("value") for i in range(options.count())] == \
        [op["name"] for op in transformations]
    for op in transformations:
        option = pick.locator(f'option[value="{op["name"]}"]')
        if op["available"]:
            expect(option).to_be_enabled()
        else:
            expect(option).to_be_disabled()
            expect(option).to_contain_text(op["reason"])

    # Step 1, rotate: its one parameter, a choice of quarter turns.
    pick.select_option("rotate")
    form.locator(".jp-remotem-transform-add-step").click()
    rotate = form.locator('.jp-remotem-transform-step[data-operation="rotate"]')
    turns = rotate.locator('[data-testid="transform-param-quarter_turns"]')
    expect(turns).to_be_focused()
    expect(rotate.locator('[data-testid="transform-missing"]')).to_contain_text("quarter_turns")
    turns.select_option(label="1")
    expect(rotate.locator('[data-testid="transform-missing"]')).to_have_count(0)

    # Step 2, bin, added from the keyboard: the factors typed as lists, the mean by default.
    pick.focus()
    pick.select_option("bin")
    page.keyboard.press("Tab")
    expect(form.locator(".jp-remotem-transform-add-step")).to_be_focused()
    page.keyboard.press("Enter")
    binning = form.locator('.jp-remotem-transform-step[data-operation="bin"]')
    expect(binning).to_be_visible()
    expect(binning.locator('[data-testid="transform-param-reduce"] option:checked')).to_have_text("mean")
    binning.locator('[data-testid="transform-param-nav"]').fill("2, 2")
    binning.locator('[data-testid="transform-param-sig"]').fill("[2, 2]")

    # The output is named after the source and its steps, beside it.
    expect(form.locator(".jp-remotem-transform-path")).to_have_value(OUTPUT)
    expect(form.locator(".jp-remotem-transform-repository")).to_have_value("demo")
    quote = form.locator('[data-testid="transform-quote"]')
    expect(quote.locator("dt")).to_have_text(
        ["Reads", "Writes", "Time", "Storage after this job", "Compute after this job"], timeout=30_000)
    expect(quote.locator(".jp-remotem-error")).to_have_count(0)
    accept = page.locator(".jp-Dialog .jp-Dialog-footer .jp-mod-accept")
    expect(accept).to_be_enabled()

    page.locator(".jp-Dialog .jp-Dialog-content").screenshot(path=str(ARTIFACTS / "viewer-transform.png"))
    keep_screenshot("viewer-transform.png")

    with page.expect_request(_is_submission) as submitted:
        accept.click()
    body = json.loads(submitted.value.post_data)
    assert body["operation"] == "bin" and body["params"] == {"nav": [2, 2], "sig": [2, 2], "reduce": "mean"}, body
    assert body["pipeline"] == [{"operation": "rotate", "params": {"quarter_turns": 1, "on": "frame"}}], body
    assert body["output"] == {"repository": "demo", "path": OUTPUT, "format": "hdf5"}, body
    expect(page.locator(".jp-Dialog")).to_have_count(0)

    # The viewer follows the job, and the Jobs section lists it, until it is done.
    status = page.locator(f"{viewer} .jp-remotem-viewer-job")
    expect(status).to_be_visible()
    job_id = status.get_attribute("data-job-id")
    try:
        expect(page.locator(f'{JOBS} .jp-remotem-job[data-job-id="{job_id}"]')).to_have_count(1)
        expect(status).to_have_attribute("data-phase", "COMPLETED", timeout=180_000)
        expect(status.locator(".jp-remotem-error")).to_have_count(0)

        with h5py.File(demo_data / OUTPUT, "r") as written:
            data = written["data"][()]
        expected = _expected(demo_data)
        assert data.shape == expected.shape, (data.shape, expected.shape)
        np.testing.assert_allclose(data, expected, rtol=1e-6)

        # The same dialog from the command palette, for the viewer in front; Escape closes it.
        run_from_palette(page, "Transform Dataset", "remotem:viewer-transform")
        expect(page.locator(".jp-Dialog .jp-remotem-transform-form")).to_be_visible()
        expect(page.locator('.jp-Dialog [data-testid="transform-pick"]')).to_be_focused()
        page.keyboard.press("Escape")
        expect(page.locator(".jp-Dialog")).to_have_count(0)
    finally:
        # The new dataset counts against the storage quota the browser tests share.
        api(lab_server, "DELETE", f"jobs/{job_id}")
