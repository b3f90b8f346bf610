"""The Remote data sidebar in a real JupyterLab, driven through Debian's chromium."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from _lab import ARTIFACTS, SIDEBAR, keep_screenshot, open_sidebar, run_from_palette, widen_left_area

pytestmark = pytest.mark.browser

# True once the preview image (with the given src, if any) has loaded and decoded.
PREVIEW_LOADED = """(src) => {
  const img = document.querySelector('[id="jupyter-remotem:sidebar"] .jp-remotem-preview img');
  return !!img && (src === null || img.getAttribute('src') === src)
    && img.complete && img.naturalWidth > 0;
}"""


def find_dataset(sidebar, expect):
    """Expand folders until a dataset row shows; prefer the demo's scan.h5, then any HDF5
    (they hold several internal arrays)."""
    tree = sidebar.locator(".jp-remotem-browser")
    expect(tree.locator(".jp-remotem-tree-item").first).to_be_visible(timeout=30_000)
    for _ in range(10):
        expect(tree.locator(".jp-remotem-loading")).to_have_count(0, timeout=30_000)
        datasets = tree.locator('.jp-remotem-tree-item[data-kind="dataset"]:visible')
        if datasets.count():
            for preferred in ('[data-path$="scan.h5"]', '[data-format="hdf5"]'):
                rows = tree.locator(f'.jp-remotem-tree-item[data-kind="dataset"]{preferred}:visible')
                if rows.count():
                    return rows.first
            return datasets.first
        closed = tree.locator('.jp-remotem-tree-item[data-kind="folder"][data-expanded="false"]')
        if not closed.count():
            break
        closed.first.click()
    pytest.fail("no dataset found in the demo repository")


def test_sidebar_browses_demo_repository_and_previews_a_scan(page, lab_server) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)

    # The repository, its description and its traffic light.
    repo = sidebar.locator('.jp-remotem-repo[data-repo="demo"]')
    expect(repo).to_be_visible()
    expect(repo.locator(".jp-remotem-repo-description")).to_have_text("Demo scans")
    speed = repo.locator(".jp-remotem-speed")
    expect(speed).to_have_attribute("data-speed", re.compile(r"^(green|yellow|red|unknown)$"))
    expect(speed).to_have_attribute("title", re.compile(r"\S"))

    # Expand it from the keyboard: rows are focusable, Enter toggles.
    header = repo.locator(".jp-remotem-repo-header")
    header.focus()
    page.keyboard.press("Enter")
    expect(repo).to_have_attribute("aria-expanded", "true")
    expect(repo.locator(".jp-remotem-tree-item").first).to_be_visible(timeout=30_000)

    # Rows show a size and a format badge.
    row = find_dataset(sidebar, expect)
    expect(row.locator(".jp-remotem-format")).to_have_text(re.compile(r"\w+"))
    expect(row.locator(".jp-remotem-size")).to_have_text(re.compile(r"\d+(\.\d+)? [KMGT]?i?B"))

    # Select it with Space: metadata and a preview appear.
    row.focus()
    page.keyboard.press(" ")
    expect(row).to_have_class(re.compile(r"\bjp-mod-selected\b"))
    details = sidebar.locator(".jp-remotem-details")
    shape = details.locator('.jp-remotem-meta-table tr[data-key="shape"] td')
    expect(shape).to_have_text(re.compile(r"^\d+( × \d+){2,}$"), timeout=60_000)
    expect(details.locator('.jp-remotem-meta-table tr[data-key="dtype"] td')).not_to_be_empty()

    image = details.locator(".jp-remotem-preview img")
    expect(image).to_have_attribute("data-kind", "bf", timeout=60_000)
    image.wait_for(state="visible")
    page.wait_for_function(PREVIEW_LOADED, arg=None)
    bf_src = image.get_attribute("src")
    assert bf_src and bf_src.startswith("blob:")
    assert image.evaluate("img => img.naturalWidth") > 0

    # The file's metadata is a tree whose branches open and close.
    branch = details.locator(".jp-remotem-metatree .jp-remotem-meta-branch").first
    expect(branch).to_be_visible()
    opened = branch.get_attribute("aria-expanded")
    branch.click()
    expect(branch).not_to_have_attribute("aria-expanded", opened)

    # Another preview kind: a new PNG replaces the old image and loads.
    adf = details.locator('.jp-remotem-kind[data-kind="adf"]')
    with page.expect_response(lambda r: "/preview/" in r.url and "kind=adf" in r.url) as answer:
        adf.click()
    response = answer.value
    assert response.status == 200
    expect(adf).to_have_attribute("aria-checked", "true")
    expect(image).to_have_attribute("data-kind", "adf", timeout=60_000)
    expect(details.locator(".jp-remotem-preview")).to_have_attribute("aria-busy", "false")
    adf_src = image.get_attribute("src")
    assert adf_src and adf_src != bf_src
    page.wait_for_function(PREVIEW_LOADED, arg=adf_src)

    # Nothing in the panel reported an error, and the page threw nothing.
    expect(sidebar.locator(".jp-remotem-error")).to_have_count(0)
    assert page.errors == []

    # Widen the sidebar (the date column appears) and record it.
    widen_left_area(page, 160)
    expect(sidebar.locator(".jp-remotem-tree-item .jp-remotem-date").first).to_be_visible()
    page.wait_for_function(PREVIEW_LOADED, arg=adf_src)
    details.evaluate("node => { node.scrollTop = 0; }")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab.png"))
    sidebar.screenshot(path=str(ARTIFACTS / "sidebar.png"))
    keep_screenshot("sidebar.png")

    # The preview is served as a PNG. (jupyter_server's APIHandler.finish() forces
    # application/json unless the handler passes set_content_type="image/png".)
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("image/png"), f"preview answered Content-Type {content_type!r}"


def test_sidebar_shows_server_error_with_hint_and_recovers_on_retry(page, lab_server) -> None:
    from playwright.sync_api import expect

    refusal = {
        "error": {
            "code": "too_expensive",
            "message": "This preview would read 12.0 GiB.",
            "hint": "Submit it as a job instead.",
        }
    }
    pattern = "**/remotem/api/repositories/demo/preview/**"
    page.route(pattern, lambda route: route.fulfill(status=422, json=refusal))

    sidebar = open_sidebar(page, lab_server)
    repo = sidebar.locator('.jp-remotem-repo[data-repo="demo"]')
    repo.locator(".jp-remotem-repo-header").click()
    find_dataset(sidebar, expect).click()

    preview = sidebar.locator(".jp-remotem-preview")
    expect(preview.locator(".jp-remotem-error-message")).to_have_text(refusal["error"]["message"])
    expect(preview.locator(".jp-remotem-error-hint")).to_have_text(refusal["error"]["hint"])
    expect(preview.locator("img")).to_have_count(0)
    # The metadata still shows: one refusal does not blank the panel.
    expect(sidebar.locator('.jp-remotem-meta-table tr[data-key="shape"] td')).not_to_be_empty()

    page.unroute(pattern)
    preview.locator(".jp-remotem-retry").click()
    expect(preview.locator(".jp-remotem-error")).to_have_count(0)
    page.wait_for_function(PREVIEW_LOADED, arg=None)


def test_command_palette_opens_the_sidebar(page, lab_server) -> None:
    from playwright.sync_api import expect

    page.goto(lab_server.lab_url())
    page.locator("#jp-main-dock-panel").wait_for(state="visible", timeout=60_000)
    expect(page.locator(SIDEBAR)).to_be_hidden()
    run_from_palette(page, "Open Remote Data Sidebar", "remotem:open-sidebar")
    expect(page.locator(SIDEBAR)).to_be_visible()
    expect(page.locator(f'{SIDEBAR} .jp-remotem-repo[data-repo="demo"]')).to_be_visible()


def test_choosing_an_internal_array_refetches_metadata_and_preview(page, lab_server) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
    find_dataset(sidebar, expect).click()
    details = sidebar.locator(".jp-remotem-details")
    select = details.locator(".jp-remotem-array-select select")
    if not select.count():
        select.wait_for(state="visible", timeout=30_000)
    array_row = details.locator('.jp-remotem-meta-table tr[data-key="dataset"] td')
    expect(array_row).not_to_be_empty(timeout=60_000)
    page.wait_for_function(PREVIEW_LOADED, arg=None)
    first = array_row.inner_text()
    shape = details.locator('.jp-remotem-meta-table tr[data-key="shape"] td').inner_text()
    options = [o for o in select.locator("option").evaluate_all("os => os.map(o => o.value)") if o]
    assert len(options) >= 2 and first in options, (first, options)
    other = next(o for o in options if o != first)

    with page.expect_request(
        lambda r: "/meta/" in r.url and "dataset=" in r.url
    ) as meta_request, page.expect_request(
        lambda r: "/preview/" in r.url and "dataset=" in r.url
    ) as preview_request:
        select.select_option(other)
    assert f"dataset={quote(other, safe='')}" in meta_request.value.url
    assert f"dataset={quote(other, safe='')}" in preview_request.value.url
    expect(array_row).to_have_text(other)
    expect(details.locator('.jp-remotem-meta-table tr[data-key="shape"] td')).not_to_have_text(shape)
    # Whatever the server makes of this array, the panel settles: an image or a message.
    expect(details.locator(".jp-remotem-preview")).to_have_attribute("aria-busy", "false", timeout=60_000)

    select.select_option(first)
    expect(array_row).to_have_text(first)
    expect(details.locator('.jp-remotem-meta-table tr[data-key="shape"] td')).to_have_text(shape)
    expect(details.locator(".jp-remotem-preview")).to_have_attribute("aria-busy", "false", timeout=60_000)
    page.wait_for_function(PREVIEW_LOADED, arg=None)
