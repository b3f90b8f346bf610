"""The Admin panel in a real JupyterLab: its owner administers (conftest: ``admin_groups``),
sees another user's job from the shared job store, and cancels it after confirming."""

from __future__ import annotations

import pytest
from _lab import ARTIFACTS, api, keep_screenshot, open_sidebar, run_from_palette, wait_for_survey_indexes

from jupyter_remotem.jobs.models import Phase
from jupyter_remotem.jobs.store import JobStore

pytestmark = pytest.mark.browser

PANEL = ".jp-remotem-admin"


def test_admin_panel_shows_another_users_job_and_cancels_it(page, lab_server) -> None:
    from playwright.sync_api import expect

    def ended_counts() -> tuple[int, int]:
        """Completed and failed jobs in the chart's window (other tests' jobs share the store)."""
        buckets = api(lab_server, "GET", "admin/throughput?bucket=hour").json()["buckets"]
        return sum(b["completed"] for b in buckets), sum(b["failed"] for b in buckets)

    wait_for_survey_indexes(lab_server)  # the index jobs of the server's start end before the count
    before = ended_counts()
    store = JobStore(lab_server.database_url)
    try:
        # Another user's jobs, as a hub's shared store holds them: one waiting (held PENDING, so
        # the test's worker leaves it), and a few ended ones for the chart.
        request = {"operation": "copy", "source": {"repository": "demo", "path": "scan.h5"},
                   "target": {"repository": "demo", "path": "bob/scan.h5"}}
        waiting = store.create("bob", "copy", request, priority=3, phase=Phase.PENDING, quote={"seconds": 60.0})
        for phase in (Phase.COMPLETED, Phase.COMPLETED, Phase.ERROR):
            ended = store.create("bob", "copy", request, phase=Phase.PENDING)
            store.finish(ended.id, phase, error={"message": "disk full"} if phase is Phase.ERROR else None)
    finally:
        store.close()

    open_sidebar(page, lab_server)
    run_from_palette(page, "Remote Data Administration", "remotem:open-admin")
    panel = page.locator(PANEL)
    row = panel.locator(f'.jp-remotem-admin-jobs tr[data-job-id="{waiting.id}"]')
    expect(row).to_be_visible(timeout=60_000)
    expect(row).to_have_attribute("data-owner", "bob")
    expect(row.locator(".jp-remotem-admin-phase")).to_have_text("PENDING")
    completed, failed = ended_counts()
    assert (completed - before[0], failed - before[1]) == (2, 1)
    expect(panel.locator(".jp-remotem-admin-chart svg")).to_have_attribute(
        "aria-label", f"{completed} completed and {failed} failed jobs")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.locator("#jp-main-dock-panel").screenshot(path=str(ARTIFACTS / "admin-panel.png"))
    keep_screenshot("admin-panel.png")

    row.locator(".jp-remotem-admin-cancel").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("bob")
    dialog.locator(".jp-Dialog-footer .jp-mod-accept").click()
    expect(row.locator(".jp-remotem-admin-phase")).to_have_text("ABORTED", timeout=30_000)
    expect(row.locator(".jp-remotem-admin-cancel")).to_have_count(0)

    record = api(lab_server, "GET", f"admin/jobs/{waiting.id}").json()
    assert record["phase"] == "ABORTED"
    assert [(a["admin"], a["action"]) for a in record["admin_actions"]] == [("tester", "cancel")]
