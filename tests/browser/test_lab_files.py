"""Files where they live, from the Remote data sidebar: uploads from the desktop (resumed
after a reload or the network going away, whole folders, refusals with their way out),
downloads of files and folders, new folder, rename and delete — and none of the writing
for a read-only repository.

These tests run their own JupyterLab: a writable repository "scratch" with a storage quota
that large uploads fit, and a read-only repository "archive".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
from _lab import SIDEBAR
from _processes import stop_group
from _services import free_port, skip_or_fail

pytestmark = pytest.mark.browser

OWNER = "tester"
#: Two large uploads fit, a 2 GB one does not.
STORAGE_QUOTA_BYTES = 1_000_000_000
LARGE_BYTES = 200 * 1024 * 1024
CHUNK_BYTES = 16 * 1024 * 1024  # the lab's tus chunk size (src/uploads.ts)
BASE_URL = "/user/files%40x/"


class FilesLab:
    def __init__(self, url: str, token: str, scratch: Path, archive: Path) -> None:
        self.url, self.token, self.scratch, self.archive = url, token, scratch, archive

    def lab_url(self) -> str:
        # A workspace of its own: a clean layout whatever another test left.
        return f"{self.url}lab/workspaces/files-{uuid.uuid4().hex[:8]}?reset&token={self.token}"

    def api(self, path: str) -> dict:
        request = urllib.request.Request(
            f"{self.url}remotem/api/{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)


@pytest.fixture(scope="module")
def files_lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> FilesLab:
    lab = Path(sys.executable).parent / "jupyter-lab"
    if not lab.exists():
        skip_or_fail(f"browser test prerequisite missing: {lab}")
    home = tmp_path_factory.mktemp("files-lab")
    for sub in ("notebooks", "config", "data", "runtime", "workspaces", "settings", "scratch", "archive"):
        (home / sub).mkdir()
    notification = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    scratch, archive = home / "scratch", home / "archive"
    (archive / "old").mkdir()
    (archive / "old" / "result.txt").write_text("kept forever\n")
    (archive / "readme.txt").write_text("read only\n")
    config = home / "jupyter_server_config.json"
    config.write_text(json.dumps({
        "ServerApp": {"jpserver_extensions": {"jupyter_remotem": True}},
        "RemotemApp": {
            "repositories": [
                {"name": "scratch", "url": str(scratch), "description": "Scratch space", "writable": True},
                {"name": "archive", "url": str(archive), "description": "Read-only archive", "writable": False},
            ],
            "job_database_url": f"sqlite:///{home / 'jobs.sqlite'}",
            "start_worker": False,  # uploads are HELD jobs: no worker runs them
            "owner": OWNER,
            "quotas": {"users": {OWNER: {"storage_bytes": STORAGE_QUOTA_BYTES}}},
        },
    }))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    log_path = home / "jupyter-lab.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                str(lab), "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                f"--ServerApp.base_url={BASE_URL}", f"--ServerApp.root_dir={home / 'notebooks'}",
                f"--config={config}", f"--LabApp.user_settings_dir={home / 'settings'}",
                f"--LabApp.workspaces_dir={home / 'workspaces'}",
            ],
            stdout=log, stderr=subprocess.STDOUT, cwd=home, env=env, start_new_session=True,
        )
    request.addfinalizer(lambda: stop_group(proc))
    url = f"http://127.0.0.1:{port}{BASE_URL}"
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            pytest.fail(f"jupyter-lab exited with {proc.returncode}:\n{log_path.read_text()[-5000:]}")
        try:
            probe = urllib.request.Request(
                f"{url}remotem/api/repositories", headers={"Authorization": f"token {token}"}
            )
            with urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"jupyter-lab did not answer:\n{log_path.read_text()[-5000:]}")
        time.sleep(0.2)  # polling a deadline-bounded start, not waiting for a result
    return FilesLab(url, token, scratch, archive)


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 200 MiB file of random bytes on the "desktop", and its sha256."""
    path = tmp_path_factory.mktemp("desktop") / "large.bin"
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for _ in range(LARGE_BYTES // CHUNK_BYTES + 1):
            block = os.urandom(min(CHUNK_BYTES, LARGE_BYTES - out.tell()))
            if not block:
                break
            digest.update(block)
            out.write(block)
    return path, digest.hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_files_sidebar(page, lab: FilesLab):
    page.goto(lab.lab_url())
    tab = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="jupyter-remotem:sidebar"]')
    tab.wait_for(state="visible", timeout=60_000)
    sidebar = page.locator(SIDEBAR)
    if not sidebar.is_visible():
        tab.click()
    sidebar.wait_for(state="visible")
    return sidebar


