"""How the widgets' labelled controls are laid out.

ipywidgets gives every description a fixed column (about 80 px) and cuts what does not fit
("virtual_dete…", "colorm…"); a description as wide as its words is never cut.
"""

from __future__ import annotations

from typing import Any


def whole_description() -> dict[str, Any]:
    """The ``style`` of a control whose description must show whole (a fresh dict each time:
    ipywidgets makes one style widget per control from it)."""
    return {"description_width": "initial"}
