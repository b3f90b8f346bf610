"""Server refusals as Python exceptions, and the warnings the client gives about cost.

The server answers every failure with ``{"error": {"code", "message", "hint"}}`` and an HTTP
status.  In a notebook that becomes one exception whose class says what kind of failure it is
(so scripts can ``except NotFound``) and whose text carries the server's message *and* its hint,
because the hint is what tells the user what to do next.
"""

from __future__ import annotations

import json
from typing import Any


class RemotemWarning(UserWarning):
    """A transfer would be large or slow, or working locally would be faster."""


class RemotemError(Exception):
    """A failure reported by the server (or found by the client before asking it)."""

    #: HTTP status of the answer; 0 when the client refused before sending anything.
    status: int = 0

    def __init__(self, message: str, hint: str = "", *, code: str = "", status: int | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code or type(self).__name__
        if status is not None:
            self.status = status
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message


class BadRequest(RemotemError, ValueError):
    """400: a parameter the server cannot accept (the hint names the right form)."""

    status = 400


class Unauthorized(RemotemError):
    """401: not logged in, or the token is wrong."""

    status = 401


class PermissionDenied(RemotemError, PermissionError):
    """403: not allowed (a read-only repository, a missing token)."""

    status = 403


class NotFound(RemotemError, LookupError):
    """404: no such repository, file, array or job — or one this user may not see."""

    status = 404


class Conflict(RemotemError):
    """409: the request clashes with the current state (deleting an unfinished job)."""

    status = 409


class TooLarge(RemotemError):
    """413: the work or the transfer is beyond the interactive limits; submit a job instead."""

    status = 413

    @property
    def estimate_s(self) -> float | None:
        """Seconds the server expected the work to take, when it said."""
        value = self.details.get("estimate_s")
        return float(value) if value is not None else None

    @property
    def bytes(self) -> int | None:
        """Bytes the work would read, when the server said."""
        value = self.details.get("bytes")
        return int(value) if value is not None else None


class Unsupported(RemotemError):
    """415: a file format the server cannot open."""

    status = 415


class Unreadable(RemotemError):
    """422: a corrupt, truncated or unreadable file."""

    status = 422


class Unavailable(RemotemError, ConnectionError):
    """503 (or no answer at all): the server or the storage behind a repository is unreachable."""

    status = 503


class Interrupted(RemotemError):
    """The request was ended from another thread (:class:`~.interrupt.Interruptible`), as a
    widget does when a newer drag supersedes it; the server stops the work it had begun."""


class OperationUnavailable(RemotemError):
    """An operation that cannot run remotely for this dataset: says which, why, and what instead."""

    def __init__(self, operation: str, reason: str, alternative: str) -> None:
        super().__init__(f"'{operation}' cannot run remotely here: {reason}", alternative,
                         code="operation_unavailable")
        self.operation = operation
        self.reason = reason
        self.alternative = alternative


#: Exception class per HTTP status; other 4xx are :class:`BadRequest`, other 5xx :class:`Unavailable`.
BY_STATUS: dict[int, type[RemotemError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    415: Unsupported,
    422: Unreadable,
    503: Unavailable,
}


def error_from_answer(status: int, body: bytes, reason: str = "") -> RemotemError:
    """The exception for a failed HTTP answer, read from the server's JSON error body."""
    try:
        error = json.loads(body.decode("utf-8"))["error"]
        message, hint, code = str(error.get("message") or reason), str(error.get("hint") or ""), str(error.get("code") or "")
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        message, hint, code, details = reason or f"HTTP {status}", "", "", {}
    cls = BY_STATUS.get(status) or (Unavailable if status >= 500 else BadRequest)
    return cls(message, hint, code=code or f"http_{status}", status=status, details=details)
