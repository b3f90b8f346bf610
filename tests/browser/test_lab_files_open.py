"""Every file useful, in a real JupyterLab: files that are not arrays open in JupyterLab's own
viewers (text in the editor, JSON in the JSON viewer, CSV as a table, pictures as pictures),
their details show what they are, previews fit what the data is, and the tree's glitches
(doubled errors with a useless "Retry", cut-off names, selected text) stay fixed."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from _lab import ARTIFACTS, keep_screenshot, open_sidebar
from PIL import Image

pytestmark = pytest.mark.browser

FOLDER = "lab-files"
LONG_NAME = "tilt_series_of_grain_boundary_B_at_300kV_recorded_overnight_0042.npy"
PICTURE_SIZE = (40, 24)  # width, height


@pytest.fixture(scope="module")
def samples(demo_data: Path) -> Path:
    """Files of every kind beside the demo scans, in a folder of their own."""
    folder = demo_data / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "positions.csv").write_text("y,x,label\n1,2,grain A\n3,4,grain B\n")
    (folder / "settings.json").write_text(json.dumps({"detector": "Merlin", "gain": 12}))
    (folder / "run.log").write_text("acquisition started\nacquisition finished\n")
    picture = np.zeros((PICTURE_SIZE[1], PICTURE_SIZE[0], 3), dtype=np.uint8)
    picture[:, : PICTURE_SIZE[0] // 2] = (255, 64, 0)
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    (folder / "picture.png").write_bytes(buffer.getvalue())
    stack = np.stack([np.add.outer(np.arange(32), np.arange(32)).astype(np.float32)] * 3)
    np.save(folder / "stack.npy", stack)
    np.save(folder / LONG_NAME, stack[0])
    (folder / "garbage.h5").write_bytes(b"not an HDF5 file at all" * 10)
    # Sparse: over the drive's 50 MB limit without writing 60 MB.
    with open(folder / "huge.log", "wb") as f:
        f.truncate(60 * 1024 * 1024)
    return folder


def _open_folder(page, lab_server, expect):
    sidebar = open_sidebar(page, lab_server)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    folder = sidebar.locator(f'.jp-remotem-tree-item[data-path="{FOLDER}"]')
    folder.click()
    expect(folder).to_have_attribute("data-expanded", "true")
    expect(sidebar.locator(f'.jp-remotem-tree-item[data-path="{FOLDER}/run.log"]')).to_be_visible(timeout=30_000)
    return sidebar


def _row(sidebar, path: str):
    return sidebar.locator(f'.jp-remotem-tree-item[data-path="{path}"]')


def _open(sidebar, path: str, expect) -> None:
    """Select a row, then double-click it: the first selection brings the details panel in,
    which takes part of the sidebar (and the row is scrolled back into sight)."""
    row = _row(sidebar, path)
    row.click()
    expect(sidebar.locator(".jp-remotem-details .jp-remotem-details-title")).to_have_text(path.split("/")[-1])
    row.dblclick()


def _current_tab_label(page):
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel")


def test_text_json_csv_and_pictures_open_in_jupyterlab_viewers(page, lab_server, samples) -> None:
    from playwright.sync_api import expect

    sidebar = _open_folder(page, lab_server, expect)

    # README.txt: the editor, with the file's text, read-only.
    _open(sidebar, "README.txt", expect)
    editor = page.locator("#jp-main-dock-panel .jp-FileEditor:visible")
    expect(editor).to_contain_text("jupyter_remotem demo data", timeout=30_000)
    expect(_current_tab_label(page)).to_have_text("README.txt")
    page.screenshot(path=str(ARTIFACTS / "lab-text-file.png"))
    keep_screenshot("lab-text-file.png")

    # A log: the editor too.
    _open(sidebar, f"{FOLDER}/run.log", expect)
    expect(page.locator("#jp-main-dock-panel .jp-FileEditor:visible")).to_contain_text("acquisition finished")

    # JSON: the JSON viewer, with its keys.
    _open(sidebar, f"{FOLDER}/settings.json", expect)
    json_view = page.locator("#jp-main-dock-panel .jp-RenderedJSON:visible")
    expect(json_view).to_contain_text("detector", timeout=30_000)
    expect(json_view).to_contain_text("Merlin")

    # CSV: the table viewer (a data grid with its delimiter toolbar).
    csv_path = f"/download/{FOLDER}/positions.csv"
    with page.expect_response(lambda r: urlparse(r.url).path.endswith(csv_path)) as answer:
        _open(sidebar, f"{FOLDER}/positions.csv", expect)
    assert answer.value.status == 200
    table = page.locator("#jp-main-dock-panel .jp-CSVViewer:visible")
    expect(table).to_be_visible(timeout=30_000)
    expect(page.locator("#jp-main-dock-panel .jp-CSVDelimiter:visible")).to_have_count(1)
    expect(_current_tab_label(page)).to_have_text("positions.csv")
    # The grid draws on a canvas: its rows came from that one read through the drive.
    assert answer.value.body() == (samples / "positions.csv").read_bytes()

    # PNG: the image viewer draws the picture itself, not the dataset viewer.
    _open(sidebar, f"{FOLDER}/picture.png", expect)
    image = page.locator("#jp-main-dock-panel .jp-ImageViewer:visible img")
    expect(image).to_be_visible(timeout=30_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == list(PICTURE_SIZE)
    expect(page.locator(".jp-RemotemViewer")).to_have_count(0)
    assert page.errors == []


def test_a_huge_file_is_refused_with_a_way_out(page, lab_server, samples) -> None:
    from playwright.sync_api import expect

    sidebar = _open_folder(page, lab_server, expect)
    _open(sidebar, f"{FOLDER}/huge.log", expect)
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("not opened in the page", timeout=30_000)
    expect(dialog).to_contain_text("60.0 MiB")
    dialog.locator(".jp-mod-accept, .jp-mod-reject").first.click()


def test_a_text_file_shows_its_details_and_properties_as_a_tree(page, lab_server, samples) -> None:
    from playwright.sync_api import expect

    sidebar = _open_folder(page, lab_server, expect)
    readme = _row(sidebar, "README.txt")
    readme.click()
    expect(readme).to_have_class(re.compile(r"\bjp-mod-selected\b"))
    details = sidebar.locator(".jp-remotem-details")
    expect(details.locator('.jp-remotem-meta-table tr[data-key="kind"] td')).to_have_text("Text")
    size = os.path.getsize(samples.parent / "README.txt")
    shown = f"{size} B" if size < 1024 else f"{size / 1024:.2f} KiB"  # the demo's README is about 1 KiB
    expect(details.locator('.jp-remotem-meta-table tr[data-key="size"] td')).to_have_text(shown)
    expect(details.locator('.jp-remotem-meta-table tr[data-key="modified"] td')).not_to_be_empty()
    expect(details.locator(".jp-remotem-open-file")).to_have_text("Open")
    # No metadata request for a file that is not an array: nothing to fail, nothing twice.
    expect(details.locator(".jp-remotem-error")).to_have_count(0)

    tree = details.locator(".jp-remotem-metatree")
    expect(tree.locator('[data-id="/name"] .jp-remotem-meta-value')).to_have_text("README.txt")
    tree.locator(".jp-remotem-metatree-filter").fill("txt")
    expect(tree.locator("mark").first).to_have_text("txt")
    expect(tree.locator('[data-id="/size"]')).to_have_count(0)  # filtered out
    details.screenshot(path=str(ARTIFACTS / "lab-file-details.png"))
    keep_screenshot("lab-file-details.png")

    # The Open button opens it where double-click does.
    details.locator(".jp-remotem-open-file").click()
    expect(_current_tab_label(page)).to_have_text("README.txt", timeout=30_000)


def test_a_picture_shows_a_thumbnail_in_its_details(page, lab_server, samples) -> None:
    from playwright.sync_api import expect

    sidebar = _open_folder(page, lab_server, expect)
    _row(sidebar, f"{FOLDER}/picture.png").click()
    details = sidebar.locator(".jp-remotem-details")
    expect(details.locator('.jp-remotem-meta-table tr[data-key="kind"] td')).to_have_text("Picture")
    thumbnail = details.locator(".jp-remotem-thumbnail img")
    expect(thumbnail).to_be_visible(timeout=30_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())


def test_a_stack_of_images_previews_as_images_without_virtual_detectors(page, lab_server, samples) -> None:
    from playwright.sync_api import expect

    sidebar = _open_folder(page, lab_server, expect)
    _row(sidebar, f"{FOLDER}/stack.npy").click()
    details = sidebar.locator(".jp-remotem-details")
    kinds = details.locator(".jp-remotem-kind")
    expect(kinds).to_have_count(2, timeout=60_000)
    assert kinds.evaluate_all("buttons => buttons.map(b => b.dataset.kind)") == ["first", "middle"]
    image = details.locator(".jp-remotem-preview img")
    expect(image).to_have_attribute("data-kind", "first", timeout=60_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    # Not a black square: the drawn picture has structure.
    spread = image.evaluate(
        """img => { const c = document.createElement('canvas'); c.width = img.naturalWidth;
        c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data; let lo = 255, hi = 0;
        for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
        return hi - lo; }"""
    )
    assert spread > 100, spread


def test_an_unsupported_file_shows_one_error_and_no_retry(page, lab_server, samples) -> None:
    from playwright.sync_api import expect

    sidebar = _open_folder(page, lab_server, expect)
    _row(sidebar, f"{FOLDER}/garbage.h5").click()
    details = sidebar.locator(".jp-remotem-details")
    expect(details.locator(".jp-remotem-error")).to_have_count(1, timeout=30_000)
    expect(details.locator(".jp-remotem-error")).to_have_attribute("data-code", "unreadable_file")
    expect(details.locator(".jp-remotem-retry")).to_have_count(0)
    expect(details.locator(".jp-remotem-preview")).to_have_count(0)


def test_long_names_keep_their_end_and_the_size_column(page, lab_server, samples) -> None:
    from playwright.sync_api import expect

    sidebar = _open_folder(page, lab_server, expect)
    row = _row(sidebar, f"{FOLDER}/{LONG_NAME}")
    name = row.locator(".jp-remotem-name")
    expect(name).to_have_attribute("title", LONG_NAME)
    expect(row.locator(".jp-remotem-name-tail")).to_have_text(LONG_NAME[-10:])
    size = row.locator(".jp-remotem-size")
    expect(size).to_have_text("4.13 KiB")
    tree_box = sidebar.locator(".jp-remotem-browser").bounding_box()
    size_box = size.bounding_box()
    tail_box = row.locator(".jp-remotem-name-tail").bounding_box()
    assert size_box["x"] + size_box["width"] <= tree_box["x"] + tree_box["width"] + 1, (size_box, tree_box)
    assert tail_box["x"] + tail_box["width"] <= size_box["x"] + 1, "the name's end is not hidden under the size"

    # Double-clicking a name opens it without selecting its text.
    folder = _row(sidebar, FOLDER)
    folder.locator(".jp-remotem-name").dblclick()
    assert page.evaluate("() => window.getSelection().toString()") == ""
