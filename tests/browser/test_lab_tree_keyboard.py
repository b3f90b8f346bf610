"""The Remote data tree's keyboard model, as JupyterLab's file browser has it: one tab stop for
the whole tree, arrows move the selection (and the details follow), Right/Left unfold and fold,
Enter opens, Shift+F10 opens the row's menu and Escape gives focus back to the row; and Refresh
keeps what was unfolded and selected."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from _lab import SIDEBAR, open_sidebar, wait_for_main_area_focus
from _viewer import wait_settled

pytestmark = pytest.mark.browser

ACTIVE_PATH = "() => document.activeElement?.dataset?.path ?? document.activeElement?.className ?? ''"
TAB_STOPS = f"""() => Array.from(document.querySelectorAll('{SIDEBAR} .jp-remotem-repos [tabindex="0"]')).length"""


#: The focused control when it has no accessible name (nothing to read out), else ''.
UNLABELLED_FOCUS = """() => {
  const e = document.activeElement;
  if (!e || !e.matches('button, input, select, textarea')) { return ''; }
  const named = e.getAttribute('aria-label') || e.getAttribute('title') || e.getAttribute('aria-labelledby')
    || (e.labels && e.labels.length) || (e.textContent || '').trim() || e.closest('label');
  return named ? '' : e.outerHTML.slice(0, 160);
}"""


def _active_path(page) -> str:
    return page.evaluate(ACTIVE_PATH)


def test_keyboard_only_walk_from_the_tree_to_a_saved_result(page, lab_server, demo_data) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    wait_for_main_area_focus(page)
    header = sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header')
    expect(header).to_be_visible()
    assert page.evaluate(TAB_STOPS) == 1

    # From the toolbar, Tab walks the search line (the box, Search, Index…; Save search… is
    # disabled while the box is empty) and then lands in the tree, on its first row.
    sidebar.locator(".jp-remotem-refresh").focus()
    page.keyboard.press("Tab")
    expect(sidebar.locator(".jp-remotem-search-input")).to_be_focused()
    page.keyboard.press("Tab")
    expect(sidebar.locator(".jp-remotem-search-run")).to_be_focused()
    page.keyboard.press("Tab")
    expect(sidebar.locator(".jp-remotem-search-index")).to_be_focused()
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

    # Tab through the viewer's labelled controls to "Save…", and save with the keyboard alone.
    selector = '#jp-main-dock-panel .jp-RemotemViewer[data-path="scan.h5"]'
    wait_settled(page, selector)
    page.locator(f"{selector} .jp-remotem-viewer-nav").focus()
    for _ in range(200):
        if page.evaluate("() => document.activeElement?.classList.contains('jp-remotem-viewer-save')"):
            break
        unlabelled = page.evaluate(UNLABELLED_FOCUS)
        assert not unlabelled, f"a control without a name: {unlabelled}"
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Save… is not reachable with Tab")
    page.keyboard.press("Enter")
    dialog = page.locator(".jp-Dialog")
    path_field = dialog.locator(".jp-remotem-save-path")
    expect(path_field).to_be_visible()
    for _ in range(30):
        if page.evaluate("() => document.activeElement?.classList.contains('jp-remotem-save-path')"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("the file name is not reachable with Tab")
    target = f"keyboard-{uuid.uuid4().hex[:6]}.h5"
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(target)
    expect(path_field).to_have_value(target)
    expect(dialog.locator(".jp-remotem-save-exists")).to_have_count(0)
    with page.expect_response(lambda r: r.request.method == "POST" and "/remotem/api/saves" in r.url
                              and "dry_run" not in r.url) as saved:
        page.keyboard.press("Enter")
    assert saved.value.status in (201, 202), saved.value.text()
    assert json.loads(saved.value.request.post_data)["output"]["path"] == target
    expect(dialog).to_have_count(0)
    job = saved.value.json()
    expect(page.locator(f'{selector} .jp-remotem-viewer-job[data-job-id="{job["id"]}"]')).to_have_attribute(
        "data-phase", "COMPLETED", timeout=120_000)
    assert (demo_data / target).stat().st_size > 0
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
    wait_for_main_area_focus(page)  # the start-up Launcher takes focus once: before the menu, not after
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
