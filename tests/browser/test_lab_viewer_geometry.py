"""The viewer's detector geometry as numbers, its automatic CoM centre and the line profile
with a width, in a real JupyterLab, on a synthetic scan whose calibration and direct beam are
known: 6 × 7 scan positions 0.4 nm apart, 40 × 48 frames of 0.25 mrad with a bright disk.

- the Calibration fields show the metadata's calibration (0.4 nm, 0.25 mrad), not empty boxes;
- a detector typed in mrad moves its overlay and the navigation image's request, reads back in
  pixels exactly, and nonsense is refused with the reason;
- "Find centre" puts the CoM centre on the brightest disk of the mean frame (numpy's);
- a line profile 5 px wide draws its band, exports CSV and NPY with calibrated positions whose
  values are scipy's ``map_coordinates`` averaged across the band, and closes.
"""

from __future__ import annotations

import io
import json
import re
import uuid

import numpy as np
import pytest
from _lab import ARTIFACTS, keep_screenshot
from _viewer import CANVAS_CHANGED, canvas_of, is_reduction, open_from_palette, snapshot, wait_settled

pytestmark = pytest.mark.browser

SCAN_SHAPE, FRAME = (6, 7), (40, 48)
SCALES, OFFSETS = (0.4, 0.4, 0.25, 0.25), (0.0, 0.0, -5.0, -6.0)  # frame x: -6 + 0.25 · px
BEAM = (29.3, 17.6, 7.5)  # cx, cy, r of the disk in frame pixels


def disk_scan(seed: int = 11) -> np.ndarray:
    """The direct beam wandering by up to a pixel over a noisy background."""
    rng = np.random.default_rng(seed)
    y, x = np.indices(FRAME)
    cx, cy, r = BEAM
    frames = np.empty(SCAN_SHAPE + FRAME, np.float32)
    for i in range(SCAN_SHAPE[0]):
        for j in range(SCAN_SHAPE[1]):
            dx, dy = rng.uniform(-1, 1, 2)
            frames[i, j] = 1000 * (np.hypot(x - cx - dx, y - cy - dy) <= r) + rng.uniform(0, 50, FRAME)
    return frames


def numpy_beam(frames: np.ndarray) -> tuple[float, float]:
    """Centroid of the mean frame's pixels above half way from its median to its peak, weighted
    by their height above the median."""
    mean = frames.reshape(-1, *FRAME).astype(np.float64).mean(axis=0)
    median = np.median(mean)
    bright = mean >= median + 0.5 * (mean.max() - median)
    ys, xs = np.nonzero(bright)
    w = mean[bright] - median
    return float((xs * w).sum() / w.sum()), float((ys * w).sum() / w.sum())


@pytest.fixture
def calibrated_scan(demo_data):
    import h5py

    name = f"beam-{uuid.uuid4().hex[:8]}.h5"
    frames = disk_scan()
    with h5py.File(demo_data / name, "w") as f:
        data = f.create_dataset("data", data=frames)
        data.attrs["axis_names"] = ["scan_y", "scan_x", "ky", "kx"]
        data.attrs["axis_units"] = ["nm", "nm", "mrad", "mrad"]
        data.attrs["axis_scales"] = list(SCALES)
        data.attrs["axis_offsets"] = list(OFFSETS)
    yield name, frames
    (demo_data / name).unlink()


def pixel_on(page, canvas: str, x: float, y: float) -> tuple[float, float]:
    """Screen position of frame pixel (x, y) in a view fitted to its canvas."""
    box = page.locator(canvas).bounding_box()
    height, width = FRAME
    scale = min(box["width"] / width, box["height"] / height)
    left = box["x"] + (box["width"] - width * scale) / 2 + 0.5 * scale
    top = box["y"] + (box["height"] - height * scale) / 2 + 0.5 * scale
    return left + x * scale, top + y * scale


