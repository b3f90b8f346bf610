"""The volume view in a real JupyterLab: the demo segmentation opens from the tree with three
orthogonal full-resolution planes painted in label colours (checked pixel by pixel against
numpy), a crosshair that moves the other planes, the voxel value under the pointer, and a 3-D
pane rendered by niivue (WebGL2 through SwiftShader in headless Chromium); the tomogram opens
with a grey colour map and contrast limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shutil
import uuid

from _lab import ARTIFACTS, api, keep_screenshot, open_sidebar

from jupyter_remotem import demo_volume, render

pytestmark = pytest.mark.browser

VIEW = ".jp-RemotemVolume"


def open_tomo_folder(page, lab_server):
    """The sidebar with the demo repository's ``tomo`` folder open."""
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    folder = sidebar.locator('.jp-remotem-tree-item[data-path="tomo"]')
    folder.click()
    expect(folder).to_have_attribute("data-expanded", "true")
    return sidebar


def open_volume(page, lab_server, path: str):
    from playwright.sync_api import expect

    sidebar = open_tomo_folder(page, lab_server)
    row = sidebar.locator(f'.jp-remotem-tree-item[data-path="{path}"]')
    row.click(button="right")
    menu = page.locator(".lm-Menu").last
    menu.locator('.lm-Menu-item[data-command="remotem:open-volume"]').click()
    view = page.locator(f"{VIEW} .jp-remotem-volume:not(.jp-remotem-volume-loading)")
    expect(view).to_be_visible(timeout=60_000)
    return view


def wait_painted(page, axis: str, index: int) -> None:
    """Until the pane across ``axis`` shows plane ``index``."""
    page.wait_for_function(
        """([axis, index]) => document.querySelector(
             `.jp-RemotemVolume .jp-remotem-volume-pane[data-axis="${axis}"] canvas`)?.dataset.painted === index""",
        arg=[axis, str(index)])


