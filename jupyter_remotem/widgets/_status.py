"""Status lines of the widgets: failures shown with the server's message and hint.

A refused request is not an exception in a notebook cell here (it happened in a background
thread), so the widget itself must say what went wrong and, above all, the hint that tells the
user what to do instead (e.g. "submit a job" for work beyond the interactive limit).
"""

from __future__ import annotations

import html

ERROR_COLOUR = "#c62828"


def message_of(error: BaseException) -> str:
    """The message of a client error (``RemotemError.message``), else the exception text."""
    return getattr(error, "message", None) or str(error)


def failure_html(what: str, error: BaseException) -> str:
    """``<what> failed: message`` with the hint below it, escaped, in the error colour."""
    hint = getattr(error, "hint", "")
    return (f"<span style='color: {ERROR_COLOUR}'><b>{html.escape(what)} failed:</b> "
            f"{html.escape(message_of(error))}" + (f"<br><i>{html.escape(hint)}</i>" if hint else "") + "</span>")
