"""``GET repositories/{repo}/volume/{path}``: a 3-D array for the volume view.

``view=brick`` (the default) answers the volume, or ``box=z0:z1,y0:y1,x0:x1`` of it, reduced to
at most ``budget`` voxels (block means; block modes with ``labels=1``), or at the block sizes
``factors=`` when given; ``view=slice&axis=z|y|x&index=k`` answers one full-resolution plane.
The voxels come as an NPY body; what they are (full shape, box, block sizes, value range) comes
as JSON in the ``X-Remotem-Volume`` header, so one request carries both.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from tornado import web

from ..compute.volume import BrickRequest, header, plan_brick, read_brick, read_plane
from ..encoding import npy_pieces
from ..errors import BadParameter
from ..formats import open_dataset
from ..storage.repository import Repository
from .base import RemotemHandler

#: The response header with the JSON description of the voxels in the body.
HEADER = "X-Remotem-Volume"
VIEWS = ("brick", "slice")


def answer(repo: Repository, path: str, dataset: str | None, view: str, query: dict[str, Any],
           max_bytes: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The voxels and their description for one request (blocking: reads the file)."""
    with open_dataset(repo, path, dataset) as ds:
        if view == "slice":
            if query["index"] is None:
                raise BadParameter("view=slice needs index= (the plane's position along axis).",
                                   hint="For example view=slice&axis=z&index=10.")
            plane = read_plane(ds, query["axis"], query["index"], max_bytes)
            return plane, header(ds, None, plane, view="slice", axis=query["axis"], index=query["index"])
        plan = plan_brick(ds, BrickRequest(box=query["box"], budget=query["budget"], factors=query["factors"],
                                           labels=query["labels"]))
        brick = read_brick(ds, plan)
        return brick, header(ds, plan, brick, view="brick")


class VolumeHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)

    @web.authenticated
    async def get(self, name: str, path: str | None = None) -> None:
        repo = self.repository(name)
        view = self.get_query_argument("view", "brick")
        if view not in VIEWS:
            raise BadParameter(f"view={view!r} is not one of {', '.join(VIEWS)}.",
                               hint="view=brick for the (downsampled) volume, view=slice for a plane.")
        labels = self.get_query_argument("labels", "0").lower()
        if labels not in ("0", "1", "true", "false"):
            raise BadParameter(f"labels={labels!r} is not 0 or 1.", hint="labels=1 for a segmented volume.")
        query = {
            "axis": self.get_query_argument("axis", "z"),
            "index": self.query_int("index"),
            "box": self.get_query_argument("box", None) or None,
            "budget": self.query_int("budget"),
            "factors": self.get_query_argument("factors", None) or None,
            "labels": labels in ("1", "true"),
        }
        dataset = self.get_query_argument("dataset", None) or None
        array, described = await self.run_blocking(answer, repo, path or "", dataset, view, query,
                                                   self.services.max_data_bytes)
        self.set_header(HEADER, json.dumps(described))
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Cache-Control", "private, max-age=60")
        for piece in npy_pieces(array):
            self.write(piece)
            await self.flush()
        self.finish()
