"""Where targets live: an fsspec URL or a repository of this product, with atomic writes and manifests.

A target exists only when its manifest sidecar (``.<name>.manifest.json`` beside it) does: the
manifest is written last and is the commit mark. Single files are written under a temporary name and
renamed (locally) or sent in one PUT (object stores), so a reader never sees half a file under the
final name; a directory format written in place (Zarr) is uncommitted until its manifest appears.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import shutil
import stat as stat_module
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..storage import paths
from .errors import PipelineError

MANIFEST_SUFFIX = ".manifest.json"


def manifest_name(relative: str) -> str:
    head, name = posixpath.split(relative)
    return posixpath.join(head, f".{name}{MANIFEST_SUFFIX}") if head else f".{name}{MANIFEST_SUFFIX}"


class Store:
    """Targets below one root. Picklable, so the same object writes on the workers."""

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str, url: str, repository: Any = None,
                 prefix: str = "") -> None:
        self.fs = fs
        self.root = root.rstrip("/") if root not in ("", "/") else root
        self.url = url
        self._repository = repository
        #: A folder of the repository that holds the targets ("" for its root).
        self.prefix = prefix
        self.is_local = isinstance(fs, LocalFileSystem)

    @classmethod
    def for_repository(cls, repository: Any, path: str = "") -> Store:
        """Targets in a folder of a repository of this product (its gate checks every path)."""
        store = cls.from_spec(repository)
        prefix = paths.normalise(path) if path.strip("/") else ""
        if prefix:
            store.prefix = prefix
            store.url = f"{store.url}/{prefix}"
        return store

    @property
    def repository(self) -> Any:
        """The repository of this product the targets live in (None for an fsspec URL)."""
        return self._repository

    def repository_path(self, relative: str) -> str:
        """The path of a target inside its repository."""
        return posixpath.join(self.prefix, paths.normalise(relative)) if self.prefix else relative

    @classmethod
    def from_spec(cls, store: Any, storage_options: dict[str, Any] | None = None) -> Store:
        """``"results/"``, ``"s3://bucket/run"`` (+ storage options), a :class:`Repository`, or a Store."""
        if isinstance(store, Store):
            return store
        if hasattr(store, "full_path") and hasattr(store, "fs"):
            if not getattr(store.config, "writable", True):
                raise PipelineError(f"Repository {store.name!r} is read-only; targets cannot be written there.",
                                    hint="Choose a writable repository as the store.")
            return cls(store.fs, store.root, f"repository:{store.name}", repository=store)
        if isinstance(store, os.PathLike):
            store = os.fspath(store)
        if not isinstance(store, str) or not store:
            raise PipelineError("The store must be a path, an fsspec URL or a repository.",
                                hint="For example store='results/' or store='s3://bucket/results'.")
        options = dict(storage_options or {})
        if isinstance(options.get("auth"), list):
            options["auth"] = tuple(options["auth"])
        fs, root = fsspec.core.url_to_fs(store, **options)
        if isinstance(fs, LocalFileSystem):
            root = os.path.realpath(root)  # made by the first write, not by planning
        return cls(fs, root, store)

    # -- paths -----------------------------------------------------------------------------------
    def full(self, relative: str) -> str:
        """The storage path of a target, through the repository's gate when there is one."""
        if self._repository is not None:
            return self._repository.full_path(self.repository_path(relative))
        rel = paths.normalise(relative)
        full = paths.join(self.root, rel)
        if self.is_local:
            paths.ensure_within(self.root, self._resolved(full), rel)
        return full

    def _resolved(self, full: str) -> str:
        """``os.path.realpath(full)``, with the folders' resolution remembered: thousands of targets
        share a few folders, and resolving every component of every path dominated small items."""
        head, name = os.path.split(full)
        cache = self.__dict__.setdefault("_folders", {})
        try:
            st = os.lstat(head)
            # Valid while the folder is the same folder (not replaced, e.g. by a link out).
            identity = None if stat_module.S_ISLNK(st.st_mode) else (st.st_dev, st.st_ino)
        except FileNotFoundError:
            identity = None
        cached = cache.get(head)
        if cached is not None and identity is not None and cached[0] == identity:
            folder = cached[1]
        else:
            folder = os.path.realpath(head)
            if identity is not None:
                cache[head] = (identity, folder)
        candidate = os.path.join(folder, name)
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate

    def describe(self) -> str:
        return self.url

    # -- manifests -------------------------------------------------------------------------------
    def read_manifest(self, relative: str) -> dict[str, Any] | None:
        """The committed manifest, or None when there is none or it is unreadable (half-written)."""
        path = self.full(manifest_name(relative))
        try:
            if self.is_local:
                with open(path, "rb") as handle:
                    raw = handle.read()
            else:
                raw = self.fs.cat_file(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        try:
            manifest = json.loads(raw)
        except ValueError:
            return None
        return manifest if isinstance(manifest, dict) else None

    def write_manifest(self, relative: str, manifest: dict[str, Any]) -> None:
        self.put_bytes(manifest_name(relative), json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())

    def data_info(self, relative: str) -> dict[str, Any] | None:
        """Size and kind of what is stored at the target's name, or None."""
        path = self.full(relative)
        try:
            if self.is_local:
                st = os.stat(path)
                return {"type": "directory" if os.path.isdir(path) else "file", "size": st.st_size}
            info = self.fs.info(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return {"type": info.get("type"), "size": info.get("size")}

    def remove(self, relative: str) -> None:
        """Take away the manifest first (uncommit), then the data."""
        for name in (manifest_name(relative), relative):
            path = self.full(name)
            with contextlib.suppress(FileNotFoundError):
                if self.is_local:
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path)
                    elif os.path.lexists(path):
                        os.remove(path)
                elif self.fs.exists(path):
                    self.fs.rm(path, recursive=True)

    # -- writes ----------------------------------------------------------------------------------
    def _local_temporary(self, relative: str) -> str:
        final = self.full(relative)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        head, name = os.path.split(final)
        return os.path.join(head, f".{name}.partial-{uuid.uuid4().hex[:12]}")

    def put_bytes(self, relative: str, data: bytes) -> None:
        """Atomically: a temporary name then a rename locally, one PUT on an object store."""
        final = self.full(relative)
        if self.is_local:
            temporary = self._local_temporary(relative)
            try:
                with open(temporary, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, final)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(temporary)
                raise
        else:
            self.fs.pipe_file(final, data)

    @contextlib.contextmanager
    def local_file(self, relative: str) -> Iterator[str]:
        """A local path to write the target to; on exit it is renamed into place or uploaded."""
        final = self.full(relative)
        if self.is_local:
            temporary = self._local_temporary(relative)
            try:
                yield temporary
                os.replace(temporary, final)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(temporary)
                raise
            return
        with tempfile.TemporaryDirectory(prefix="remotem-target-") as folder:
            temporary = os.path.join(folder, posixpath.basename(relative))
            yield temporary
            self.fs.put_file(temporary, final)

    @contextlib.contextmanager
    def directory(self, relative: str) -> Iterator[tuple[fsspec.AbstractFileSystem, str]]:
        """A fresh folder for a directory format: locally a temporary one renamed into place, on object
        stores the final prefix itself (the manifest written after it commits it)."""
        final = self.full(relative)
        if self.is_local:
            temporary = self._local_temporary(relative)
            try:
                os.makedirs(temporary)
                yield self.fs, temporary
                if os.path.exists(final):
                    shutil.rmtree(final)
                os.replace(temporary, final)
            finally:
                if os.path.exists(temporary):
                    shutil.rmtree(temporary)
            return
        if self.fs.exists(final):
            self.fs.rm(final, recursive=True)
        yield self.fs, final

    def open(self, relative: str, mode: str = "rb"):
        return self.fs.open(self.full(relative), mode)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_folders", None)  # resolutions are this machine's
        return state

    def __repr__(self) -> str:
        return f"Store({self.url!r})"
