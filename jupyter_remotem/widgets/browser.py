"""``RepositoryBrowser``: pick a repository, walk its folders, inspect a dataset, open it.

The notebook twin of the Remote data sidebar, for when a script wants the user to choose a file
(``browser.dataset`` after *Open*).  Listing a folder and describing a file are requests to the
server; they run in the widget's background thread (:mod:`._throttle`) so a slow repository
never freezes the kernel, and clicking quickly through a folder only describes the file the
user stopped at.  The widget calls only the client's ``repositories``, ``ls``, ``meta`` and
``open``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets

from ..sizes import format_bytes
from ._status import failure_html
from ._style import whole_description
from ._throttle import BackgroundWork, LatestWork

#: The entry that goes up a folder. Plain text, like every label of the list: a ``<select>``
#: draws its options in the system font, where pictographs (folder emoji) are empty boxes
#: on machines without an emoji font.
UP = ".. (up)"


def entry_label(entry: dict[str, Any]) -> str:
    """How a folder entry reads in the list: folders end in ``/``, files show size (in the
    sidebar's binary units) and format."""
    if entry.get("type") == "directory":
        return f"{entry['name']}/"
    details = ", ".join(p for p in (format_bytes(entry.get("size")), entry.get("format") or "") if p)
    return f"{entry['name']}  ({details})" if details else entry["name"]


def parent(path: str) -> str:
    return path.strip("/").rpartition("/")[0]


def describe_meta(meta: dict[str, Any]) -> str:
    """An HTML summary of a ``GET meta`` answer: shape, dtype, scan and frame shape, axes."""
    dataset = meta.get("dataset")
    if not dataset:
        return "<i>Not a dataset this server can open.</i>"
    axes = "".join(
        f"<tr><td>{html.escape(str(a.get('name', '')))}</td><td>{a.get('size')}</td>"
        f"<td>{a.get('scale', 1):g} {html.escape(str(a.get('units') or ''))}</td>"
        f"<td>{'scan' if a.get('navigate') else 'frame'}</td></tr>"
        for a in dataset.get("axes") or [])
    rows = [("format", dataset.get("format")), ("array", dataset.get("dataset")),
            ("shape", tuple(dataset.get("shape") or ())), ("dtype", dataset.get("dtype_name") or dataset.get("dtype")),
            ("scan", tuple(dataset.get("nav_shape") or ())), ("frame", tuple(dataset.get("sig_shape") or ())),
            ("size", format_bytes(dataset.get("nbytes")))]
    table = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in rows if v not in (None, "", ()))
    axes_table = (f"<table><tr><th>axis</th><th>size</th><th>scale</th><th></th></tr>{axes}</table>"
                  if axes else "")
    return f"<table>{table}</table>{axes_table}"


