"""Notebook widgets over the client: a virtual-detector explorer, job progress, a repository browser.

They are built from ipywidgets and bqplot, so they need nothing beyond what JupyterLab ships
with those packages, and they call only the client's public methods, so every one works with a
remote dataset (``c.open(...)``) and a local one (``remotem.local(array)``) alike.  Work that
needs the server runs in a background thread per widget, keeping the kernel responsive; each
widget offers ``wait_idle``/``wait`` so scripts and tests can wait for what they asked for.
"""

from __future__ import annotations

from .browser import RepositoryBrowser
from .detector import VirtualDetectorWidget
from .progress import JobProgress, progress_summary

__all__ = ["JobProgress", "RepositoryBrowser", "VirtualDetectorWidget", "progress_summary"]
