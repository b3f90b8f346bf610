"""Steps and the lazy handles calling them makes; ``.map`` over columns of a table or lists.

A :class:`Step` wraps a plain function with where its product goes (a target template filled from its
arguments), how it is written (a writer) and when it may be skipped. Calling it runs nothing: it
returns a :class:`Handle`, and handles passed as arguments to other steps make the pipeline's graph.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterable
from typing import Any

from .errors import PipelineError
from .writers import Writer, writer_for

SKIP_POLICIES = ("key", "exists", "never")
_counter = itertools.count()


class unmapped:  # noqa: N801 - reads like the keyword it stands for
    """A value given whole to every mapped call: ``normalise.map(cells, reference=unmapped(ref))``."""

    def __init__(self, value: Any) -> None:
        self.value = value


class Handle:
    """One call of a step: its function, bound arguments (values and upstream handles), and target."""

    __slots__ = ("step", "arguments", "target", "_id")

    def __init__(self, step: Step, arguments: dict[str, Any]) -> None:
        self.step = step
        self.arguments = arguments
        self.target = step.target_for(arguments)
        self._id = next(_counter)

    def upstream(self) -> list[Handle]:
        """The handles this one consumes, in argument order."""
        found: list[Handle] = []
        _walk(self.arguments, lambda h: found.append(h))
        return found

    def __repr__(self) -> str:
        where = f" -> {self.target}" if self.target else ""
        return f"<{self.step.name}{where}>"


def _walk(value: Any, visit: Callable[[Handle], None]) -> None:
    if isinstance(value, Handle):
        visit(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, visit)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, visit)


def substitute(value: Any, replace: Callable[[Handle], Any]) -> Any:
    """``value`` with every handle in it (at any depth of lists, tuples, dicts) replaced."""
    if isinstance(value, Handle):
        return replace(value)
    if isinstance(value, list):
        return [substitute(item, replace) for item in value]
    if isinstance(value, tuple):
        return tuple(substitute(item, replace) for item in value)
    if isinstance(value, dict):
        return {key: substitute(item, replace) for key, item in value.items()}
    return value


class Step:
    """A function whose calls become lazy handles; see :func:`step`."""

    def __init__(self, fn: Callable, target: str | Callable[..., str] | None = None, writer: Writer | None = None,
                 version: str | None = None, skip: str = "key", name: str | None = None) -> None:
        if skip not in SKIP_POLICIES:
            raise PipelineError(f"skip={skip!r} is not a skip policy.", hint=f"Use one of {', '.join(SKIP_POLICIES)}.")
        if writer is not None and target is None:
            raise PipelineError(f"Step {fn.__name__!r} has a writer but no target to write to.",
                                hint="Give target='folder/{name}.ext' as well.")
        if isinstance(target, str) and writer is None:
            writer = writer_for(target)
        self.fn = fn
        self.target = target
        self.writer = writer
        self.version = version
        self.skip = skip
        self.name = name or getattr(fn, "__name__", "step")
        self.signature = inspect.signature(fn)
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn
        self._identity: dict[str, Any] | None = None

    # -- building the graph ----------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Handle:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise PipelineError(f"Step {self.name!r}: {error}.", hint=f"Its signature is {self.signature}.") from None
        bound.apply_defaults()
        return Handle(self, dict(bound.arguments))

    def map(self, *args: Any, **kwargs: Any) -> list[Handle]:
        """One handle per item: lists, pandas Series, earlier ``.map`` results, or a table whose columns
        are matched to the parameters by name (a DataFrame or a dict of lists as the only argument).
        ``unmapped(value)`` and scalars (numbers, strings) are given whole to every call."""
        if len(args) == 1 and not kwargs and _is_table(args[0]):
            table = args[0]
            columns = list(table.columns) if hasattr(table, "columns") else list(table)
            names = [p for p in self.signature.parameters if p in columns]
            if not names:
                raise PipelineError(f"Step {self.name!r}: no column of the table is one of its parameters.",
                                    hint=f"Parameters: {', '.join(self.signature.parameters)}; "
                                         f"columns: {', '.join(map(str, columns))}.")
            kwargs = {name: table[name] for name in names}
            args = ()
        sequences: list[tuple[Any, Any]] = []
        length: int | None = None
        for slot, value in [*enumerate(args), *kwargs.items()]:
            if isinstance(value, unmapped) or isinstance(value, (str, bytes, int, float, bool, type(None), Handle)):
                continue
            items = _as_list(value)
            if length is not None and len(items) != length:
                raise PipelineError(f"Step {self.name!r}: mapped arguments have different lengths "
                                    f"({length} and {len(items)}).", hint="Map over columns of one table.")
            length = len(items)
            sequences.append((slot, items))
        if length is None:
            raise PipelineError(f"Step {self.name!r}: .map needs at least one list or column.",
                                hint="Call the step directly for a single item.")
        by_slot = dict(sequences)
        handles = []
        for index in range(length):
            call_args = [by_slot[i][index] if i in by_slot else _whole(v) for i, v in enumerate(args)]
            call_kwargs = {k: by_slot[k][index] if k in by_slot else _whole(v) for k, v in kwargs.items()}
            handles.append(self(*call_args, **call_kwargs))
        return handles

    # -- targets and identity --------------------------------------------------------------------
    def target_for(self, arguments: dict[str, Any]) -> str | None:
        """The target's path, filled from the plain arguments (upstream handles cannot name targets)."""
        if self.target is None:
            return None
        plain = {k: v for k, v in arguments.items() if _is_plain(v)}
        try:
            if callable(self.target):
                path = self.target(**plain)
            else:
                path = self.target.format_map(plain)
        except (KeyError, IndexError, AttributeError) as error:
            raise PipelineError(f"Step {self.name!r}: the target {self.target!r} names {error}, which is not a "
                                "plain argument of this call.",
                                hint="Name targets from arguments that are numbers or strings (an id column), "
                                     "not from results of other steps.") from None
        from ..storage import paths

        return paths.normalise(str(path))

    def code_identity(self) -> dict[str, Any]:
        """The hash of this step's code (see :mod:`.codehash`), computed once per step object."""
        if self._identity is None:
            from .codehash import code_identity

            self._identity = code_identity(self.fn)
        return self._identity

    def forget_code_identity(self) -> None:
        """Hash the code again next time (after editing a helper in place, e.g. in a notebook)."""
        self._identity = None

    def __repr__(self) -> str:
        return f"<step {self.name} target={self.target!r} writer={self.writer!r} skip={self.skip}>"


