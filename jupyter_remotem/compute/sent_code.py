"""Functions sent to run next to the data (``map``, ``apply``), as records show them.

The function travels pickled in the request (base64, often megabytes with what it closes
over), and what it closes over may hold anything — a password read into a variable, a
token.  Job listings, result provenance and the catalog carry only its digest and size: enough
to tell two runs apart and to check a copy of the code against it, never the code itself.
"""

from __future__ import annotations

import hashlib
from typing import Any


def digest_of(encoded: str) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(encoded.encode()).hexdigest(), "bytes": len(encoded)}


def without_code(document: Any) -> Any:
    """``document`` (a request, a record) with the function of every code-taking operation
    replaced by :func:`digest_of` it; everything else as it was (copied where changed)."""
    if isinstance(document, list):
        return [without_code(value) for value in document]
    if not isinstance(document, dict):
        return document
    shown = {key: without_code(value) for key, value in document.items()}
    params = shown.get("params") if isinstance(shown.get("params"), dict) else None
    if params is not None and isinstance(params.get("function"), str) and _takes_code(shown.get("operation")):
        shown["params"] = dict(params, function=digest_of(params["function"]))
    return shown


def _takes_code(operation: Any) -> bool:
    from .operations import OPERATIONS  # the declarations say which operations take code

    if operation == "pipeline":  # a durable pipeline's pickled graph (jupyter_remotem.pipeline.payload)
        return True
    declared = OPERATIONS.get(operation) if isinstance(operation, str) else None
    return bool(declared and declared.takes_code)
