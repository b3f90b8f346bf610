"""Page helpers shared by the viewer's browser tests: selectors, waits, request recorders."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

from _lab import open_sidebar, run_from_palette

SCAN = "scan.h5"
FRAME = (64, 64)  # the small demo scan's frames (height, width)

# True once the canvas shows something other than `before` (its toDataURL).
CANVAS_CHANGED = """([selector, before]) => {
  const canvas = document.querySelector(selector);
  return !!canvas && canvas.width > 0 && canvas.toDataURL() !== before;
}"""


def viewer_selector(path: str) -> str:
    return f'.jp-RemotemViewer[data-path="{path}"]'


def canvas_of(viewer: str, section: str) -> str:
    return f'{viewer} .jp-remotem-viewer-{section} [data-testid="image-canvas"]'


def snapshot(page, selector: str) -> str:
    return page.locator(selector).evaluate("canvas => canvas.toDataURL()")


def record_answers(page) -> list[tuple[dict, int]]:
    """Each finished reduction: its body and the scan step the server read it with."""
    answers: list[tuple[dict, int]] = []

    def finished(response) -> None:
        if is_reduction(response.request) and response.status == 200:
            answers.append((json.loads(response.request.post_data or "{}"),
                            int(response.headers.get("x-remotem-step", "0"))))

    page.on("response", finished)
    return answers


def wait_settled(page, viewer: str) -> None:
    """Both images answered: nothing in flight, the navigation image exact."""
    from playwright.sync_api import expect

    nav = page.locator(f"{viewer} .jp-remotem-viewer-nav")
    expect(nav).to_have_attribute("data-busy", "false", timeout=60_000)
    expect(nav).to_have_attribute("data-exact", "true", timeout=60_000)
    # (The frame's request may wait behind a job on a busy machine: the same patience.)
    expect(page.locator(f"{viewer} .jp-remotem-viewer-frame")).to_have_attribute("data-busy", "false",
                                                                                timeout=60_000)
    expect(page.locator(f"{viewer} .jp-remotem-error")).to_have_count(0)


def frame_point(page, canvas: str, x: float, y: float) -> tuple[float, float]:
    """Screen position of frame pixel (x, y) in a view fitted to its canvas."""
    box = page.locator(canvas).bounding_box()
    height, width = FRAME
    scale = min(box["width"] / width, box["height"] / height)
    left = box["x"] + (box["width"] - width * scale) / 2 + 0.5 * scale
    top = box["y"] + (box["height"] - height * scale) / 2 + 0.5 * scale
    return left + x * scale, top + y * scale


def is_reduction(request) -> bool:
    return request.method == "POST" and urlparse(request.url).path.endswith("/remotem/api/reductions")


def record_reductions(page, urls: list[str] | None = None) -> list[dict]:
    """The bodies of the reductions the page asks for, in order (filled as it asks); their
    URLs (which say the answer's format) go to `urls` alongside, when given."""
    bodies: list[dict] = []

    def asked(request) -> None:
        if is_reduction(request):
            bodies.append(json.loads(request.post_data or "{}"))
            if urls is not None:
                urls.append(request.url)

    page.on("request", asked)
    return bodies


def open_scan_from_tree(page, server) -> str:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, server)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    row = sidebar.locator(f'.jp-remotem-tree-item[data-path="{SCAN}"]')
    expect(row).to_be_visible(timeout=30_000)
    row.dblclick()
    viewer = viewer_selector(SCAN)
    expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-status", "ready", timeout=60_000)
    wait_settled(page, viewer)
    return viewer


def open_from_palette(page, server, path: str) -> str:
    """Open demo:`path` with the palette's "Open Dataset Viewer at"; the viewer's selector."""
    page.goto(server.lab_url())
    page.locator("#jp-main-dock-panel").wait_for(state="visible", timeout=60_000)
    run_from_palette(page, "Open Dataset Viewer at", "remotem:open-viewer-at")
    page.locator(".jp-Dialog input").fill(f"demo:{path}")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    return viewer_selector(path)


def saved_viewer_state(server, key: str, ready, deadline_s: float = 30.0) -> dict:
    """The viewer's arguments JupyterLab saved in its workspace, once `ready(args)` holds
    (the workspace is written a moment after each change)."""
    request = urllib.request.Request(
        f"{server.url}lab/api/workspaces/default", headers={"Authorization": f"token {server.token}"}
    )
    deadline = time.monotonic() + deadline_s
    while True:
        with urllib.request.urlopen(request, timeout=10) as response:
            data = json.load(response).get("data", {})
        args = data.get(f"jupyter-remotem-viewer:{key}", {}).get("data", {})
        if ready(args) or time.monotonic() > deadline:
            return args
        # Short back-off between polls of a deadline-bounded wait (not a fixed sleep).
        time.sleep(0.2)


def forget_copies_to_notebooks(server, path: str) -> None:
    """Delete the caller's earlier jobs that copied ``path`` into the notebook folder, with the
    file they wrote (so that a test copying it can run again within one session, within quota)."""
    from _lab import api

    for job in api(server, "GET", "jobs").json()["jobs"]:
        target = (job.get("request") or {}).get("target") or {}
        if target.get("repository") == "notebooks" and target.get("path") == path:
            answer = api(server, "DELETE", f"jobs/{job['id']}")
            assert answer.status_code in (200, 204, 404), answer.text


def notebook_file(server, path: str) -> dict:
    """A file's model from Jupyter's contents API (the user's notebook folder)."""
    request = urllib.request.Request(
        f"{server.url}api/contents/{path}?content=0", headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


# The colour wheel: the navigation view showing RGBA pixels (with zoom, marker and region).


def image_point(page, view: str, x: float, y: float) -> tuple[float, float]:
    """Screen position of image pixel (x, y), from the zoom and offset the view reports."""
    locator = page.locator(view)
    scale = float(locator.get_attribute("data-scale"))
    offset_x = float(locator.get_attribute("data-offset-x"))
    offset_y = float(locator.get_attribute("data-offset-y"))
    box = locator.locator('[data-testid="image-canvas"]').bounding_box()
    return box["x"] + offset_x + x * scale, box["y"] + offset_y + y * scale


def hover_pixel(page, view: str, x: int, y: int) -> tuple[float, float]:
    """Put the pointer on pixel (x, y), as the view's readout confirms. The layout
    may still move while the viewer settles (a caption appears, a scroll bar comes), so the
    position is computed again until the readout names that pixel; the screen point is returned."""
    from playwright.sync_api import expect

    readout = page.locator(f'{view} [data-testid="image-readout"]')
    attempts = 20
    for attempt in range(attempts):
        point = image_point(page, view, x, y)  # pixel centres sit at whole image coordinates
        page.mouse.move(*point)
        try:
            expect(readout).to_have_text(re.compile(rf"^x {x}, y {y} = "), timeout=1_000)
            return point
        except AssertionError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
