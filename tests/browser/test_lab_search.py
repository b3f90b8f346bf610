"""The catalog in the Remote data sidebar, in a real JupyterLab: search by text, facets,
syntax errors with their caret, tags from the details panel, saved searches, indexing."""

from __future__ import annotations

import re
import secrets
import time

import pytest
from _lab import ARTIFACTS, SIDEBAR, api, keep_screenshot, open_sidebar, widen_left_area

pytestmark = pytest.mark.browser

HITS = f"{SIDEBAR} .jp-remotem-search-hit"
INDEX_TIMEOUT = 120.0


def index_demo(server) -> dict:
    """Index the demo repository through the API and wait for its job to finish."""
    response = api(server, "POST", "search/index", json={"repository": "demo", "path": ""})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["kind"] == "index", job
    deadline = time.monotonic() + INDEX_TIMEOUT
    while job["phase"] not in ("COMPLETED", "ERROR", "ABORTED"):
        assert time.monotonic() < deadline, f"index job still {job['phase']} after {INDEX_TIMEOUT} s"
        # Short back-off between polls of a deadline-bounded wait (not a fixed sleep).
        time.sleep(0.2)
        job = api(server, "GET", f"jobs/{job['id']}").json()
    assert job["phase"] == "COMPLETED", job
    return job


def search(page, text: str, found: bool = True) -> None:
    """Search for `text` from the box; with `found`, wait until its results are the ones
    shown (not those of the search before)."""
    from playwright.sync_api import expect

    box = page.locator(f"{SIDEBAR} .jp-remotem-search-input")
    box.fill(text)
    box.press("Enter")
    if found:
        expect(page.locator(f"{SIDEBAR} .jp-remotem-search-results")).to_have_attribute("data-query", text)


def test_search_lists_narrows_and_explains_a_query_that_does_not_read(page, lab_server) -> None:
    from playwright.sync_api import expect

    index_demo(lab_server)
    sidebar = open_sidebar(page, lab_server)
    widen_left_area(page, 160)

    # By path: other tests of the session copy these files into folders of the same repository.
    search(page, "path:scan.npy OR path:scan.mib")
    hits = page.locator(HITS)
    expect(hits).to_have_count(2)
    expect(page.locator(f'{HITS}[data-path="scan.npy"]')).to_be_visible()
    expect(page.locator(f'{HITS}[data-path="scan.mib"]')).to_be_visible()
    total = sidebar.locator(".jp-remotem-search-total")
    expect(total).to_have_attribute("data-total", "2")
    expect(total).to_have_text("2 entries")
    # Each row names where it is and what it is.
    npy = page.locator(f'{HITS}[data-path="scan.npy"]')
    expect(npy.locator(".jp-remotem-search-hit-repository")).to_have_text("demo")
    expect(npy.locator(".jp-remotem-search-hit-format")).to_have_text("npy")
    expect(npy.locator(".jp-remotem-search-hit-shape")).to_have_text(re.compile(r"^\d+( × \d+)+$"))

    # The format facet counts one of each; its chip narrows the query to that format.
    chips = sidebar.locator('.jp-remotem-search-facet[data-facet="format"] .jp-remotem-search-chip')
    expect(chips).to_have_count(2)
    mib = chips.and_(page.locator('[data-value="mib"]'))
    expect(mib.locator(".jp-remotem-search-chip-count")).to_have_text("1")
    sidebar.screenshot(path=str(ARTIFACTS / "search.png"))
    keep_screenshot("search.png")
    mib.click()
    narrowed = "(path:scan.npy OR path:scan.mib) AND format:mib"
    expect(sidebar.locator(".jp-remotem-search-input")).to_have_value(narrowed)
    expect(sidebar.locator(".jp-remotem-search-results")).to_have_attribute("data-query", narrowed)
    expect(hits).to_have_count(1)
    expect(hits.first).to_have_attribute("data-path", "scan.mib")
    expect(total).to_have_attribute("data-total", "1")

    # A query that does not read: the server's message, caret under where it stopped.
    search(page, "name:(", found=False)
    message = sidebar.locator(".jp-remotem-search-error-message")
    expect(message).to_contain_text("Cannot read the query at character 6")
    lines = message.inner_text().split("\n")
    assert [line.rstrip() for line in lines[1:]] == ["name:(", "     ^"], lines
    expect(hits).to_have_count(0)
    expect(sidebar.locator(".jp-remotem-search-error .jp-remotem-error-hint")).to_contain_text("AND, OR, NOT")

    # Nothing found: the list says so and offers to index.
    search(page, "name:no-such-file.xyz")
    expect(sidebar.locator(".jp-remotem-search-error")).to_have_count(0)
    expect(total).to_have_attribute("data-total", "0")
    expect(sidebar.locator(".jp-remotem-search-empty")).to_contain_text("indexed")
    expect(hits).to_have_count(0)
    assert page.errors == [], page.errors


