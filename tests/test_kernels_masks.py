"""Mask geometry: LiberTEM's definitions, re-derived here from first principles (LiberTEM is a
benchmark-only dependency), plus the JSON spec validation."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.errors import BadParameter
from jupyter_remotem.kernels import masks


def brute(sig_shape, predicate):
    """Evaluate a predicate on every pixel centre (integer indices), the slow obvious way."""
    h, w = sig_shape
    return np.array([[predicate(x, y) for x in range(w)] for y in range(h)], dtype=bool)


@pytest.mark.parametrize("sig_shape", [(7, 13), (1, 1), (16, 16), (1, 9)])
@pytest.mark.parametrize("cx, cy, r", [(6.0, 3.0, 2.0), (6.3, 2.7, 3.5), (0.0, 0.0, 1.0), (-3.0, 2.0, 4.0), (3.0, 3.0, 0.0)])
def test_disk_holds_the_pixels_within_distance_r_including_the_edge(sig_shape, cx, cy, r):
    expected = brute(sig_shape, lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r * r)
    np.testing.assert_array_equal(masks.disk(cx, cy, r, sig_shape), expected)


def test_disk_edge_pixels_at_exactly_r_are_inside():
    m = masks.disk(5, 5, 2, (11, 11))
    assert m[5, 7] and m[3, 5] and not m[4, 7]


@pytest.mark.parametrize("cx, cy, ri, ro", [(6.0, 3.0, 1.0, 3.0), (6.5, 3.5, 0.0, 2.0), (2.0, 2.0, 2.0, 2.0)])
def test_ring_is_open_inside_and_closed_outside(cx, cy, ri, ro):
    sig = (7, 13)
    expected = brute(sig, lambda x, y: ri * ri < (x - cx) ** 2 + (y - cy) ** 2 <= ro * ro)
    np.testing.assert_array_equal(masks.ring(cx, cy, ri, ro, sig), expected)


def test_disk_and_ring_tile_without_overlap():
    sig = (20, 20)
    d = masks.disk(9.5, 9.5, 4, sig)
    r = masks.ring(9.5, 9.5, 4, 8, sig)
    assert not (d & r).any()
    np.testing.assert_array_equal(d | r, masks.disk(9.5, 9.5, 8, sig))


def libertem_rectangular(X, Y, W, H, sig):
    """``libertem.masks.rectangular`` transcribed (both edges inclusive, int truncation)."""
    h, w = sig
    m = np.zeros((h, w), bool)
    if W == 0 or H == 0:
        return m
    ymin, ymax = int(min(Y, Y + H)), int(max(Y, Y + H))
    xmin, xmax = int(min(X, X + W)), int(max(X, X + W))
    m[max(0, ymin):min(ymax + 1, h), max(0, xmin):min(xmax + 1, w)] = True
    return m


@pytest.mark.parametrize("x, y, width, height", [(2, 1, 3, 2), (0, 0, 12, 6), (5, 2, -3, 2), (2.7, 1.2, 3.9, 2.5), (10, 4, 10, 10)])
def test_rectangle_matches_libertem_rectangular(x, y, width, height):
    sig = (7, 13)
    np.testing.assert_array_equal(masks.rectangle(x, y, width, height, sig), libertem_rectangular(x, y, width, height, sig))


def test_rectangle_past_the_frame_is_clipped_and_wholly_outside_is_empty():
    sig = (7, 13)
    m = masks.rectangle(-5, -5, 7, 7, sig)
    assert m[:3, :3].all() and m.sum() == 9
    assert not masks.rectangle(-20, -20, 5, 5, sig).any()
    assert not masks.rectangle(20, 2, 5, 5, sig).any()
    assert not masks.rectangle(2, 2, 0, 5, sig).any()


def test_point_selects_one_pixel_and_is_empty_outside_the_frame():
    sig = (7, 13)
    m = masks.point(4.7, 2.2, sig)
    assert m.sum() == 1 and m[2, 4]
    assert masks.point(12, 6, sig)[6, 12]
    for cx, cy in [(13, 0), (0, 7), (-0.5, 2), (3, -0.1), (100, 100)]:
        assert not masks.point(cx, cy, sig).any()


def crossing_number(vertices, x, y):
    inside = False
    n = len(vertices)
    for i in range(n):
        (x0, y0), (x1, y1) = vertices[i], vertices[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def test_polygon_axis_aligned_square_with_off_grid_corners():
    m = masks.polygon([(1.5, 0.5), (5.5, 0.5), (5.5, 3.5), (1.5, 3.5)], (7, 13))
    expected = np.zeros((7, 13), bool)
    expected[1:4, 2:6] = True
    np.testing.assert_array_equal(m, expected)


@pytest.mark.parametrize("vertices", [
    [(0.2, 0.3), (11.7, 1.1), (4.4, 6.6)],
    [(-3.1, -2.2), (20.3, 3.3), (-1.7, 9.9)],
    [(1.1, 1.2), (10.3, 5.7), (10.4, 1.3), (1.2, 5.6)],  # self-intersecting bow tie
    [(2.1, 0.1), (2.1, 6.1), (8.1, 3.1), (0.3, 3.2), (9.9, 0.4)],
])
def test_polygon_is_even_odd_point_in_polygon_of_pixel_centres(vertices):
    sig = (7, 13)
    np.testing.assert_array_equal(masks.polygon(vertices, sig), brute(sig, lambda x, y: crossing_number(vertices, x, y)))


def test_weights_keep_values_and_check_shape():
    w = np.arange(91, dtype=np.float64).reshape(7, 13) / 7
    out = masks.weights(w.tolist(), (7, 13))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, w, rtol=1e-7)
    with pytest.raises(BadParameter):
        masks.weights(np.ones((13, 7)), (7, 13))
    with pytest.raises(BadParameter):
        masks.weights(np.full((7, 13), np.nan), (7, 13))


def test_from_spec_builds_every_shape():
    sig = (7, 13)
    np.testing.assert_array_equal(masks.from_spec({"shape": "disk", "cx": 6, "cy": 3, "r": 2}, sig), masks.disk(6, 3, 2, sig))
    np.testing.assert_array_equal(
        masks.from_spec({"shape": "ring", "cx": 6, "cy": 3, "ri": 1, "ro": 3}, sig), masks.ring(6, 3, 1, 3, sig))
    np.testing.assert_array_equal(
        masks.from_spec({"shape": "rectangle", "x": 1, "y": 1, "width": 3, "height": 2}, sig),
        masks.rectangle(1, 1, 3, 2, sig))
    np.testing.assert_array_equal(masks.from_spec({"shape": "point", "cx": 4, "cy": 5}, sig), masks.point(4, 5, sig))
    tri = [[0.5, 0.5], [10.5, 0.5], [0.5, 6.5]]
    np.testing.assert_array_equal(masks.from_spec({"shape": "polygon", "vertices": tri}, sig), masks.polygon(tri, sig))
    vals = np.ones(sig).tolist()
    assert masks.from_spec({"shape": "weights", "values": vals}, sig).dtype == np.float32


@pytest.mark.parametrize("spec, needle", [
    ({"shape": "disk", "cx": 1, "cy": 1}, '"r"'),
    ({"shape": "disk", "cx": 1, "cy": 1, "r": -1}, "negative"),
    ({"shape": "disk", "cx": float("nan"), "cy": 1, "r": 1}, "finite"),
    ({"shape": "disk", "cx": float("inf"), "cy": 1, "r": 1}, "finite"),
    ({"shape": "disk", "cx": "1", "cy": 1, "r": 1}, "number"),
    ({"shape": "disk", "cx": True, "cy": 1, "r": 1}, "number"),
    ({"shape": "ring", "cx": 1, "cy": 1, "ri": 3, "ro": 2}, "inner"),
    ({"shape": "rectangle", "x": 1, "y": 1, "width": -2, "height": 2}, "negative"),
    ({"shape": "polygon", "vertices": [[0, 0], [1, 1]]}, "three"),
    ({"shape": "polygon", "vertices": [[0, 0], [1, 1], [2]]}, "pair"),
    ({"shape": "weights"}, '"values"'),
    ({"shape": "hexagon"}, "hexagon"),
    ({"cx": 1}, "None"),
    ("disk", "JSON object"),
])
def test_from_spec_rejects_bad_specs_with_a_hint_naming_the_keys(spec, needle):
    with pytest.raises(BadParameter) as info:
        masks.from_spec(spec, (7, 13))
    assert needle in info.value.message
    assert info.value.hint and '"' in info.value.hint


def test_hint_lists_the_expected_keys():
    with pytest.raises(BadParameter) as info:
        masks.from_spec({"shape": "ring", "cx": 1, "cy": 1}, (7, 13))
    for key in ("cx", "cy", "ri", "ro"):
        assert f'"{key}"' in info.value.hint


def test_stack_is_bool_for_binary_shapes_and_float32_with_weights():
    sig = (7, 13)
    binary = masks.stack([{"shape": "disk", "cx": 6, "cy": 3, "r": 2}, {"shape": "point", "cx": 0, "cy": 0}], sig)
    assert binary.shape == (2, 7, 13) and binary.dtype == bool
    mixed = masks.stack([{"shape": "disk", "cx": 6, "cy": 3, "r": 2}, {"shape": "weights", "values": np.full(sig, 0.5).tolist()}], sig)
    assert mixed.dtype == np.float32 and mixed[1, 0, 0] == 0.5
    with pytest.raises(BadParameter):
        masks.stack([], sig)
    with pytest.raises(BadParameter):
        masks.stack({"shape": "disk"}, sig)