def _is_table(value: Any) -> bool:
    if hasattr(value, "columns") and hasattr(value, "iloc"):
        return True
    return isinstance(value, dict) and bool(value) and all(isinstance(v, (list, tuple)) or hasattr(v, "__len__")
                                                           and not isinstance(v, (str, bytes)) for v in value.values())


def _as_list(value: Any) -> list[Any]:
    if hasattr(value, "tolist") and not isinstance(value, list):
        return list(value.tolist())
    if isinstance(value, Iterable):
        return list(value)
    raise PipelineError(f"Cannot map over a {type(value).__name__}.", hint="Map over lists or table columns.")


def _whole(value: Any) -> Any:
    return value.value if isinstance(value, unmapped) else value


def _is_plain(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (str, int, float, bool, np.integer, np.floating)) and not isinstance(value, Handle)


def step(fn: Callable | None = None, *, target: str | Callable[..., str] | None = None, writer: Writer | None = None,
         version: str | None = None, skip: str = "key", name: str | None = None) -> Any:
    """Make a pipeline step of a plain function.

    ``target`` names the product, filled from the call's arguments (``"cells/{cell_id}.ome.tiff"``);
    without one the result stays in memory and is passed on. ``writer`` stores it (inferred from the
    target's suffix when omitted). ``version`` is added to the code's hash (bump it to redo everything
    a change outside the hashed code affects). ``skip``: ``"key"`` (present and made by the same code,
    parameters, inputs and writer), ``"exists"`` (present at all) or ``"never"``.
    """
    def wrap(function: Callable) -> Step:
        return Step(function, target=target, writer=writer, version=version, skip=skip, name=name)

    return wrap(fn) if fn is not None else wrap
