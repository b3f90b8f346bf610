"""A viewer restored by a page reload settles: nothing stays busy once its answers are in.

Reloading races the restored viewer's first answers against the panel's first render (the
restorer opens the viewer while JupyterLab is still starting); an answer that arrived before
the panel listened used to be lost, leaving the view ``data-busy`` forever. Each reload here
must settle, several times in a row (``REMOTEM_RELOADS``, default 4).
"""

from __future__ import annotations

import os

import pytest
from _viewer import open_scan_from_tree, saved_viewer_state, wait_settled

pytestmark = pytest.mark.browser

RELOADS = int(os.environ.get("REMOTEM_RELOADS", "4"))


@pytest.mark.parametrize("mode", ["com", "detector"])
def test_a_restored_viewer_settles_after_every_reload(page, lab_server, mode) -> None:
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    if mode == "com":
        page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="com"]').click()
        page.locator(f"{viewer} .jp-remotem-viewer-com-field").select_option("field")
        wait_settled(page, viewer)
    saved_viewer_state(lab_server, "demo:scan.h5", lambda a: (a.get("view") or {}).get("mode") == mode)
    throttle = float(os.environ.get("REMOTEM_CPU_THROTTLE", "0"))
    if throttle > 1:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    for _ in range(RELOADS):
        page.goto(f"{lab_server.url}lab?token={lab_server.token}")
        expect(page.locator(f"{viewer} .jp-remotem-viewer")).to_have_attribute("data-status", "ready",
                                                                            timeout=60_000)
        expect(page.locator(f"{viewer} .jp-remotem-viewer-nav")).to_have_attribute("data-mode", mode)
        wait_settled(page, viewer)
    assert page.errors == []
