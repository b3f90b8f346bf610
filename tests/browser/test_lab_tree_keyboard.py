"""The Remote data tree's keyboard model, as JupyterLab's file browser has it: one tab stop for
the whole tree, arrows move the selection (and the details follow), Right/Left unfold and fold,
Enter opens, Shift+F10 opens the row's menu and Escape gives focus back to the row; and Refresh
keeps what was unfolded and selected."""

from __future__ import annotations

import re

import pytest
from _lab import SIDEBAR, open_sidebar, wait_for_main_area_focus

pytestmark = pytest.mark.browser

ACTIVE_PATH = "() => document.activeElement?.dataset?.path ?? document.activeElement?.className ?? ''"
TAB_STOPS = f"""() => Array.from(document.querySelectorAll('{SIDEBAR} .jp-remotem-repos [tabindex="0"]')).length"""


def _active_path(page) -> str:
    return page.evaluate(ACTIVE_PATH)


def test_keyboard_only_walk_from_the_tree_to_the_viewer(page, lab_server) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    wait_for_main_area_focus(page)
    header = sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header')
    expect(header).to_be_visible()
    assert page.evaluate(TAB_STOPS) == 1

    # One Tab from the toolbar lands in the tree, on its first row.
    sidebar.locator(".jp-remotem-refresh").focus()
    page.keyboard.press("Tab")
    expect(header).to_be_focused()

    # Right unfolds the repository, Right again steps onto its first row.
    page.keyboard.press("ArrowRight")
    expect(sidebar.locator('.jp-remotem-repo[data-repo="demo"]')).to_have_attribute("aria-expanded", "true")
    expect(sidebar.locator('.jp-remotem-tree-item[data-path="scan.h5"]')).to_be_visible(timeout=30_000)
    page.keyboard.press("ArrowRight")
    first = sidebar.locator(".jp-remotem-repo[data-repo='demo'] .jp-remotem-tree-item").first
    expect(first).to_be_focused()

    # Down moves the selection through the files: the details follow each step.
    details = sidebar.locator(".jp-remotem-details")
    for _ in range(40):
        if _active_path(page) == "scan.h5":
            break
        page.keyboard.press("ArrowDown")
        path = _active_path(page)
        row = sidebar.locator(f'.jp-remotem-tree-item[data-path="{path}"]')
        if row.get_attribute("data-kind") != "folder":
            expect(row).to_have_class(re.compile(r"\bjp-mod-selected\b"))
            expect(details.locator(".jp-remotem-details-title")).to_have_text(path.split("/")[-1])
    assert _active_path(page) == "scan.h5"
    assert page.evaluate(TAB_STOPS) == 1, "still one tab stop: the focused row"

    # Up goes back, and the selection with it.
    page.keyboard.press("ArrowUp")
    previous = _active_path(page)
    assert previous != "scan.h5"
    page.keyboard.press("ArrowDown")
    expect(sidebar.locator('.jp-remotem-tree-item[data-path="scan.h5"]')).to_have_class(
        re.compile(r"\bjp-mod-selected\b")
    )

    # Shift+F10 opens the row's menu; Escape closes it and gives focus back to the row.
    page.keyboard.press("Shift+F10")
    menu = page.locator(".lm-Menu.p-Menu, .lm-Menu").first
    expect(menu).to_be_visible()
    expect(menu.locator('[data-command="remotem:open-viewer"]')).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".lm-Menu")).to_have_count(0)
    expect(sidebar.locator('.jp-remotem-tree-item[data-path="scan.h5"]')).to_be_focused()

    # Tab leaves the tree at once (no walk through every row).
    page.keyboard.press("Tab")
    assert page.evaluate(
        f"() => !document.activeElement.closest('{SIDEBAR} .jp-remotem-repos')"
    ), "Tab left the tree"
    page.keyboard.press("Shift+Tab")
    expect(sidebar.locator('.jp-remotem-tree-item[data-path="scan.h5"]')).to_be_focused()

    # Enter opens the dataset in the viewer.
    page.keyboard.press("Enter")
    viewer = page.locator("#jp-main-dock-panel .jp-RemotemViewer:visible")
    expect(viewer).to_be_visible(timeout=60_000)
    expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="scan.h5")).to_have_count(1)
    assert page.errors == []


def test_left_folds_and_steps_to_the_parent(page, lab_server) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    wait_for_main_area_focus(page)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    notes = sidebar.locator('.jp-remotem-tree-item[data-path="notes"]')
    notes.focus()
    page.keyboard.press("ArrowRight")
    expect(notes).to_have_attribute("data-expanded", "true")
    todo = sidebar.locator('.jp-remotem-tree-item[data-path="notes/todo.txt"]')
    expect(todo).to_be_visible(timeout=30_000)
    todo.focus()
    page.keyboard.press("ArrowLeft")
    expect(notes).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(notes).to_have_attribute("data-expanded", "false")
    expect(todo).to_be_hidden()
    page.keyboard.press("Enter")  # Enter on a folder unfolds it
    expect(notes).to_have_attribute("data-expanded", "true")


def test_a_repository_row_has_a_menu(page, lab_server) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    header = sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header')
    header.click(button="right")
    menu = page.locator(".lm-Menu").first
    expect(menu).to_be_visible()
    for command in ("remotem:refresh-folder", "remotem:upload-files", "remotem:new-folder", "remotem:download"):
        expect(menu.locator(f'[data-command="{command}"]')).to_be_visible()
    page.keyboard.press("Escape")
    expect(header).to_be_focused()


def test_refresh_keeps_unfolded_folders_and_the_selection(page, lab_server, demo_data) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    notes = sidebar.locator('.jp-remotem-tree-item[data-path="notes"]')
    notes.click()
    todo = sidebar.locator('.jp-remotem-tree-item[data-path="notes/todo.txt"]')
    todo.click()
    expect(todo).to_have_class(re.compile(r"\bjp-mod-selected\b"))

    (demo_data / "notes" / "added-after.txt").write_text("new\n")
    sidebar.locator(".jp-remotem-refresh").click()
    # The open folder reloads in place: the new file shows without unfolding anything.
    expect(sidebar.locator('.jp-remotem-tree-item[data-path="notes/added-after.txt"]')).to_be_visible(
        timeout=30_000
    )
    expect(sidebar.locator('.jp-remotem-repo[data-repo="demo"]')).to_have_attribute("aria-expanded", "true")
    expect(notes).to_have_attribute("data-expanded", "true")
    expect(todo).to_have_class(re.compile(r"\bjp-mod-selected\b"))
    expect(sidebar.locator(".jp-remotem-details .jp-remotem-details-title")).to_have_text("todo.txt")
