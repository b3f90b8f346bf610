"""What the widgets show in words: descriptions never cut, the shape dropdown always naming
the chosen detector's shape, sizes in the sidebar's binary units."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest

from jupyter_remotem.client import local
from jupyter_remotem.sizes import format_bytes
from ipywidgets.widgets.widget_description import DescriptionWidget

from jupyter_remotem.widgets import VirtualDetectorWidget

RING = {"shape": "ring", "cx": 10, "cy": 12, "ri": 3, "ro": 8}
DISK = {"shape": "disk", "cx": 9, "cy": 11, "r": 4}


@pytest.fixture(scope="module")
def dataset():
    rng = np.random.default_rng(5)
    return local(rng.integers(0, 100, size=(6, 8, 24, 20)).astype(np.uint16))


def settled(widget: VirtualDetectorWidget) -> VirtualDetectorWidget:
    assert widget.wait_idle(60), "the widget did not finish its work"
    assert widget.error is None, widget.error
    return widget


def described(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    """Every control under ``widget`` with a description shown beside it (not a button's text)."""
    found = []
    if isinstance(widget, DescriptionWidget) and not isinstance(widget, ipywidgets.Button) \
            and widget.description:
        found.append(widget)
    for child in getattr(widget, "children", ()):
        found.extend(described(child))
    return found


def test_no_description_of_the_detector_widget_is_cut(dataset):
    widget = settled(VirtualDetectorWidget(dataset, [RING]))
    controls = described(widget)
    assert {c.description for c in controls} >= {"detector", "shape", "colormap", "image", "frame"}
    # ipywidgets cuts a description longer than its fixed column unless it is as wide as its words.
    assert [c.description for c in controls if c.style.description_width != "initial"] == []


def test_the_shape_dropdown_follows_detectors_set_in_code(dataset):
    widget = settled(VirtualDetectorWidget(dataset, [RING]))
    assert widget.shape.value == "ring"
    widget.detectors = [DISK]
    settled(widget)
    # Detector 1 stays chosen; its shape is now a disk, and the dropdown says so.
    assert widget.detector_choice.value == 0 and widget.detectors[0]["shape"] == "disk"
    assert widget.shape.value == "disk"
    assert widget.detector_choice.options[0][0] == "1: disk"
    widget.detectors = [DISK, RING]
    widget.detector_choice.value = 1
    assert widget.shape.value == "ring"
    widget.detectors = [DISK, DISK]
    assert widget.shape.value == "disk"


@pytest.mark.parametrize(("nbytes", "text"), [
    # The cases of the lab's formatBytes (labextension/src/__tests__/format.spec.ts).
    (0, "0 B"), (1023, "1023 B"), (1024, "1.00 KiB"), (1536 * 1024, "1.50 MiB"),
    (40 * 1024**3 + 0.3 * 1024**3, "40.3 GiB"), (512 * 1024**4, "512 TiB"),
    (12_583_056, "12.0 MiB"), (None, ""), (-1, ""), (float("nan"), ""), (True, ""),
])
def test_sizes_read_as_in_the_sidebar(nbytes, text):
    assert format_bytes(nbytes) == text
