"""The widgets' detector geometry: handles, drags and outlines, checked against the server's masks."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.kernels.masks import from_spec
from jupyter_remotem.widgets import geometry
from jupyter_remotem.widgets.geometry import Frame, Handle

FRAME = Frame(64, 64)


def handle_of(detectors, number, role):
    return next(h for h in geometry.handles(detectors) if h.detector == number and h.role == role)


def test_every_default_detector_is_a_valid_mask_centred_on_the_frame():
    for shape in geometry.SHAPES:
        detector = geometry.default_detector(shape, FRAME)
        mask = from_spec(detector, (64, 64))
        assert mask.any(), shape
        ys, xs = np.nonzero(mask)
        assert abs(ys.mean() - 31.5) <= 1 and abs(xs.mean() - 31.5) <= 1, shape


def test_handles_sit_where_the_detector_says():
    ring = {"shape": "ring", "cx": 30, "cy": 20, "ri": 5, "ro": 12}
    disk = {"shape": "disk", "cx": 10, "cy": 11, "r": 3}
    found = {(h.detector, h.role): (h.x, h.y) for h in geometry.handles([ring, disk])}
    assert found == {(0, "centre"): (30, 20), (0, "inner"): (30, 15), (0, "outer"): (42, 20),
                     (1, "centre"): (10, 11), (1, "radius"): (13, 11)}


def test_dragging_a_centre_moves_the_whole_shape_and_repeated_drag_events_do_not_add_up():
    detectors = [{"shape": "ring", "cx": 30, "cy": 20, "ri": 5, "ro": 12}]
    centre = handle_of(detectors, 0, "centre")
    # One gesture sends many drag events with the same (stale) handle: each is absolute.
    for x, y in [(31, 21), (33, 22), (35, 25)]:
        detectors = geometry.drag(detectors, centre, x, y, FRAME)
    assert detectors == [{"shape": "ring", "cx": 35, "cy": 25, "ri": 5, "ro": 12}]


def test_radius_handles_set_the_distance_in_any_direction_and_keep_the_ring_ordered():
    ring = [{"shape": "ring", "cx": 32, "cy": 32, "ri": 5, "ro": 12}]
    wider = geometry.drag(ring, handle_of(ring, 0, "outer"), 32, 32 + 20, FRAME)
    assert wider[0]["ro"] == 20 and wider[0]["ri"] == 5
    # The inner radius cannot pass the outer one, nor the outer the inner one.
    inner_too_far = geometry.drag(ring, handle_of(ring, 0, "inner"), 32 + 30, 32, FRAME)
    assert inner_too_far[0]["ri"] == 12 - geometry.MIN_RADIUS
    outer_too_close = geometry.drag(ring, handle_of(ring, 0, "outer"), 32, 32, FRAME)
    assert outer_too_close[0]["ro"] == 5 + geometry.MIN_RADIUS
    disk = [{"shape": "disk", "cx": 32, "cy": 32, "r": 5}]
    assert geometry.drag(disk, handle_of(disk, 0, "radius"), 35, 36, FRAME)[0]["r"] == 5
    assert geometry.drag(disk, handle_of(disk, 0, "radius"), 32, 32, FRAME)[0]["r"] == geometry.MIN_RADIUS


def test_rectangle_corners_keep_the_opposite_corner_even_when_dragged_across_it():
    rect = [{"shape": "rectangle", "x": 10, "y": 10, "width": 8, "height": 6}]
    grown = geometry.drag(rect, handle_of(rect, 0, "end"), 30, 20, FRAME)
    assert grown[0] == {"shape": "rectangle", "x": 10, "y": 10, "width": 20, "height": 10}
    flipped = geometry.drag(rect, handle_of(rect, 0, "start"), 25, 20, FRAME)
    assert flipped[0] == {"shape": "rectangle", "x": 18, "y": 16, "width": 7, "height": 4}
    moved = geometry.drag(rect, handle_of(rect, 0, "centre"), 40, 40, FRAME)
    assert moved[0] == {"shape": "rectangle", "x": 36, "y": 37, "width": 8, "height": 6}


def test_polygon_vertices_move_alone_and_its_centre_moves_all():
    poly = [{"shape": "polygon", "vertices": [[10, 10], [20, 10], [20, 20], [10, 20]]}]
    bent = geometry.drag(poly, handle_of(poly, 0, "vertex2"), 30, 25, FRAME)
    assert bent[0]["vertices"] == [[10, 10], [20, 10], [30, 25], [10, 20]]
    moved = geometry.drag(poly, handle_of(poly, 0, "centre"), 25, 15, FRAME)
    assert moved[0]["vertices"] == [[20, 10], [30, 10], [30, 20], [20, 20]]


def test_a_drag_changes_only_its_own_detector_and_never_the_input_list():
    detectors = [{"shape": "disk", "cx": 10, "cy": 10, "r": 3}, {"shape": "point", "cx": 5, "cy": 5}]
    before = [dict(d) for d in detectors]
    after = geometry.drag(detectors, handle_of(detectors, 1, "centre"), 50, 40, FRAME)
    assert detectors == before
    assert after[0] == before[0] and after[1] == {"shape": "point", "cx": 50, "cy": 40}


def test_handles_cannot_leave_the_frame():
    disk = [{"shape": "disk", "cx": 10, "cy": 10, "r": 3}]
    moved = geometry.drag(disk, handle_of(disk, 0, "centre"), -40, 500, FRAME)
    assert (moved[0]["cx"], moved[0]["cy"]) == (0, 63)


def test_random_drags_always_give_detectors_the_server_accepts():
    rng = np.random.default_rng(7)
    frame = Frame(48, 80)
    detectors = [geometry.default_detector(shape, frame) for shape in geometry.SHAPES]
    for _ in range(300):
        handle = rng.choice(geometry.handles(detectors))
        x, y = rng.uniform(-30, 110, size=2)
        detectors = geometry.drag(detectors, handle, x, y, frame)
        for detector in detectors:
            from_spec(detector, (48, 80))  # raises BadParameter on anything invalid
            if detector["shape"] == "ring":
                assert detector["ri"] < detector["ro"]


def test_rectangle_outline_runs_along_the_edges_of_exactly_the_pixels_it_covers():
    rect = {"shape": "rectangle", "x": 10.4, "y": 3, "width": 5.3, "height": 2}
    mask = from_spec(rect, (32, 32))
    ys, xs = np.nonzero(mask)
    (path,) = geometry.outlines(rect)
    assert path.shape == (geometry.OUTLINE_POINTS, 2)
    assert path[:, 0].min() == xs.min() - 0.5 and path[:, 0].max() == xs.max() + 0.5
    assert path[:, 1].min() == ys.min() - 0.5 and path[:, 1].max() == ys.max() + 0.5
    np.testing.assert_allclose(path[0], path[-1])


def test_ring_outline_is_two_closed_circles_of_its_radii():
    inner, outer = geometry.outlines({"shape": "ring", "cx": 20, "cy": 10, "ri": 4, "ro": 9})
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 20, inner[:, 1] - 10), 4)
    np.testing.assert_allclose(np.hypot(outer[:, 0] - 20, outer[:, 1] - 10), 9)
    np.testing.assert_allclose(outer[0], outer[-1], atol=1e-9)


def test_polygon_outline_passes_through_every_vertex():
    vertices = [[1, 1], [9, 2], [5, 8]]
    (path,) = geometry.outlines({"shape": "polygon", "vertices": vertices})
    for vertex in vertices:
        assert np.min(np.hypot(*(path - vertex).T)) < 1e-9


def test_changing_the_shape_keeps_the_centre():
    ring = {"shape": "ring", "cx": 20, "cy": 12, "ri": 4, "ro": 9}
    disk = geometry.with_shape(ring, "disk", FRAME)
    assert (disk["shape"], disk["cx"], disk["cy"]) == ("disk", 20, 12)
    rect = geometry.with_shape(ring, "rectangle", FRAME)
    assert rect["x"] + rect["width"] / 2 == 20 and rect["y"] + rect["height"] / 2 == 12


def test_bad_detectors_are_refused_with_what_is_missing():
    with pytest.raises(ValueError, match="lacks ro"):
        geometry.check_detectors([{"shape": "ring", "cx": 1, "cy": 1, "ri": 1}])
    with pytest.raises(ValueError, match="widgets draw"):
        geometry.check_detectors([{"shape": "weights", "values": [[1]]}])
    with pytest.raises(ValueError, match="at least one"):
        geometry.check_detectors([])
    with pytest.raises(ValueError, match="no handle"):
        geometry.drag([{"shape": "disk", "cx": 1, "cy": 1, "r": 1}], Handle(0, "outer", 0, 0), 1, 1, FRAME)
    with pytest.raises(ValueError, match="2-D frames"):
        Frame.of((4, 4, 4))


def test_a_click_on_the_navigation_image_picks_the_nearest_scan_position_inside_the_scan():
    assert geometry.scan_position(4.4, 2.6, (32, 48)) == (3, 4)
    assert geometry.scan_position(-3, 99, (32, 48)) == (31, 0)


def test_outlines_of_many_detectors_stack_into_one_array_even_with_a_many_sided_polygon():
    many = {"shape": "polygon", "vertices": [[10 + 5 * np.cos(a), 10 + 5 * np.sin(a)]
                                             for a in np.linspace(0, 6, 100)]}
    detectors = [many, {"shape": "ring", "cx": 5, "cy": 5, "ri": 1, "ro": 2}, {"shape": "point", "cx": 1, "cy": 1}]
    points = geometry.outline_points(detectors)
    paths = [path for d in detectors for path in geometry.outlines(d, points)]
    assert np.stack(paths).shape == (4, points, 2)