def test_geometry_in_mrad_calibration_fields_and_the_automatic_centre(page, lab_server, calibrated_scan) -> None:
    from playwright.sync_api import expect

    name, frames = calibrated_scan
    viewer = open_from_palette(page, lab_server, name)
    expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-status", "ready", timeout=60_000)
    wait_settled(page, viewer)

    # The calibration editors show what the metadata says.
    for section, scale, units in (("nav", "0.4", "nm"), ("frame", "0.25", "mrad")):
        editor = page.locator(f"{viewer} .jp-remotem-viewer-{section} .jp-remotem-viewer-calibration")
        expect(editor).to_have_attribute("data-origin", "metadata")
        expect(editor.locator("summary")).to_have_text(f"Calibration: {scale} {units} per pixel (from the metadata)")
        editor.locator("summary").click()
        expect(editor.locator(".jp-remotem-viewer-calibration-scale")).to_have_value(scale)
        expect(editor.locator(".jp-remotem-viewer-units")).to_have_value(units)

    # The default disk, typed in mrad: its overlay and the navigation request move.
    geometry = page.locator(f"{viewer} .jp-remotem-viewer-frame .jp-remotem-viewer-geometry")
    expect(geometry).to_have_attribute("data-kind", "disk")
    field = {key: geometry.locator(f'.jp-remotem-viewer-geometry-field[data-key="{key}"]') for key in ("cx", "cy", "r")}
    expect(field["cx"]).to_have_value("24")
    geometry.locator(".jp-remotem-viewer-geometry-unit").select_option("calibrated")
    expect(geometry).to_have_attribute("data-unit", "calibrated")
    expect(field["cx"]).to_have_value("0")  # -6 + 24 · 0.25 mrad
    expect(field["r"]).to_have_attribute("aria-label", "r (mrad)")
    frame_canvas = canvas_of(viewer, "frame")
    before = snapshot(page, frame_canvas)
    field["cx"].fill("1.6")
    field["r"].fill("1.25")
    with page.expect_request(lambda r: is_reduction(r) and "virtual_detector" in (r.post_data or "")) as asked:
        field["r"].press("Enter")
    detector = json.loads(asked.value.post_data)["params"]["detectors"][0]
    assert detector == {"shape": "disk", "cx": (1.6 + 6) / 0.25, "cy": 20, "r": 1.25 / 0.25}, detector
    page.wait_for_function(CANVAS_CHANGED, arg=[frame_canvas, before])
    wait_settled(page, viewer)
    expect(field["cx"]).to_have_value("1.6")
    geometry.locator(".jp-remotem-viewer-geometry-unit").select_option("px")
    expect(field["cx"]).to_have_value("30.4")
    expect(field["r"]).to_have_value("5")
    geometry.locator(".jp-remotem-viewer-geometry-unit").select_option("calibrated")
    expect(field["cx"]).to_have_value("1.6")

    # Nonsense is refused, with the reason; nothing is asked of the server.
    asked_after: list[str] = []
    page.on("request", lambda r: asked_after.append(r.url) if is_reduction(r) else None)
    field["r"].fill("-1")
    field["r"].press("Enter")
    expect(geometry.locator('[role="alert"]')).to_have_text(re.compile(r"r must be larger than 0, not -1 mrad"))
    field["cx"].fill("9")
    field["r"].fill("1")
    field["r"].press("Enter")
    expect(geometry.locator('[role="alert"]')).to_contain_text("between -6 mrad and 5.75 mrad, not 9 mrad")
    field["cx"].fill("x1")
    field["cx"].press("Enter")
    expect(geometry.locator('[role="alert"]')).to_contain_text("“x1” is not a number")
    assert asked_after == []

    # The automatic centre: the brightest disk of the mean frame, as numpy finds it.
    page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="com"]').click()
    wait_settled(page, viewer)
    def asks_beam(response) -> bool:
        return is_reduction(response.request) and "direct_beam" in (response.request.post_data or "")

    with page.expect_response(asks_beam) as found:
        page.locator(f"{viewer} .jp-remotem-viewer-auto-centre").click()
    assert found.value.status == 200
    cx, cy = numpy_beam(frames)
    com_cx = page.locator(f'{viewer} .jp-remotem-viewer-com label[title="Reference centre on the frame, x"] input')
    com_cy = page.locator(f'{viewer} .jp-remotem-viewer-com label[title="Reference centre on the frame, y"] input')
    page.wait_for_function("(el) => Math.abs(Number(el.value) - 24) > 1", arg=com_cx.element_handle())
    assert abs(float(com_cx.input_value()) - cx) < 1e-9 and abs(float(com_cy.input_value()) - cy) < 1e-9
    assert abs(cx - BEAM[0]) < 0.3 and abs(cy - BEAM[1]) < 0.3
    wait_settled(page, viewer)
    # The frame's geometry editor now edits that centre.
    centre = page.locator(f"{viewer} .jp-remotem-viewer-frame .jp-remotem-viewer-geometry")
    expect(centre.locator("legend")).to_have_text("Centre of mass: reference centre")
    expect(centre.locator('.jp-remotem-viewer-geometry-field[data-key="cx"]')).to_have_value(
        str(float(f"{cx:.12g}")))
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(viewer).screenshot(path=str(ARTIFACTS / "viewer-geometry.png"))
    keep_screenshot("viewer-geometry.png")
    assert page.errors == []


