"""What a browser sends to notebook widgets, sent without a browser.

Each function delivers the comm message the JupyterLab front end sends (bqplot's drag and click
events, ipywidgets' state updates) through ``Widget._handle_msg``, the entry point the kernel's
comm layer calls, so the widget code under test runs exactly as it does in a notebook.
"""

from __future__ import annotations

from typing import Any


def _deliver(widget: Any, data: dict[str, Any]) -> None:
    widget._handle_msg({"content": {"data": data}, "buffers": []})


def custom(widget: Any, content: dict[str, Any]) -> None:
    _deliver(widget, {"method": "custom", "content": content})


def update(widget: Any, **state: Any) -> None:
    """A state change made in the browser (a dropdown choice, a list selection)."""
    _deliver(widget, {"method": "update", "state": state, "buffer_paths": []})


def drag(mark: Any, index: int, x: float, y: float, origin: tuple[float, float] | None = None) -> None:
    """One ``drag`` event of a bqplot Scatter point (sent for every pointer move)."""
    ox, oy = origin if origin is not None else (x, y)
    custom(mark, {"event": "drag", "origin": {"x": ox, "y": oy}, "point": {"x": x, "y": y}, "index": index})


def release(mark: Any, index: int, x: float, y: float) -> None:
    """The ``drag_end`` event of a bqplot Scatter point."""
    custom(mark, {"event": "drag_end", "point": {"x": x, "y": y}, "index": index})


def click_image(mark: Any, x: float, y: float) -> None:
    """A click on a bqplot Image mark, in data coordinates, as its ``element_click`` event."""
    custom(mark, {"event": "element_click", "data": {"click_x": x, "click_y": y}})


def click_button(button: Any) -> None:
    custom(button, {"event": "click"})
