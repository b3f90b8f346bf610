"""The virtual-detector widget on a local dataset, driven by the messages a browser would send.

Every image is checked against plain numpy; waits use the widget's ``wait_idle``.
"""

from __future__ import annotations

import io
import threading

import _frontend as frontend
import numpy as np
import pytest

from jupyter_remotem.client import local
from jupyter_remotem.view_contract import check_view
from jupyter_remotem.widgets import VirtualDetectorWidget, geometry

SCAN, FRAME = (12, 16), (24, 20)


@pytest.fixture(scope="module")
def scan() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 1000, size=SCAN + FRAME).astype(np.uint16)


def distance(frame_shape, cx, cy):
    y, x = np.indices(frame_shape)
    return np.hypot(x - cx, y - cy)


def ring_image(array, cx, cy, ri, ro):
    d = distance(array.shape[2:], cx, cy)
    return array[..., (d > ri) & (d <= ro)].sum(axis=-1, dtype=np.int64)


def disk_image(array, cx, cy, r):
    return array[..., distance(array.shape[2:], cx, cy) <= r].sum(axis=-1, dtype=np.int64)


def settled(widget: VirtualDetectorWidget) -> VirtualDetectorWidget:
    assert widget.wait_idle(60), "the widget did not finish its work"
    assert widget.error is None, widget.error
    return widget


