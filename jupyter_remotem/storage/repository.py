"""A named storage root behind fsspec, with safe paths and uniform listings.

Local folders, ``memory://``, S3 and WebDAV all look the same to the layers above: they ask a
:class:`Repository` to list, stat and open *relative* paths, and it guarantees that the path was
normalised and that, on local disks, symlinks do not lead out of the root.
"""

from __future__ import annotations

import copy
import os
import stat as stat_module
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import BadParameter, Forbidden, NotFound, RemotemError, StorageUnavailable
from ..file_formats import detect_format, opens_as_dataset
from . import paths
from .containment import ContainedLocalFileSystem, OutsideRepository


@dataclass(frozen=True)
class RepositoryConfig:
    """One entry of ``c.RemotemApp.repositories``."""

    name: str
    url: str
    storage_options: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    writable: bool = False
    groups: tuple[str, ...] = ()
    #: The user's own folder beside their notebooks: where "copy to local" puts things.
    home: bool = False

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RepositoryConfig:
        unknown = set(raw) - {"name", "url", "storage_options", "description", "writable", "groups", "home"}
        if unknown:
            raise ValueError(f"Unknown repository keys: {sorted(unknown)}")
        if not raw.get("name") or not raw.get("url"):
            raise ValueError("Every repository needs a 'name' and a 'url'.")
        name = str(raw["name"])
        if "/" in name or name in (".", ".."):
            raise ValueError(f"Repository name {name!r} may not contain '/'.")
        return cls(
            name=name,
            url=str(raw["url"]),
            storage_options=dict(raw.get("storage_options") or {}),
            description=str(raw.get("description") or ""),
            writable=bool(raw.get("writable", False)),
            groups=tuple(raw.get("groups") or ()),
            home=bool(raw.get("home", False)),
        )


@dataclass(frozen=True)
class Entry:
    """One row of a folder listing."""

    name: str
    path: str
    type: str  # "file" or "directory"
    size: int | None
    mtime: float | None
    format: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "type": self.type,
            "size": self.size,
            "mtime": self.mtime,
            "modified": (
                datetime.fromtimestamp(self.mtime, tz=timezone.utc).isoformat() if self.mtime else None
            ),
            "format": self.format,
            # Whether it opens in the viewer (a folder of a folder format does; any other expands).
            "dataset": opens_as_dataset(self.format, self.type == "directory"),
        }


