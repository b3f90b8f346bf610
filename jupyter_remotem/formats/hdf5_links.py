"""Where an HDF5 dataset's bytes really live: links, external raw storage and virtual sources.

h5py follows external links, external raw storage and virtual-dataset (VDS) sources by
itself, searching the server's folders (HDF5 tries environment prefixes, the parent file's
folder and the working directory in turn), and a byte-offset reader handed a linked dataset
would read the *parent* file at the linked dataset's offset.  So no path inside a file is ever
given to h5py whole: :func:`locate` walks it one link at a time, resolving soft links itself and
opening the file an external link names only after :func:`..storage.containment.resolve_reference`
has placed it inside the same repository; :func:`storage_of` does the same for a dataset's
external storage segments and VDS sources.  What a walk ends on is always in the file it
names, so every reader reads the file the bytes are really in.

Relative names of external storage and VDS sources are found by HDF5 itself when it reads them.
By default it looks in the *working directory* first; this module sets ``HDF5_EXTFILE_PREFIX``
and ``HDF5_VDS_PREFIX`` to ``${ORIGIN}`` (the referring file's folder) in every process that
reads through it, which is where the check looked.  Environment rather than access property
lists, because HDF5 refuses to reopen a dataset with other prefixes than the ones it is already
open with, and h5py's own calls (``visititems``) use the defaults.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import h5py

from ..errors import CorruptFile, NotFound, UnsupportedFormat
from ..storage.containment import OutsideRepository, resolve_reference
from .hdf5_gc import guard as guard_collection

if TYPE_CHECKING:
    from ..storage.repository import Repository

for _variable in ("HDF5_EXTFILE_PREFIX", "HDF5_VDS_PREFIX"):
    os.environ[_variable] = "${ORIGIN}"

#: Soft and external links followed in one walk before the file is called corrupt (a loop).
MAX_HOPS = 16

Handle = tuple[h5py.File, Callable[[], None]]


def open_file(repository: Repository, path: str) -> Handle:
    """``(h5py.File, close)`` for one repository file, local or remote."""
    local = repository.local_path(path)
    if local is not None:
        handle = h5py.File(local, "r")
        return handle, handle.close
    guard_collection()  # before h5py first calls back into a remote file object
    fileobj = repository.open(path, "rb")
    try:
        handle = h5py.File(fileobj, "r")
    except BaseException:
        fileobj.close()
        raise

    def close() -> None:
        handle.close()
        fileobj.close()

    return handle, close


@dataclass
class Located:
    """An object found by :func:`locate`, with the file it is really in."""

    path: str  # repository path of that file
    handle: Handle
    node: Any  # h5py.Dataset or h5py.Group, opened through hard links only
    hops: list[str] = field(default_factory=list)  # the external files passed through

    @property
    def name(self) -> str:
        return self.node.name


def _parts(name: str) -> list[str]:
    parts = [part for part in str(name).split("/") if part not in ("", ".")]
    if ".." in parts:
        raise CorruptFile(f"The HDF5 path '{name}' contains '..', which HDF5 paths cannot.")
    return parts


def _link(group: h5py.Group, part: str) -> tuple[int, Any] | None:
    """The link ``part`` of ``group`` without following it: ``(type, value)``, None if absent."""
    key = part.encode("utf-8")
    links = group.id.links
    if not links.exists(key):
        return None
    kind = links.get_info(key).type
    if kind == h5py.h5l.TYPE_HARD:
        return kind, None
    return kind, links.get_val(key)


def locate(repository: Repository, path: str, handle: Handle, name: str) -> Located:
    """Follow ``name`` from the root of ``handle`` (the file at repository path ``path``).

    The returned handle is ``handle`` itself when the object is in that file, else a new one
    the caller closes (files passed through on the way are closed here)."""
    current = Located(path, handle, handle[0]["/"])
    parts = _parts(name)
    walked: list[str] = []
    hops = 0
    try:
        while parts:
            part = parts.pop(0)
            if not isinstance(current.node, h5py.Group):
                raise NotFound(f"'{current.name}' in '{current.path}' is an array, not a group: no '{part}' inside.")
            link = _link(current.node, part)
            shown = "/" + "/".join([*walked, part])
            if link is None:
                raise NotFound(
                    f"'{path}' has no dataset '{shown}'.",
                    hint="List the file's arrays (the meta endpoint) to see the available paths.",
                )
            kind, value = link
            if kind == h5py.h5l.TYPE_HARD:
                current.node = current.node[part]
                walked.append(part)
                continue
            hops += 1
            if hops > MAX_HOPS:
                raise CorruptFile(f"'{shown}' in '{path}' passes more than {MAX_HOPS} links (a loop?).")
            if kind == h5py.h5l.TYPE_SOFT:
                target = value.decode("utf-8", "replace")
                if target.startswith("/"):
                    current.node, walked = current.handle[0]["/"], []
                parts = _parts(target) + parts
            elif kind == h5py.h5l.TYPE_EXTERNAL:
                filename, inner = (v.decode("utf-8", "replace") for v in value)
                where = "" if current.path == path else f" in '{current.path}'"
                target_file = resolve_reference(repository, current.path, filename,
                                                f"The external link '{shown}'{where}")
                opened = open_file(repository, target_file)
                if current.handle is not handle:
                    current.handle[1]()
                current = Located(target_file, opened, opened[0]["/"], current.hops + [target_file])
                parts, walked = _parts(inner) + parts, []
            else:
                raise UnsupportedFormat(f"'{shown}' in '{path}' is a user-defined link, which is not followed.")
        return current
    except BaseException:
        if current.handle is not handle:
            current.handle[1]()
        raise


@contextmanager
def located(repository: Repository, path: str, handle: Handle, name: str) -> Iterator[Located]:
    """:func:`locate`, closing a file it opened when the block ends."""
    found = locate(repository, path, handle, name)
    try:
        yield found
    finally:
        if found.handle is not handle:
            found.handle[1]()


@dataclass(frozen=True)
class Segment:
    """One piece of external raw storage: bytes ``[offset, offset + size)`` of a repository file."""

    path: str
    offset: int
    size: int


@dataclass(frozen=True)
class Storage:
    """Where a dataset's bytes are: ``plain`` (in its own file), ``external`` or ``virtual``."""

    kind: str
    segments: tuple[Segment, ...] = ()
    sources: tuple[str, ...] = ()  # repository paths of a VDS's source files ('.' resolved)

    @property
    def one_segment(self) -> Segment | None:
        """External storage that is one run of bytes of one file (h5py writes one segment)."""
        if not self.segments:
            return None
        first = self.segments[0]
        end = first.offset
        for segment in self.segments:
            if segment.path != first.path or segment.offset != end:
                return None
            end = segment.offset + segment.size
        return Segment(first.path, first.offset, end - first.offset)

    @property
    def other_files(self) -> bool:
        return bool(self.segments) or any(source for source in self.sources)


