"""One picture in a bqplot figure, in pixel coordinates, with colormap and scaling applied here.

Both panels of the virtual-detector widget are this: a ``bqplot.Image`` mark over scales whose
domain is the array's pixel grid (pixel centres at integer indices, row 0 at the top), so marks
drawn over it (detector outlines, the scan-position marker) use the same coordinates as the
detector dicts, and a click answers in array coordinates.  The picture is coloured in the kernel
with :mod:`jupyter_remotem.render` (the server's colormaps and scaling, so a widget and a
preview look alike) and sent as one small PNG: far less than the array as JSON, and a coarse
answer (fewer scan positions) simply stretches over the same extent.
"""

from __future__ import annotations

import threading
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from .. import render


class ImagePanel:
    """A figure showing a 2-D array over a ``height`` × ``width`` pixel grid."""

    def __init__(self, height: int, width: int, title: str = "", size: int = 320) -> None:
        self.height, self.width = int(height), int(width)
        self.x_scale = bqplot.LinearScale(min=-0.5, max=self.width - 0.5, allow_padding=False)
        self.y_scale = bqplot.LinearScale(min=-0.5, max=self.height - 0.5, reverse=True, allow_padding=False)
        self.scales = {"x": self.x_scale, "y": self.y_scale}
        self.image = bqplot.Image(
            image=ipywidgets.Image(value=b"", format="png"),
            x=[-0.5, self.width - 0.5], y=[self.height - 0.5, -0.5], scales=self.scales,
        )
        # The figure's aspect ratio includes its margins; choose it so that the plot area, and
        # so every array pixel, is square.
        margin = {"top": 30, "bottom": 8, "left": 8, "right": 8}
        height_px = (size - margin["left"] - margin["right"]) * self.height / self.width + margin["top"] + margin["bottom"]
        self.figure = bqplot.Figure(
            marks=[self.image], title=title, padding_x=0, padding_y=0, animation_duration=0, fig_margin=margin,
            min_aspect_ratio=size / height_px, max_aspect_ratio=size / height_px,
            layout=ipywidgets.Layout(width=f"{size}px", height=f"{round(height_px)}px"),
        )
        #: The array last shown (as given, before scaling) and how it was drawn.
        self.data: np.ndarray | None = None
        self.cmap = "gray"
        self.scale = "linear"
        self._lock = threading.Lock()

    def add_marks(self, *marks: Any) -> None:
        self.figure.marks = [*self.figure.marks, *marks]

    def show(self, data: np.ndarray | None = None, cmap: str | None = None, scale: str | None = None) -> None:
        """Draw ``data`` (or redraw the last array with another ``cmap``/``scale``).

        Called from the worker thread for new answers and from the kernel thread for colormap
        changes; the lock keeps one picture from overtaking the other half-way.
        """
        with self._lock:
            if data is not None:
                self.data = np.asarray(data)
            self.cmap = cmap or self.cmap
            self.scale = scale or self.scale
            if self.data is None:
                return
            png = render.to_png(self.data.astype(np.float64, copy=False), self.cmap, self.scale)
            # bqplot redraws an Image mark only when its ``image`` widget is replaced, not when
            # that widget's bytes change; so each picture is a new ipywidgets.Image.
            previous, self.image.image = self.image.image, ipywidgets.Image(value=png, format="png")
            previous.close()