def test_a_tag_from_the_details_is_found_and_a_saved_search_runs_from_the_list(page, lab_server) -> None:
    from playwright.sync_api import expect

    index_demo(lab_server)
    sidebar = open_sidebar(page, lab_server)
    tag = f"focus-{secrets.token_hex(3)}"

    # The results take the tree's place; a click on a hit selects the file, whose details
    # hold the tags and notes.
    search(page, "format:npy")
    hit = page.locator(f'{HITS}[data-path="scan.npy"]')
    hit.click()
    expect(sidebar.locator(".jp-remotem-browser")).to_be_hidden()
    expect(sidebar.locator(".jp-remotem-details .jp-remotem-details-title")).to_have_text("scan.npy")
    editor = page.locator('[id="jupyter-remotem:sidebar"] .jp-remotem-details .jp-remotem-annotations')
    expect(editor).to_be_visible()
    expect(editor.locator(".jp-remotem-annotation-add")).to_be_disabled()
    editor.locator("input.jp-remotem-annotation-value").fill(tag)
    editor.locator(".jp-remotem-annotation-add").click()
    added = editor.locator(f'.jp-remotem-annotation[data-kind="tag"][data-value="{tag}"]')
    expect(added).to_be_visible()
    expect(added.locator(".jp-remotem-annotation-who")).to_have_text("tester · private")
    expect(added.locator(".jp-remotem-annotation-delete")).to_be_visible()

    # The tag finds the file, and counts in the tag facet.
    search(page, f"tag:{tag}")
    expect(page.locator(HITS)).to_have_count(1)
    expect(page.locator(HITS).first).to_have_attribute("data-path", "scan.npy")
    tag_chip = sidebar.locator(f'.jp-remotem-search-facet[data-facet="tag"] [data-value="{tag}"]')
    expect(tag_chip.locator(".jp-remotem-search-chip-count")).to_have_text("1")

    # Saved for the group, it is listed; after another search, a click runs it again.
    name = f"tagged {tag}"
    sidebar.locator(".jp-remotem-search-save").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator(".jp-remotem-save-search-query")).to_have_text(f"tag:{tag}")
    dialog.locator(".jp-remotem-save-search-name").fill(name)
    dialog.locator("select.jp-remotem-save-search-visibility").select_option("group")
    expect(dialog.locator(".jp-remotem-save-search-group")).to_have_value("stem-lab")
    dialog.locator(".jp-mod-accept").click()
    expect(dialog).to_have_count(0)
    saved = sidebar.locator(f'.jp-remotem-saved[data-name="{name}"]')
    expect(saved.locator(".jp-remotem-saved-who")).to_have_text("shared with stem-lab by tester")
    search(page, "format:mib")
    expect(page.locator(HITS).first).to_have_attribute("data-path", "scan.mib")
    saved.locator(".jp-remotem-saved-run").click()
    expect(sidebar.locator(".jp-remotem-search-input")).to_have_value(f"tag:{tag}")
    expect(sidebar.locator(".jp-remotem-search-results")).to_have_attribute("data-query", f"tag:{tag}")
    expect(page.locator(HITS)).to_have_count(1)
    expect(page.locator(HITS).first).to_have_attribute("data-path", "scan.npy")

    # Deleting the tag and the saved search: gone from the file, the search and the list.
    added.locator(".jp-remotem-annotation-delete").click()
    expect(added).to_have_count(0)
    saved.locator(".jp-remotem-saved-delete").click()
    expect(saved).to_have_count(0)
    search(page, f"tag:{tag}")
    expect(sidebar.locator(".jp-remotem-search-total")).to_have_attribute("data-total", "0")

    # Closing the results brings the tree back, the file found selected in it.
    sidebar.locator(".jp-remotem-search-close").click()
    expect(page.locator(HITS)).to_have_count(0)
    expect(sidebar.locator('.jp-remotem-tree-item[data-path="scan.npy"].jp-mod-selected')).to_be_visible()
    assert page.errors == [], page.errors


def test_index_button_starts_an_index_job_of_the_selected_repository(page, lab_server) -> None:
    from playwright.sync_api import expect

    sidebar = open_sidebar(page, lab_server)
    expect(sidebar.locator('.jp-remotem-repo[data-repo="demo"]')).to_be_visible()
    # Index jobs of earlier tests in this lab may still be listed: this test's is the new one.
    earlier = {j["id"] for j in api(lab_server, "GET", "jobs").json()["jobs"] if j["kind"] == "index"}
    sidebar.locator(".jp-remotem-search-index").click()
    dialog = page.locator(".jp-Dialog")
    choice = dialog.locator("select.jp-remotem-index-repository")
    expect(choice).to_be_visible()
    choice.select_option("demo")
    dialog.locator(".jp-mod-accept").click()
    new = '.jp-remotem-job[data-kind="index"]' + "".join(f':not([data-job-id="{i}"])' for i in earlier)
    job = sidebar.locator(new).first
    expect(job).to_be_visible()
    expect(job).to_have_attribute("data-phase", "COMPLETED", timeout=INDEX_TIMEOUT * 1000)
    jobs = api(lab_server, "GET", "jobs").json()["jobs"]
    indexed = [j for j in jobs if j["kind"] == "index" and j["id"] == job.get_attribute("data-job-id")]
    assert indexed and indexed[0]["request"]["repository"] == "demo", indexed
    assert page.errors == [], page.errors
