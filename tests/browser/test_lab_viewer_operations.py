"""Declared reductions as navigation modes, in a real JupyterLab: ``fem`` is chosen from the
viewer's "More…" list (which the server's ``GET operations`` fills), its form asks for the ring,
the navigation image is the server's answer (its values under the pointer are numpy's), and the
choice survives a reload."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from _lab import ARTIFACTS, keep_screenshot
from _viewer import SCAN, canvas_of, hover_pixel, is_reduction, open_scan_from_tree, saved_viewer_state, wait_settled

pytestmark = pytest.mark.browser

CANVAS_DRAWN = """selector => {
  const canvas = document.querySelector(selector);
  if (!canvas || !canvas.width || !canvas.height) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


def _reference_std(demo_data, ri: float, ro: float) -> np.ndarray:
    frames = np.load(demo_data / "scan.npy").astype(np.float64)
    height, width = frames.shape[-2:]
    y, x = np.indices((height, width))
    d = np.hypot(x - (width - 1) / 2, y - (height - 1) / 2)
    return frames[..., (d > ri) & (d <= ro)].std(axis=-1)


def _type(page, field, text: str) -> None:
    field.fill(text)
    field.press("Enter")


def test_a_declared_reduction_is_a_navigation_mode_with_a_form_from_its_schema(page, lab_server, demo_data) -> None:
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    modes = page.locator(f'{viewer} [data-testid="operation-mode"]')
    names = modes.locator("option").all_inner_texts()
    assert {"fem", "crystallinity", "blobs"} <= set(names), names
    assert "virtual_detector" not in names and "com" not in names
    modes.select_option("fem")
    form = page.locator(f'{viewer} .jp-remotem-viewer-operation[data-operation="fem"]')
    expect(form).to_be_visible()
    expect(form.locator('[data-testid="operation-missing"]')).to_contain_text("ri, ro")
    # The add-detector tools belong to the detector modes.
    expect(page.locator(f'{viewer} .jp-remotem-viewer-add')).to_have_count(0)

    _type(page, form.locator('[data-testid="operation-param-ri"]'), "4")
    with page.expect_request(lambda request: is_reduction(request)
                             and json.loads(request.post_data or "{}").get("operation") == "fem") as asked:
        _type(page, form.locator('[data-testid="operation-param-ro"]'), "14")
    body = json.loads(asked.value.post_data)
    assert body["params"] == {"ri": 4, "ro": 14}, body
    expect(form.locator('[data-testid="operation-missing"]')).to_have_count(0)
    wait_settled(page, viewer)
    page.wait_for_function(CANVAS_DRAWN, arg=canvas_of(viewer, "nav"))

    expected = _reference_std(demo_data, 4, 14)
    nav_view = f'{viewer} .jp-remotem-viewer-nav [data-testid="image-view"]'
    readout = page.locator(f'{nav_view} [data-testid="image-readout"]')
    for x, y in ((3, 2), (20, 11)):
        hover_pixel(page, nav_view, x, y)
        value = float(re.match(rf"^x {x}, y {y} = (\S+)", readout.inner_text()).group(1))
        assert value == pytest.approx(expected[y, x], rel=2e-3), (x, y, value, expected[y, x])

    page.locator(f"{viewer} .jp-remotem-viewer").screenshot(path=str(ARTIFACTS / "viewer-operation.png"))
    keep_screenshot("viewer-operation.png")

    # The array shown can be the other image of the scan fem answers.
    field = form.locator('[data-testid="operation-field"]')
    field.select_option("mean")
    wait_settled(page, viewer)

    # The workspace keeps the choice (with the view contract's fields), and a reload brings back
    # the same mode, form values and array.
    args = saved_viewer_state(lab_server, f"demo:{SCAN}",
                              lambda a: ((a.get("view") or {}).get("operation") or {}).get("field") == "mean")
    assert args["view"]["mode"] == "operation", args
    assert args["view"]["operation"]["params"] == {"ri": 4, "ro": 14} and args["view"]["operation"]["name"] == "fem"
    page.reload()
    form = page.locator(f'{viewer} .jp-remotem-viewer-operation[data-operation="fem"]')
    expect(form).to_be_visible(timeout=60_000)
    expect(form.locator('[data-testid="operation-param-ro"]')).to_have_value("14")
    expect(form.locator('[data-testid="operation-field"]')).to_have_value("mean")


def test_a_radial_profile_shows_a_ring_over_the_scan_and_the_curve_at_the_cursor(page, lab_server) -> None:
    """A profile per position (scan × sector × radius): the navigation image is one ring (the
    mean of its sectors), the plane selector moves along the radius, and a plot under it draws
    the curve at the cursor over the rings' radii, following a pick without asking again."""
    import io

    from _lab import api
    from _viewer import image_point, record_reductions
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    asked = record_reductions(page)
    page.locator(f'{viewer} [data-testid="operation-mode"]').select_option("radial_profile")
    form = page.locator(f'{viewer} .jp-remotem-viewer-operation[data-operation="radial_profile"]')
    expect(form).to_be_visible()
    _type(page, form.locator('[data-testid="operation-param-sectors"]'), "2")
    _type(page, form.locator('[data-testid="operation-param-bins"]'), "8")
    nav = page.locator(f"{viewer} .jp-remotem-viewer-nav")
    expect(nav).to_have_attribute("data-planes", "8", timeout=60_000)
    wait_settled(page, viewer)
    plane = form.locator('[data-testid="operation-plane"]')
    expect(plane).to_have_attribute("aria-label", "radius")
    plane.select_option("3")

    body = {key: asked[-1][key] for key in ("repository", "path", "dataset", "operation", "params")}
    assert body["params"]["bins"] == 8 and body["params"]["sectors"] == 2, body
    answers = {}
    for field in ("profile", "radius"):
        response = api(lab_server, "POST", "reductions", params={"format": "npy", "field": field}, data=json.dumps(body))
        assert response.status_code == 200, response.text
        answers[field] = np.load(io.BytesIO(response.content))
    profile, radius = answers["profile"], answers["radius"]
    assert profile.shape[2:] == (2, 8) and radius.shape == (8,)

    nav_view = f'{viewer} .jp-remotem-viewer-nav [data-testid="image-view"]'
    readout = page.locator(f'{nav_view} [data-testid="image-readout"]')
    for x, y in ((2, 3), (17, 9)):
        hover_pixel(page, nav_view, x, y)
        value = float(re.match(rf"^x {x}, y {y} = (\S+)", readout.inner_text()).group(1))
        assert value == pytest.approx(np.nanmean(profile[y, x, :, 3]), rel=2e-3), (x, y, value)

    # A pick moves the curve, not the request.
    asks = len(asked)
    page.mouse.click(*image_point(page, nav_view, 17, 9))
    section = page.locator(f"{viewer} .jp-remotem-viewer-nav-profile")
    expect(section.locator(".jp-remotem-viewer-caption")).to_contain_text("Profile at x=17, y=9")
    curve = np.nanmean(profile[9, 17], axis=0)
    plot = section.locator('[data-testid="profile-plot"]')
    expect(plot.locator("svg")).to_have_attribute(
        "aria-label", re.compile(r"^Profile over radius, 8 samples, values from "))
    top = float(plot.locator('[data-testid="profile-ymax"]').inner_text())
    assert top == pytest.approx(np.nanmax(curve), rel=2e-3), (top, curve)
    length = plot.locator('[data-testid="profile-length"]').inner_text()
    assert length.endswith(" px") and float(length.split()[0]) == pytest.approx(radius[-1], rel=2e-3), length
    assert len(asked) == asks, "the curve at another position comes from the same answer"
    page.locator(f"{viewer} .jp-remotem-viewer").screenshot(path=str(ARTIFACTS / "viewer-radial-profile.png"))
    keep_screenshot("viewer-radial-profile.png")


def test_an_operation_declared_at_run_time_is_a_navigation_mode(page, lab_server, demo_data) -> None:
    """The lab server loads ``_toy_operation`` (tests/), which declares ``peak`` when the server
    starts: the viewer lists it, makes its form from the schema (``floor``, a number with its
    default) and shows the server's answer, without a line of TypeScript knowing it."""
    from _toy_operation import NAME
    from playwright.sync_api import expect

    frames = np.load(demo_data / "scan.npy")
    maxima = frames.reshape(*frames.shape[:2], -1).max(axis=-1).astype(np.float64)
    viewer = open_scan_from_tree(page, lab_server)
    modes = page.locator(f'{viewer} [data-testid="operation-mode"]')
    assert NAME in modes.locator("option").all_inner_texts()
    with page.expect_request(lambda request: is_reduction(request)
                             and json.loads(request.post_data or "{}").get("operation") == NAME) as asked:
        modes.select_option(NAME)
    assert json.loads(asked.value.post_data)["params"] == {"floor": 0}
    form = page.locator(f'{viewer} .jp-remotem-viewer-operation[data-operation="{NAME}"]')
    floor_field = form.locator('[data-testid="operation-param-floor"]')
    expect(floor_field).to_have_value("0")
    wait_settled(page, viewer)
    nav_view = f'{viewer} .jp-remotem-viewer-nav [data-testid="image-view"]'
    readout = page.locator(f'{nav_view} [data-testid="image-readout"]')

    def shown(x: int, y: int) -> float:
        hover_pixel(page, nav_view, x, y)
        return float(re.match(rf"^x {x}, y {y} = (\S+)", readout.inner_text()).group(1))

    below = np.argwhere(maxima < np.median(maxima))[0]
    above = np.argwhere(maxima > np.median(maxima))[0]
    for y, x in (below, above):
        assert shown(x, y) == pytest.approx(maxima[y, x], rel=1e-3)
    floor = float(np.median(maxima))
    with page.expect_request(lambda request: is_reduction(request)
                             and json.loads(request.post_data or "{}").get("params", {}).get("floor") == floor):
        _type(page, floor_field, repr(floor))
    wait_settled(page, viewer)
    assert shown(below[1], below[0]) == pytest.approx(floor, rel=1e-3)
    assert shown(above[1], above[0]) == pytest.approx(maxima[above[0], above[1]], rel=1e-3)
