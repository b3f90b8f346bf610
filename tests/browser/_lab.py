"""Page helpers shared by the browser tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import requests

SIDEBAR = '[id="jupyter-remotem:sidebar"]'
#: Screenshots of every run (kept by CI), and the README's pictures.
ARTIFACTS = Path(__file__).parent / "artifacts"
DOCS = Path(__file__).parents[2] / "docs"


def keep_screenshot(*names: str) -> None:
    """Copy these screenshots from the artifacts to the README's pictures, when asked to
    (``REMOTEM_UPDATE_SCREENSHOTS=1``)."""
    if os.environ.get("REMOTEM_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        for name in names:
            shutil.copyfile(ARTIFACTS / name, DOCS / name)


def open_sidebar(page: Any, server: Any) -> Any:
    """Open JupyterLab and the Remote data sidebar; returns the sidebar locator."""
    page.goto(server.lab_url())
    tab = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="jupyter-remotem:sidebar"]')
    tab.wait_for(state="visible", timeout=60_000)
    tab.click()
    sidebar = page.locator(SIDEBAR)
    sidebar.wait_for(state="visible")
    return sidebar


def wait_for_main_area_focus(page: Any) -> None:
    """Wait until JupyterLab has made a main-area tab current: in a fresh workspace, the
    Launcher it opens once the restored layout turns out empty. Making it current focuses
    it, taking keyboard focus from wherever it was, so checks of focus elsewhere (a row of
    the sidebar) must start after it."""
    page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current").wait_for(state="attached", timeout=60_000)


def run_from_palette(page: Any, query: str, command: str) -> None:
    """Run `command` from JupyterLab's modal command palette, found by typing `query`.

    The modal palette closes as soon as it loses focus, and JupyterLab may still move focus
    while it settles (the start-up Launcher, a dialog handing focus back); when the palette
    closes under the typing, it is opened again. Every attempt waits on the page, never on
    a clock."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    palette = page.locator("#modal-command-palette")
    attempts = 3
    for attempt in range(attempts):
        page.keyboard.press("Control+Shift+C")
        try:
            palette.locator("input").fill(query, timeout=5_000)
            palette.locator(f'[data-command="{command}"]').click(timeout=5_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise


def api(server, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    """Call the REST API as a script would: with the server's token, or a personal one."""
    return requests.request(
        method,
        f"{server.url}remotem/api/{path}",
        headers={"Authorization": f"token {token or server.token}"},
        timeout=30,
        **kwargs,
    )


def wait_for_survey_indexes(server, timeout: float = 120.0) -> None:
    """Every survey's footprint index built, by the jobs the server queued when it started (so
    that they neither answer a first cutout with 503 nor end in the middle of a test)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        states = {s["name"]: s["index"] for s in api(server, "GET", "cutouts/surveys").json()["surveys"]}
        if all(state["state"] == "current" for state in states.values()):
            return
        assert time.monotonic() < deadline, states
        time.sleep(0.2)  # poll interval


CUTOUTS_PANEL = '[id="jupyter-remotem:cutouts"]'


def open_cutouts_panel(page, server, survey: str = "demo_mosaic"):
    """The Sky cutouts panel, opened from the left sidebar with ``survey`` chosen; its locator."""
    open_sidebar(page, server)
    tab = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="jupyter-remotem:cutouts"]')
    tab.wait_for(state="visible", timeout=60_000)
    tab.click()
    panel = page.locator(CUTOUTS_PANEL)
    panel.locator('select[name="survey"]').select_option(survey)
    return panel


def widen_left_area(page, pixels: int) -> None:
    """Drag the handle between the left sidebar and the main area."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:visible").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=5)
    page.mouse.up()
