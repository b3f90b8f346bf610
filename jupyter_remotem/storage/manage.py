"""Managing files where they live: new folder, rename or move, delete — on any writable repository.

The same rules as JupyterLab's contents API, through the repository's one path gate: nothing
outside the root is named, created or removed (a symlink inside is removed as a link, never
followed), read-only repositories refuse, existing targets are not replaced, and the root
itself cannot be deleted or moved.  Folders are deleted with what is in them only when asked
(``recursive``), so a mistyped path cannot empty a tree.
"""

from __future__ import annotations

import os
import posixpath

from ..errors import BadParameter, Conflict, Forbidden, NotFound
from . import paths
from .repository import Entry, Repository


def _writable(repository: Repository) -> None:
    if not repository.config.writable:
        raise Forbidden(f"Repository '{repository.name}' is read-only.",
                        hint="Files can be changed only in writable repositories (your notebook folder, scratch).")


def _not_root(path: str, what: str) -> str:
    relative = paths.normalise(path)
    if not relative:
        raise BadParameter(f"The repository's root cannot be {what}.", hint="Name a file or folder inside it.")
    return relative


def make_folder(repository: Repository, path: str) -> Entry:
    _writable(repository)
    relative = _not_root(path, "created")
    if repository.exists(relative):
        raise Conflict(f"'{relative}' already exists in '{repository.name}'.", hint="Choose another name.")
    parent = posixpath.dirname(relative)
    if parent and repository.info(parent).type != "directory":
        raise BadParameter(f"'{parent}' is a file, not a folder.")
    repository.fs.makedirs(repository.full_path(relative), exist_ok=False)
    return repository.info(relative)


def move(repository: Repository, path: str, new_path: str) -> Entry:
    """Rename or move within the repository; the target must not exist."""
    _writable(repository)
    old, new = _not_root(path, "moved"), _not_root(new_path, "the target of a move")
    entry = repository.info(old)  # 404 for what does not exist or leads out
    if new == old:
        return entry
    if new.startswith(old + "/"):
        raise BadParameter(f"'{old}' cannot be moved into itself.")
    if repository.exists(new):
        raise Conflict(f"'{new}' already exists in '{repository.name}'.",
                       hint="Choose another name, or delete that one first.")
    parent = posixpath.dirname(new)
    if parent:
        if not repository.exists(parent):
            raise NotFound(f"The folder '{parent}' does not exist in '{repository.name}'.",
                           hint="Make it first (PUT tree/{path} with {\"type\": \"directory\"}).")
        if repository.info(parent).type != "directory":
            raise BadParameter(f"'{parent}' is a file, not a folder.")
    source, target = repository.full_path(old), repository.full_path(new)
    if repository.is_local and os.path.islink(_unresolved(repository, old)):
        os.replace(_unresolved(repository, old), target)  # the link itself moves
    else:
        repository.fs.mv(source, target, recursive=entry.type == "directory")
    return repository.info(new)


def delete(repository: Repository, path: str, recursive: bool = False) -> Entry:
    """Delete a file, an empty folder, or (``recursive``) a folder and everything in it."""
    _writable(repository)
    relative = _not_root(path, "deleted")
    unresolved = _unresolved(repository, relative) if repository.is_local else None
    if unresolved is not None and os.path.islink(unresolved):
        repository.full_path(relative)  # a link out is not ours to touch: 404
        entry = repository.info(relative)
        os.unlink(unresolved)  # the link, never what it points to
        return entry
    entry = repository.info(relative)
    full = repository.full_path(relative)
    if entry.type == "directory":
        if not recursive and repository.list(relative, include_hidden=True):
            raise Conflict(f"The folder '{relative}' is not empty.",
                           hint="Delete what is in it first, or ask for recursive=1.")
        if repository.is_local:
            import shutil

            shutil.rmtree(full)  # removes links inside as links, never follows them
        else:
            repository.fs.rm(full, recursive=True)
    else:
        repository.fs.rm(full)
    return entry


def _unresolved(repository: Repository, relative: str) -> str:
    """The path as named (its last component not resolved), for telling links from what they name."""
    parent = posixpath.dirname(relative)
    return os.path.join(repository.full_path(parent) if parent else repository.root, posixpath.basename(relative))
