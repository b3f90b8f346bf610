"""The Clusters section in a real JupyterLab: a cluster started from the "New cluster…" form the
server's declaration of the options builds (``GET clusters/options``: each field with its bounds),
seen running with one worker, scaled to two from its row, seen with two, and stopped.  An option
over this server's ceiling is refused in the form before anything is sent."""

from __future__ import annotations

import re

import pytest
from _lab import ARTIFACTS, SIDEBAR, api, keep_screenshot, open_sidebar

pytestmark = pytest.mark.browser

SECTION = '[id="jupyter-remotem:clusters"]'


def _stop_all(lab_server) -> None:
    for cluster in api(lab_server, "GET", "clusters").json()["clusters"]:
        api(lab_server, "DELETE", f"clusters/{cluster['id']}")


def test_start_scale_and_stop_a_cluster_from_the_sidebar(page, lab_server) -> None:
    from playwright.sync_api import expect

    _stop_all(lab_server)
    sidebar = open_sidebar(page, lab_server)
    section = page.locator(f"{SIDEBAR} {SECTION}")
    toggle = section.locator(".jp-remotem-clusters-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(section.locator(".jp-remotem-note")).to_contain_text("No clusters")

    try:
        section.locator(".jp-remotem-cluster-new").click()
        form = section.locator(".jp-remotem-cluster-form")
        # One field per declared option, with this server's bounds.
        declared = api(lab_server, "GET", "clusters/options").json()["options"]
        names = form.locator("input[type=number]").evaluate_all("els => els.map(e => e.name)")
        assert names == [option["name"] for option in declared]
        workers = {option["name"]: option for option in declared}["workers"]
        field = form.locator('input[name="workers"]')
        expect(field).to_have_attribute("max", f"{workers['maximum']:g}")

        # Over the ceiling: the form says so and sends nothing.
        field.fill(str(int(workers["maximum"]) + 1))
        expect(form.locator(".jp-remotem-cluster-problem")).to_contain_text("at most")
        expect(form.locator(".jp-remotem-cluster-start")).to_be_disabled()
        field.fill("1")
        expect(form.locator(".jp-remotem-cluster-problem")).to_have_count(0)
        form.locator('input[name="memory_per_worker_gib"]').fill("0.5")
        form.locator(".jp-remotem-cluster-start").click()

        row = section.locator(".jp-remotem-cluster")
        expect(row).to_have_count(1, timeout=60_000)
        expect(row).to_have_attribute("data-state", "running", timeout=60_000)
        expect(row).to_have_attribute("data-workers", "1", timeout=60_000)
        expect(row.locator(".jp-remotem-cluster-summary")).to_contain_text("1 worker")
        (started,) = api(lab_server, "GET", "clusters").json()["clusters"]
        if started["dashboard_link"]:  # dask serves it with bokeh installed
            expect(row.locator(".jp-remotem-cluster-dashboard")).to_have_attribute(
                "href", re.compile(r"^https?://"))
        else:
            expect(row.locator(".jp-remotem-cluster-dashboard")).to_have_count(0)

        row.locator(".jp-remotem-cluster-scale-workers").fill("2")
        row.locator(".jp-remotem-cluster-scale").click()
        expect(row).to_have_attribute("data-workers", "2", timeout=60_000)
        expect(row.locator(".jp-remotem-cluster-summary")).to_contain_text("2 workers")
        (cluster,) = api(lab_server, "GET", "clusters").json()["clusters"]
        assert cluster["workers"] == 2 and cluster["options"]["workers"] == 2
        # A taller window, so that the section's share of the sidebar shows a whole row.
        page.set_viewport_size({"width": 1400, "height": 1800})
        expect(row.locator(".jp-remotem-cluster-stop")).to_be_in_viewport(timeout=10_000)
        section.screenshot(path=str(ARTIFACTS / "clusters-panel.png"))
        keep_screenshot("clusters-panel.png")

        row.locator(".jp-remotem-cluster-stop").click()
        expect(row).to_have_count(0, timeout=60_000)
        assert api(lab_server, "GET", "clusters").json()["clusters"] == []
        assert page.errors == []
    finally:
        _stop_all(lab_server)
