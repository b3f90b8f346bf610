"""A job's end is told in every open lab session of its owner, through JupyterLab's own
notifications: a job submitted from a script elsewhere ends while the Remote data sidebar is
closed, and the lab shows "Job finished" with an action that reveals the result in the tree."""

from __future__ import annotations

import uuid

import pytest
from _lab import ARTIFACTS, SIDEBAR, api, keep_screenshot, open_sidebar

pytestmark = pytest.mark.browser

BF = {"operation": "virtual_detector", "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]}}


def test_a_job_ending_elsewhere_is_told_with_a_link_to_its_result(page, lab_server) -> None:
    from playwright.sync_api import expect

    open_sidebar(page, lab_server)
    # The Remote data sidebar closed again: the lab keeps following running jobs regardless.
    page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="jupyter-remotem:sidebar"]').click()
    expect(page.locator(SIDEBAR)).to_be_hidden()
    name = f"notified-{uuid.uuid4().hex[:6]}.h5"
    submitted = api(lab_server, "POST", "jobs", json=dict(BF, repository="demo", path="scan.h5",
                                                          output={"repository": "demo", "path": name}))
    assert submitted.status_code == 201, submitted.text
    job_id = submitted.json()["id"]
    try:
        toast = page.locator(".Toastify__toast", has_text=f"Job finished: Virtual detector → demo:{name}")
        try:
            expect(toast).to_be_visible(timeout=120_000)
        except AssertionError as error:  # no toast: say where the job got to
            raise AssertionError(api(lab_server, "GET", f"jobs/{job_id}").json()) from error
        assert api(lab_server, "GET", f"jobs/{job_id}").json()["phase"] == "COMPLETED"
        toast.screenshot(path=str(ARTIFACTS / "job-notification.png"))
        keep_screenshot("job-notification.png")
        toast.get_by_role("button", name="Show result").click()
        expect(page.locator(SIDEBAR)).to_be_visible()
        expect(page.locator(f'{SIDEBAR} .jp-remotem-tree-item[data-path="{name}"]')).to_be_visible(timeout=30_000)
        assert page.errors == []
    finally:
        api(lab_server, "DELETE", f"jobs/{job_id}")
