"""2-D arrays and stacks of 2-D images open in the viewer's image mode, in a real JupyterLab:
the image with the display tools and, for a stack, a plane slider; no BF/ADF/CoM modes, no
detectors, no scan region. A plain 3-D .npy (a time series of frames, or images: its axes do
not say) opens as a scan and switches to a stack and back.
"""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from _lab import ARTIFACTS, keep_screenshot
from _viewer import CANVAS_CHANGED, canvas_of, is_reduction, open_from_palette, snapshot

pytestmark = pytest.mark.browser


def wait_image(page, viewer: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-status", "ready", timeout=60_000)
    expect(page.locator(f"{viewer} .jp-remotem-viewer-frame")).to_have_attribute("data-busy", "false",
                                                                                timeout=60_000)
    expect(page.locator(f"{viewer} .jp-remotem-error")).to_have_count(0)


def expect_no_scan_tools(page, viewer: str) -> None:
    from playwright.sync_api import expect

    for selector in (".jp-remotem-viewer-nav", ".jp-remotem-viewer-mode", ".jp-remotem-viewer-add",
                     ".jp-remotem-viewer-roi", ".jp-remotem-viewer-geometry", ".jp-remotem-viewer-com"):
        expect(page.locator(f"{viewer} {selector}")).to_have_count(0)


@pytest.fixture
def images(demo_data):
    import h5py

    rng = np.random.default_rng(4)
    stack = rng.random((10, 24, 32)).astype(np.float32) + np.arange(10, dtype=np.float32)[:, None, None]
    names = {"stack": f"stack-{uuid.uuid4().hex[:8]}.h5", "image": f"image-{uuid.uuid4().hex[:8]}.npy",
             "series": f"series-{uuid.uuid4().hex[:8]}.npy"}
    with h5py.File(demo_data / names["stack"], "w") as f:
        data = f.create_dataset("images", data=stack)
        # Declared as images: frame axes in nm (real space), the first axis a stack.
        data.attrs["nav_ndim"] = 1
        data.attrs["axis_units"] = ["", "nm", "nm"]
        data.attrs["axis_scales"] = [1.0, 0.5, 0.5]
    np.save(demo_data / names["image"], stack[4])
    np.save(demo_data / names["series"], stack)
    yield names, stack
    for name in names.values():
        (demo_data / name).unlink()


def test_a_stack_of_images_has_a_plane_slider_and_the_display_tools_only(page, lab_server, images) -> None:
    from playwright.sync_api import expect

    names, stack = images
    reductions: list[str] = []
    page.on("request", lambda r: reductions.append(r.post_data or "") if is_reduction(r) else None)
    viewer = open_from_palette(page, lab_server, names["stack"])
    wait_image(page, viewer)
    expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-kind", "stack")
    expect_no_scan_tools(page, viewer)
    # The display tools are there: colour map, scaling, histogram, calibration (0.5 nm).
    display = page.locator(f"{viewer} .jp-remotem-viewer-frame .jp-remotem-viewer-display")
    expect(display).to_have_count(1)
    expect(display.locator(".jp-remotem-viewer-calibration summary")).to_have_text(
        "Calibration: 0.5 nm per pixel (from the metadata)")
    caption = page.locator(f"{viewer} .jp-remotem-viewer-caption")
    expect(caption).to_have_text("Image 5 of 0–9")

    # The slider shows another image of the stack, read as it is stored (GET data).
    canvas = canvas_of(viewer, "frame")
    before = snapshot(page, canvas)
    slider = page.locator(f"{viewer} .jp-remotem-viewer-plane-slider")
    with page.expect_response(lambda r: f"/repositories/demo/data/{names['stack']}" in r.url) as answered:
        slider.fill("2")
    assert "slice=2%2C..." in answered.value.url or "slice=2,..." in answered.value.url, answered.value.url
    assert answered.value.status == 200
    np.testing.assert_array_equal(np.load(io.BytesIO(answered.value.body())), stack[2])
    expect(caption).to_have_text("Image 2 of 0–9")
    page.wait_for_function(CANVAS_CHANGED, arg=[canvas, before])
    number = page.locator(f"{viewer} .jp-remotem-viewer-plane")
    expect(number).to_have_value("2")
    number.fill("9")
    number.press("Enter")
    expect(caption).to_have_text("Image 9 of 0–9")
    expect(slider).to_have_value("9")
    # Nothing was reduced: no virtual detector, no centre of mass.
    assert reductions == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(viewer).screenshot(path=str(ARTIFACTS / "viewer-image-stack.png"))
    keep_screenshot("viewer-image-stack.png")
    assert page.errors == []


def test_a_2d_array_is_one_image_and_a_plain_3d_npy_switches_between_scan_and_stack(
    page, lab_server, images
) -> None:
    from playwright.sync_api import expect

    names, _ = images
    viewer = open_from_palette(page, lab_server, names["image"])
    wait_image(page, viewer)
    expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-kind", "image")
    expect_no_scan_tools(page, viewer)
    expect(page.locator(f"{viewer} .jp-remotem-viewer-plane-slider")).to_have_count(0)
    expect(page.locator(f"{viewer} .jp-remotem-viewer-caption")).to_have_text("Image")
    # Its FFT is a display tool too.
    canvas = canvas_of(viewer, "frame")
    before = snapshot(page, canvas)
    page.locator(f"{viewer} .jp-remotem-viewer-frame-fft").check()
    page.wait_for_function(CANVAS_CHANGED, arg=[canvas, before])
    wait_image(page, viewer)

    series = open_from_palette(page, lab_server, names["series"])
    expect(page.locator(f"{series} .jp-remotem-viewer")).to_have_attribute("data-kind", "scan", timeout=60_000)
    expect(page.locator(f'{series} [data-testid="scan-plot"]')).to_be_visible()
    page.locator(f"{series} .jp-remotem-viewer-as-images").click()
    expect(page.locator(f"{series} .jp-remotem-viewer")).to_have_attribute("data-kind", "stack")
    wait_image(page, series)
    expect_no_scan_tools(page, series)
    expect(page.locator(f"{series} .jp-remotem-viewer-plane-slider")).to_have_attribute("max", "9")
    page.locator(f"{series} .jp-remotem-viewer-as-scan").click()
    expect(page.locator(f"{series} .jp-remotem-viewer")).to_have_attribute("data-kind", "scan")
    expect(page.locator(f'{series} [data-testid="scan-plot"]')).to_have_attribute("data-points", "10",
                                                                                  timeout=60_000)
    assert page.errors == []


def test_a_tiff_stack_without_calibration_opens_as_a_stack_of_its_pages(page, lab_server, demo_data) -> None:
    """A TIFF's pages are pictures (the server says ``frame_kind: image``), so even a stack
    with no units opens in the image viewer, and each plane is the page tifffile reads."""
    import tifffile
    from playwright.sync_api import expect

    name = f"pages-{uuid.uuid4().hex[:8]}.tif"
    pages = np.random.default_rng(7).integers(0, 60_000, (5, 33, 17), dtype=np.uint16)
    tifffile.imwrite(demo_data / name, pages)
    try:
        viewer = open_from_palette(page, lab_server, name)
        wait_image(page, viewer)
        expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-kind", "stack")
        expect_no_scan_tools(page, viewer)
        slider = page.locator(f"{viewer} .jp-remotem-viewer-plane-slider")
        with page.expect_response(lambda r: f"/repositories/demo/data/{name}" in r.url) as answered:
            slider.fill("3")
        assert answered.value.status == 200
        np.testing.assert_array_equal(np.load(io.BytesIO(answered.value.body())), tifffile.imread(demo_data / name)[3])
        assert page.errors == []
    finally:
        (demo_data / name).unlink()
