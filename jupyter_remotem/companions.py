"""Files that belong with a data file: a raw file's JSON description, a MIB file's ``.hdr``.

Declared here once, for every place that moves a data file as a whole (a copy, "Copy to…" in
the lab): the data file alone would be unreadable (raw) or lose its scan shape (MIB).
"""

from __future__ import annotations

import posixpath

from .file_formats import detect_format


def sidecar_paths(path: str) -> list[str]:
    """Where a raw file's JSON description may lie: ``scan.raw.json``, then ``scan.json``."""
    stem, _ = posixpath.splitext(path)
    return [path + ".json", stem + ".json"]


def companions_of(path: str) -> list[str]:
    """The paths that may accompany ``path`` (whether they exist is for the caller to see)."""
    fmt = detect_format(posixpath.basename(path))
    if fmt == "raw":
        return sidecar_paths(path)
    if fmt == "mib":
        return [posixpath.splitext(path)[0] + ".hdr"]
    return []


def renamed_companion(source: str, companion: str, target: str) -> str:
    """Where a companion goes when ``source`` goes to ``target``: it is renamed the same way
    (``scan.raw.json`` follows ``scan.raw`` → ``run2.raw`` as ``run2.raw.json``)."""
    folder = posixpath.dirname(target)
    name = posixpath.basename(companion)
    for old, new in ((posixpath.basename(source), posixpath.basename(target)),
                     (posixpath.splitext(posixpath.basename(source))[0],
                      posixpath.splitext(posixpath.basename(target))[0])):
        if name.startswith(old):
            return posixpath.join(folder, new + name[len(old):])
    return posixpath.join(folder, name)
