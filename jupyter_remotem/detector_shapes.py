"""The shapes of virtual detectors and regions of interest, declared once.

A detector, an ROI and a shape kept in a saved view are the same JSON object: ``{"shape": "ring",
"cx": 32, "cy": 32, "ri": 10, "ro": 20}`` (``kind`` instead of ``shape`` in a view).  What each
shape needs is said here and nowhere else: the masks (:mod:`.kernels.masks`) check requests
against it, the view contract validates saved views with it and serves it (``GET views`` →
``shapes``) to the lab, and the widgets draw what it calls drawable.  Coordinates are pixels of
the image the shape is drawn on, x = column, y = row, pixel centres at integer indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShapeKind:
    name: str
    #: The keys the shape needs besides ``shape``, in the order hints name them.
    fields: tuple[str, ...]
    #: Those of the fields that are lengths (never negative).
    lengths: tuple[str, ...] = ()
    #: Drawn and dragged on an image (a ``weights`` mask has no outline to drag).
    drawn: bool = True
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "fields": list(self.fields), "lengths": list(self.lengths),
                "drawn": self.drawn, "description": self.description}


SHAPES: tuple[ShapeKind, ...] = (
    ShapeKind("disk", ("cx", "cy", "r"), ("r",), description="pixels within r of the centre (d <= r)"),
    ShapeKind("ring", ("cx", "cy", "ri", "ro"), ("ri", "ro"),
              description="pixels with ri < d <= ro: a disk of radius ri and the ring tile"),
    ShapeKind("rectangle", ("x", "y", "width", "height"), ("width", "height"),
              description="columns int(x) .. int(x + width), rows int(y) .. int(y + height)"),
    ShapeKind("point", ("cx", "cy"), description="the one pixel holding (cx, cy)"),
    ShapeKind("polygon", ("vertices",), description="pixel centres inside [[x, y], ...] (three vertices or more)"),
    ShapeKind("weights", ("values",), drawn=False, description="one weight per pixel of the image"),
)

#: The keys each shape needs, by shape name.
FIELDS: dict[str, tuple[str, ...]] = {shape.name: shape.fields for shape in SHAPES}
#: Keys that are lengths, whatever the shape.
LENGTHS = frozenset(field for shape in SHAPES for field in shape.lengths)
#: The shapes drawn on images (the viewer's and the widgets' tools), in the order they are offered.
DRAWN: tuple[str, ...] = tuple(shape.name for shape in SHAPES if shape.drawn)


def shapes_json() -> list[dict[str, Any]]:
    return [shape.to_json() for shape in SHAPES]
