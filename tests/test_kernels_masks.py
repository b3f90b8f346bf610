"""Mask geometry: LiberTEM's definitions, re-derived here from first principles (LiberTEM is a
benchmark-only dependency), plus the JSON spec validation."""

from __future__ import annotations

import math
import time

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


# -- the vectorised stack against the per-detector definitions it replaced ------------------------
def reference_mask(spec, sig_shape):
    """One mask the way it was built before masks were built together: plain numpy per detector."""
    h, w = sig_shape
    shape = spec["shape"]
    if shape in ("disk", "ring"):
        y = np.arange(h, dtype=np.float64)[:, None] - spec["cy"]
        x = np.arange(w, dtype=np.float64)[None, :] - spec["cx"]
        d2 = y * y + x * x
        if shape == "disk":
            return d2 <= spec["r"] * spec["r"]
        return (d2 <= spec["ro"] * spec["ro"]) & ~(d2 <= spec["ri"] * spec["ri"])
    if shape == "rectangle":
        m = np.zeros(sig_shape, bool)
        if spec["width"] == 0 or spec["height"] == 0:
            return m
        x0, x1 = sorted((spec["x"], spec["x"] + spec["width"]))
        y0, y1 = sorted((spec["y"], spec["y"] + spec["height"]))
        x0, x1, y0, y1 = int(x0), int(x1), int(y0), int(y1)
        m[max(0, y0):max(0, min(y1 + 1, h)), max(0, x0):max(0, min(x1 + 1, w))] = True
        return m
    if shape == "point":
        m = np.zeros(sig_shape, bool)
        iy, ix = math.floor(spec["cy"]), math.floor(spec["cx"])
        if 0 <= iy < h and 0 <= ix < w:
            m[iy, ix] = True
        return m
    verts = np.asarray(spec["vertices"], dtype=np.float64)
    inside = np.zeros(sig_shape, bool)
    py = np.arange(h, dtype=np.float64)[:, None]
    px = np.arange(w, dtype=np.float64)[None, :]
    for (x0, y0), (x1, y1) in zip(verts, np.roll(verts, -1, axis=0)):
        if y0 == y1:
            continue
        with np.errstate(all="ignore"):
            straddles = (y0 <= py) != (y1 <= py)
            x_cross = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
            inside ^= straddles & (px < x_cross)
    return inside


def random_specs(rng, n, sig_shape):
    """Random detectors of every binary shape, with coordinates on pixel centres and half-pixels
    (where the edge rules decide), inside, across and outside the frame."""
    h, w = sig_shape

    def coordinate(size):
        kind = rng.integers(4)
        if kind == 0:
            return float(rng.integers(-3, size + 3))  # a pixel centre, maybe outside
        if kind == 1:
            return float(rng.integers(-3, size + 3)) + 0.5  # a half pixel
        return float(rng.uniform(-size / 2, size * 1.5))

    specs = []
    for _ in range(n):
        shape = ("disk", "ring", "rectangle", "point", "polygon")[rng.integers(5)]
        cx, cy = coordinate(w), coordinate(h)
        if shape == "disk":
            specs.append({"shape": "disk", "cx": cx, "cy": cy, "r": float(rng.choice([0, 1, 2.5, rng.uniform(0, w)]))})
        elif shape == "ring":
            ri = float(rng.choice([0, 1, rng.uniform(0, w / 2)]))
            specs.append({"shape": "ring", "cx": cx, "cy": cy, "ri": ri, "ro": ri + float(rng.choice([0, 1, 3.5]))})
        elif shape == "rectangle":
            specs.append({"shape": "rectangle", "x": cx, "y": cy, "width": float(rng.choice([0, 1, 2.7, w])),
                          "height": float(rng.choice([0, 1, 3.2, h]))})
        elif shape == "point":
            specs.append({"shape": "point", "cx": cx, "cy": cy})
        else:
            n_vertices = int(rng.integers(3, 12))
            specs.append({"shape": "polygon", "vertices": [[coordinate(w), coordinate(h)] for _ in range(n_vertices)]})
    return specs


@pytest.mark.parametrize("sig_shape", [(7, 13), (1, 1), (16, 16), (1, 9), (33, 5)])
@pytest.mark.parametrize("seed", range(4))
def test_stack_equals_the_per_detector_masks_on_random_geometry(sig_shape, seed):
    rng = np.random.default_rng(seed)
    specs = random_specs(rng, 60, sig_shape)
    built = masks.stack(specs, sig_shape)
    assert built.dtype == bool and built.shape == (len(specs),) + sig_shape
    for i, spec in enumerate(specs):
        np.testing.assert_array_equal(built[i], reference_mask(spec, sig_shape), err_msg=str(spec))
        np.testing.assert_array_equal(masks.from_spec(spec, sig_shape), built[i], err_msg=str(spec))


def test_stack_with_weights_places_every_shape_as_zeros_and_ones():
    sig = (9, 11)
    rng = np.random.default_rng(3)
    specs = random_specs(rng, 20, sig)
    values = rng.uniform(-1, 1, sig)
    built = masks.stack(specs[:10] + [{"shape": "weights", "values": values.tolist()}] + specs[10:], sig)
    assert built.dtype == np.float32
    np.testing.assert_allclose(built[10], values.astype(np.float32))
    for i, spec in enumerate(specs[:10] + [None] + specs[10:]):
        if spec is not None:
            np.testing.assert_array_equal(built[i], reference_mask(spec, sig).astype(np.float32))


def test_a_polygon_of_many_vertices_fills_like_the_per_edge_rule_and_fast():
    rng = np.random.default_rng(5)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 20_000))
    radius = rng.uniform(40, 120, angles.size)
    vertices = np.stack([128 + radius * np.cos(angles), 128 + radius * np.sin(angles)], axis=1)
    sig = (256, 256)
    started = time.perf_counter()
    built = masks.polygon(vertices.tolist(), sig)
    elapsed = time.perf_counter() - started
    np.testing.assert_array_equal(built, reference_mask({"shape": "polygon", "vertices": vertices}, sig))
    assert elapsed < 1.0, f"{elapsed:.2f} s for a polygon of {len(vertices)} vertices"


def test_huge_coordinates_are_refused_or_handled_never_crash():
    sig = (8, 8)
    with pytest.raises(BadParameter):
        masks.from_spec({"shape": "disk", "cx": 10 ** 400, "cy": 1, "r": 1}, sig)
    with pytest.raises(BadParameter):
        masks.from_spec({"shape": "polygon", "vertices": [[0, 0], [10 ** 400, 1], [1, 5]]}, sig)
    with pytest.raises(BadParameter):
        masks.weights([[10 ** 400] * 8] * 8, sig)
    with pytest.raises(BadParameter):
        masks.weights([["1"] * 8] * 8, sig)
    far = masks.from_spec({"shape": "polygon", "vertices": [[-1e308, -1e308], [1e308, 0], [0, 1e308]]}, sig)
    assert far.shape == sig
    assert not masks.from_spec({"shape": "rectangle", "x": 1e300, "y": 0, "width": 1e300, "height": 3}, sig).any()