def picture(panel) -> np.ndarray:
    """The RGB picture a panel sends to the browser, decoded."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(panel.image.image.value))).convert("RGB"))


def handle_index(widget, number, role):
    return next(i for i, h in enumerate(geometry.handles(widget.detectors)) if h.detector == number and h.role == role)


def test_the_widget_opens_with_the_virtual_image_and_the_frame_at_the_scan_centre(scan):
    ring = {"shape": "ring", "cx": 10, "cy": 12, "ri": 3, "ro": 8}
    widget = settled(VirtualDetectorWidget(local(scan), [ring]))
    np.testing.assert_array_equal(widget.result, ring_image(scan, 10, 12, 3, 8))
    assert widget.exact and widget.intensity.shape == SCAN + (1,)
    assert widget.position == (6, 8)
    np.testing.assert_array_equal(widget.frame, scan[6, 8])
    assert picture(widget.nav_panel).shape == SCAN + (3,)
    assert picture(widget.frame_panel).shape == FRAME + (3,)
    assert widget.frame_panel.figure.title == "frame at (6, 8)"
    assert "1 detector" in widget.status.value


def test_dragging_the_centre_recomputes_and_the_release_leaves_the_exact_image(scan):
    widget = settled(VirtualDetectorWidget(local(scan), [{"shape": "disk", "cx": 10, "cy": 12, "r": 4}]))
    centre = handle_index(widget, 0, "centre")
    for x, y in [(9, 11), (7, 9), (6, 8)]:
        frontend.drag(widget._handles, centre, x, y)
    frontend.release(widget._handles, centre, 5, 7)
    settled(widget)
    assert widget.detectors == [{"shape": "disk", "cx": 5, "cy": 7, "r": 4}]
    np.testing.assert_array_equal(widget.result, disk_image(scan, 5, 7, 4))
    # The handles snap to the final shape: centre and radius handle.
    assert list(widget._handles.x) == [5, 9] and list(widget._handles.y) == [7, 7]
    # The outline drawn is the circle of the new detector.
    outline = np.stack([np.ravel(widget._outlines.x), np.ravel(widget._outlines.y)], axis=-1)
    np.testing.assert_allclose(np.hypot(outline[:, 0] - 5, outline[:, 1] - 7), 4)


def test_dragging_the_outer_radius_of_a_ring_changes_only_that_radius(scan):
    widget = settled(VirtualDetectorWidget(local(scan), [{"shape": "ring", "cx": 10, "cy": 12, "ri": 3, "ro": 5}]))
    outer = handle_index(widget, 0, "outer")
    frontend.drag(widget._handles, outer, 10, 20)
    frontend.release(widget._handles, outer, 10, 21)
    settled(widget)
    assert widget.detectors == [{"shape": "ring", "cx": 10, "cy": 12, "ri": 3, "ro": 9}]
    np.testing.assert_array_equal(widget.result, ring_image(scan, 10, 12, 3, 9))


class GatedDataset:
    """A local dataset whose virtual-detector answers wait for a gate, recording what was asked."""

    def __init__(self, array: np.ndarray) -> None:
        self.inner = local(array)
        self.nav_shape, self.sig_shape = self.inner.nav_shape, self.inner.sig_shape
        self.gate = threading.Event()
        self.gate.set()
        self.asked: list[tuple[float, bool]] = []
        self.computing = threading.Event()

    def virtual_detector(self, detectors, *, coarse=False):
        self.asked.append((detectors[0]["cx"], coarse))
        self.computing.set()
        assert self.gate.wait(30)
        return self.inner.virtual_detector(detectors, coarse=coarse)

    def pick(self, y, x):
        return self.inner.pick(y, x)


def test_a_drag_faster_than_the_answers_computes_only_the_newest_position_then_the_release(scan):
    dataset = GatedDataset(scan)
    widget = settled(VirtualDetectorWidget(dataset, [{"shape": "disk", "cx": 10, "cy": 12, "r": 4}]))
    dataset.asked.clear()
    dataset.gate.clear()
    dataset.computing.clear()
    centre = handle_index(widget, 0, "centre")
    frontend.drag(widget._handles, centre, 1, 12)
    assert dataset.computing.wait(30)  # the first position is being computed; the next ones must wait
    for x in range(2, 12):
        frontend.drag(widget._handles, centre, x, 12)
    frontend.release(widget._handles, centre, 12, 12)
    dataset.gate.set()
    settled(widget)
    # Positions 2..11 were superseded before their turn; the release is computed exactly, last.
    assert dataset.asked == [(1, True), (12, False)]
    np.testing.assert_array_equal(widget.result, disk_image(scan, 12, 12, 4))


def test_a_coarse_answer_follows_the_drag_and_the_exact_one_replaces_it_on_release():
    big_scan = np.random.default_rng(5).integers(0, 50, size=(80, 96, 6, 6)).astype(np.uint16)
    widget = settled(VirtualDetectorWidget(local(big_scan), [{"shape": "disk", "cx": 2, "cy": 2, "r": 1}]))
    assert widget.result.shape == (80, 96)
    centre = handle_index(widget, 0, "centre")
    frontend.drag(widget._handles, centre, 3, 3)
    settled(widget)
    assert not widget.exact and widget.result.shape[0] < 80 and widget.result.shape[1] < 96
    step = -(-80 // widget.result.shape[0])
    np.testing.assert_array_equal(widget.result, disk_image(big_scan[::step, ::step], 3, 3, 1))
    assert "coarse" in widget.status.value
    frontend.release(widget._handles, centre, 3, 3)
    settled(widget)
    assert widget.exact
    np.testing.assert_array_equal(widget.result, disk_image(big_scan, 3, 3, 1))


def test_a_click_on_the_virtual_image_shows_the_frame_there(scan):
    widget = settled(VirtualDetectorWidget(local(scan)))
    frontend.click_image(widget.nav_panel.image, 5.2, 3.9)
    settled(widget)
    assert widget.position == (4, 5)
    np.testing.assert_array_equal(widget.frame, scan[4, 5])
    assert (list(widget._marker.x), list(widget._marker.y)) == ([5], [4])
    frontend.drag(widget._marker, 0, 14.7, 10.2)
    frontend.release(widget._marker, 0, 15.3, 10.8)
    settled(widget)
    np.testing.assert_array_equal(widget.frame, scan[11, 15])
    assert (list(widget._marker.x), list(widget._marker.y)) == ([15], [11])  # snapped onto the scan grid


def test_colormap_and_scaling_redraw_the_picture_without_asking_again(scan):
    widget = settled(VirtualDetectorWidget(local(scan), cmap="gray", scale="linear"))
    computed = dict(widget._work.completed)
    grey = picture(widget.nav_panel)
    assert (grey[..., 0] == grey[..., 1]).all()
    frontend.update(widget.cmap, index=list(widget.cmap.options).index("magma"))
    magma = picture(widget.nav_panel)
    assert not (magma[..., 0] == magma[..., 1]).all()
    frontend.update(widget.scale, index=list(widget.scale.options).index("log"))
    assert not np.array_equal(picture(widget.nav_panel), magma)
    assert widget.nav_panel.cmap == "magma" and widget.nav_panel.scale == "log"
    assert widget.frame_panel.cmap == "magma"
    assert widget._work.completed == computed
    assert widget.view["nav"]["cmap"] == "magma" and widget.view["nav"]["scaling"]["mode"] == "log"


def test_choosing_another_shape_replaces_the_detector_at_the_same_centre(scan):
    widget = settled(VirtualDetectorWidget(local(scan), [{"shape": "ring", "cx": 9, "cy": 11, "ri": 3, "ro": 8}]))
    frontend.update(widget.shape, index=geometry.SHAPES.index("disk"))
    settled(widget)
    (disk,) = widget.detectors
    assert (disk["shape"], disk["cx"], disk["cy"]) == ("disk", 9, 11)
    np.testing.assert_array_equal(widget.result, disk_image(scan, 9, 11, disk["r"]))


def test_with_several_detectors_the_chosen_one_is_shown(scan):
    detectors = [{"shape": "disk", "cx": 10, "cy": 12, "r": 3}, {"shape": "ring", "cx": 10, "cy": 12, "ri": 3, "ro": 9}]
    widget = settled(VirtualDetectorWidget(local(scan), detectors))
    assert widget.intensity.shape == SCAN + (2,)
    np.testing.assert_array_equal(widget.result, disk_image(scan, 10, 12, 3))
    frontend.update(widget.detector_choice, index=1)
    np.testing.assert_array_equal(widget.result, ring_image(scan, 10, 12, 3, 9))
    assert widget.shape.value == "ring"
    assert len(widget._outlines.x) == 3  # one circle for the disk, two for the ring


def test_a_failing_computation_is_shown_with_its_hint_and_the_next_one_recovers(scan):
    widget = settled(VirtualDetectorWidget(local(scan)))
    widget.detectors = [{"shape": "disk", "cx": 10, "cy": 12, "r": -1}]
    assert widget.wait_idle(60)
    assert "must not be negative" in widget.error.message
    assert "must not be negative" in widget.status.value and "needs the keys" in widget.status.value
    widget.detectors = [{"shape": "disk", "cx": 10, "cy": 12, "r": 2}]
    settled(widget)
    np.testing.assert_array_equal(widget.result, disk_image(scan, 10, 12, 2))


def test_datasets_that_are_not_4d_are_refused_clearly():
    with pytest.raises(ValueError, match="2 scan axes and 2 frame axes"):
        VirtualDetectorWidget(local(np.zeros((5, 6, 7), dtype=np.float32)))


def test_a_saved_view_reopens_the_same_viewer(scan):
    detectors = [{"shape": "disk", "cx": 10, "cy": 12, "r": 3}, {"shape": "ring", "cx": 9, "cy": 11, "ri": 3, "ro": 9}]
    widget = settled(VirtualDetectorWidget(local(scan), detectors, position=(2, 3), cmap="magma", frame_scale="linear"))
    frontend.update(widget.detector_choice, index=1)
    view = widget.view
    assert view == {"mode": "detector",
                    "detectors": [{"id": "d1", "shape": {"kind": "disk", "cx": 10, "cy": 12, "r": 3}},
                                  {"id": "d2", "shape": {"kind": "ring", "cx": 9, "cy": 11, "ri": 3, "ro": 9}}],
                    "selected": "d2", "cursor": [3, 2],
                    "nav": {"cmap": "magma", "scaling": {"mode": "linear"}, "auto": True},
                    "frame": {"cmap": "magma", "scaling": {"mode": "linear"}, "auto": True}}
    check_view(view)  # the contract the server checks saved views against
    reopened = settled(VirtualDetectorWidget.from_view(local(scan), view))
    assert reopened.view == view
    np.testing.assert_array_equal(reopened.result, ring_image(scan, 9, 11, 3, 9))
    np.testing.assert_array_equal(reopened.frame, scan[2, 3])


def test_on_a_small_scan_the_release_does_not_repeat_the_drags_exact_answer(scan):
    dataset = GatedDataset(scan)  # 192 positions: the coarse pass already reads them all
    widget = settled(VirtualDetectorWidget(dataset, [{"shape": "disk", "cx": 10, "cy": 12, "r": 4}]))
    dataset.asked.clear()
    centre = handle_index(widget, 0, "centre")
    frontend.drag(widget._handles, centre, 7, 12)
    settled(widget)
    assert dataset.asked == [(7, True)] and widget.exact
    frontend.release(widget._handles, centre, 7, 12)
    settled(widget)
    assert dataset.asked == [(7, True)], "the release asked again for the image already shown"
    np.testing.assert_array_equal(widget.result, disk_image(scan, 7, 12, 4))
    assert "1 detector" in widget.status.value
