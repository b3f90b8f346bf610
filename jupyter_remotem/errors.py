"""One exception hierarchy for everything the server can refuse.

Every layer raises these; the handler base turns them into an HTTP status and the JSON body
``{"error": {"code", "message", "hint"}}``.  Keeping the mapping here means a storage or format
module never needs to know about HTTP, and a client can rely on stable ``code`` strings.
"""

from __future__ import annotations

from typing import Any


class RemotemError(Exception):
    """Base class: a failure the user can understand and usually fix."""

    status: int = 400
    code: str = "bad_request"
    default_hint: str = ""

    def __init__(self, message: str, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.details = details

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadParameter(RemotemError):
    status, code = 400, "bad_parameter"
    default_hint = "Check the request parameters against the API documentation."


class Unauthorized(RemotemError):
    status, code = 401, "unauthorized"
    default_hint = "Log in, or pass a valid token."


class Forbidden(RemotemError):
    status, code = 403, "forbidden"
    default_hint = "Ask an administrator for access."


class HostNotAllowed(Forbidden):
    """A user's own storage would connect to a host the administrator's policy does not allow."""

    code = "host_not_allowed"


class BudgetExceeded(Forbidden):
    """A job whose quoted cost is more than what is left of the budget in the quota's period."""

    code = "budget_exceeded"
    default_hint = ("GET remotem/api/quota shows the budget and what was spent; wait for the period to roll on, "
                    "make the job smaller, or ask for a larger budget.")


class NotFound(RemotemError):
    status, code = 404, "not_found"
    default_hint = "Check the repository name and the path; list the folder to see what exists."


class Conflict(RemotemError):
    status, code = 409, "conflict"


class DatasetClosed(Conflict):
    """A change to the files of a closed dataset (or to a folder holding one)."""

    code = "dataset_closed"
    default_hint = "A closed dataset keeps its files as its manifest records them; write elsewhere, or derive a new dataset."


class TooLarge(RemotemError):
    status, code = 413, "too_large"
    default_hint = "Ask for a smaller part, or submit the work as a job."


class Gone(RemotemError):
    status, code = 410, "gone"
    default_hint = "Start again: what was asked for ended or expired."


class PreconditionFailed(RemotemError):
    status, code = 412, "precondition_failed"
    default_hint = "Send 'Tus-Resumable: 1.0.0' (tus 1.0)."


class RangeNotSatisfiable(RemotemError):
    status, code = 416, "range_not_satisfiable"
    default_hint = "Ask for one range within the file's size, e.g. 'Range: bytes=1000-'."


class ChecksumMismatch(RemotemError):
    """tus's 460: the bytes that arrived are not those the client sent."""

    status, code = 460, "checksum_mismatch"
    default_hint = "The chunk was discarded; send it again from the offset HEAD reports."


class UnsupportedFormat(RemotemError):
    status, code = 415, "unsupported_format"
    default_hint = "Supported: HDF5, NPY, raw with a .json sidecar, Zarr, .hspy, .zspy, .mib, .dm3/.dm4, .blo, TIFF."


class CorruptFile(RemotemError):
    status, code = 422, "unreadable_file"
    default_hint = "The file may be truncated or still being written; check it with the tool that made it."


class IndexPending(RemotemError):
    """What is asked needs an index still being built; ``Retry-After`` says when to ask again."""

    status, code = 503, "index_pending"


class IndexFailed(Conflict):
    """What is asked needs an index that could not be built: asking again will not help until
    what the message names is fixed (no ``Retry-After``)."""

    code = "index_failed"


class HostKeyUnknown(RemotemError):
    """An SFTP server nobody has vouched for yet: its ``details`` carry its key line and SHA256
    fingerprint, for the user to confirm and send back (``options.host_key``)."""

    status, code = 422, "host_key_unknown"


class HostKeyMismatch(RemotemError):
    """An SFTP server presenting another host key than the one trusted: nothing was sent to it."""

    status, code = 422, "host_key_mismatch"


class StorageUnavailable(RemotemError):
    status, code = 503, "storage_unavailable"
    default_hint = "The storage behind this repository did not answer; try again later."


def from_http_status(status: int, reason: str) -> dict[str, Any]:
    """Body for failures raised outside our code (tornado's own 403/404/405 ...)."""
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        500: "internal_error",
    }
    hints = {
        401: "Log in, or pass a valid token.",
        403: "Log in again, or pass a valid token (Authorization: token ...).",
        404: "Check the URL against the API documentation.",
        405: "Check the HTTP method against the API documentation.",
        500: "This is a bug in jupyter_remotem; the server log has the details.",
    }
    return {
        "error": {
            "code": codes.get(status, f"http_{status}"),
            "message": reason,
            "hint": hints.get(status, ""),
        }
    }
