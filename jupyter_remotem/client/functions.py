"""A user's function packed for the server: pickled by value with cloudpickle, with the versions
that pickled it (the server refuses a mismatch with both sides named, see the server's
``compute/user_functions.py``).  Functions defined in a notebook travel by value; functions from
an installed module travel by reference, so the server needs that module too (or
``cloudpickle.register_pickle_by_value(module)`` sends it along).
"""

from __future__ import annotations

import base64
import hashlib
import sys
import time
from typing import Any

import numpy as np

from .errors import BadRequest


def environment() -> dict[str, str]:
    """Python, cloudpickle and numpy versions of this kernel."""
    import cloudpickle

    return {"python": "{}.{}".format(*sys.version_info[:2]), "cloudpickle": cloudpickle.__version__,
            "numpy": np.__version__}


def name_of(function: Any) -> str:
    """What to call ``function`` in results and job lists."""
    named = getattr(function, "__qualname__", None) or type(function).__qualname__
    return str(named)[:200]


def code_params(function: Any, name: str | None = None) -> dict[str, Any]:
    """The ``params`` of a ``map`` or ``apply`` request for ``function``."""
    import cloudpickle

    try:
        payload = cloudpickle.dumps(function)
    except Exception as error:  # what cannot be pickled cannot travel
        raise BadRequest(f"The function cannot be pickled to send it: {type(error).__name__}: {error}",
                         "It may hold an open file, a lock or a connection; open those inside the function.",
                         code="function_failed") from None
    return {"function": base64.b64encode(payload).decode("ascii"), "environment": environment(),
            "name": name or name_of(function)}


def default_output(params: dict[str, Any], operation: str) -> str:
    """A file name for a user function's job result: its name, the function's digest and the
    time, so that runs of the same function keep their results apart."""
    digest = hashlib.sha256(params["function"].encode("ascii")).hexdigest()[:8]
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in params.get("name") or operation).strip("-")
    return f"{operation}-{safe or operation}-{digest}-{time.strftime('%Y%m%d-%H%M%S')}.h5"