def plane_pixels(page, axis: str) -> np.ndarray:
    """The RGBA pixels of one pane's canvas, as the page drew them."""
    canvas = page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="{axis}"] canvas')
    width, height, data = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
                  return [c.width, c.height, Array.from(d.data)]; }""")
    return np.asarray(data, dtype=np.uint8).reshape(height, width, 4)


def assert_painted_as(pixels: np.ndarray, labels: np.ndarray) -> None:
    """Each label in one colour of its own, 0 transparent: the plane is the numpy plane."""
    assert pixels.shape[:2] == labels.shape
    assert (pixels[labels == 0][:, 3] == 0).all()
    colours = {}
    for label in np.unique(labels[labels != 0]):
        found = np.unique(pixels[labels == label].reshape(-1, 4), axis=0)
        assert len(found) == 1 and found[0][3] == 255, (label, found[:3])
        colours[int(label)] = tuple(found[0])
    assert len(set(colours.values())) == len(colours)  # distinct labels, distinct colours


def test_segmented_volume_shows_label_planes_crosshair_readout_and_3d(page, lab_server, demo_data: Path) -> None:
    import h5py
    from playwright.sync_api import expect

    with h5py.File(demo_data / demo_volume.SEGMENTATION) as f:
        labels = f["labels"][()]
    np.testing.assert_array_equal(labels, demo_volume.segmentation())
    view = open_volume(page, lab_server, demo_volume.SEGMENTATION)
    expect(view).to_have_attribute("data-labels", "true")
    nz, ny, nx = labels.shape
    centre = (nz // 2, ny // 2, nx // 2)
    for axis, index in zip("zyx", centre):
        expect(page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="{axis}"]')).to_have_attribute(
            "data-index", str(index), timeout=30_000)
    for axis, index in zip("zyx", centre):  # the planes are painted once their voxels arrive
        wait_painted(page, axis, index)
    assert_painted_as(plane_pixels(page, "z"), labels[centre[0]])
    assert_painted_as(plane_pixels(page, "y"), labels[:, centre[1]])
    assert_painted_as(plane_pixels(page, "x"), labels[:, :, centre[2]])

    # A click on the z plane moves the crosshair: the y and x planes follow.
    canvas = page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="z"] canvas')
    box = canvas.bounding_box()
    y, x = 40, 90
    canvas.click(position={"x": (x + 0.5) * box["width"] / nx, "y": (y + 0.5) * box["height"] / ny})
    expect(page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="y"]')).to_have_attribute("data-index", str(y))
    expect(page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="x"]')).to_have_attribute("data-index", str(x))
    expect(page.locator(f"{VIEW} .jp-remotem-volume-readout")).to_have_text(
        f"z {centre[0]}, y {y}, x {x}: {labels[centre[0], y, x]}")
    wait_painted(page, "y", y)
    assert_painted_as(plane_pixels(page, "y"), labels[:, y])

    # The slider moves the z plane.
    slider = page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="z"] input[type="range"]')
    slider.fill("20")
    expect(page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="z"]')).to_have_attribute("data-index", "20")
    wait_painted(page, "z", 20)
    assert_painted_as(plane_pixels(page, "z"), labels[20])

    # The 3-D pane renders the brick with niivue (WebGL2 is there, through SwiftShader).
    pane = page.locator(f"{VIEW} .jp-remotem-volume-3d")
    expect(pane).to_have_attribute("data-state", "ready", timeout=60_000)
    status = pane.locator(".jp-remotem-volume-3d-status")
    expect(status).to_have_text("box 0:96,0:128,0:128 at blocks of 2×2×2 voxels")  # a 64³ budget
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(VIEW).screenshot(path=str(ARTIFACTS / "volume-view.png"))
    keep_screenshot("volume-view.png")

    # Refined on demand: a 64³ box around the crosshair (z 20, y 40, x 90) at full resolution.
    with page.expect_response(lambda r: "/volume/tomo/segmentation.h5" in r.url and "box=" in r.url) as answered:
        page.locator(f"{VIEW} .jp-remotem-volume-refine").click()
    assert answered.value.status == 200
    expect(status).to_have_text("box 0:64,8:72,58:122 at blocks of 1×1×1 voxels", timeout=60_000)
    expect(pane).to_have_attribute("data-state", "ready", timeout=60_000)
    page.locator(f"{VIEW} .jp-remotem-volume-whole").click()
    expect(status).to_have_text("box 0:96,0:128,0:128 at blocks of 2×2×2 voxels", timeout=60_000)
    # The box's edge is chosen: 32³ at full resolution, or 256³ (here the whole volume, within
    # the 128³ budget of a refined box, so at full resolution too, unlike the overview).
    page.locator(f"{VIEW} .jp-remotem-volume-refine-edge").select_option("32")
    page.locator(f"{VIEW} .jp-remotem-volume-refine").click()
    expect(status).to_have_text("box 4:36,24:56,74:106 at blocks of 1×1×1 voxels", timeout=60_000)
    page.locator(f"{VIEW} .jp-remotem-volume-refine-edge").select_option("256")
    page.locator(f"{VIEW} .jp-remotem-volume-refine").click()
    expect(status).to_have_text("box 0:96,0:128,0:128 at blocks of 1×1×1 voxels", timeout=60_000)
    expect(pane).to_have_attribute("data-state", "ready", timeout=60_000)
    assert not page.errors, page.errors


def test_tomogram_opens_with_grey_levels_and_contrast_limits(page, lab_server, demo_data: Path) -> None:
    import h5py
    from playwright.sync_api import expect

    with h5py.File(demo_data / demo_volume.RECONSTRUCTION) as f:
        volume = f["volume"][()]
    view = open_volume(page, lab_server, demo_volume.RECONSTRUCTION)
    expect(view).to_have_attribute("data-labels", "false")
    low = float(page.locator(f"{VIEW} .jp-remotem-volume-min").input_value())
    high = float(page.locator(f"{VIEW} .jp-remotem-volume-max").input_value())
    nz, ny, nx = volume.shape
    brick = volume.astype(np.float64).reshape(nz // 2, 2, ny // 2, 2, nx // 2, 2).mean(axis=(1, 3, 5))
    # The limits start at the range of the 2×2×2 brick the 3-D pane shows.
    assert (low, high) == (pytest.approx(brick.min(), abs=1e-5), pytest.approx(brick.max(), abs=1e-5))
    wait_painted(page, "z", nz // 2)
    pixels = plane_pixels(page, "z")
    expected = np.round(np.clip((volume[nz // 2] - low) / (high - low), 0, 1) * 255)
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 3] == 255).all()  # grey, opaque
    assert np.abs(pixels[..., 0].astype(int) - expected).max() <= 1
    canvas = page.locator(f'{VIEW} .jp-remotem-volume-pane[data-axis="z"] canvas')
    box = canvas.bounding_box()
    canvas.hover(position={"x": 60.5 * box["width"] / nx, "y": 30.5 * box["height"] / ny})
    text = page.locator(f"{VIEW} .jp-remotem-volume-readout").inner_text()
    assert text.startswith(f"z {nz // 2}, y 30, x 60: ")
    assert float(text.rsplit(": ", 1)[1]) == pytest.approx(float(volume[nz // 2, 30, 60]), rel=1e-4)
    expect(page.locator(f"{VIEW} .jp-remotem-volume-3d")).to_have_attribute("data-state", "ready", timeout=60_000)

    # Another of the server's colour maps paints the planes with its table (GET views).
    menu = page.locator(f"{VIEW} .jp-remotem-volume-colormap")
    expect(menu).to_have_attribute("data-installed", "true")
    menu.select_option("viridis")
    page.wait_for_function(
        """() => { const c = document.querySelector('.jp-RemotemVolume .jp-remotem-volume-pane[data-axis="z"] canvas');
                   const d = c.getContext('2d').getImageData(0, 0, 1, 1).data; return d[0] !== d[1]; }""")
    pixels = plane_pixels(page, "z")[..., :3].astype(int)
    table = render.lut("viridis").astype(int)
    nearest = np.stack([np.abs(pixels - table[np.clip(expected.astype(int) + k, 0, 255)]).sum(axis=-1)
                        for k in (-1, 0, 1)]).min(axis=0)
    assert (nearest == 0).all()  # each pixel is the table's colour of its value (±1 entry for rounding)
    expect(page.locator(f"{VIEW} .jp-remotem-volume-3d")).to_have_attribute("data-state", "ready")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(VIEW).screenshot(path=str(ARTIFACTS / "volume-view-tomogram.png"))
    assert not page.errors, page.errors


def test_without_webgl2_the_slices_work_and_the_3d_pane_says_why(page, lab_server) -> None:
    from playwright.sync_api import expect

    page.add_init_script(
        """const original = HTMLCanvasElement.prototype.getContext;
           HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
             return kind === 'webgl2' ? null : original.call(this, kind, ...rest); };""")
    open_volume(page, lab_server, demo_volume.SEGMENTATION)
    pane = page.locator(f"{VIEW} .jp-remotem-volume-3d")
    expect(pane).to_have_attribute("data-state", "missing", timeout=60_000)
    expect(pane).to_contain_text("No 3-D rendering: This browser offers no WebGL2 context")
    labels = demo_volume.segmentation()
    wait_painted(page, "x", labels.shape[2] // 2)
    assert_painted_as(plane_pixels(page, "x"), labels[:, :, labels.shape[2] // 2])
    assert not page.errors, page.errors


def test_a_registered_volume_dataset_opens_in_the_volume_view_on_double_click(page, lab_server, demo_data) -> None:
    """Registered without a type, the segmentation is guessed a segmented volume (its type
    declares the volume preview), and a double-click opens it here, in label colours."""
    from playwright.sync_api import expect

    folder = f"volume-{uuid.uuid4().hex[:8]}"
    (demo_data / folder).mkdir()
    shutil.copy(demo_data / demo_volume.SEGMENTATION, demo_data / folder / "cells.h5")
    answer = api(lab_server, "POST", "datasets",
                 json={"repository": "demo", "path": f"{folder}/cells.h5", "name": f"cells {folder}"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["type"] == "label-volume"
    sidebar = open_sidebar(page, lab_server)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    sidebar.locator(f'.jp-remotem-tree-item[data-path="{folder}"]').click()
    row = sidebar.locator(f'.jp-remotem-tree-item[data-path="{folder}/cells.h5"]')
    expect(row).to_have_attribute("data-registered", "open", timeout=30_000)
    row.dblclick()
    view = page.locator(f"{VIEW} .jp-remotem-volume:not(.jp-remotem-volume-loading)")
    expect(view).to_have_attribute("data-labels", "true", timeout=60_000)
    expect(page.locator(".jp-RemotemViewer")).to_have_count(0)  # not the dataset viewer
    labels = demo_volume.segmentation()
    wait_painted(page, "z", labels.shape[0] // 2)
    assert_painted_as(plane_pixels(page, "z"), labels[labels.shape[0] // 2])
    assert not page.errors, page.errors


def test_an_unregistered_volume_opens_in_the_volume_view_and_a_scan_in_the_viewer(page, lab_server) -> None:
    """Nothing registered: a double-click asks the server what the file would be — the demo
    tomogram (3-D, calibrated in one length unit) opens here with its grey levels, the 4-D scan
    in the dataset viewer — and asking registers nothing."""
    from playwright.sync_api import expect

    before = api(lab_server, "GET", "datasets").json()["datasets"]
    sidebar = open_tomo_folder(page, lab_server)
    tomogram = sidebar.locator(f'.jp-remotem-tree-item[data-path="{demo_volume.RECONSTRUCTION}"]')
    expect(tomogram).not_to_have_attribute("data-registered", "open")
    tomogram.dblclick()
    view = page.locator(f"{VIEW} .jp-remotem-volume:not(.jp-remotem-volume-loading)")
    expect(view).to_have_attribute("data-labels", "false", timeout=60_000)
    expect(page.locator(".jp-RemotemViewer")).to_have_count(0)
    sidebar.locator('.jp-remotem-tree-item[data-path="scan.h5"]').dblclick()
    expect(page.locator(".jp-RemotemViewer").first).to_be_visible(timeout=60_000)
    expect(page.locator(VIEW)).to_have_count(1)  # the scan did not open a second volume view
    assert api(lab_server, "GET", "datasets").json()["datasets"] == before
    assert not page.errors, page.errors
