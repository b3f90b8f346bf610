"""A result saved earlier as the viewer's navigation image, in a real JupyterLab:

a virtual-detector job writes an .npy of the scan's shape × 2 detectors; "Saved result…"
offers it among the user's finished jobs on the scan, shows the chosen detector's plane
as it is stored (one read, no coarse pass), frames are still picked on it, detectors and
regions still drawn; the choice survives a page reload; a file of another shape is
refused with both shapes while the navigation image stays; and the live modes come back.
"""

from __future__ import annotations

import io
import re
import uuid
from urllib.parse import unquote, urlparse

import pytest
from _lab import ARTIFACTS, api, keep_screenshot
from _viewer import (
    CANVAS_CHANGED,
    canvas_of,
    hover_pixel,
    open_scan_from_tree,
    record_reductions,
    saved_viewer_state,
    snapshot,
    wait_settled,
)

pytestmark = pytest.mark.browser

SCAN = "scan.h5"
NAV = (32, 48)  # the small demo scan's scan shape (height, width)
DETECTORS = [
    {"shape": "disk", "cx": 32, "cy": 32, "r": 9},
    {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30},
]
JOBS = '[id="jupyter-remotem:jobs"]'


def reads(path: str):
    """A predicate on responses: `GET data` of demo:`path`."""

    def matches(response) -> bool:
        url = urlparse(response.url)
        return response.request.method == "GET" and unquote(url.path).endswith(f"/repositories/demo/data/{path}")

    return matches


def expect_pixel(page, view: str, x: int, y: int, value: int) -> None:
    """The view shows `value` at pixel (x, y): its readout under the pointer says so."""
    from playwright.sync_api import expect

    hover_pixel(page, view, x, y)
    expect(page.locator(f'{view} [data-testid="image-readout"]')).to_have_text(
        re.compile(rf"^x {x}, y {y} = {value}( |$)")
    )


def choose_saved_result(page, viewer: str):
    """Open "Saved result…" from the navigation modes; the dialog's locator."""
    page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="result"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-remotem-navresult-form").wait_for(state="visible")
    return dialog


