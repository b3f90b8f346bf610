"""Saved = shown, from the viewer in a real JupyterLab: a PNG saved from the navigation image
has the canvas's pixels (its colormap, scale and limits), and a ``.hspy`` saved while the
centre-of-mass curl is shown holds the curl."""

from __future__ import annotations

import json
import math
import time
import uuid
from urllib.parse import urlparse

import pytest
from _lab import api
from _viewer import SCAN, open_scan_from_tree, wait_settled

pytestmark = pytest.mark.browser

# The shown image's pixels, one per image pixel: the canvas sampled at each pixel's centre
# (drawn without smoothing, so the centre has the pixel's own colour).
CANVAS_PIXELS = """([view, width, height]) => {
  const node = document.querySelector(view);
  const canvas = node.querySelector('[data-testid="image-canvas"]');
  const scale = Number(node.dataset.scale), ox = Number(node.dataset.offsetX), oy = Number(node.dataset.offsetY);
  const ratio = canvas.width / canvas.getBoundingClientRect().width;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const out = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cx = Math.floor((x * scale + ox) * ratio), cy = Math.floor((y * scale + oy) * ratio);
      const k = (cy * canvas.width + cx) * 4;
      out.push([data[k], data[k + 1], data[k + 2], data[k + 3]]);
    }
  }
  return {pixels: out, scale};
}"""


def settled_canvas(page, view: str, width: int, height: int) -> dict:
    """The canvas's pixels once drawn and still: the job's row appearing above the viewer
    resizes the canvas, which is blank until its next frame is drawn."""
    deadline = time.monotonic() + 30
    last = None
    while True:
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        shown = page.evaluate(CANVAS_PIXELS, [view, width, height])
        drawn = any(pixel[3] for pixel in shown["pixels"])
        if drawn and shown == last:
            return shown
        last = shown
        assert time.monotonic() < deadline, "the canvas never settled"


def is_job_submission(request) -> bool:
    """A save: ``POST saves`` (at once when small, else it queues the job)."""
    return request.method == "POST" and urlparse(request.url).path.endswith("/remotem/api/saves")


def save_from_viewer(page, viewer: str, fmt: str, target: str) -> dict:
    """Save what is shown through the viewer's dialog; the job request it sent."""
    from playwright.sync_api import expect

    page.locator(f"{viewer} .jp-remotem-viewer-save").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-remotem-save-format").select_option(fmt)
    dialog.locator(".jp-remotem-save-repository").select_option("demo")
    dialog.locator(".jp-remotem-save-path").fill(target)
    if fmt == "png":  # one pixel per value, nothing drawn over it: the canvas's own pixels
        dialog.locator(".jp-remotem-save-size").fill("")
        dialog.locator(".jp-remotem-save-scalebar").uncheck()
        dialog.locator(".jp-remotem-save-colourbar").uncheck()
    with page.expect_response(lambda r: is_job_submission(r.request)) as submitted:
        dialog.locator(".jp-mod-accept").click()
    assert submitted.value.status == 201, submitted.value.text()
    job = page.locator(f'{viewer} div.jp-remotem-viewer-job[data-job-id="{submitted.value.json()["id"]}"]')
    expect(job).to_have_attribute("data-phase", "COMPLETED", timeout=120_000)
    return json.loads(submitted.value.request.post_data)


def test_saved_png_has_the_canvas_pixels_and_hspy_holds_the_shown_curl(page, lab_server, demo_data) -> None:
    import h5py
    import numpy as np
    from PIL import Image
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    nav_view = f'{viewer} .jp-remotem-viewer-nav [data-testid="image-view"]'
    # Viridis on a log scale, as users reported it saved gray and linear.
    page.locator(f'{viewer} .jp-remotem-viewer-nav [data-testid="colormap-select"]').select_option("viridis")
    page.locator(f'{viewer} .jp-remotem-viewer-nav [data-testid="scale-select"]').select_option("log")
    wait_settled(page, viewer)
    width, height = (int(n) for n in page.locator(nav_view).get_attribute("data-image-size").split("x"))

    target = f"results/shown-{uuid.uuid4().hex[:8]}.png"
    body = save_from_viewer(page, viewer, "png", target)
    assert body["view"]["nav"]["cmap"] == "viridis" and body["view"]["nav"]["scaling"]["mode"] == "log"
    assert body["output"]["array"] == "intensity"
    with Image.open(demo_data / target) as picture:
        saved = np.asarray(picture.convert("RGBA"))
    assert saved.shape == (height, width, 4)

    shown = settled_canvas(page, nav_view, width, height)
    canvas = np.array(shown["pixels"], dtype=np.uint8).reshape(height, width, 4)
    # The cursor's marker is drawn over the image: leave out the pixels it may cover.
    cursor = body["view"]["cursor"]
    reach = math.ceil((max(shown["scale"] / 2, 3) + 8 + 3) / shown["scale"]) + 1
    covered = np.zeros((height, width), bool)
    covered[max(0, cursor[1] - reach):cursor[1] + reach + 1, max(0, cursor[0] - reach):cursor[0] + reach + 1] = True
    assert covered.mean() < 0.25
    different = np.any(saved != canvas, axis=-1) & ~covered
    assert not different.any(), (
        f"{different.sum()} pixels differ, e.g. at {np.argwhere(different)[:5].tolist()}: "
        f"file {saved[different][:5].tolist()} canvas {canvas[different][:5].tolist()}")
    assert len({tuple(p) for p in saved.reshape(-1, 4)}) > 50
    assert not (saved[..., 0] == saved[..., 1]).all(), "viridis, not gray"

    # The centre of mass's curl shown, saved as .hspy: the file holds the curl.
    page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="com"]').click()
    page.locator(f"{viewer} .jp-remotem-viewer-com-field").select_option("curl")
    wait_settled(page, viewer)
    expect(page.locator(f"{viewer} .jp-remotem-viewer-com-field")).to_have_value("curl")
    target = f"results/curl-{uuid.uuid4().hex[:8]}.hspy"
    body = save_from_viewer(page, viewer, "hspy", target)
    assert body["output"]["array"] == "curl" and body["view"]["comField"] == "curl"
    # The curl of the same request, computed here by the same operations on the same file.
    from jupyter_remotem.client import open_local

    curl = np.asarray(open_local(demo_data / SCAN).reduce("com", body["params"])["curl"])
    with h5py.File(demo_data / target) as f:
        (signal,) = f["Experiments"].values()
        data = signal["data"][()]
    np.testing.assert_allclose(data, curl, rtol=1e-6, equal_nan=True)
    assert page.errors == []


def test_a_view_the_contract_does_not_know_is_refused(lab_server) -> None:
    answer = api(lab_server, "POST", "jobs", json={
        "repository": "demo", "path": SCAN, "operation": "com", "params": {"cx": 32, "cy": 32},
        "view": {"cmap": "viridis", "scale": "log"},
        "output": {"repository": "demo", "path": "results/refused.png"}})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_view" and "'cmap'" in error["message"] and '"nav"' in error["hint"]