def repo_header(sidebar, name: str):
    return sidebar.locator(f'.jp-remotem-repo[data-repo="{name}"] .jp-remotem-repo-header')


def expand(sidebar, name: str):
    """Open a repository's root folder; answers the repository's element."""
    from playwright.sync_api import expect

    repo = sidebar.locator(f'.jp-remotem-repo[data-repo="{name}"]')
    if repo.get_attribute("aria-expanded") != "true":
        repo_header(sidebar, name).click()
    expect(repo.locator(".jp-remotem-loading")).to_have_count(0)
    return repo


def drop_files(page, target, paths: list[Path]) -> None:
    """Drop desktop files onto a row, as the browser does for a drag from the desktop: the
    files reach the page through a file input (Playwright hands over the path, not the
    bytes), then go in a DataTransfer on dragenter, dragover and drop."""
    handle = page.evaluate_handle(
        """() => { const input = document.createElement('input');
                   input.type = 'file'; input.multiple = true; input.hidden = true;
                   document.body.appendChild(input); return input; }"""
    )
    handle.as_element().set_input_files([str(p) for p in paths])
    target.evaluate(
        """(row, input) => {
             const data = new DataTransfer();
             for (const file of input.files) data.items.add(file);
             for (const type of ['dragenter', 'dragover', 'drop']) {
               row.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
             }
             input.remove();
           }""",
        handle,
    )


def context_menu(page, row):
    """Open a row's context menu; answers the menu."""
    row.click(button="right")
    menu = page.locator(".lm-Menu").last
    menu.wait_for(state="visible")
    return menu


def close_menu(page, menu) -> None:
    from playwright.sync_api import expect

    menu.press("Escape")
    expect(page.locator(".lm-Menu")).to_have_count(0)


def menu_commands(menu) -> list[str]:
    return menu.locator(".lm-Menu-item:not(.lm-mod-hidden)").evaluate_all("items => items.map(i => i.dataset.command)")


