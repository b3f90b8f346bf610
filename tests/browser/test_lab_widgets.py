"""The virtual-detector widget in a real JupyterLab: it renders, and a mouse drag recomputes.

The headless widget tests send bqplot's messages themselves; this test makes sure a real
browser sends those messages and shows the answers: the notebook's kernel talks to the same
server, a drag of the detector's centre handle gives a new virtual image, a click on the
virtual image shows another frame, and the kernel sees the new geometry afterwards.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

import nbformat
import pytest
from _lab import ARTIFACTS
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NOTEBOOK = "widget-check.ipynb"
CELLS = [
    ("import jupyter_remotem as remotem\n"
     "from jupyter_remotem.widgets import VirtualDetectorWidget\n"
     "ds = remotem.connect().open('demo', 'scan.h5')\n"
     "widget = VirtualDetectorWidget(ds, [remotem.disk(32, 32, 8)])\n"
     "widget"),
    ("assert widget.wait_idle(60) and widget.error is None, widget.error\n"
     "print('centre', widget.detectors[0]['cx'], widget.detectors[0]['cy'], 'position', *widget.position)"),
]


def put_notebook(server, name: str) -> None:
    notebook = new_notebook(cells=[new_code_cell(source) for source in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    body = json.dumps({"type": "notebook", "format": "json", "content": json.loads(nbformat.writes(notebook))})
    request = urllib.request.Request(f"{server.url}api/contents/{name}", data=body.encode(), method="PUT",
                                     headers={"Authorization": f"token {server.token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)


def api_get(server, path: str):
    request = urllib.request.Request(f"{server.url}{path}", headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def wait_for_kernel(page, server, name: str, timeout_s: float = 90.0) -> None:
    """Until the notebook's kernel is running and idle; accepts JupyterLab's kernel choice
    dialog if it asks (it does when the notebook opens before the kernel specs are known)."""
    deadline = time.monotonic() + timeout_s
    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    while True:
        if dialog.count():
            dialog.click()
        sessions = [s for s in api_get(server, "api/sessions") if s.get("path", "").endswith(name)]
        if sessions and sessions[0].get("kernel", {}).get("execution_state") == "idle":
            return
        assert time.monotonic() < deadline, f"no idle kernel for {name} within {timeout_s} s"
        page.wait_for_timeout(200)  # poll interval of a deadline-bounded wait


def run_cell(page, index: int) -> None:
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


PNG_SIZE = """async (element) => {
    const bytes = new Uint8Array(await (await fetch(element.getAttribute('href'))).arrayBuffer());
    const view = new DataView(bytes.buffer);
    return bytes.length > 24 ? [view.getUint32(16), view.getUint32(20)] : null;
}"""


def picture_size(locator) -> tuple[int, int] | None:
    """Width and height of the PNG an SVG ``image`` shows (None when it shows no picture)."""
    size = locator.evaluate(PNG_SIZE)
    return None if size is None else tuple(size)


def drag(page, locator, dx: float, dy: float) -> None:
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def test_dragging_a_detector_in_the_browser_recomputes_the_virtual_image(lab_server, page):
    put_notebook(lab_server, NOTEBOOK)
    page.goto(f"{lab_server.url}lab/tree/{NOTEBOOK}?reset&token={lab_server.token}")
    expect(page.locator(".jp-Notebook .jp-CodeCell")).to_have_count(len(CELLS), timeout=60_000)
    wait_for_kernel(page, lab_server, NOTEBOOK)
    run_cell(page, 0)

    figures = page.locator(".jp-OutputArea .bqplot.figure")
    expect(figures).to_have_count(2, timeout=90_000)
    nav, frame = figures.nth(0), figures.nth(1)
    nav_image = nav.locator("image").first
    expect(nav_image).to_have_attribute("href", re.compile(r"^blob:"), timeout=90_000)
    expect(frame.locator("image").first).to_have_attribute("href", re.compile(r"^blob:"))
    expect(frame.locator(".mainheading")).to_have_text("frame at (16, 24)", timeout=30_000)
    assert picture_size(nav_image) == (48, 32), "the virtual image is the 48 × 32 scan"
    assert picture_size(frame.locator("image").first) == (64, 64), "the frame is 64 × 64"
    first_picture = nav_image.get_attribute("href")

    handles = frame.locator("g.object_grp")
    expect(handles).to_have_count(2)  # the disk's centre and radius handles
    drag(page, handles.first, 60, 0)
    expect(nav_image).not_to_have_attribute("href", first_picture, timeout=30_000)

    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".jp-Notebook .jp-Cell-outputArea").first.screenshot(path=str(ARTIFACTS / "widget-after-drag.png"))

    box = nav.locator("image").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.9)
    expect(frame.locator(".mainheading")).not_to_have_text("frame at (16, 24)", timeout=30_000)

    run_cell(page, 1)
    output = page.locator(".jp-Notebook .jp-CodeCell").nth(1).locator(".jp-OutputArea-output")
    expect(output).to_contain_text("centre", timeout=60_000)
    found = re.search(r"centre ([\d.]+) ([\d.]+) position (\d+) (\d+)", output.inner_text())
    centre_x, centre_y, row, column = map(float, found.groups())
    assert centre_x > 40 and abs(centre_y - 32) < 3, "the drag moved the disk to the right"
    assert row > 24 and column < 10, "the click picked a frame near the lower left corner"
    # The kernel has finished all work (wait_idle above): the pictures shown now are the last ones.
    assert picture_size(nav_image) == (48, 32) and picture_size(frame.locator("image").first) == (64, 64)
    assert not page.errors, page.errors
