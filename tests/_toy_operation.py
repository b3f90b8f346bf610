"""A toy reduction added at run time, as a deployment's own module would add one: the brightest
pixel of each frame, at least ``floor``.

Tests register it in their own process (:func:`peak_operation`); the browser tests' JupyterLab
loads this module as a server extension, so the same declaration reaches the REST API, the
client and the viewer's list of navigation modes without any of them knowing it in advance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jupyter_remotem.compute.declarations import SCAN, Output, Parameter
from jupyter_remotem.compute.operations import Operation, Plan, ReductionResult, register

#: The name the browser tests' server registers it under.
NAME = "peak"


class PeakPlan(Plan):
    """The brightest pixel of each frame, over the scan."""

    def __init__(self, dataset: Any, params: dict[str, Any]) -> None:
        super().__init__(dataset)
        self.floor = params["floor"]

    def process(self, frames: np.ndarray) -> np.ndarray:
        return np.maximum(frames.reshape(len(frames), -1).max(axis=1), self.floor).astype(np.float64)

    def finish(self, combined: Any, visited: Any) -> ReductionResult:
        return ReductionResult({"peak": combined.reshape(self.nav_shape)}, "peak")


def peak_operation(name: str = NAME) -> Operation:
    """The declaration: one number parameter, one value per scan position."""
    return Operation(
        name, "reduction", "The brightest pixel of each frame.", PeakPlan,
        parameters=(Parameter("floor", {"type": "number"}, "the least value answered", 0.0),),
        outputs=(Output("peak", SCAN, "the brightest pixel"),), primary="peak")


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Loaded by a server started with ``jpserver_extensions: {"_toy_operation": true}``."""
    register(peak_operation())