def _mtime(info: dict[str, Any]) -> float | None:
    for key in ("mtime", "LastModified", "modified", "last_modified", "created"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


#: Seconds an S3 connection may take to open, and a read to answer (``config_kwargs`` overrides).
S3_CONNECT_TIMEOUT_S = 10
S3_READ_TIMEOUT_S = 60


def _storage_options(config: RepositoryConfig) -> dict[str, Any]:
    """Options as fsspec wants them; JSON config cannot spell tuples, which HTTP auth needs."""
    options = dict(config.storage_options)
    if isinstance(options.get("auth"), list):
        options["auth"] = tuple(options["auth"])
    if config.url.startswith(("s3://", "s3a://")):
        # botocore waits 60 s per connect and read and then retries; an object store that stops
        # answering must become an error the request reports, not a thread stuck for minutes.
        limits = {"connect_timeout": S3_CONNECT_TIMEOUT_S, "read_timeout": S3_READ_TIMEOUT_S}
        options["config_kwargs"] = {**limits, **options.get("config_kwargs", {})}
    return options


class Repository:
    """Safe access to one storage root."""

    def __init__(self, config: RepositoryConfig) -> None:
        self.config = config
        try:
            self.fs, root = fsspec.core.url_to_fs(config.url, **_storage_options(config))
        except (ImportError, ValueError, TypeError) as error:
            raise ValueError(f"Repository {config.name!r}: cannot use {config.url!r}: {error}") from error
        self.is_local = isinstance(self.fs, LocalFileSystem)
        if self.is_local:
            root = os.path.realpath(root)
            # Libraries handed this filesystem (zarr, copies) cannot be led out by a symlink either.
            self.fs = ContainedLocalFileSystem(root, auto_mkdir=bool(config.storage_options.get("auto_mkdir")))
        self.root = root.rstrip("/") if root not in ("/", "") else root

    @property
    def fresh(self) -> dict[str, Any]:
        """Listing options that bypass fsspec's directory cache, so new files show up at once."""
        return {} if self.is_local else {"refresh": True}

    @property
    def name(self) -> str:
        return self.config.name

    # -- paths ---------------------------------------------------------------------------------
    #: The paths this view of the repository may touch (a restricted token's reach, see
    #: :mod:`..auth.reach`); None: all of it.
    confined_to: tuple[str, ...] | None = None
    _outside_confinement: Callable[[str], Exception] | None = None

    def confined(self, prefixes: tuple[str, ...], refusal: Callable[[str], Exception]) -> Repository:
        """This repository, refusing (``refusal(what)``) every path not at or below ``prefixes``."""
        view = copy.copy(self)
        view.confined_to, view._outside_confinement = tuple(prefixes), refusal
        return view

    def full_path(self, relative: str | None) -> str:
        """Storage path for a user path: the single gate every access goes through."""
        rel = paths.normalise(relative)
        if self.confined_to is not None and not any(paths.under(rel, prefix) for prefix in self.confined_to):
            assert self._outside_confinement is not None
            raise self._outside_confinement(f"'{rel or '/'}' in repository '{self.name}'")
        full = paths.join(self.root, rel)
        if self.is_local:
            paths.ensure_within(self.root, os.path.realpath(full), rel)
        return full

    def ensure_inside(self, relative: str | None) -> None:
        """Refuse, by name, a path whose symlinks lead out of the root: for the owner of a folder
        (a copy of it), where answering "does not exist" would hide why a file was left out."""
        try:
            self.full_path(relative)
        except NotFound:
            if self.is_local and os.path.lexists(paths.join(self.root, paths.normalise(relative))):
                raise OutsideRepository(f"'{relative}' leads outside repository '{self.name}' (a link out); it is not read.",
                                        hint="Copy what it points to into the repository, or leave it out.") from None
            raise

    def relative(self, full: str) -> str:
        full = full.rstrip("/")
        root = self.root.rstrip("/")
        # Remote listings may drop a leading '/' or add a protocol; compare on the stripped form.
        stripped = self.fs._strip_protocol(full).rstrip("/")
        root_stripped = self.fs._strip_protocol(root).rstrip("/") if root else ""
        if root_stripped and stripped.startswith(root_stripped):
            stripped = stripped[len(root_stripped) :]
        return stripped.lstrip("/")

    def local_path(self, relative: str) -> str | None:
        """A path on this machine's filesystem, for memory maps; None on remote storage."""
        return self.full_path(relative) if self.is_local else None

    # -- queries -------------------------------------------------------------------------------
    def _entry(self, info: dict[str, Any]) -> Entry:
        full = info["name"]
        rel = self.relative(full)
        name = rel.rsplit("/", 1)[-1] if rel else self.name
        is_dir = info.get("type") == "directory"
        fmt = detect_format(name, is_directory=is_dir)
        size = info.get("size")
        return Entry(
            name=name,
            path=rel,
            type="directory" if is_dir else "file",
            size=None if is_dir else (int(size) if size is not None else None),
            mtime=_mtime(info),
            format=fmt,
        )

    def info(self, relative: str | None) -> Entry:
        full = self.full_path(relative)
        with self._translate_errors(relative):
            if self.is_local:
                # os.stat follows symlinks, which full_path has already confined to the root.
                st = os.stat(full)
                is_dir = stat_module.S_ISDIR(st.st_mode)
                info = {
                    "name": full,
                    "type": "directory" if is_dir else "file",
                    "size": st.st_size,
                    "mtime": st.st_mtime,
                }
            else:
                info = self.fs.info(full)
        return self._entry(info)

    def list(self, relative: str | None, include_hidden: bool = False,
             outside: list[str] | None = None) -> list[Entry]:
        """The folder's entries; symlinks that lead out of the root are left out (and, when
        ``outside`` is given, their paths appended to it, so a copy can report them)."""
        full = self.full_path(relative)
        entry = self.info(relative)
        if entry.type != "directory":
            raise BadParameter(f"'{entry.path}' is a file, not a folder.", hint="Use the meta endpoint for files.")
        with self._translate_errors(relative):
            infos = self.fs.ls(full, detail=True, **self.fresh)
        entries = []
        for info in infos:
            relative = self.relative(info["name"])
            if relative == entry.path:
                continue  # some stores list the folder itself
            if not include_hidden and relative.rsplit("/", 1)[-1].startswith("."):
                continue  # hidden files stay hidden, as in Jupyter's own file browser
            if self.is_local and not self._local_entry_is_safe(info["name"]):
                if outside is not None:
                    outside.append(relative)
                continue
            entries.append(self._entry(self._local_info(info) if self.is_local else info))
        entries.sort(key=lambda e: (e.type != "directory", e.name.lower()))
        return entries

    def _local_entry_is_safe(self, full: str) -> bool:
        return paths.is_within(self.root, os.path.realpath(full))

    @staticmethod
    def _local_info(info: dict[str, Any]) -> dict[str, Any]:
        if info.get("islink"):
            try:
                st = os.stat(info["name"])
            except OSError:
                return info
            info = dict(info, type="directory" if stat_module.S_ISDIR(st.st_mode) else "file", size=st.st_size)
        return info

    def open(self, relative: str | None, mode: str = "rb", **kwargs: Any) -> IO[bytes]:
        if any(flag in mode for flag in "wax+") and not self.config.writable:
            raise Forbidden(f"Repository '{self.name}' is read-only.", hint="Choose a writable repository.")
        full = self.full_path(relative)
        with self._translate_errors(relative):
            return self.fs.open(full, mode, **kwargs)

    def exists(self, relative: str | None) -> bool:
        try:
            self.info(relative)
        except NotFound:
            return False
        return True

    # -- errors --------------------------------------------------------------------------------
    def _translate_errors(self, relative: str | None) -> _ErrorTranslator:
        return _ErrorTranslator(self.name, relative or "")

    def to_json(self) -> dict[str, Any]:
        """Public description: never includes storage options, which may hold credentials."""
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return {
            "name": self.name,
            "description": self.config.description,
            "writable": self.config.writable,
            "home": self.config.home,
            "protocol": "local" if self.is_local else protocol,
        }


class _ErrorTranslator:
    """Context manager turning storage exceptions into :mod:`errors` with safe messages."""

    def __init__(self, repository: str, relative: str) -> None:
        self.repository = repository
        self.relative = relative

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            return False
        if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
            raise NotFound(f"'{self.relative}' does not exist in repository '{self.repository}'.") from exc
        if isinstance(exc, PermissionError):
            raise Forbidden(f"Storage refused access to '{self.relative}'.") from exc
        if isinstance(exc, (ConnectionError, TimeoutError)):
            raise StorageUnavailable(f"Repository '{self.repository}' did not answer.") from exc
        if isinstance(exc, OSError):
            raise StorageUnavailable(
                f"Repository '{self.repository}' failed on '{self.relative}': {exc.strerror or type(exc).__name__}."
            ) from exc
        if isinstance(exc, RemotemError):
            return False
        # Client libraries (botocore, httpx) raise their own types; the message may hold URLs with
        # credentials, so only the type name is passed on.
        raise StorageUnavailable(
            f"Repository '{self.repository}' failed on '{self.relative}' ({type(exc).__name__})."
        ) from exc
