""""Add storage…" in a real JupyterLab: a WebDAV folder of the user's own (the wsgidav server of
tests/conftest.py, with a user and a password) added through the dialog the server's declaration
of the protocol builds, its connection tested (a wrong password is refused in the dialog, with the
server's message and hint) before it may be saved, then shown in the tree without a reload, opened,
and removed from its context menu.  The password never comes back in an answer of the API.

Then an SFTP server (tests/_sftp_server.py) whose host key nobody confirmed yet: the test shows the
key and its fingerprint, "Trust this key" puts it in ``host_key`` and tests again, which passes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _lab import ARTIFACTS, SIDEBAR, api, keep_screenshot, open_sidebar
from _services import SFTP_PASSWORD, SFTP_USER, WEBDAV_PASSWORD, WEBDAV_USER, SftpServer, sftp_server

pytestmark = pytest.mark.browser

DIALOG = ".jp-Dialog"


@pytest.fixture(scope="module")
def sftp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    """An SFTP server on loopback over a folder ``lab`` with one file."""
    root = tmp_path_factory.mktemp("sftp-root")
    (root / "lab").mkdir()
    (root / "lab" / "notes.txt").write_text("scans of the week\n")
    with sftp_server(root, Path(tmp_path_factory.mktemp("sftp-work"))) as server:
        yield server


def test_add_a_webdav_storage_remove_it_and_trust_an_sftp_host_key(page, lab_server, webdav_url, sftp) -> None:
    from playwright.sync_api import expect

    name = f"cloud-{uuid.uuid4().hex[:6]}"
    sidebar = open_sidebar(page, lab_server)
    sidebar.locator(".jp-remotem-add-storage").click()
    form = page.locator(f"{DIALOG} .jp-remotem-storage-form")
    form.locator('select[name="protocol"]').select_option("webdav")

    # The fields are those the server declares for WebDAV; the password is masked.
    declared = {p["name"]: p for p in api(lab_server, "GET", "storage/protocols").json()["protocols"]}["webdav"]
    shown = form.locator("[name^='options.'], [name^='secrets.']").evaluate_all("els => els.map(e => e.name)")
    assert shown == [f"options.{o}" for o in declared["options"]] + [f"secrets.{s}" for s in declared["secrets"]]
    expect(form.locator('input[name="secrets.password"]')).to_have_attribute("type", "password")

    form.locator('input[name="name"]').fill(name)
    form.locator('input[name="url"]').fill("webdav://group")
    form.locator('input[name="options.base_url"]').fill(webdav_url)
    form.locator('input[name="options.username"]').fill(WEBDAV_USER)
    form.locator('input[name="description"]').fill("My WebDAV folder")
    save = form.locator(".jp-remotem-storage-save")
    expect(save).to_be_disabled()

    # A wrong password: the server's refusal, its message and hint, in the dialog; nothing to save.
    form.locator('input[name="secrets.password"]').fill("not-the-password")
    form.locator(".jp-remotem-storage-test").click()
    refusal = form.locator('.jp-remotem-error[data-code="connection_failed"]')
    expect(refusal.locator(".jp-remotem-error-message")).to_contain_text(name)
    expect(refusal.locator(".jp-remotem-error-hint")).not_to_be_empty()
    expect(save).to_be_disabled()

    # The right one: the test passes and Save may be pressed.
    form.locator('input[name="secrets.password"]').fill(WEBDAV_PASSWORD)
    form.locator(".jp-remotem-storage-test").click()
    expect(form.locator(".jp-remotem-storage-ok")).to_be_visible()
    expect(form.locator(".jp-remotem-error")).to_have_count(0)
    expect(save).to_be_enabled()
    assert name not in {s["name"] for s in api(lab_server, "GET", "storage").json()["storages"]}, "a test saves nothing"
    page.locator(f"{DIALOG} .jp-Dialog-body").evaluate("body => { body.scrollTop = 0; }")
    page.locator(f"{DIALOG} .jp-Dialog-content").screenshot(path=str(ARTIFACTS / "storage-dialog.png"))
    keep_screenshot("storage-dialog.png")

    try:
        save.click()
        expect(page.locator(DIALOG)).to_have_count(0)
        # In the tree at once, marked as the user's own, and opened: its files are listed.
        repo = page.locator(f'{SIDEBAR} .jp-remotem-repo[data-repo="{name}"]')
        expect(repo).to_have_attribute("data-own", "true")
        expect(repo.locator('.jp-remotem-tree-item[data-path="scan.h5"]')).to_be_visible()
        expect(page.locator(f'{SIDEBAR} .jp-remotem-repo[data-repo="demo"]')).not_to_have_attribute("data-own", "true")
        for path in ("storage", "repositories"):
            answer = api(lab_server, "GET", path)
            assert answer.status_code == 200 and name in answer.text, answer.text
            assert WEBDAV_PASSWORD not in answer.text

        # "Remove Storage…" is on the menu of one's own storage only.
        page.locator(f'{SIDEBAR} .jp-remotem-repo[data-repo="demo"] > .jp-remotem-repo-header').click(button="right")
        menu = page.locator(".lm-Menu").last
        expect(menu.locator('.lm-Menu-item[data-command="remotem:add-storage"]')).to_be_visible()
        expect(menu.locator('.lm-Menu-item[data-command="remotem:remove-storage"]')).to_be_hidden()
        page.keyboard.press("Escape")
        repo.locator(".jp-remotem-repo-header").click(button="right")
        page.locator(".lm-Menu").last.locator('.lm-Menu-item[data-command="remotem:remove-storage"]').click()
        page.locator(f"{DIALOG} .jp-mod-warn").click()
        expect(repo).to_have_count(0)
        assert name not in {s["name"] for s in api(lab_server, "GET", "storage").json()["storages"]}
    finally:
        api(lab_server, "DELETE", f"storage/{name}")  # 404 once removed: what a failure left goes

    # SFTP, its host key not known yet: shown with its fingerprint, trusted, tested again.
    import asyncssh

    server_key = asyncssh.import_public_key(sftp.host_key)
    page.locator(f"{SIDEBAR} .jp-remotem-add-storage").click()
    form = page.locator(f"{DIALOG} .jp-remotem-storage-form")
    form.locator('select[name="protocol"]').select_option("sftp")
    form.locator('input[name="name"]').fill(f"lab-server-{uuid.uuid4().hex[:6]}")
    form.locator('input[name="url"]').fill(f"sftp://127.0.0.1:{sftp.port}/lab")
    form.locator('input[name="options.username"]').fill(SFTP_USER)
    form.locator('input[name="secrets.password"]').fill(SFTP_PASSWORD)
    expect(form.locator('textarea[name="secrets.private_key"]')).to_be_visible()
    form.locator(".jp-remotem-storage-test").click()
    offer = form.locator(".jp-remotem-storage-hostkey")
    expect(form.locator('.jp-remotem-error[data-code="host_key_unknown"]')).to_be_visible()
    expect(offer.locator(".jp-remotem-storage-fingerprint")).to_have_text(server_key.get_fingerprint("sha256"))
    key_line = " ".join(sftp.host_key.split()[:2])
    expect(offer.locator(".jp-remotem-storage-keyline")).to_have_text(key_line)
    expect(form.locator(".jp-remotem-storage-save")).to_be_disabled()
    offer.locator(".jp-remotem-storage-trust").click()
    expect(form.locator(".jp-remotem-storage-ok")).to_be_visible()
    expect(form.locator('input[name="options.host_key"]')).to_have_value(key_line)
    expect(form.locator(".jp-remotem-storage-save")).to_be_enabled()
    page.locator(f"{DIALOG} .jp-Dialog-button.jp-mod-reject").click()
    expect(page.locator(DIALOG)).to_have_count(0)
    assert not page.errors, page.errors