def is_plain(node: Any) -> bool:
    """A dataset whose bytes are all in its own file."""
    if not isinstance(node, h5py.Dataset):
        return False
    return not node.is_virtual and not node.id.get_create_plist().get_external_count()


def storage_of(repository: Repository, path: str, dset: h5py.Dataset) -> Storage:
    """Check every file a dataset's bytes come from; :class:`OutsideRepository` if one is outside."""
    plist = dset.id.get_create_plist()
    count = plist.get_external_count()
    if count:
        segments = []
        for i in range(count):
            name, offset, size = plist.get_external(i)
            filename = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
            target = resolve_reference(repository, path, filename, f"The external storage of '{dset.name}'")
            segments.append(Segment(target, int(offset), int(size)))
        return Storage("external", segments=tuple(segments))
    if not dset.is_virtual:
        return Storage("plain")
    sources = []
    for i in range(plist.get_virtual_count()):
        filename = plist.get_virtual_filename(i)
        inner = plist.get_virtual_dsetname(i)
        what = f"A source of the virtual dataset '{dset.name}'"
        if "%" in filename or "%" in inner:
            raise UnsupportedFormat(f"{what} is a pattern ('{filename}'), which is not expanded.",
                                    hint="Write the sources of the virtual dataset with plain file names.")
        source = "" if filename == "." else resolve_reference(repository, path, filename, what)
        _check_source(repository, source or path, inner, what, dset.file if filename == "." else None)
        sources.append(source)
    return Storage("virtual", sources=tuple(sources))


def _check_source(repository: Repository, path: str, inner: str, what: str, same: h5py.File | None) -> None:
    """A VDS source must be plain data in the file named: HDF5 opens it with its own link rules."""
    handle = (same, lambda: None) if same is not None else open_file(repository, path)
    try:
        with located(repository, path, handle, inner) as found:
            if found.hops:
                raise OutsideRepository(f"{what} is reached through an external link, which is not followed.")
            if not is_plain(found.node):
                raise UnsupportedFormat(f"{what} ('{inner}') is not plain data in its file.",
                                        hint="Virtual datasets may refer only to datasets stored in their own file.")
    finally:
        handle[1]()


def describe_outside(name: str, error: OutsideRepository) -> dict[str, Any]:
    """The listing entry of an array that points outside its repository: shown, never read."""
    return {"path": name, "shape": None, "dtype": None, "chunks": None, "compression": None,
            "outside_repository": True, "reason": error.message}
