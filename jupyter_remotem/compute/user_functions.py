"""Users' own functions next to the data: ``map`` (a value per frame) and ``apply`` (partials
merged over the frames), run by the same executors, jobs, quotas and cancels as every operation.

The client sends the function pickled by value with cloudpickle (base64 in ``params.function``)
together with the environment that pickled it (``params.environment``: Python, cloudpickle and
numpy versions).  A pickle of a function from one Python is not readable by another minor
version, and a numpy major release changes what arrays are, so a mismatch is refused at once as
a 409 that names both sides, instead of failing deep inside a worker.

What a ``map`` answers is learnt by calling it on the first frame when the plan is made: the
shape and dtype of the result per position (so quotes, the interactive result limit and the
output file are right before any partition runs), whether the function works at all (a failing
function is a 400 with its own error, before any job exists), and how long one call takes (so a
slow Python function is sent to a job instead of holding the interactive request).

Code is only loaded for a logged-in session (:mod:`..auth.code_senders`).  Plans travel to
cluster workers as the pickled bytes and load the function there on first use.
"""

from __future__ import annotations

import base64
import binascii
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..auth.code_senders import refuse_code_from_token
from ..errors import BadParameter, Conflict, RemotemError, TooLarge
from ..formats.dataset import Dataset
from .operations import Plan, ReductionResult
from .params import check_result_bytes

#: Most bytes of one pickled function (base64 text), so a request body stays small and a job's
#: stored request too: data belongs in the repositories, not in the function's closure.
MAX_FUNCTION_CHARS = 1 << 20
#: Most values one ``map`` call may answer per frame (a frame-sized result is a transformation).
MAX_VALUES_PER_FRAME = 1 << 16


class FunctionFailed(RemotemError):
    """The user's function raised, or answered something that is not an array of numbers."""

    status, code = 400, "function_failed"
    default_hint = "Try the function on one frame in the notebook first: fn(ds[0, 0])."


class EnvironmentMismatch(Conflict):
    """The function was pickled by a Python, cloudpickle or numpy the server does not match."""

    code = "environment_mismatch"


def environment() -> dict[str, str]:
    """The versions a pickled function depends on, as this process has them."""
    import cloudpickle

    return {"python": "{}.{}".format(*sys.version_info[:2]), "cloudpickle": cloudpickle.__version__,
            "numpy": np.__version__}


def _major(version: str, parts: int) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:parts])


def check_environment(theirs: Any) -> None:
    """Refuse a function pickled where Python's minor version, or cloudpickle's or numpy's major
    version, differs from this server's: the bytes would not mean the same thing here."""
    ours = environment()
    if not isinstance(theirs, dict):
        raise BadParameter("'environment' must be an object with the client's python, cloudpickle and numpy versions.",
                           hint="The client fills it in: use ds.map(fn) or ds.apply(udf).")
    rules = {"python": 2, "cloudpickle": 1, "numpy": 1}
    differing = [name for name, parts in rules.items()
                 if _major(theirs.get(name, "?"), parts) != _major(ours[name], parts)]
    if differing:
        sides = "; ".join(f"{name} {theirs.get(name, 'unknown')} in the notebook, {ours[name]} on the server"
                          for name in differing)
        raise EnvironmentMismatch(
            f"The function was pickled where the environment differs from the server's: {sides}.",
            hint="Run the notebook in a kernel with the server's versions (the hub's default kernel has them), "
                 "or compute locally: remotem.local(array).map(fn).",
            theirs=theirs, ours=ours)


def load_function(encoded: Any, what: str) -> Callable[..., Any]:
    """The function (or object) pickled in ``encoded``, for a session allowed to send code."""
    refuse_code_from_token(what)
    if not isinstance(encoded, str) or not encoded:
        raise BadParameter(f"{what} needs 'function': the function pickled with cloudpickle, in base64.",
                           hint="The client fills it in: use ds.map(fn) or ds.apply(udf).")
    if len(encoded) > MAX_FUNCTION_CHARS:
        raise TooLarge(f"The pickled function is {len(encoded):,} characters; at most {MAX_FUNCTION_CHARS:,} are "
                       "accepted.", hint="It probably holds large arrays in its closure or defaults: keep data in a "
                       "repository and read it inside the function, or pass numbers only.")
    try:
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadParameter("'function' is not base64 text.", hint="The client fills it in: use ds.map(fn).") from None
    import cloudpickle

    try:
        return cloudpickle.loads(payload)
    except ModuleNotFoundError as error:
        raise FunctionFailed(
            f"The function needs the module '{error.name}', which the server's environment lacks.",
            hint="Install it where the server runs, or register it to travel with the function: "
                 "cloudpickle.register_pickle_by_value(module).") from None
    except Exception as error:  # any unpickling failure is the sender's
        raise FunctionFailed(f"The function could not be unpickled on the server: {type(error).__name__}: "
                             f"{error}".strip()) from None


def _failed(error: BaseException, where: str) -> FunctionFailed:
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    return FunctionFailed(f"The function raised {text} on {where}.")


def _as_numbers(value: Any, where: str) -> np.ndarray:
    answer = np.asarray(value)
    if answer.dtype.kind not in "biufc":
        raise FunctionFailed(f"The function answered {answer.dtype} on {where}; it must answer numbers "
                             "(a number or an array of numbers).",
                             hint="Return a float, an int, or a numpy array of them.")
    return answer


