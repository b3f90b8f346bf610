"""The one place that decides whether what a file *refers to* stays inside its repository.

:mod:`.paths` makes the paths of requests safe.  Files can name other files themselves: HDF5
external links, external raw storage and virtual-dataset sources, a MIB's ``.hdr``, a Zarr chunk
that is a symlink.  Anyone who may place a file in shared storage could otherwise make the
server read any file it can read.  So every such reference is resolved here, with the same
rule everywhere (server, worker, copies, the client's local mode):

* a reference resolves to a path inside the *same* repository, or the read is refused with
  :class:`OutsideRepository` (403) — a repository is the unit of visibility, so a target in it is
  visible to whoever sees the referring file;
* relative references are taken from the referring file's folder, absolute ones must lie under
  the repository's root (on remote storage an absolute name would be a path on the server's own
  disks, so it is always outside);
* on local disks the operating system's view counts: symlinks and ``..`` after a symlinked
  folder are resolved before the check, and :class:`ContainedLocalFileSystem` repeats the check
  on every file the repository's filesystem opens, copies or moves (so a Zarr chunk that is a
  symlink out is refused even when a library reads it directly).
"""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING, Any

from fsspec.implementations.local import LocalFileSystem

from ..errors import BadParameter, CorruptFile, Forbidden, NotFound
from . import paths

if TYPE_CHECKING:
    from .repository import Repository


class OutsideRepository(Forbidden):
    """A file refers to data outside the repository it lives in."""

    code = "outside_repository"
    default_hint = (
        "The file refers to data outside its repository, which is never read. Copy that data into the "
        "same repository (or ask the file's author to), or open the data where it lives."
    )


def refuse(what: str, reference: str) -> OutsideRepository:
    """The refusal for one reference, naming it without revealing where it would have led."""
    return OutsideRepository(f"{what} points outside the repository ('{reference}').")


def resolve_reference(repository: Repository, referring: str, reference: str, what: str) -> str:
    """Repository path of the file that ``referring`` (a repository path) names as ``reference``.

    ``what`` describes the reference for messages ("external link '/entry/data'").  Raises
    :class:`OutsideRepository` when it leads out, :class:`CorruptFile` when the target is missing
    (HDF5 would silently read fill values, or search other folders, for a missing target)."""
    if not isinstance(reference, str) or not reference or "\x00" in reference:
        raise CorruptFile(f"{what} names no file.")
    if reference == ".":
        return referring
    if repository.is_local:
        relative = _local_target(repository, referring, reference, what)
    else:
        relative = _remote_target(referring, reference, what)
    try:
        relative = paths.normalise(relative)
        repository.full_path(relative)
    except NotFound:
        raise refuse(what, reference) from None
    except BadParameter:
        raise CorruptFile(f"{what} names a file that cannot be a repository path ('{reference}').") from None
    if not relative or not repository.exists(relative):
        raise CorruptFile(
            f"{what} names '{reference}', which does not exist in this repository.",
            hint="The file it refers to may have been moved or not copied along with this one.",
        )
    return relative


def _local_target(repository: Repository, referring: str, reference: str, what: str) -> str:
    folder = os.path.dirname(repository.full_path(referring))
    real = os.path.realpath(os.path.join(folder, reference))  # absolute references stay absolute
    if not paths.is_within(repository.root, real) or real == repository.root.rstrip("/"):
        raise refuse(what, reference)
    return os.path.relpath(real, repository.root) if repository.root != "/" else real.lstrip("/")


def _remote_target(referring: str, reference: str, what: str) -> str:
    if reference.startswith("/") or "://" in reference or "\\" in reference:
        raise refuse(what, reference)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(referring), reference))
    if joined == ".." or joined.startswith("../"):
        raise refuse(what, reference)
    return joined


def check_companion(repository: Repository, full: str, what: str) -> None:
    """Refuse a file that a reader will open beside the one it was given, by itself, when it is a
    link out (or, as rsciio derives a MIB's ``.hdr`` by replacing text in the whole path, when it
    lies outside altogether).  Only local repositories: remote files reach readers as stand-ins
    in a folder of our own."""
    if not repository.is_local or not os.path.lexists(full):
        return
    if not paths.is_within(repository.root, os.path.realpath(full)):
        raise refuse(what, posixpath.basename(full))


class ContainedLocalFileSystem(LocalFileSystem):
    """A local filesystem that opens, copies and moves only files whose real path is under ``root``.

    Repositories on local disks use it, so that libraries handed the repository's filesystem (zarr
    reading chunks, copies streaming files) cannot be led out by a symlink.  The refusal is not an
    ``OSError``: stores that treat I/O errors as missing chunks (and read fill values) must not
    swallow it."""

    def __init__(self, root: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = os.path.realpath(root)

    def check(self, path: str) -> str:
        stripped = self._strip_protocol(path)
        if not paths.is_within(self.root, os.path.realpath(stripped)):
            raise refuse("A link", posixpath.basename(stripped))
        return stripped

    def _open(self, path: str, mode: str = "rb", block_size: Any = None, **kwargs: Any) -> Any:
        return super()._open(self.check(path), mode, block_size=block_size, **kwargs)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        super().cp_file(self.check(path1), self.check(path2), **kwargs)

    def mv(self, path1: str, path2: str, recursive: bool = True, **kwargs: Any) -> None:
        super().mv(self.check(path1), self.check(path2), recursive=recursive, **kwargs)

    def put_file(self, path1: str, path2: str, callback: Any = None, **kwargs: Any) -> None:
        """Upload from anywhere on this machine (a worker's scratch file) into the root only."""
        LocalFileSystem.cp_file(self, path1, self.check(path2), **kwargs)

    def get_file(self, path1: str, path2: str, callback: Any = None, **kwargs: Any) -> None:
        LocalFileSystem.cp_file(self, self.check(path1), path2, **kwargs)

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        super().touch(self.check(path), truncate=truncate, **kwargs)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        super().makedirs(self.check(path), exist_ok=exist_ok)