def wait_for_partial(folder: Path, name: str, at_least: int, timeout: float = 60) -> int:
    """The size of an upload's hidden partial file beside its target, once it holds
    `at_least` bytes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for partial in folder.glob(f".{name}.remotem-upload-*"):
            try:
                size = partial.stat().st_size
            except FileNotFoundError:
                continue
            if size >= at_least:
                return size
        time.sleep(0.02)  # polling the disk while bytes arrive
    pytest.fail(f"no partial upload of {name} reached {at_least:,} bytes")


def test_a_large_upload_cut_by_a_reload_resumes_when_dropped_again(page, files_lab, large_file) -> None:
    from playwright.sync_api import expect

    source, digest = large_file
    sidebar = open_files_sidebar(page, files_lab)
    expand(sidebar, "scratch")
    drop_files(page, repo_header(sidebar, "scratch"), [source])
    row = sidebar.locator('.jp-remotem-upload[data-path="large.bin"]')
    expect(row).to_have_attribute("data-state", "uploading")
    # Part-way through (two chunks on the disk), the page goes away.
    wait_for_partial(files_lab.scratch, "large.bin", 2 * CHUNK_BYTES)
    page.reload()
    assert not (files_lab.scratch / "large.bin").exists()

    sidebar = open_files_sidebar(page, files_lab)
    expand(sidebar, "scratch")
    drop_files(page, repo_header(sidebar, "scratch"), [source])
    row = sidebar.locator('.jp-remotem-upload[data-path="large.bin"]')
    expect(row).to_have_attribute("data-state", "done", timeout=120_000)
    # It carried on from what the server had (whole verified chunks), not from zero.
    resumed = int(row.get_attribute("data-resumed-from"))
    assert resumed >= 2 * CHUNK_BYTES and resumed % CHUNK_BYTES == 0, resumed
    assert sha256(files_lab.scratch / "large.bin") == digest
    assert not list(files_lab.scratch.glob(".large.bin.remotem-upload-*"))
    # The folder shows it without a refresh, and the upload is a finished job.
    scratch = sidebar.locator('.jp-remotem-repo[data-repo="scratch"]')
    expect(scratch.locator('.jp-remotem-tree-item[data-path="large.bin"]')).to_be_visible()
    jobs = files_lab.api("jobs")["jobs"]
    uploads = [j for j in jobs if j["kind"] == "upload" and j["request"]["path"] == "large.bin"]
    assert [j["phase"] for j in uploads] == ["COMPLETED"], uploads
    assert page.errors == []


def test_a_large_upload_waits_out_the_network_going_away_and_resumes(page, files_lab, large_file) -> None:
    from playwright.sync_api import expect

    source, digest = large_file
    sidebar = open_files_sidebar(page, files_lab)
    repo = expand(sidebar, "scratch")
    # Into a folder this time: made from the context menu of the repository.
    menu = context_menu(page, repo_header(sidebar, "scratch"))
    menu.locator('[data-command="remotem:new-folder"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("offline")
    dialog.locator(".jp-mod-accept").click()
    folder = repo.locator('.jp-remotem-tree-item[data-path="offline"]')
    expect(folder).to_be_visible()

    drop_files(page, folder, [source])
    row = sidebar.locator('.jp-remotem-upload[data-path="offline/large.bin"]')
    expect(row).to_have_attribute("data-state", "uploading")
    wait_for_partial(files_lab.scratch / "offline", "large.bin", CHUNK_BYTES)
    assert page.errors == []
    page.context.set_offline(True)
    expect(row).to_have_attribute("data-state", "interrupted", timeout=30_000)
    expect(row.locator(".jp-remotem-upload-state")).to_contain_text("resumes when the network is back")
    page.context.set_offline(False)
    # JupyterLab's own workspace save, when it falls in the offline time, fails uncaught in
    # its core; nothing of this extension may.
    while page.errors and page.errors[0] == "Failed to fetch" and "jlab_core" in page.error_stacks[0] \
            and ".save (" in page.error_stacks[0]:
        del page.errors[0], page.error_stacks[0]
    expect(row).to_have_attribute("data-state", "done", timeout=120_000)
    assert int(row.get_attribute("data-resumed-from")) >= CHUNK_BYTES
    assert sha256(files_lab.scratch / "offline" / "large.bin") == digest
    folder.click()
    expect(repo.locator('.jp-remotem-tree-item[data-path="offline/large.bin"]')).to_be_visible()
    assert page.errors == []


def test_a_folder_picked_from_the_desktop_arrives_with_its_subfolders(page, files_lab, tmp_path) -> None:
    from playwright.sync_api import expect

    stack = tmp_path / "stack"
    (stack / "frames").mkdir(parents=True)
    (stack / "meta.json").write_text('{"frames": 3}')
    for i in range(3):
        (stack / "frames" / f"{i:04d}.bin").write_bytes(os.urandom(10_000 + i))
    sidebar = open_files_sidebar(page, files_lab)
    repo = expand(sidebar, "scratch")
    menu = context_menu(page, repo_header(sidebar, "scratch"))
    with page.expect_file_chooser() as chooser:
        menu.locator('[data-command="remotem:upload-folder"]').click()
    chooser.value.set_files(str(stack))

    rows = sidebar.locator(".jp-remotem-upload")
    expect(rows).to_have_count(4)
    for name in ("stack/meta.json", "stack/frames/0000.bin", "stack/frames/0002.bin"):
        expect(sidebar.locator(f'.jp-remotem-upload[data-path="{name}"]')).to_have_attribute("data-state", "done")
    for source in [stack / "meta.json", *sorted((stack / "frames").iterdir())]:
        assert (files_lab.scratch / source.relative_to(tmp_path)).read_bytes() == source.read_bytes()
    # Many folders reloading at once as the files land: the tree shows them, no error.
    expect(repo.locator('.jp-remotem-tree-item[data-path="stack"]')).to_be_visible()
    expect(repo.locator(".jp-remotem-error")).to_have_count(0)
    sidebar.locator(".jp-remotem-uploads-clear").click()
    expect(rows).to_have_count(0)
    assert page.errors == []


def test_refused_uploads_say_why_and_an_existing_file_can_be_replaced_or_kept(page, files_lab, tmp_path) -> None:
    from playwright.sync_api import expect

    (files_lab.scratch / "notes.txt").write_text("old\n")
    desktop = tmp_path / "notes.txt"
    desktop.write_text("new\n")
    sidebar = open_files_sidebar(page, files_lab)
    expand(sidebar, "scratch")
    header = repo_header(sidebar, "scratch")

    drop_files(page, header, [desktop])
    row = sidebar.locator('.jp-remotem-upload[data-path="notes.txt"]')
    expect(row).to_have_attribute("data-state", "refused")
    expect(row.locator(".jp-remotem-error-message")).to_have_text("'notes.txt' already exists in 'scratch'.")
    expect(row.locator(".jp-remotem-error-hint")).to_contain_text("Choose another name")
    row.locator('[data-action="keep-both"]').click()
    kept = sidebar.locator('.jp-remotem-upload[data-path="notes_1.txt"]')
    expect(kept).to_have_attribute("data-state", "done")
    assert (files_lab.scratch / "notes_1.txt").read_text() == "new\n"
    assert (files_lab.scratch / "notes.txt").read_text() == "old\n"

    drop_files(page, header, [desktop])
    row = sidebar.locator('.jp-remotem-upload[data-path="notes.txt"]')
    expect(row).to_have_attribute("data-state", "refused")
    row.locator('[data-action="replace"]').click()
    expect(row).to_have_attribute("data-state", "done")
    assert (files_lab.scratch / "notes.txt").read_text() == "new\n"

    # Over the storage quota: refused before a byte is sent (a sparse file: nothing to read).
    huge = tmp_path / "huge.bin"
    with open(huge, "wb") as out:
        out.truncate(2 * STORAGE_QUOTA_BYTES)
    drop_files(page, header, [huge])
    row = sidebar.locator('.jp-remotem-upload[data-path="huge.bin"]')
    expect(row).to_have_attribute("data-state", "refused")
    expect(row.locator(".jp-remotem-error")).to_have_attribute("data-code", "quota_exceeded")
    expect(row.locator('[data-action="replace"]')).to_have_count(0)
    row.locator('[data-action="dismiss"]').click()
    expect(row).to_have_count(0)
    assert page.errors == []


def test_downloads_a_file_and_a_folder_as_a_zip(page, files_lab) -> None:
    payload = os.urandom(3_000_000)
    (files_lab.scratch / "down" / "inner").mkdir(parents=True)
    (files_lab.scratch / "down" / "data.bin").write_bytes(payload)
    (files_lab.scratch / "down" / "inner" / "note.txt").write_text("inside\n")
    sidebar = open_files_sidebar(page, files_lab)
    repo = expand(sidebar, "scratch")
    folder = repo.locator('.jp-remotem-tree-item[data-path="down"]')
    folder.click()
    file_row = repo.locator('.jp-remotem-tree-item[data-path="down/data.bin"]')

    menu = context_menu(page, file_row)
    with page.expect_download() as download:
        menu.locator('[data-command="remotem:download"]').click()
    assert download.value.suggested_filename == "data.bin"
    assert hashlib.sha256(Path(download.value.path()).read_bytes()).hexdigest() == hashlib.sha256(payload).hexdigest()
    assert "token" not in download.value.url

    menu = context_menu(page, folder)
    assert menu.locator('[data-command="remotem:download"]').inner_text().strip() == "Download as Zip"
    with page.expect_download() as download:
        menu.locator('[data-command="remotem:download"]').click()
    assert download.value.suggested_filename == "down.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert archive.read("data.bin") == payload
        assert archive.read("inner/note.txt") == b"inside\n"
    assert page.errors == []


def test_new_folder_rename_and_delete_from_the_context_menu_keep_the_tree_open(page, files_lab) -> None:
    from playwright.sync_api import expect

    (files_lab.scratch / "open" / "deep").mkdir(parents=True)
    (files_lab.scratch / "open" / "deep" / "x.txt").write_text("x")
    sidebar = open_files_sidebar(page, files_lab)
    repo = expand(sidebar, "scratch")
    opened = repo.locator('.jp-remotem-tree-item[data-path="open"]')
    opened.click()
    repo.locator('.jp-remotem-tree-item[data-path="open/deep"]').click()
    deep_file = repo.locator('.jp-remotem-tree-item[data-path="open/deep/x.txt"]')
    expect(deep_file).to_be_visible()

    # New folder inside an open folder: a free name is suggested.
    (files_lab.scratch / "open" / "new_folder").mkdir()
    menu = context_menu(page, opened)
    menu.locator('[data-command="remotem:new-folder"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator("input")).to_have_value("new_folder_1")
    dialog.locator("input").fill("made")
    dialog.locator(".jp-mod-accept").click()
    made = repo.locator('.jp-remotem-tree-item[data-path="open/made"]')
    expect(made).to_be_visible()
    assert (files_lab.scratch / "open" / "made").is_dir()
    expect(deep_file).to_be_visible()  # nothing collapsed

    menu = context_menu(page, made)
    menu.locator('[data-command="remotem:rename"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator("input")).to_have_value("made")
    dialog.locator("input").fill("renamed")
    dialog.locator(".jp-mod-accept").click()
    expect(repo.locator('.jp-remotem-tree-item[data-path="open/renamed"]')).to_be_visible()
    expect(made).to_have_count(0)
    assert (files_lab.scratch / "open" / "renamed").is_dir()
    expect(deep_file).to_be_visible()

    # Renaming onto an existing name is refused with the server's words.
    menu = context_menu(page, repo.locator('.jp-remotem-tree-item[data-path="open/renamed"]'))
    menu.locator('[data-command="remotem:rename"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("deep")
    dialog.locator(".jp-mod-accept").click()
    error = page.locator(".jp-Dialog")
    expect(error).to_contain_text("Cannot rename")
    expect(error).to_contain_text("'open/deep' already exists in 'scratch'.")
    error.get_by_role("button", name="Close").click()
    expect(page.locator(".jp-Dialog")).to_have_count(0)

    # Deleting a folder names it and what is in it; cancel leaves it.
    deep = repo.locator('.jp-remotem-tree-item[data-path="open/deep"]')
    menu = context_menu(page, deep)
    menu.locator('[data-command="remotem:delete"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Delete the folder scratch:open/deep and the 1 item in it")
    dialog.locator(".jp-mod-reject").click()
    assert (files_lab.scratch / "open" / "deep" / "x.txt").exists()
    menu = context_menu(page, deep)
    menu.locator('[data-command="remotem:delete"]').click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    expect(deep).to_have_count(0)
    assert not (files_lab.scratch / "open" / "deep").exists()
    expect(repo.locator('.jp-remotem-tree-item[data-path="open/renamed"]')).to_be_visible()
    assert page.errors == []


WRITING = {"remotem:upload-files", "remotem:upload-folder", "remotem:new-folder", "remotem:rename", "remotem:delete"}


def test_a_read_only_repository_offers_no_writing_and_copies_go_where_the_user_chose(page, files_lab) -> None:
    from playwright.sync_api import expect

    (files_lab.scratch / "source.txt").write_text("s")
    sidebar = open_files_sidebar(page, files_lab)
    repo = expand(sidebar, "archive")
    menu = context_menu(page, repo_header(sidebar, "archive"))
    header_menu = menu_commands(menu)
    assert "remotem:download" in header_menu and not WRITING & set(header_menu), header_menu
    close_menu(page, menu)
    menu = context_menu(page, repo.locator('.jp-remotem-tree-item[data-path="old"]'))
    folder_menu = menu_commands(menu)
    assert "remotem:download" in folder_menu and not WRITING & set(folder_menu), folder_menu
    close_menu(page, menu)
    file_row = repo.locator('.jp-remotem-tree-item[data-path="readme.txt"]')
    file_menu = context_menu(page, file_row)
    assert not WRITING & set(menu_commands(file_menu))

    # Copy to…: nothing is chosen for the user when the source's repository is read-only.
    file_menu.locator('[data-command="remotem:copy-to"]').click()
    dialog = page.locator(".jp-Dialog")
    choice = dialog.locator(".jp-remotem-copy-repository")
    expect(choice).to_have_value("")
    dialog.locator(".jp-mod-accept").click()
    expect(page.locator(".jp-Dialog .jp-remotem-error-message")).to_have_text("Choose a target repository.")
    page.locator(".jp-Dialog .jp-mod-reject").click()
    expect(page.locator(".jp-Dialog")).to_have_count(0)

    # A drop onto the read-only repository uploads nothing.
    drop_files(page, repo_header(sidebar, "archive"), [files_lab.archive / "readme.txt"])
    expect(sidebar.locator(".jp-remotem-upload")).to_have_count(0)

    # From a writable repository, the copy stays in it unless the user picks another.
    scratch = expand(sidebar, "scratch")
    source = scratch.locator('.jp-remotem-tree-item[data-path="source.txt"]')
    context_menu(page, source).locator('[data-command="remotem:copy-to"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator(".jp-remotem-copy-repository")).to_have_value("scratch")
    expect(dialog.locator(".jp-remotem-copy-path")).to_have_value("source (copy).txt")
    dialog.locator(".jp-mod-reject").click()
    assert page.errors == []


def test_the_uploads_list_shows_speed_and_time_left(page, files_lab, large_file) -> None:
    from playwright.sync_api import expect

    source, _ = large_file
    (files_lab.scratch / "speed").mkdir(exist_ok=True)
    sidebar = open_files_sidebar(page, files_lab)
    folder = expand(sidebar, "scratch").locator('.jp-remotem-tree-item[data-path="speed"]')
    drop_files(page, folder, [source])
    row = sidebar.locator('.jp-remotem-upload[data-path="speed/large.bin"]')
    expect(row.locator(".jp-remotem-upload-figures")).to_have_text(
        re.compile(r"MiB of 200\.?0? MiB · [\d.]+ [KMG]iB/s · \d+ (s|min) left")
    )
    row.locator('[data-action="cancel"]').click()
    expect(row).to_have_attribute("data-state", "cancelled")
    # The partial file went with the upload.
    deadline = time.monotonic() + 30
    while list((files_lab.scratch / "speed").glob(".large.bin.remotem-upload-*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the server removes it on DELETE
    assert not list((files_lab.scratch / "speed").iterdir())
    assert page.errors == []
