"""Who may send code to run on the server: a fully logged-in session, never a personal token.

A personal token opens this API only (:mod:`.tokens`); it is meant for scripts and services,
and is far easier to leak than a hub session.  A user function (``map``, ``apply``) runs in the
user's own server with all of the user's rights, so a token must not be enough to send one.
The handler base marks each request (:func:`mark_request`), the mark travels with the request
into the threads its work runs in (a context variable), and whatever loads code asks
:func:`refuse_code_from_token` first.  Code outside a request (a job's worker, a notebook's
local data) runs only what a logged-in session already sent, so it is not refused.
"""

from __future__ import annotations

import contextvars

from ..errors import Forbidden

_FROM_TOKEN: contextvars.ContextVar[bool] = contextvars.ContextVar("remotem_request_from_token", default=False)


def mark_request(from_token: bool) -> contextvars.Token[bool]:
    """Mark the running request as made with a personal token (True) or by a session (False)."""
    return _FROM_TOKEN.set(from_token)


def refuse_code_from_token(what: str) -> None:
    """Refuse ``what`` (code to run) when the running request came with a personal token."""
    if _FROM_TOKEN.get():
        raise Forbidden(
            f"{what} runs code on the server, which a personal token may not send: a token opens this API "
            "for scripts and services, and is easier to leak than a logged-in session.",
            hint="Send it from a notebook or script in a logged-in JupyterHub session (its kernel's "
                 "connection), or use the operations the server declares (GET remotem/api/operations).",
        )
