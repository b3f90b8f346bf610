"""Saving that helps, in a real JupyterLab: a picked frame is saved at once (no job to wait
for), a taken name is said before submitting with "Replace" and a free name, the repository
and folder of the last save are offered again (also after a reload), and choosing another
Result renames the file."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlparse

import pytest
from _lab import ARTIFACTS, keep_screenshot
from _viewer import open_scan_from_tree

pytestmark = pytest.mark.browser


def is_save(request) -> bool:
    return request.method == "POST" and urlparse(request.url).path.endswith("/remotem/api/saves")


def test_save_a_picked_frame_warn_before_replacing_and_remember_the_folder(page, lab_server, demo_data) -> None:
    from PIL import Image
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    page.locator(f"{viewer} .jp-remotem-viewer-save").click()
    dialog = page.locator(".jp-Dialog")
    path = dialog.locator(".jp-remotem-save-path")
    # Choosing the frame renames the suggestion (it named the navigation image).
    before = path.input_value()
    dialog.locator(".jp-remotem-save-what").select_option("frame")
    expect(path).not_to_have_value(before)
    assert "frame-x" in path.input_value(), path.input_value()
    dialog.locator(".jp-remotem-save-format").select_option("png")
    dialog.locator(".jp-remotem-save-repository").select_option("demo")
    folder = f"saved-{uuid.uuid4().hex[:6]}/"
    name = "pick.png"
    path.fill(folder + name)
    dialog.locator(".jp-remotem-save-size").fill("300")
    dialog.locator(".jp-remotem-save-colourbar").check()
    expect(dialog.locator(".jp-remotem-save-exists")).to_have_count(0)
    with page.expect_response(lambda r: is_save(r.request) and "dry_run" not in r.url) as saved:
        dialog.locator(".jp-mod-accept").click()
    assert saved.value.status == 201, saved.value.text()
    job = saved.value.json()
    assert job["direct"] is True and job["phase"] == "COMPLETED" and job["request"]["operation"] == "pick"
    body = json.loads(saved.value.request.post_data)
    assert body["view"]["picture"] == {"size": 300, "scaleBar": True, "colourBar": True}
    with Image.open(demo_data / folder / name) as picture:
        assert picture.size[1] == 300 and picture.size[0] > 300, "a 300 px frame and its colour bar"
    expect(page.locator(f'{viewer} .jp-remotem-viewer-job[data-job-id="{job["id"]}"]')).to_have_attribute(
        "data-phase", "COMPLETED")

    def open_dialog():
        page.locator(f"{viewer} .jp-remotem-viewer-save").click()
        expect(dialog.locator(".jp-remotem-save-repository")).to_have_value("demo")
        expect(dialog.locator(".jp-remotem-save-path")).to_have_value(
            __import__("re").compile("^" + folder))

    # Again: the same repository and folder are offered; the taken name is said before submitting.
    open_dialog()
    dialog.locator(".jp-remotem-save-what").select_option("frame")
    dialog.locator(".jp-remotem-save-format").select_option("png")
    path.fill(folder + name)
    warning = dialog.locator(".jp-remotem-save-exists")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("pick.png")
    expect(dialog.locator(".jp-remotem-save-free")).to_have_text("Save as pick-1.png")
    dialog.locator(".jp-Dialog-content").screenshot(path=str(ARTIFACTS / "viewer-save-exists.png"))
    keep_screenshot("viewer-save-exists.png")
    dialog.locator(".jp-remotem-save-replace").click()
    expect(warning).to_have_count(0)
    expect(dialog.locator(".jp-remotem-save-replacing")).to_be_visible()
    with page.expect_response(lambda r: is_save(r.request) and "dry_run" not in r.url) as replaced:
        dialog.locator(".jp-mod-accept").click()
    assert replaced.value.status == 201, replaced.value.text()
    assert json.loads(replaced.value.request.post_data)["output"]["overwrite"] is True

    # The free name, taken with one click.
    open_dialog()
    dialog.locator(".jp-remotem-save-format").select_option("png")
    path.fill(folder + name)
    dialog.locator(".jp-remotem-save-free").click()
    expect(path).to_have_value(folder + "pick-1.png")
    expect(dialog.locator(".jp-remotem-save-exists")).to_have_count(0)
    dialog.locator(".jp-mod-reject").click()

    # After a reload the folder is still the last one.
    page.reload()
    viewer = open_scan_from_tree(page, lab_server)
    open_dialog()
    dialog.locator(".jp-mod-reject").click()
    assert page.errors == []