class _UserCode:
    """Holds the pickled bytes and loads the function once per process (workers included)."""

    _function: Callable[..., Any] | None = None
    _encoded: str = ""
    _what: str = ""

    def _load(self, encoded: str, what: str) -> None:
        self._encoded, self._what = encoded, what
        self._function = load_function(encoded, what)

    @property
    def function(self) -> Callable[..., Any]:
        if self._function is None:
            self._function = load_function(self._encoded, self._what)
        return self._function

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__, _function=None)


class MapPlan(_UserCode, Plan):
    """``fn(frame)`` for every frame: the result lies over the scan, with the further axes of
    what the function answers on the first frame."""

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        check_environment(params.get("environment"))
        self._load(params.get("function"), "map")
        self.name = str(params.get("name") or "function")
        sample = dataset.read_frames(np.zeros(1, np.int64))[0]
        started = time.perf_counter()
        try:
            first = self.function(sample)
        except Exception as error:
            raise _failed(error, "the first frame") from None
        #: Seconds one call took on the first frame: how :func:`..reductions.reduce_dataset` judges
        #: whether the whole map fits the interactive limit.
        self.seconds_per_frame = time.perf_counter() - started
        answer = _as_numbers(first, "the first frame")
        if answer.size > MAX_VALUES_PER_FRAME:
            raise TooLarge(f"The function answers {answer.size:,} values per frame (shape {list(answer.shape)}); "
                           f"a map keeps at most {MAX_VALUES_PER_FRAME:,}.",
                           hint="Reduce each frame further, or write a new dataset with a transformation.")
        self.value_shape = tuple(answer.shape)
        self.value_dtype = answer.dtype if answer.dtype.kind in "fc" else np.dtype(np.float64)

    def extra_shape(self, output: str) -> tuple[int, ...]:
        return self.value_shape

    def bytes_out(self, single_array: bool = False) -> int:
        return math.prod(self.nav_shape) * math.prod(self.value_shape) * self.value_dtype.itemsize

    def process(self, frames: np.ndarray) -> np.ndarray:
        out = np.empty((len(frames),) + self.value_shape, self.value_dtype)
        function = self.function
        for i, frame in enumerate(frames):
            try:
                answer = _as_numbers(function(frame), "a frame")
            except FunctionFailed:
                raise
            except Exception as error:
                raise _failed(error, "a frame") from None
            if answer.shape != self.value_shape:
                raise FunctionFailed(f"The function answered shape {list(answer.shape)} on a frame, but "
                                     f"{list(self.value_shape)} on the first one; every frame must answer the same "
                                     "shape.", hint="Pad or summarise to a fixed shape (NaN for what is missing).")
            out[i] = answer
        return out

    def finish(self, combined: np.ndarray, visited: np.ndarray | None) -> ReductionResult:
        values = combined.reshape((-1,) + self.value_shape)
        if visited is not None:
            outside = np.ones(len(values), bool)
            outside[visited] = False
            values[outside] = np.nan
        return ReductionResult({"result": values.reshape(self.nav_shape + self.value_shape)}, "result",
                               {"function": self.name})


@dataclass
class UserPartial:
    """A user's partial result as a job can checkpoint it (an array of bytes, see
    :mod:`..jobs.checkpoints`): pickled with cloudpickle, since it may be any object.  Loading
    it runs no more code than the job's own function does."""

    pickled: np.ndarray  # uint8; empty: no frame seen yet

    @classmethod
    def of(cls, value: Any) -> UserPartial:
        import cloudpickle

        if value is None:
            return cls(np.zeros(0, np.uint8))
        return cls(np.frombuffer(cloudpickle.dumps(value), np.uint8).copy())

    def value(self) -> Any:
        import cloudpickle

        return cloudpickle.loads(self.pickled.tobytes()) if len(self.pickled) else None


class ApplyPlan(_UserCode, Plan):
    """A user's object with ``process(frames)`` (a partial from a block of frames, shape
    ``(n,) + frame``) and ``merge(a, b)``; ``finish(partial)`` shapes the answer when present.
    The partials of the partitions are merged in any order, as LiberTEM's UDFs are."""

    partial_kind = "merge"

    def __init__(self, dataset: Dataset, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        check_environment(params.get("environment"))
        self._load(params.get("function"), "apply")
        self.name = str(params.get("name") or type(self.function).__name__)
        missing = [name for name in ("process", "merge") if not callable(getattr(self.function, name, None))]
        if missing:
            raise FunctionFailed(f"apply needs an object with process(frames) and merge(a, b); "
                                 f"{self.name} has no {' or '.join(missing)}.",
                                 hint="class Total:\n    def process(self, frames): return frames.sum(axis=0)\n"
                                      "    def merge(self, a, b): return a + b")

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.function, method)(*args)
        except Exception as error:
            raise _failed(error, f"{method}()") from None

    def empty_partial(self) -> UserPartial:
        return UserPartial.of(None)

    def process(self, frames: np.ndarray) -> UserPartial:
        return UserPartial.of(self._call("process", frames) if len(frames) else None)

    def merge(self, a: UserPartial, b: UserPartial) -> UserPartial:
        first, second = a.value(), b.value()
        if first is None or second is None:
            return b if first is None else a
        return UserPartial.of(self._call("merge", first, second))

    def finish(self, partial: UserPartial, visited: np.ndarray | None) -> ReductionResult:
        combined = partial.value()
        if combined is None:
            raise FunctionFailed("apply saw no frame: the ROI holds no scan position.",
                                 hint="Widen the ROI, or leave it out.")
        if callable(getattr(self.function, "finish", None)):
            combined = self._call("finish", combined)
        answer = _as_numbers(combined, "the merged result")
        check_result_bytes(answer.nbytes, "apply")  # its size is known only now
        return ReductionResult({"result": answer}, "result", {"function": self.name})
