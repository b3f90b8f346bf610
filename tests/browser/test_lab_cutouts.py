"""The Sky cutouts panel in a real JupyterLab over the demo surveys (conftest: ``surveys``):
the preview follows the typed position, an over-size cutout shows the server's 413 with its
quote, and "Submit as batch" makes the batch job whose manifest the panel then shows; a CSV of
positions becomes a batch whose impossible row is a failed row of the manifest."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from _lab import (ARTIFACTS, CUTOUTS_PANEL, api, keep_screenshot, open_cutouts_panel, wait_for_survey_indexes,
                  widen_left_area)

pytestmark = pytest.mark.browser

PANEL = CUTOUTS_PANEL


def _sync_query(response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(response.url).query).items()}


def test_cutouts_panel_previews_and_submits_an_oversize_cutout_as_a_batch(page, lab_server) -> None:
    from playwright.sync_api import expect

    wait_for_survey_indexes(lab_server)

    panel = open_cutouts_panel(page, lab_server)

    def typed_position(response) -> bool:
        if "/remotem/api/cutouts/sync" not in response.url:
            return False
        query = _sync_query(response)
        return query.get("ra") == "150.01" and query.get("dec") == "2.005" and query.get("bands") == "g,r,i"

    with page.expect_response(typed_position, timeout=60_000) as answer:
        panel.locator('input[name="band-r"]').check()
        panel.locator('input[name="band-i"]').check()
        panel.locator('input[name="ra"]').fill("150.01")
        panel.locator('input[name="dec"]').fill("2.005")
    response = answer.value
    assert response.status == 200, response.text()
    assert response.headers["content-type"].startswith("image/png")
    query = _sync_query(response)
    assert query["survey"] == "demo_mosaic" and query["format"] == "png" and query["size"] == "64pix"
    image = panel.locator("img.jp-remotem-cutouts-image")
    expect(image).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => img.src").startswith("blob:")
    assert image.evaluate("img => img.naturalWidth") == 64
    fits = panel.locator("a.jp-remotem-cutouts-fits")
    fits_query = {k: v[0] for k, v in parse_qs(urlparse(fits.get_attribute("href")).query).items()}
    assert fits_query["ra"] == "150.01" and "format" not in fits_query  # FITS: the declared default

    widen_left_area(page, 160)
    page.locator("#jp-left-stack").screenshot(path=str(ARTIFACTS / "cutouts-panel.png"))
    keep_screenshot("cutouts-panel.png")

    # Over the real-time limit: the server's refusal, its quote, and the batch it proposes.
    panel.locator('input[name="size"]').fill("2100")
    refusal = panel.locator('.jp-remotem-cutouts-error[data-status="413"]')
    expect(refusal).to_be_visible(timeout=30_000)
    expect(refusal.locator(".jp-remotem-cutouts-quote")).to_contain_text("2100×2100 px × 3 bands")
    expect(refusal.locator(".jp-remotem-error-hint")).to_contain_text("batch")
    expect(image).to_have_count(0)
    refusal.locator(".jp-remotem-cutouts-submit-batch").click()

    job = panel.locator(".jp-remotem-cutouts-job")
    try:
        expect(job).to_have_count(1, timeout=30_000)
    except AssertionError as error:  # the batch refused: say why
        raise AssertionError(panel.locator(".jp-remotem-cutouts-error").all_inner_texts()) from error
    expect(job).to_have_attribute("data-phase", "COMPLETED", timeout=120_000)
    rows = job.locator("table.jp-remotem-cutouts-manifest tbody tr")
    expect(rows).to_have_count(1, timeout=30_000)
    expect(rows.first).to_have_attribute("data-status", "ok")
    expect(job.locator("a.jp-remotem-cutouts-zip")).to_be_visible()

    record = api(lab_server, "GET", f"cutouts/jobs/{job.get_attribute('data-job-id')}").json()
    assert record["kind"] == "cutouts" and record["phase"] == "COMPLETED"
    manifest = api(lab_server, "GET", f"cutouts/jobs/{record['id']}/manifest?format=json").json()
    [row] = manifest["rows"]
    assert row["status"] == "ok" and row["ra"] == 150.01 and row["dec"] == 2.005
    expect(rows.first.locator("td").nth(2)).to_have_text(row["file"])
    assert not page.errors, page.errors


def test_cutouts_panel_runs_a_batch_from_a_csv_with_a_failed_row(page, lab_server) -> None:
    from playwright.sync_api import expect

    wait_for_survey_indexes(lab_server)
    # The table, in the home repository (the server's root directory, "notebooks").
    csv = "id,ra,dec,size\nnear,150.0,2.0,\nedge,150.03,2.03,20pix\nnowhere,10.0,10.0,\n"
    answer = requests.put(f"{lab_server.url}api/contents/cutout-positions.csv",
                          headers={"Authorization": f"token {lab_server.token}"},
                          json={"type": "file", "format": "text", "content": csv}, timeout=30)
    assert answer.status_code in (200, 201), answer.text

    panel = open_cutouts_panel(page, lab_server)
    panel.locator('input[name="table"]').fill("notebooks:cutout-positions.csv")
    panel.locator(".jp-remotem-cutouts-submit-table").click()

    job = panel.locator(".jp-remotem-cutouts-job")
    expect(job).to_have_attribute("data-phase", "COMPLETED", timeout=120_000)
    rows = job.locator("table.jp-remotem-cutouts-manifest tbody tr")
    expect(rows).to_have_count(3, timeout=30_000)
    statuses = {rows.nth(k).locator("td").nth(0).inner_text(): rows.nth(k).get_attribute("data-status")
                for k in range(3)}
    assert statuses == {"near": "ok", "edge": "ok", "nowhere": "failed"}
    failed = job.locator('tr[data-status="failed"] td').nth(3)
    expect(failed).not_to_have_text("")
    manifest = api(lab_server, "GET", f"cutouts/jobs/{job.get_attribute('data-job-id')}/manifest?format=json").json()
    assert {r["id"]: r["status"] for r in manifest["rows"]} == statuses
    assert not page.errors, page.errors
