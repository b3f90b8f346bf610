"""The one place where user-supplied paths are made safe.

Every path that arrives from a request goes through :func:`normalise` before any storage call.
It yields a relative POSIX path ('' for the root) that cannot leave the repository: parent
segments, absolute paths, drive letters, backslashes and control characters are refused rather
than silently rewritten, so that a mistyped or malicious path never reaches a different file.
Symlinks are checked later, by the repository, because only it knows where its root really is.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from ..errors import BadParameter, NotFound

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise(path: str | None) -> str:
    """Return ``path`` relative to a repository root, or raise :class:`BadParameter`."""
    if path is None:
        return ""
    if not isinstance(path, str):
        raise BadParameter("Path must be a string.")
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
    for segment in segments:
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


def ensure_within(root: str, candidate: str, shown_path: str) -> None:
    """Refuse a resolved path outside the root; answered as 'not found' so nothing leaks."""
    if not is_within(root, candidate):
        raise NotFound(f"'{shown_path}' does not exist in this repository.")
