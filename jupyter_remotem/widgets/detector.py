"""``VirtualDetectorWidget``: drag detectors on a diffraction frame, watch the virtual image follow.

Left, the virtual image (one value per scan position); right, the frame at the picked scan
position with the detectors drawn over it.  Dragging a detector's handles recomputes the image;
clicking the virtual image (or dragging its marker) picks the frame shown.

Why it is built this way:

- **Live, but never behind.**  Every recomputation is a round trip to the server (or a pass over
  a local array).  Work runs in one background thread (:mod:`._throttle`), so the kernel keeps
  receiving drag events; while a request runs, newer positions replace each other and only the
  newest is computed next.  The image follows the pointer as fast as answers come back, and the
  position where the drag ends is always the last one computed.
- **Coarse while dragging, exact on release.**  During a drag the widget asks for a *coarse*
  answer (``coarse=True``: the server reads a subsampled scan grid, about 4096 frames, so a drag
  over a 40 GB scan stays interactive); on release it asks for the exact image over every scan
  position.  :attr:`result` always holds the last image shown and :attr:`exact` says which kind
  it is; after :meth:`wait_idle` following a release it is the exact one.  On a scan small
  enough that the coarse pass already reads every position, the release asks nothing more.
- **Geometry apart from the view.**  Detectors are plain dicts in the API's form; handles and
  outlines come from :mod:`.geometry`, which is pure and unit-tested.  This module only wires
  bqplot events to it.
- **Any dataset.**  The widget calls only ``virtual_detector``, ``pick``, ``nav_shape`` and
  ``sig_shape``, so a remote dataset (``c.open(...)``) and a local one (``remotem.local(array)``)
  work the same.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping, Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from .. import render
from . import geometry
from ._panel import ImagePanel
from ._status import failure_html
from ._style import whole_description
from ._throttle import BackgroundWork, LatestWork

#: Outline and handle colours, one per detector (repeating).
COLOURS = ("#e8384f", "#2fb7ec", "#fdae33", "#7ecc49", "#a4589f", "#ffffff")


def _accepts(method: Any, keyword: str) -> bool:
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return keyword in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


class VirtualDetectorWidget(BackgroundWork, ipywidgets.VBox):
    """Virtual image and frame side by side, with draggable detectors; see the module docstring.

    ``dataset`` is any 4-D dataset of the client (2 scan axes, 2 frame axes).  ``detectors`` is
    a list of detector dicts (default: an annular ring); ``position`` the first scan position
    ``(row, column)`` shown (default: the scan centre).
    """

    def __init__(self, dataset: Any, detectors: Sequence[Mapping[str, Any]] | None = None, *,
                 position: tuple[int, int] | None = None, cmap: str = "viridis", scale: str = "linear",
                 frame_scale: str = "log", size: int = 320) -> None:
        nav_shape, sig_shape = tuple(dataset.nav_shape), tuple(dataset.sig_shape)
        if len(nav_shape) != 2 or len(sig_shape) != 2:
            raise ValueError(f"The virtual-detector widget needs 2 scan axes and 2 frame axes; this dataset has "
                             f"scan shape {nav_shape} and frame shape {sig_shape}.")
        self.dataset = dataset
        self.frame_geometry = geometry.Frame.of(sig_shape)
        self._nav_shape = nav_shape
        self._detectors = geometry.check_detectors(
            detectors or [geometry.default_detector("ring", self.frame_geometry)])
        row, column = position if position is not None else (nav_shape[0] // 2, nav_shape[1] // 2)
        self._position = geometry.scan_position(column, row, nav_shape)
        self._coarse_supported = _accepts(dataset.virtual_detector, "coarse")
        self._work = LatestWork(self._failed, name="remotem-virtual-detector")

        #: The image shown (scan shape, or a coarser grid while dragging) as numpy, else None.
        self.result: np.ndarray | None = None
        #: Every detector's image, ``nav_shape + (len(detectors),)``, of the last answer.
        self.intensity: np.ndarray | None = None
        #: Whether :attr:`result` covers every scan position (False for a coarse drag answer).
        self.exact = False
        #: The frame shown, at :attr:`position`.
        self.frame: np.ndarray | None = None
        #: The last failure (a ``RemotemError`` carries ``message`` and ``hint``), None after a success.
        self.error: BaseException | None = None
        #: Seconds the last image took, request to picture.
        self.last_seconds: float | None = None
        self._image_detectors: list[dict[str, Any]] | None = None
        self._image_status = ""

        self.nav_panel = ImagePanel(*nav_shape, title="virtual image", size=size)
        self.frame_panel = ImagePanel(*sig_shape, title="frame", size=size)
        self._build_overlays()
        self._build_controls(cmap, scale, frame_scale)
        super().__init__(children=[
            ipywidgets.HBox([self.nav_panel.figure, self.frame_panel.figure]),
            self.controls, self.status,
        ])
        self._draw_geometry()
        # The first frame and a first (coarse) image are made before the widget is shown: bqplot
        # draws a figure asynchronously and can miss a change that arrives while it does, so the
        # first pictures must already be there.  The exact image follows in the background
        # (nothing more on scans small enough that the coarse pass read every position).
        self._now("frame", self._compute_frame, *self._position)
        self._now("image", self._compute_image, self.detectors, self._coarse_supported)
        self._request_image(coarse=False)

    # -- public API ------------------------------------------------------------------------
    @property
    def detectors(self) -> list[dict[str, Any]]:
        """The detectors as drawn, in the API's form (copies)."""
        return [dict(d) for d in self._detectors]

    @detectors.setter
    def detectors(self, detectors: Sequence[Mapping[str, Any]]) -> None:
        self._detectors = geometry.check_detectors(detectors)
        self._refresh_detector_choice()
        self._draw_geometry()
        self._request_image(coarse=False)

    @property
    def position(self) -> tuple[int, int]:
        """The scan position ``(row, column)`` whose frame is shown."""
        return self._position

    def pick(self, row: int, column: int) -> None:
        """Show the frame at scan position ``(row, column)`` (what a click on the image does)."""
        self._position = geometry.scan_position(column, row, self._nav_shape)
        with self._marker.hold_sync():
            self._marker.x, self._marker.y = [self._position[1]], [self._position[0]]
        self._request_frame()

    @classmethod
    def from_view(cls, dataset: Any, view: Mapping[str, Any], size: int = 320) -> VirtualDetectorWidget:
        """A widget showing ``dataset`` the way ``view`` (a :attr:`view`, of the view contract
        :mod:`jupyter_remotem.view_contract`) describes: e.g. the ``view`` kept in a result's
        provenance, to reopen the viewer the result was made from (the lab viewer's too)."""
        nav, frame = view.get("nav") or {}, view.get("frame") or {}
        settings: dict[str, Any] = {}
        if nav.get("cmap") in render.COLORMAPS:
            settings["cmap"] = nav["cmap"]
        for key, display in (("scale", nav), ("frame_scale", frame)):
            if (display.get("scaling") or {}).get("mode") in render.SCALES:
                settings[key] = display["scaling"]["mode"]
        drawn = [d for d in view.get("detectors") or []
                 if isinstance(d, Mapping) and isinstance(d.get("shape"), Mapping)]
        detectors = [{"shape": d["shape"]["kind"], **{k: v for k, v in d["shape"].items() if k != "kind"}}
                     for d in drawn] or None
        cursor = view.get("cursor")
        position = (int(cursor[1]), int(cursor[0])) if cursor else None
        widget = cls(dataset, detectors, position=position, size=size, **settings)
        ids = [d.get("id") for d in drawn]
        if view.get("selected") in ids and ids.index(view["selected"]) < len(widget.detectors):
            widget.detector_choice.value = ids.index(view["selected"])
        return widget

    @property
    def view(self) -> dict[str, Any]:
        """Display state to store with a result (``ds.submit(..., view=w.view)``) and restore from,
        in the view contract (:mod:`jupyter_remotem.view_contract`) the lab viewer saves too."""

        def display(scale: str) -> dict[str, Any]:
            scaling: dict[str, Any] = {"mode": scale}
            if scale == "percentile":
                scaling["percentiles"] = [0.5, 99.5]  # what render.normalise clips to
            return {"cmap": self.cmap.value, "scaling": scaling, "auto": True}

        row, column = self._position
        return {"mode": "detector",
                "detectors": [{"id": f"d{i + 1}", "shape": {"kind": d["shape"], **{k: v for k, v in d.items()
                                                                                 if k != "shape"}}}
                              for i, d in enumerate(self.detectors)],
                "selected": f"d{(self.detector_choice.value or 0) + 1}",
                "cursor": [column, row], "nav": display(self.scale.value), "frame": display(self.frame_scale.value)}

    # -- building --------------------------------------------------------------------------
    def _build_overlays(self) -> None:
        frame_scales = self.frame_panel.scales
        self._outlines = bqplot.Lines(x=np.zeros((1, 2)), y=np.zeros((1, 2)), scales=frame_scales,
                                      stroke_width=2, colors=list(COLOURS))
        self._handles = bqplot.Scatter(x=[], y=[], scales=frame_scales, enable_move=True, update_on_move=False,
                                       default_size=64, stroke="black", colors=list(COLOURS))
        self._handles.on_drag(self._on_handle_drag)
        self._handles.on_drag_end(self._on_handle_release)
        self.frame_panel.add_marks(self._outlines, self._handles)

        row, column = self._position
        self._marker = bqplot.Scatter(x=[column], y=[row], scales=self.nav_panel.scales, enable_move=True,
                                      update_on_move=False, marker="crosshair", default_size=120, colors=["#e8384f"])
        self._marker.on_drag(self._on_marker_drag)
        self._marker.on_drag_end(self._on_marker_release)
        self.nav_panel.add_marks(self._marker)
        self.nav_panel.image.on_element_click(self._on_nav_click)

    def _build_controls(self, cmap: str, scale: str, frame_scale: str) -> None:
        narrow = ipywidgets.Layout(width="auto")
        self.detector_choice = ipywidgets.Dropdown(description="detector", layout=narrow,
                                                   style=whole_description())
        self._refresh_detector_choice()
        self.shape = ipywidgets.Dropdown(options=geometry.SHAPES, value=self._detectors[0]["shape"],
                                         description="shape", layout=narrow, style=whole_description())
        self.cmap = ipywidgets.Dropdown(options=render.COLORMAPS, value=cmap, description="colormap", layout=narrow,
                                        style=whole_description())
        self.scale = ipywidgets.Dropdown(options=render.SCALES, value=scale, description="image", layout=narrow,
                                         style=whole_description())
        self.frame_scale = ipywidgets.Dropdown(options=render.SCALES, value=frame_scale, description="frame",
                                               layout=narrow, style=whole_description())
        self.detector_choice.observe(self._on_detector_chosen, "value")
        self.shape.observe(self._on_shape_chosen, "value")
        self.cmap.observe(self._on_display_changed, "value")
        self.scale.observe(self._on_display_changed, "value")
        self.frame_scale.observe(self._on_display_changed, "value")
        self.controls = ipywidgets.HBox([self.detector_choice, self.shape, self.cmap, self.scale, self.frame_scale],
                                        layout=ipywidgets.Layout(flex_flow="row wrap"))
        self.status = ipywidgets.HTML()
        self.nav_panel.cmap = self.frame_panel.cmap = cmap
        self.nav_panel.scale, self.frame_panel.scale = scale, frame_scale

    def _refresh_detector_choice(self) -> None:
        options = [(f"{i + 1}: {d['shape']}", i) for i, d in enumerate(self._detectors)]
        chosen = self.detector_choice.value if self.detector_choice.value is not None else 0
        self.detector_choice.options = options
        self.detector_choice.value = min(chosen, len(options) - 1)
        # The same number chosen again fires no change: the shape shown must follow the new
        # detectors here (a ring replaced by a disk must not still say "ring").
        if hasattr(self, "shape"):
            self.shape.value = self._detectors[self.detector_choice.value]["shape"]

    # -- events (kernel thread) ------------------------------------------------------------
    def _on_handle_drag(self, _mark: Any, content: dict[str, Any]) -> None:
        self._move_handle(content, coarse=True)

    def _on_handle_release(self, _mark: Any, content: dict[str, Any]) -> None:
        self._move_handle(content, coarse=False)
        self._draw_geometry()  # snap every handle to the final shape

    def _move_handle(self, content: dict[str, Any], coarse: bool) -> None:
        handle = self._handle_list[int(content["index"])]
        point = content["point"]
        self._detectors = geometry.drag(self._detectors, handle, point["x"], point["y"], self.frame_geometry)
        self._draw_outlines()
        self._request_image(coarse=coarse)

    def _on_marker_drag(self, _mark: Any, content: dict[str, Any]) -> None:
        point = content["point"]
        self._position = geometry.scan_position(point["x"], point["y"], self._nav_shape)
        self._request_frame()

    def _on_marker_release(self, _mark: Any, content: dict[str, Any]) -> None:
        point = content["point"]
        self.pick(*geometry.scan_position(point["x"], point["y"], self._nav_shape))  # snaps onto the pixel

    def _on_nav_click(self, _mark: Any, content: dict[str, Any]) -> None:
        data = content.get("data") or {}
        row, column = geometry.scan_position(data["click_x"], data["click_y"], self._nav_shape)
        self.pick(row, column)

    def _on_detector_chosen(self, change: dict[str, Any]) -> None:
        if change["new"] is None:
            return
        self.shape.value = self._detectors[change["new"]]["shape"]
        self._show_result()

    def _on_shape_chosen(self, change: dict[str, Any]) -> None:
        number = self.detector_choice.value or 0
        if self._detectors[number]["shape"] == change["new"]:
            return
        detectors = self.detectors
        detectors[number] = geometry.with_shape(detectors[number], change["new"], self.frame_geometry)
        self.detectors = detectors

    def _on_display_changed(self, _change: dict[str, Any]) -> None:
        self.frame_panel.show(cmap=self.cmap.value, scale=self.frame_scale.value)
        self.nav_panel.show(cmap=self.cmap.value, scale=self.scale.value)

    # -- drawing ---------------------------------------------------------------------------
    def _draw_geometry(self) -> None:
        self._handle_list = geometry.handles(self._detectors)
        with self._handles.hold_sync():
            self._handles.x = [h.x for h in self._handle_list]
            self._handles.y = [h.y for h in self._handle_list]
            self._handles.colors = [COLOURS[h.detector % len(COLOURS)] for h in self._handle_list]
        self._draw_outlines()

    def _draw_outlines(self) -> None:
        paths, colours = [], []
        points = geometry.outline_points(self._detectors)
        for number, detector in enumerate(self._detectors):
            for path in geometry.outlines(detector, points):
                paths.append(path)
                colours.append(COLOURS[number % len(COLOURS)])
        stacked = np.stack(paths)
        with self._outlines.hold_sync():
            self._outlines.x, self._outlines.y = stacked[..., 0], stacked[..., 1]
            self._outlines.colors = colours

    def _show_result(self) -> None:
        if self.intensity is None:
            return
        channel = min(self.detector_choice.value or 0, self.intensity.shape[-1] - 1)
        self.result = self.intensity[..., channel]
        self.nav_panel.show(self.result, cmap=self.cmap.value, scale=self.scale.value)

    # -- work (background thread) ----------------------------------------------------------
    def _request_image(self, coarse: bool) -> None:
        detectors = self.detectors
        coarse = coarse and self._coarse_supported
        self._set_status("computing…" if not coarse else "following the drag (coarse)…")
        self._work.submit("image", lambda: self._compute_image(detectors, coarse))

    def _request_frame(self) -> None:
        row, column = self._position
        self._work.submit("frame", lambda: self._compute_frame(row, column))

    def _compute_image(self, detectors: list[dict[str, Any]], coarse: bool) -> None:
        if not coarse and self.exact and self.error is None and detectors == self._image_detectors:
            # A small scan's "coarse" answer already covers every position: the release that
            # ends the drag needs no second pass over the same geometry.
            self._set_status(self._image_status)
            return
        started = time.perf_counter()
        intensity = np.asarray(self.dataset.virtual_detector(detectors, coarse=True) if coarse
                               else self.dataset.virtual_detector(detectors))
        self.intensity, self.exact, self.error = intensity, intensity.shape[:2] == self._nav_shape, None
        self._image_detectors = detectors
        self._show_result()
        self.last_seconds = time.perf_counter() - started
        grid = "" if self.exact else f" on a coarse {intensity.shape[0]}×{intensity.shape[1]} grid"
        self._image_status = (f"{len(detectors)} detector{'s' * (len(detectors) > 1)}{grid} · "
                              f"{self.last_seconds * 1000:.0f} ms")
        self._set_status(self._image_status)

    def _compute_frame(self, row: int, column: int) -> None:
        frame = np.asarray(self.dataset.pick(row, column))
        self.frame, self.error = frame, None
        self.frame_panel.show(frame, cmap=self.cmap.value, scale=self.frame_scale.value)
        self.frame_panel.figure.title = f"frame at ({row}, {column})"

    def _now(self, kind: str, compute: Any, *args: Any) -> None:
        """Run ``compute`` in this thread, reporting a failure in the widget like background work."""
        try:
            compute(*args)
        except Exception as error:  # noqa: BLE001 - shown in the widget's status line
            self._failed(kind, error)

    def _failed(self, kind: str, error: BaseException) -> None:
        self.error = error
        self.status.value = failure_html(kind, error)

    def _set_status(self, text: str) -> None:
        self.status.value = text
