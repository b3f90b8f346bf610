"""Detector and ROI shapes as the API takes them, written the way one thinks of them.

``ds.virtual_detector([disk(32, 32, 9), ring(32, 32, 12, 30)])`` reads better than the dicts,
and a typo in a keyword fails here, in Python, rather than as a 400 from the server.  The
geometry follows the server's (LiberTEM's) conventions: pixel centres at integer indices, a disk
is ``d <= r``, a ring ``ri < d <= ro``, rectangles include both edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Shape = dict[str, Any]


def disk(cx: float, cy: float, r: float) -> Shape:
    return {"shape": "disk", "cx": float(cx), "cy": float(cy), "r": float(r)}


def ring(cx: float, cy: float, ri: float, ro: float) -> Shape:
    return {"shape": "ring", "cx": float(cx), "cy": float(cy), "ri": float(ri), "ro": float(ro)}


def rectangle(x: float, y: float, width: float, height: float) -> Shape:
    return {"shape": "rectangle", "x": float(x), "y": float(y), "width": float(width), "height": float(height)}


def point(cx: float, cy: float) -> Shape:
    return {"shape": "point", "cx": float(cx), "cy": float(cy)}


def polygon(vertices: Sequence[Sequence[float]]) -> Shape:
    """``vertices``: ``[(x, y), ...]`` in pixel coordinates."""
    return {"shape": "polygon", "vertices": [[float(x), float(y)] for x, y in vertices]}


def weights(values: Any) -> Shape:
    """An arbitrary weight mask of the frame's shape (nested lists or a numpy array)."""
    import numpy as np

    return {"shape": "weights", "values": np.asarray(values, dtype=float).tolist()}
