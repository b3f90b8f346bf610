"""A decomposition in the viewer, in a real JupyterLab: chosen from the "More…" list like any
declared reduction, its scores show one component at a time (a selector made from the output's
declared index axis, the planes of the one answer, no new request), and its ``rgb`` (declared a
colour output) is drawn in its own colours, pixel for pixel the server's values, with no
colormap, histogram or colour bar; the choice survives a reload."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from _lab import ARTIFACTS, api
from _viewer import SCAN, canvas_of, hover_pixel, image_point, open_from_palette, record_reductions, wait_settled

pytestmark = pytest.mark.browser

# The RGBA of the view's canvas under a screen point (the canvas may hold more pixels than its
# box on a high-density screen).
PIXEL_AT = """([canvas, x, y]) => {
  const box = canvas.getBoundingClientRect();
  const cx = Math.floor((x - box.left) * canvas.width / box.width);
  const cy = Math.floor((y - box.top) * canvas.height / box.height);
  return Array.from(canvas.getContext('2d').getImageData(cx, cy, 1, 1).data);
}"""

# Scan pixels away from the cursor's crosshair (the scan's centre) and the image's edges.
PIXELS = ((3, 2), (40, 28), (11, 7))


def _answer(server, body: dict, field: str) -> np.ndarray:
    response = api(server, "POST", "reductions", params={"format": "npy", "field": field}, data=json.dumps(body))
    assert response.status_code == 200, response.text
    return np.load(io.BytesIO(response.content))


def _readout_value(page, view: str, x: int, y: int) -> float:
    hover_pixel(page, view, x, y)
    text = page.locator(f'{view} [data-testid="image-readout"]').inner_text()
    return float(re.match(rf"^x {x}, y {y} = (\S+)", text).group(1))


def test_decomposition_scores_by_component_and_its_rgb_in_colour(page, lab_server) -> None:
    from playwright.sync_api import expect

    viewer = open_from_palette(page, lab_server, SCAN)
    expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-status", "ready", timeout=60_000)
    wait_settled(page, viewer)
    asked = record_reductions(page)
    page.locator(f'{viewer} [data-testid="operation-mode"]').select_option("decomposition")
    form = page.locator(f'{viewer} .jp-remotem-viewer-operation[data-operation="decomposition"]')
    expect(form).to_be_visible()
    components = form.locator('[data-testid="operation-param-components"]')
    components.fill("4")
    components.press("Enter")
    nav = page.locator(f"{viewer} .jp-remotem-viewer-nav")
    expect(nav).to_have_attribute("data-planes", "4", timeout=60_000)
    wait_settled(page, viewer)
    shown = [body for body in asked if body.get("operation") == "decomposition"]
    assert shown and shown[-1]["params"]["components"] == 4, shown
    body = {key: shown[-1][key] for key in ("repository", "path", "dataset", "operation", "params")}
    scores = _answer(lab_server, body, "scores")
    rgb = _answer(lab_server, body, "rgb")
    assert scores.shape[-1] == 4 and rgb.shape == scores.shape[:2] + (3,)

    # The scores: a colormapped image of one component, picked from the answer's four.
    field = form.locator('[data-testid="operation-field"]')
    expect(field).to_have_value("scores")
    plane = form.locator('[data-testid="operation-plane"]')
    expect(plane).to_have_attribute("aria-label", "component")
    expect(plane.locator("option")).to_have_count(4)
    expect(nav).to_have_attribute("data-colour", "false")
    expect(nav.locator('[data-testid="colour-bar"]')).to_have_count(1)
    view = f'{viewer} .jp-remotem-viewer-nav [data-testid="image-view"]'
    asks = len(asked)
    plane.select_option("2")
    for x, y in PIXELS[:2]:
        value = _readout_value(page, view, x, y)
        assert value == pytest.approx(scores[y, x, 2], rel=1e-3, abs=1e-9), (x, y, value, scores[y, x])
    assert len(asked) == asks, "another component is a plane of the same answer"

    # The colours: drawn as the server computed them, with nothing to scale.
    field.select_option("rgb")
    expect(nav).to_have_attribute("data-colour", "true", timeout=60_000)
    wait_settled(page, viewer)
    expect(plane).to_have_count(0)
    expect(nav.locator('[data-testid="colour-bar"]')).to_have_count(0)
    expect(nav.locator('[data-testid="display-controls"]')).to_have_count(0)
    expect(nav.locator('[data-testid="histogram"]')).to_have_count(0)
    canvas = page.locator(canvas_of(viewer, "nav"))
    for x, y in PIXELS:
        page.mouse.move(0, 0)  # no hover outline over the pixel read
        point = image_point(page, view, x, y)
        pixel = canvas.evaluate(f"(canvas, args) => ({PIXEL_AT})([canvas, ...args])", list(point))
        assert pixel == [*map(int, rgb[y, x]), 255], (x, y, pixel, rgb[y, x])
    # The readout names the red, green and blue under the pointer.
    x, y = PIXELS[1]
    hover_pixel(page, view, x, y)
    text = page.locator(f'{view} [data-testid="image-readout"]').inner_text()
    parts = re.search(r"\(R (\S+), G (\S+), B (\S+)\)", text)
    assert parts and [float(v) for v in parts.groups()] == [float(v) for v in rgb[y, x]], text

    # The frame panel shows component 1 beside the colours: the plane selector is the
    # components' own, and the frame's values are the server's components.
    frame_field = page.locator(f'{viewer} [data-testid="frame-field"]')
    expect(frame_field.locator("option")).to_have_text(["Frame at the cursor", "components", "mean"])
    frame_field.select_option("components")
    expect(plane).to_have_count(1)
    plane.select_option("1")
    wait_settled(page, viewer)
    frame_view = f'{viewer} .jp-remotem-viewer-frame [data-testid="image-view"]'
    expect(page.locator(f"{viewer} .jp-remotem-viewer-frame .jp-remotem-viewer-caption")).to_have_text(
        "components 1 of decomposition")
    components = _answer(lab_server, body, "components")
    for x, y in ((5, 9), (30, 17)):
        value = _readout_value(page, frame_view, x, y)
        assert value == pytest.approx(components[y, x, 1], rel=1e-3, abs=1e-6), (x, y, value)
    page.locator(f"{viewer} .jp-remotem-viewer").screenshot(path=str(ARTIFACTS / "viewer-pca-colours.png"))

    # A reload brings back the colours.
    page.reload()
    expect(page.locator(f"{viewer} .jp-remotem-viewer-nav")).to_have_attribute("data-colour", "true",
                                                                                timeout=60_000)
    expect(page.locator(f'{viewer} [data-testid="operation-field"]')).to_have_value("rgb")
