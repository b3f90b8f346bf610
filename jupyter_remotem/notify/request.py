"""``"notify"`` in a request that creates a job: checked once, for every kind of job.

The handler base takes the key off a JSON body before the endpoint's own parser (which refuses
keys it does not know) sees it (or reads ``?notify=email`` of a request without a body), and
marks the running request with it (a context variable,
which travels into the I/O threads with the request).  :meth:`..jobs.store.JobStore.create`
reads the mark, so every endpoint that makes a job honours it without knowing about it.
"""

from __future__ import annotations

import contextvars
from typing import Any

from ..errors import BadParameter

#: The ways an owner may hear that a job ended, besides the lab's own notifications.
CHANNELS = ("email",)

_REQUESTED: contextvars.ContextVar[str | None] = contextvars.ContextVar("remotem_job_notify", default=None)


def checked(value: Any) -> str | None:
    """A ``notify`` value as asked for (None or "none": no notice)."""
    if value is None or value == "none":
        return None
    if not isinstance(value, str) or value not in CHANNELS:
        raise BadParameter(f"'notify' must be one of {', '.join(CHANNELS)} (or null), not {value!r}.",
                           hint='Add "notify": "email" to be sent an e-mail when the job ends.')
    return value


def take(body: Any) -> Any:
    """``body`` without its ``notify`` key, which marks the running request; other bodies as they are."""
    if not isinstance(body, dict) or "notify" not in body:
        return body
    body = dict(body)
    _REQUESTED.set(checked(body.pop("notify")))
    return body


def mark(channel: str | None) -> None:
    """Mark the running request (an endpoint whose request is not a JSON body: a tus upload)."""
    _REQUESTED.set(checked(channel))


def requested() -> str | None:
    """How the job the running request makes should notify its owner (None outside a request)."""
    return _REQUESTED.get()
