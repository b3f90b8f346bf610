"""A pipeline packed to travel to the server as a durable job: its handles pickled with cloudpickle.

Only the graph travels: steps (their functions by value, with the code identities computed here,
where the source is), arguments and writers. No store does: a job names its store (a repository of
this product, or an fsspec URL) and the job worker opens it with its own configuration, so no
credential ever enters the payload, the job record, its log or a cluster worker's environment.
The payload is kept in the job's request as ``params.function``, like a ``map`` function, and every
answer and record shows only its SHA-256 (:mod:`..compute.sent_code`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from ..errors import BadParameter, TooLarge
from .errors import PipelineError
from .planning import flatten, graph
from .steps import Handle

#: Most characters of a pickled pipeline (base64): the graph of a large map, not its data.
MAX_PAYLOAD_CHARS = 8 * 1024**2


def pack(handles: Any, name: str | None = None) -> tuple[dict[str, Any], list[Handle]]:
    """The ``params`` of a pipeline job for ``handles``, and every handle of its graph."""
    import cloudpickle

    from ..compute.user_functions import environment

    requested = flatten(handles)
    if not requested:
        raise PipelineError("There is nothing to run: no step handles were given.",
                            hint="Pass what calling a step or step.map(...) returned.")
    everything = graph(requested)
    for handle in everything:
        _refuse_stores(handle)
        handle.step.code_identity()  # computed here, where the source is; it travels with the step
    try:
        payload = cloudpickle.dumps({"handles": requested})
    except Exception as error:  # what cannot be pickled cannot travel
        raise PipelineError(f"The pipeline cannot be pickled to send it: {type(error).__name__}: {error}",
                            hint="A step's argument may hold an open file, a lock or a connection; pass paths "
                                 "or numbers and open things inside the step.") from None
    encoded = base64.b64encode(payload).decode("ascii")
    if len(encoded) > MAX_PAYLOAD_CHARS:
        raise PipelineError(f"The pickled pipeline is {len(encoded):,} characters; at most {MAX_PAYLOAD_CHARS:,} "
                            "are accepted.", hint="Arguments hold data: keep data in a repository and pass paths.")
    steps = list(dict.fromkeys(h.step.name for h in everything))
    return {"function": encoded, "environment": environment(),
            "name": name or "+".join(steps)[:200], "steps": steps}, everything


def _refuse_stores(handle: Handle) -> None:
    from ..storage.repository import Repository
    from .canonical import File
    from .store import Store

    for value in handle.arguments.values():
        if isinstance(value, (Store, Repository)):
            raise PipelineError(f"Step {handle.step.name!r} is given a store or repository as an argument: its "
                                "credentials would travel with the pipeline.",
                                hint="Name the store in submit(store=...) and pass paths to the steps.")
        if isinstance(value, File) and value.storage_options:
            raise PipelineError(f"Step {handle.step.name!r} is given the input {value.url!r} with storage options: "
                                "credentials would travel with the pipeline and be kept in the job.",
                                hint="Put the input in a repository of the server and read it there, or use a URL "
                                     "the server's workers reach without options.")


def digest(encoded: str) -> str:
    return hashlib.sha256(encoded.encode()).hexdigest()


def unpack(params: Any, what: str = "A pipeline") -> list[Handle]:
    """The requested handles of a pipeline job, for a session allowed to send code (else 403)."""
    from ..auth.code_senders import refuse_code_from_token
    from ..compute.user_functions import FunctionFailed, check_environment

    refuse_code_from_token(what)
    if not isinstance(params, dict):
        raise BadParameter("'pipeline' must be an object with the pickled pipeline and its environment.",
                           hint="Submit with jupyter_remotem.pipeline.submit(handles, store=...).")
    encoded = params.get("function")
    if not isinstance(encoded, str) or not encoded:
        raise BadParameter("'pipeline.function' must be the pipeline pickled with cloudpickle, in base64.",
                           hint="Submit with jupyter_remotem.pipeline.submit(handles, store=...).")
    if len(encoded) > MAX_PAYLOAD_CHARS:
        raise TooLarge(f"The pickled pipeline is {len(encoded):,} characters; at most {MAX_PAYLOAD_CHARS:,} are "
                       "accepted.", hint="Arguments hold data: keep data in a repository and pass paths.")
    check_environment(params.get("environment"))
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadParameter("'pipeline.function' is not base64 text.",
                           hint="Submit with jupyter_remotem.pipeline.submit(handles, store=...).") from None
    import cloudpickle

    try:
        loaded = cloudpickle.loads(raw)
    except ModuleNotFoundError as error:
        raise FunctionFailed(f"The pipeline needs the module '{error.name}', which the server's environment lacks.",
                             hint="Install it where the server runs, or send it along: "
                                  "cloudpickle.register_pickle_by_value(module).") from None
    except Exception as error:  # any unpickling failure is the sender's
        raise FunctionFailed(f"The pipeline could not be unpickled on the server: {type(error).__name__}: "
                             f"{error}".strip()) from None
    handles = loaded.get("handles") if isinstance(loaded, dict) else None
    if not isinstance(handles, list) or not handles or not all(isinstance(h, Handle) for h in handles):
        raise BadParameter("'pipeline.function' does not hold a list of step handles.",
                           hint="Submit with jupyter_remotem.pipeline.submit(handles, store=...).")
    return handles