def test_a_wide_line_profile_draws_its_band_exports_csv_and_npy_and_closes(page, lab_server, calibrated_scan) -> None:
    from playwright.sync_api import expect
    from scipy.ndimage import map_coordinates

    name, frames = calibrated_scan
    viewer = open_from_palette(page, lab_server, name)
    expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-status", "ready", timeout=60_000)
    wait_settled(page, viewer)
    frame = frames[3, 3].astype(np.float64)  # the frame at the scan's centre, shown first
    expect(page.locator(f"{viewer} .jp-remotem-viewer-caption")).to_have_text("Frame at x=3, y=3")

    page.locator(f'{viewer} .jp-remotem-viewer-tool[data-tool="line"]').click()
    frame_canvas = canvas_of(viewer, "frame")
    x0, y0 = pixel_on(page, frame_canvas, 8, 10)
    x1, y1 = pixel_on(page, frame_canvas, 38, 30)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()
    profile = page.locator(f"{viewer} section.jp-remotem-viewer-profile")
    expect(profile.locator('[data-testid="profile-line"]')).to_have_count(1)
    drawn = snapshot(page, frame_canvas)
    width = profile.locator('[data-testid="profile-width"]')
    expect(width).to_have_value("1")
    width.fill("5")
    width.press("Enter")
    expect(profile).to_have_attribute("data-width", "5")
    # The band it averages over is drawn on the frame.
    page.wait_for_function(CANVAS_CHANGED, arg=[frame_canvas, drawn])

    with page.expect_download() as csv_download:
        profile.locator(".jp-remotem-viewer-profile-csv").click()
    assert csv_download.value.suggested_filename == name.replace(".h5", "-profile.csv")
    text = open(csv_download.value.path(), encoding="utf-8").read()
    table = np.genfromtxt(io.StringIO(text), delimiter=",", names=True)
    assert table.dtype.names == ("distance_mrad", "x_mrad", "y_mrad", "value")
    assert "averaged across 5 px" in text

    # The reference: the calibrated positions back in pixels, sampled by scipy across the band.
    xs = (table["x_mrad"] - OFFSETS[3]) / SCALES[3]
    ys = (table["y_mrad"] - OFFSETS[2]) / SCALES[2]
    direction = np.array([xs[-1] - xs[0], ys[-1] - ys[0]])
    length = np.hypot(*direction)
    assert len(xs) == int(np.ceil(length)) + 1
    normal = np.array([-direction[1], direction[0]]) / length
    offsets = np.arange(5) - 2
    px = xs[:, None] + offsets[None, :] * normal[0]
    py = ys[:, None] + offsets[None, :] * normal[1]
    reference = map_coordinates(frame, [py, px], order=1).mean(axis=1)
    np.testing.assert_allclose(table["value"], reference, rtol=1e-9)
    np.testing.assert_allclose(table["distance_mrad"],
                               np.hypot((xs - xs[0]) * SCALES[3], (ys - ys[0]) * SCALES[2]), atol=1e-12)
    # The line runs where it was drawn (to within a pixel of the pointer).
    assert abs(xs[0] - 8) < 1 and abs(ys[0] - 10) < 1 and abs(xs[-1] - 38) < 1 and abs(ys[-1] - 30) < 1

    with page.expect_download() as npy_download:
        profile.locator(".jp-remotem-viewer-profile-npy").click()
    saved = np.load(npy_download.value.path())
    assert saved.dtype.names == ("distance (mrad)", "x (mrad)", "y (mrad)", "value")
    np.testing.assert_array_equal(saved["value"], table["value"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(viewer).screenshot(path=str(ARTIFACTS / "viewer-profile-width.png"))
    keep_screenshot("viewer-profile-width.png")

    # Close: the line, its band and its profile are gone, the pointer picks again.
    with_band = snapshot(page, frame_canvas)
    profile.locator(".jp-remotem-viewer-profile-close").click()
    expect(page.locator(f"{viewer} section.jp-remotem-viewer-profile")).to_have_count(0)
    pick = page.locator(f'{viewer} .jp-remotem-viewer-tool[data-tool="pick"]')
    expect(pick).to_have_attribute("aria-checked", "true")
    page.wait_for_function(CANVAS_CHANGED, arg=[frame_canvas, with_band])
    assert page.errors == []
