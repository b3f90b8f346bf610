"""Page helpers shared by the browser tests."""

from __future__ import annotations

from typing import Any

SIDEBAR = '[id="jupyter-remotem:sidebar"]'


def open_sidebar(page: Any, server: Any) -> Any:
    """Open JupyterLab and the Remote data sidebar; returns the sidebar locator."""
    page.goto(server.lab_url())
    tab = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="jupyter-remotem:sidebar"]')
    tab.wait_for(state="visible", timeout=60_000)
    tab.click()
    sidebar = page.locator(SIDEBAR)
    sidebar.wait_for(state="visible")
    return sidebar