def test_a_saved_result_as_navigation_image(page, lab_server, demo_data) -> None:
    import numpy as np
    from playwright.sync_api import expect

    target = f"results/navigator-{uuid.uuid4().hex[:8]}.npy"
    wrong = f"wrong-{uuid.uuid4().hex[:8]}.npy"
    answer = api(lab_server, "POST", "jobs", json={
        "repository": "demo",
        "path": SCAN,
        "operation": "virtual_detector",
        "params": {"detectors": DETECTORS},
        "output": {"repository": "demo", "path": target, "format": "npy"},
    })
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["id"]
    try:
        reductions = record_reductions(page)
        viewer = open_scan_from_tree(page, lab_server)
        nav = page.locator(f"{viewer} .jp-remotem-viewer-nav")
        nav_view = f'{viewer} .jp-remotem-viewer-nav [data-testid="image-view"]'
        expect(nav).to_have_attribute("data-mode", "detector")
        # The job (throttled worker, several seconds) finishes while the viewer is open.
        job_row = page.locator(f'{JOBS} .jp-remotem-job[data-job-id="{job_id}"]')
        expect(job_row).to_have_attribute("data-phase", "COMPLETED", timeout=120_000)
        saved = np.load(demo_data / target)
        assert saved.shape == (*NAV, len(DETECTORS)), saved.shape

        # "Saved result…": the job's .npy is offered (not its .json sidecar); the ring's plane.
        dialog = choose_saved_result(page, viewer)
        candidate = dialog.locator(f'.jp-remotem-navresult-candidate[data-path="{target}"]')
        expect(candidate).to_contain_text("virtual_detector")
        expect(dialog.locator(f'.jp-remotem-navresult-candidate[data-path="{target}.json"]')).to_have_count(0)
        candidate.locator('input[type="radio"]').check()
        expect(dialog.locator(".jp-remotem-navresult-location")).to_have_value(f"demo:{target}")
        expect(dialog.locator(".jp-remotem-navresult-shape")).to_have_text(
            f"Shape {NAV[0]} × {NAV[1]} × 2: fits the scan ({NAV[0]} × {NAV[1]})."
        )
        dialog.locator(".jp-remotem-navresult-channel").select_option("1")
        ARTIFACTS.mkdir(exist_ok=True)
        dialog.locator(".jp-Dialog-content").screenshot(path=str(ARTIFACTS / "viewer-navigator-dialog.png"))
        asked = len(reductions)
        with page.expect_response(reads(target)) as plane:
            dialog.locator(".jp-Dialog-footer .jp-mod-accept").click()
        # One plane, read as it is stored: exactly the saved ring image.
        assert plane.value.status == 200
        assert "slice=...%2C1" in plane.value.url or "slice=...,1" in plane.value.url, plane.value.url
        np.testing.assert_array_equal(np.load(io.BytesIO(plane.value.body())), saved[..., 1])
        expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-mode", "result")
        expect(nav).to_have_attribute("data-nav-result", f"demo:{target}")
        expect(nav).to_have_attribute("data-channel", "1")
        expect(page.locator(nav_view)).to_have_attribute("data-image-size", f"{NAV[1]}x{NAV[0]}")
        expect(page.locator(f"{viewer} .jp-remotem-viewer-nav-source")).to_have_text(
            f"Saved result demo:{target}, channel 1 (channels 0–1)"
        )
        result_mode = page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="result"]')
        expect(result_mode).to_have_attribute("aria-checked", "true")
        expect(page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="detector"]')).to_have_attribute(
            "aria-checked", "false"
        )
        nav_fft = page.locator(f"{viewer} .jp-remotem-viewer-nav-fft")
        expect(nav_fft).to_be_disabled()
        expect(nav_fft).to_have_attribute("title", re.compile("not of a saved result"))
        wait_settled(page, viewer)
        assert reductions[asked:] == [], reductions[asked:]

        # The shown pixels are the saved values: the readout under the pointer says one.
        expect_pixel(page, nav_view, 11, 7, int(saved[7, 11, 1]))

        # A click on the saved image picks the frame at that scan position.
        frame_canvas = canvas_of(viewer, "frame")
        frame_before = snapshot(page, frame_canvas)
        point = hover_pixel(page, nav_view, 10, 20)
        with page.expect_response(reads(SCAN)) as frame:
            page.mouse.click(*point)
        assert "slice=20%2C10%2C..." in frame.value.url or "slice=20,10,..." in frame.value.url, frame.value.url
        expect(page.locator(f"{viewer} .jp-remotem-viewer-caption")).to_have_text("Frame at x=10, y=20")
        page.wait_for_function(CANVAS_CHANGED, arg=[frame_canvas, frame_before])

        # Detectors are still drawn on the frame, and scan regions on the saved image; the
        # navigation image stays the saved result (no virtual detector is computed).
        page.locator(f'{viewer} .jp-remotem-viewer-add[data-shape="ring"]').click()
        page.locator(f"{viewer} .jp-remotem-viewer-roi").select_option("rectangle")
        expect(page.locator(f"{viewer} .jp-remotem-viewer-caption")).to_have_text(
            "mean of the frames in the scan region"
        )
        wait_settled(page, viewer)
        expect(nav).to_have_attribute("data-mode", "result")
        operations = [body["operation"] for body in reductions[asked:]]
        assert operations and set(operations) == {"frame_stats"}, operations
        page.locator(f"{viewer} .jp-remotem-viewer-roi").select_option("")
        wait_settled(page, viewer)
        page.locator(viewer).screenshot(path=str(ARTIFACTS / "viewer-saved-navigator.png"))
        keep_screenshot("viewer-saved-navigator.png")

        # A file of another shape is refused with both shapes; the saved image stays.
        np.save(demo_data / wrong, np.zeros((3, 3)))
        dialog = choose_saved_result(page, viewer)
        location = dialog.locator(".jp-remotem-navresult-location")
        location.fill(f"demo:{wrong}")
        expect(dialog.locator(".jp-remotem-navresult-shape")).to_contain_text("This result's shape is 3 × 3")
        location.press("Enter")  # the keyboard accepts the dialog
        refusal = page.locator(f"{viewer} .jp-remotem-viewer-nav-result-error .jp-remotem-error-message")
        expect(refusal).to_have_text(
            f"demo:{wrong} cannot be the navigation image. This result's shape is 3 × 3; "
            f"the scan's is {NAV[0]} × {NAV[1]} (or {NAV[0]} × {NAV[1]} × channels)."
        )
        expect(nav).to_have_attribute("data-mode", "result")
        expect(nav).to_have_attribute("data-nav-result", f"demo:{target}")
        expect_pixel(page, nav_view, 30, 25, int(saved[25, 30, 1]))

        # The choice survives reloading the page: the layout keeps it, the plane is read again.
        args = saved_viewer_state(
            lab_server, f"demo:{SCAN}",
            lambda a: (a.get("view") or {}).get("mode") == "result" and not a["view"].get("roi")
        )
        assert args["view"]["navResult"] == {"repository": "demo", "path": target, "dataset": None, "channel": 1}
        with page.expect_response(reads(target)) as again:
            page.goto(f"{lab_server.url}lab?token={lab_server.token}")
        np.testing.assert_array_equal(np.load(io.BytesIO(again.value.body())), saved[..., 1])
        # The restored view settles (viewer/usemodel.ts), showing the saved plane.
        wait_settled(page, viewer)
        expect(nav).to_have_attribute("data-mode", "result")
        expect(nav).to_have_attribute("data-nav-result", f"demo:{target}")
        expect(page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="result"]')).to_have_attribute(
            "aria-checked", "true"
        )

        # Back to a live mode: the sum is computed again and the refusal goes.
        page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="sum"]').click()
        expect(nav).to_have_attribute("data-mode", "sum")
        expect(refusal).to_have_count(0)
        wait_settled(page, viewer)
        expect(page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="result"]')).to_have_attribute(
            "aria-checked", "false"
        )
        expect(nav).not_to_have_attribute("data-nav-result", re.compile(".*"))
        assert reductions[-1]["operation"] == "virtual_detector", reductions[-1]
        assert page.errors == []
    finally:
        (demo_data / wrong).unlink(missing_ok=True)
        # Deleting the job removes the files it wrote.
        api(lab_server, "DELETE", f"jobs/{job_id}")