class RepositoryBrowser(BackgroundWork, ipywidgets.VBox):
    """Browse ``client``'s repositories; *Open* sets :attr:`dataset` and calls ``on_open`` callbacks."""

    def __init__(self, client: Any, repository: str | None = None, path: str = "") -> None:
        self.client = client
        #: The dataset opened last with the *Open* button (or :meth:`open`), else None.
        self.dataset: Any = None
        #: The entries of the folder shown, as the server listed them.
        self.entries: list[dict[str, Any]] = []
        #: ``GET meta`` of the selected file, else None.
        self.meta: dict[str, Any] | None = None
        #: The last failure (``message`` and ``hint`` on a ``RemotemError``), None after a success.
        self.error: BaseException | None = None
        self._callbacks: list[Callable[[Any], None]] = []
        self._showing_meta = False
        self._work = LatestWork(self._failed, name="remotem-browser")
        self.path = path.strip("/")

        self.repository = ipywidgets.Dropdown(description="repository", style=whole_description())
        self.location = ipywidgets.HTML()
        self.listing = ipywidgets.Select(options=[], rows=14, layout=ipywidgets.Layout(width="100%"))
        self.array = ipywidgets.Dropdown(description="array", options=[], style=whole_description(),
                                         layout=ipywidgets.Layout(display="none"))
        self.details = ipywidgets.HTML()
        # Words only: an icon font may not be loaded in the notebook's page (an empty box then).
        self.open_button = ipywidgets.Button(description="Open", disabled=True, button_style="primary")
        self.status = ipywidgets.HTML()
        super().__init__(children=[
            self.repository, self.location,
            ipywidgets.HBox([ipywidgets.VBox([self.listing], layout=ipywidgets.Layout(width="50%")),
                             ipywidgets.VBox([self.array, self.details, self.open_button],
                                             layout=ipywidgets.Layout(width="50%"))]),
            self.status,
        ])
        self._load_repositories(repository)
        self.repository.observe(lambda change: self.navigate(change["new"], ""), "value")
        self.listing.observe(self._on_listing_choice, "index")
        self.array.observe(self._on_array_choice, "value")
        self.open_button.on_click(lambda _button: self._work.submit("open", self.open_dataset))

    # -- public API ------------------------------------------------------------------------
    @property
    def selected(self) -> dict[str, Any] | None:
        """The selected file's entry, None when nothing (or a folder) is selected."""
        if self.meta is None:
            return None
        return self.meta.get("entry")

    def navigate(self, repository: str, path: str = "") -> None:
        """Show folder ``path`` of ``repository``."""
        self._work.submit("list", lambda: self._list(repository, path.strip("/")))
        self._work.submit("meta", self._clear_details)

    def select(self, name: str) -> None:
        """Select the entry called ``name`` in the folder shown (as a click does)."""
        names = [e["name"] for e in self.entries]
        if name not in names:
            raise KeyError(f"No entry '{name}' in {self.repository.value}:{self.path or '/'}; there are: "
                           f"{', '.join(names) or 'none'}.")
        self.listing.index = names.index(name) + (1 if self.path else 0)

    def open_dataset(self) -> Any:
        """Open the selected dataset (the *Open* button), remember it in :attr:`dataset`, tell callbacks.

        (Not ``open``: ipywidgets uses that name for opening the widget's comm.)"""
        if self.meta is None or not self.meta.get("dataset"):
            raise ValueError("Select a dataset first.")
        self.dataset = self.client.open(self.meta["repository"], self.meta["path"], self.meta["dataset"].get("dataset"))
        self._set_status(f"opened {html.escape(repr(self.dataset))}")
        for callback in self._callbacks:
            callback(self.dataset)
        return self.dataset

    def on_open(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(dataset)`` each time a dataset is opened."""
        self._callbacks.append(callback)

    # -- events ----------------------------------------------------------------------------
    def _load_repositories(self, chosen: str | None) -> None:
        try:
            repositories = self.client.repositories
        except Exception as error:  # noqa: BLE001 - shown in the widget
            self._failed("repositories", error)
            return
        self.repository.options = [(f"{r['name']} — {r.get('description') or r.get('protocol', '')}", r["name"])
                                   for r in repositories]
        names = [r["name"] for r in repositories]
        if chosen is not None and chosen not in names:
            raise ValueError(f"No repository '{chosen}'; you may read: {', '.join(names) or 'none'}.")
        if names:
            self.repository.value = chosen or names[0]
            self.navigate(self.repository.value, self.path)

    def _on_listing_choice(self, change: dict[str, Any]) -> None:
        index = change["new"]
        if index is None:
            return
        repository, offset = self.repository.value, (1 if self.path else 0)
        if offset and index == 0:
            self.navigate(repository, parent(self.path))
            return
        entry = self.entries[index - offset]
        if entry.get("type") == "directory":
            self.navigate(repository, entry["path"])
        else:
            self._work.submit("meta", lambda: self._describe(repository, entry["path"], None))

    def _on_array_choice(self, change: dict[str, Any]) -> None:
        if self.meta is None or change["new"] is None or self._showing_meta:
            return
        current = (self.meta.get("dataset") or {}).get("dataset")
        if change["new"] != current:
            repository, path = self.meta["repository"], self.meta["path"]
            self._work.submit("meta", lambda: self._describe(repository, path, change["new"]))

    # -- work (background thread) ----------------------------------------------------------
    def _list(self, repository: str, path: str) -> None:
        entries = self.client.ls(repository, path)
        self.entries, self.path, self.error = entries, path, None
        labels = ([UP] if path else []) + [entry_label(e) for e in entries]
        with self.listing.hold_trait_notifications():
            self.listing.index = None
            self.listing.options = list(labels)
        self.location.value = f"<code>{html.escape(repository)}:/{html.escape(path)}</code>"
        self._set_status(f"{len(entries)} entries")

    def _clear_details(self) -> None:
        self.meta = None
        self.details.value = ""
        self.array.layout.display = "none"
        self.open_button.disabled = True

    def _describe(self, repository: str, path: str, dataset: str | None) -> None:
        meta = self.client.meta(repository, path, dataset)
        self.meta, self.error = meta, None
        arrays = [a["path"] for a in meta.get("arrays") or [] if isinstance(a, dict) and "path" in a]
        chosen = (meta.get("dataset") or {}).get("dataset")
        self._showing_meta = True
        try:
            self.array.options = arrays
            if chosen in arrays:
                self.array.value = chosen
        finally:
            self._showing_meta = False
        self.array.layout.display = "" if len(arrays) > 1 else "none"
        self.details.value = f"<b>{html.escape(path)}</b>{describe_meta(meta)}"
        self.open_button.disabled = not meta.get("dataset")
        self._set_status("")

    def _failed(self, kind: str, error: BaseException) -> None:
        self.error = error
        self._set_status(failure_html({"list": "listing", "meta": "description"}.get(kind, kind), error))

    def _set_status(self, text: str) -> None:
        self.status.value = text
