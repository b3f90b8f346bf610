"""The one place where user-supplied paths are made safe.

Every path that arrives from a request goes through :func:`normalise` before any storage call.
It yields a relative POSIX path ('' for the root) that cannot leave the repository: parent
segments, absolute paths, drive letters, backslashes and control characters are refused rather
than silently rewritten, so that a mistyped or malicious path never reaches a different file.
Symlinks are checked later, by the repository, because only it knows where its root really is.

Length is a rule too: a path longer than any file system keeps (``PATH_MAX``, ``NAME_MAX``) or
deeper than any dataset tree is refused here as a bad parameter, instead of reaching storage and
coming back as an error the storage cannot explain.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from ..errors import BadParameter, NotFound

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Longest path, in bytes of UTF-8 (Linux's PATH_MAX).
MAX_PATH_BYTES = 4096
#: Longest name of one folder or file, in bytes of UTF-8 (NAME_MAX of common file systems).
MAX_SEGMENT_BYTES = 255
#: Deepest path, in folders.
MAX_SEGMENTS = 256


def normalise(path: str | None) -> str:
    """Return ``path`` relative to a repository root, or raise :class:`BadParameter`."""
    if path is None:
        return ""
    if not isinstance(path, str):
        raise BadParameter("Path must be a string.")
    size = len(path.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        raise BadParameter(f"The path is {size:,} bytes long; at most {MAX_PATH_BYTES} are accepted.",
                           hint="Shorten the path: no storage keeps longer ones.")
    if _CONTROL.search(path):
        raise BadParameter("Path contains control characters.", hint="Remove them from the path.")
    if "\\" in path:
        raise BadParameter("Path contains a backslash.", hint="Use '/' to separate folders.")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise BadParameter(
            "Absolute paths are not accepted.",
            hint="Give the path relative to the repository root.",
        )
    segments = [segment for segment in path.split("/") if segment not in ("", ".")]
    if len(segments) > MAX_SEGMENTS:
        raise BadParameter(f"The path is {len(segments):,} folders deep; at most {MAX_SEGMENTS} are accepted.",
                           hint="Shorten the path.")
    for segment in segments:
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            raise BadParameter(f"A name in the path is longer than {MAX_SEGMENT_BYTES} bytes.",
                               hint="Shorten it: file systems keep no longer names.")
        # A segment that only turns into '..' after more decoding is a traversal attempt, not a name.
        if segment == ".." or unquote(unquote(segment)) in ("..", ".", "/") or "/" in unquote(segment):
            raise BadParameter(
                "Path may not leave the repository.",
                hint="Remove '..' and encoded separators from the path.",
            )
    return "/".join(segments)


def join(root: str, relative: str) -> str:
    """Join a normalised relative path to a storage root."""
    if not relative:
        return root
    if not root:
        return relative
    return posixpath.join(root.rstrip("/"), relative) if root != "/" else "/" + relative


def is_within(root: str, candidate: str) -> bool:
    """True when ``candidate`` (an absolute, resolved path) is ``root`` or below it."""
    root = root.rstrip("/") or "/"
    return candidate == root or candidate.startswith(root + "/") or root == "/"


def under(path: str, prefix: str) -> bool:
    """True when the repository path ``path`` is ``prefix`` or below it (both normalised; ""
    is the whole repository)."""
    return not prefix or path == prefix or path.startswith(prefix + "/")


def ensure_within(root: str, candidate: str, shown_path: str) -> None:
    """Refuse a resolved path outside the root; answered as 'not found' so nothing leaks."""
    if not is_within(root, candidate):
        raise NotFound(f"'{shown_path}' does not exist in this repository.")
