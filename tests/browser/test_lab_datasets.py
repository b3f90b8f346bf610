"""Datasets in a real JupyterLab: a folder is registered from the details panel, shared,
closed (a job recording its files) and verified, with the tree marking it at each step; what
the panel shows is what the API answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _lab import ARTIFACTS, api, keep_screenshot, open_sidebar

pytestmark = pytest.mark.browser

FOLDER = "lab-datasets"


@pytest.fixture(scope="module")
def run_folder(demo_data: Path) -> Path:
    folder = demo_data / FOLDER / "run-7"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("300 kV, tilt 0\n")
    (folder / "frames.bin").write_bytes(bytes(range(256)) * 64)
    (demo_data / FOLDER / "fit.txt").write_text("slope 1.5\n")
    return folder


def test_register_share_close_and_verify_from_the_details_panel(page, lab_server, run_folder) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    sidebar.locator(f'.jp-remotem-tree-item[data-path="{FOLDER}"]').click()
    row = sidebar.locator(f'.jp-remotem-tree-item[data-path="{FOLDER}/run-7"]')
    row.click(button="right")  # a folder's details come with its context menu
    page.keyboard.press("Escape")
    expect(row).to_have_class(re.compile(r"jp-mod-selected"))
    info = sidebar.locator(".jp-remotem-details .jp-remotem-dataset-info")
    expect(info).to_have_attribute("data-registered", "false")

    info.locator(".jp-remotem-register").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input.jp-remotem-dataset-name").fill("Run 7")
    dialog.locator("input.jp-remotem-dataset-description").fill("tilt series, 300 kV")
    dialog.locator(".jp-mod-accept").click()
    expect(info).to_have_attribute("data-registered", "true")
    expect(info.locator('tr[data-key="type"] td')).to_have_text("Folder")
    expect(info.locator('tr[data-key="owner"] td')).to_have_text("tester")
    expect(info.locator('tr[data-key="state"] td')).to_have_text("open")
    expect(row).to_have_attribute("data-registered", "open")
    expect(row.locator(".jp-remotem-dataset-mark")).to_have_text("dataset")

    info.locator(".jp-remotem-share-dataset").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input.jp-remotem-share-readers").fill("bob, carol")
    dialog.locator("input.jp-remotem-share-groups").fill("stem-lab")
    dialog.locator(".jp-mod-accept").click()
    expect(info.locator('tr[data-key="grants"] td')).to_have_text(
        "group stem-lab (read), bob (read), carol (read)")

    info.locator(".jp-remotem-close-dataset").click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    expect(info).to_have_attribute("data-state", "closed", timeout=60_000)
    expect(info.locator('tr[data-key="state"] td')).to_have_text(re.compile(r"^closed \S"))
    expect(info.locator('tr[data-key="verified"] td')).to_have_text(re.compile(r"^intact"))
    expect(row).to_have_attribute("data-registered", "closed")
    expect(info.locator(".jp-remotem-close-dataset")).to_have_count(0)

    (run_folder / "notes.txt").write_text("300 kV, tilt 5\n")  # behind its back
    info.locator(".jp-remotem-verify-dataset").click()
    expect(info.locator('tr[data-key="verified"] td')).to_have_text(re.compile(r"^1 changed"), timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "dataset-details.png"))
    keep_screenshot("dataset-details.png")

    [shown] = api(lab_server, "GET", "datasets", params={"repository": "demo",
                                                                    "path": f"{FOLDER}/run-7"}).json()["datasets"]
    assert (shown["name"], shown["description"], shown["state"]) == ("Run 7", "tilt series, 300 kV", "closed")
    assert shown["verification"]["changed"] == ["notes.txt"]
    assert shown["grants"] == [{"group": "stem-lab", "role": "read"}, {"user": "bob", "role": "read"},
                               {"user": "carol", "role": "read"}]

    # A dataset derived from it is listed with it, and a click shows it in the tree.
    derived = api(lab_server, "POST", "datasets", json={"repository": "demo", "path": f"{FOLDER}/fit.txt",
                                                       "name": "Fit", "parents": [shown["id"]]})
    assert derived.status_code == 201, derived.text
    sidebar.locator(".jp-remotem-refresh").click()
    row.click(button="right")
    page.keyboard.press("Escape")
    link = info.locator('.jp-remotem-lineage[data-kind="children"] .jp-remotem-lineage-node')
    expect(link).to_have_text("Fit")
    link.click()
    fit = sidebar.locator(f'.jp-remotem-tree-item[data-path="{FOLDER}/fit.txt"]')
    expect(fit).to_be_focused()
    expect(fit).to_have_attribute("data-registered", "open")
    assert page.errors == []
