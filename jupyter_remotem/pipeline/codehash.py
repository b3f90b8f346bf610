"""The identity of a step's code: what must change for its products to be redone.

Caches that hash bytecode or pickles miss edits in helper functions and change between Python
versions; caches that hash raw source redo everything after a comment or docstring edit. This module
hashes the *abstract syntax tree* of the function (so comments, docstrings, blank lines and the
decorator do not count), together with, recursively, the functions and classes of the user's own
modules that it refers to and the plain constants it reads from its module. The standard library,
site-packages and this product are taken as given: their versions are recorded separately.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import inspect
import json
import os
import sys
import sysconfig
import textwrap
import types
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .errors import PipelineError

#: Module-level values a step may read whose value enters its code identity.
_PLAIN = (bool, int, float, str, bytes, type(None))
_OWN_PACKAGE = __name__.split(".")[0]


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    """Folders whose modules are libraries, not the user's code."""
    roots = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            roots.add(os.path.realpath(path))
    for path in sys.path:
        if path.endswith(("site-packages", "dist-packages")):
            roots.add(os.path.realpath(path))
    roots.add(os.path.realpath(sys.prefix))
    roots.add(os.path.realpath(sys.base_prefix))
    return tuple(sorted(roots))


def is_user_module(module: types.ModuleType | None) -> bool:
    """True for the user's own code: ``__main__``, a notebook, a module from a file outside the
    interpreter's and the environment's folders. Not this product, not built-in modules."""
    if module is None:
        return False
    name = module.__name__
    if name == _OWN_PACKAGE or name.startswith(_OWN_PACKAGE + "."):
        return False
    if name == "__main__":
        return True
    if name in sys.builtin_module_names:
        return False
    path = getattr(module, "__file__", None)
    if not path:
        return False
    real = os.path.realpath(path)
    return not any(real == root or real.startswith(root + os.sep) for root in _library_roots())


class _StripDocstrings(ast.NodeTransformer):
    """Remove docstrings (a leading string expression) from every function, class and module body."""

    def _strip(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        body = getattr(node, "body", None)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Module = _strip


def normalised_source(obj: Callable | type) -> str:
    """The AST dump of ``obj`` without decorators, docstrings, comments or positions."""
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        ast.parse(source)
    except (OSError, TypeError, SyntaxError) as error:
        raise PipelineError(f"The source of {getattr(obj, '__qualname__', obj)!r} cannot be read, so its "
                            "products cannot be tied to its code.",
                            hint="Define steps with def in a file or a notebook cell (not exec(), not a "
                                 "lambda inside a larger expression).") from error
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is tree.body[0]:
            node.decorator_list = []
    tree = _StripDocstrings().visit(tree)
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _referenced_names(tree: ast.AST) -> list[list[str]]:
    """Dotted names read by the code (``f``, ``helpers.smooth``), as lists of parts."""
    chains = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            parts = []
            current: ast.AST = node
            while isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name):
                chains.append([current.id, *reversed(parts)])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            chains.append([node.id])
    return chains


def _resolve(chain: list[str], namespace: dict[str, Any]) -> tuple[str, Any] | None:
    """The object a dotted name leads to, following modules and classes, or None."""
    if chain[0] not in namespace:
        return None
    obj = namespace[chain[0]]
    name = chain[0]
    for part in chain[1:]:
        if not isinstance(obj, (types.ModuleType, type)):
            break
        try:
            obj = getattr(obj, part)
        except AttributeError:
            break
        name = f"{name}.{part}"
    return name, obj


def _unwrap(obj: Any) -> Any:
    """The user's function behind a step, a functools.wraps wrapper or a bound method."""
    fn = getattr(obj, "fn", None)
    if callable(fn) and type(obj).__name__ == "Step":
        obj = fn
    obj = inspect.unwrap(obj) if callable(obj) else obj
    return getattr(obj, "__func__", obj)


def code_identity(fn: Callable) -> dict[str, Any]:
    """A JSON-able record of everything in the user's code that ``fn`` depends on, and its hash.

    ``{"hash": ..., "functions": {qualified name: hash of its normalised source}, "constants": {...}}``
    """
    functions: dict[str, str] = {}
    constants: dict[str, Any] = {}
    seen: set[int] = set()

    def visit(obj: Any) -> None:
        obj = _unwrap(obj)
        if id(obj) in seen:
            return
        seen.add(id(obj))
        module = inspect.getmodule(obj)
        # Named by qualified name only, so moving or renaming a module does not redo its products;
        # the module joins the name only when two functions would otherwise share it.
        qualified = getattr(obj, "__qualname__", repr(obj))
        if qualified in functions:
            qualified = f"{getattr(module, '__name__', '?')}:{qualified}"
        source = normalised_source(obj)
        functions[qualified] = hashlib.sha256(source.encode()).hexdigest()
        namespace: dict[str, Any] = {}
        if getattr(obj, "__globals__", None) is not None:
            namespace.update(obj.__globals__)
        elif module is not None:
            namespace.update(vars(module))
        closure = getattr(obj, "__closure__", None)
        if closure:
            for name, cell in zip(obj.__code__.co_freevars, closure):
                try:
                    namespace[name] = cell.cell_contents
                except ValueError:
                    pass
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
        for chain in _referenced_names(tree):
            found = _resolve(chain, namespace)
            if found is None:
                continue
            name, value = found
            if isinstance(value, _PLAIN) or (isinstance(value, tuple) and all(isinstance(v, _PLAIN) for v in value)):
                if chain[0] not in vars(builtins):
                    constants[f"{qualified}>{name}"] = repr(value)
                continue
            target = _unwrap(value)
            if isinstance(target, (types.FunctionType, type)) and is_user_module(inspect.getmodule(target)):
                visit(target)

    visit(fn)
    # ``version`` is a component of the key of its own (so a plan can say "version changed").
    record: dict[str, Any] = {"functions": dict(sorted(functions.items())),
                              "constants": dict(sorted(constants.items()))}
    record["hash"] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    return record
