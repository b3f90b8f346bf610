"""Spherical geometry on unit vectors: exact at the poles and across RA = 0, where RA/Dec boxes
fail.  A footprint polygon and a query circle are compared in the gnomonic projection about the
query centre, which maps great circles (the edges of a TAN tile) to straight lines and a
circle about its centre to a circle of radius ``tan(r)``, so the planar test is exact."""

from __future__ import annotations

import numpy as np


def unit(ra_deg: np.ndarray | float, dec_deg: np.ndarray | float) -> np.ndarray:
    """Unit vectors ``(..., 3)`` of RA/Dec in degrees."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    cos_dec = np.cos(dec)
    return np.stack([cos_dec * np.cos(ra), cos_dec * np.sin(ra), np.sin(dec)], axis=-1)


def radec(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RA in [0, 360) and Dec, degrees, of vectors ``(..., 3)``."""
    v = np.asarray(vectors, dtype=float)
    norm = np.linalg.norm(v, axis=-1)
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(v[..., 2] / norm, -1.0, 1.0)))
    return ra, dec


def angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in degrees between unit vectors (stable for tiny and near-antipodal angles)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(np.asarray(a) * np.asarray(b), axis=-1)
    return np.degrees(np.arctan2(cross, dot))


def tangent_basis(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit east and north vectors at ``centre`` (any fixed pair at the poles)."""
    pole = np.array([0.0, 0.0, 1.0])
    east = np.cross(pole, centre)
    if np.linalg.norm(east) < 1e-12:
        east = np.array([0.0, 1.0, 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)
    return east, north


def gnomonic(centre: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tangent-plane coordinates of ``vectors`` about ``centre``, and which lie in front of it."""
    east, north = tangent_basis(centre)
    depth = vectors @ centre
    front = depth > 1e-9
    safe = np.where(front, depth, 1.0)
    return np.stack([(vectors @ east) / safe, (vectors @ north) / safe], axis=-1), front


def _segment_distance(points: np.ndarray) -> np.ndarray:
    """Distance from the origin to each segment of the closed planar polygon ``points``."""
    a, b = points, np.roll(points, -1, axis=0)
    ab = b - a
    length2 = np.sum(ab * ab, axis=-1)
    t = np.clip(np.where(length2 > 0, -np.sum(a * ab, axis=-1) / np.where(length2 > 0, length2, 1), 0), 0, 1)
    nearest = a + t[:, None] * ab
    return np.linalg.norm(nearest, axis=-1)


def _contains_origin(points: np.ndarray) -> bool:
    """Whether the convex planar polygon ``points`` holds the origin (either orientation)."""
    a, b = points, np.roll(points, -1, axis=0)
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return bool(np.all(cross >= 0) or np.all(cross <= 0))


def circle_touches_polygon(centre: np.ndarray, radius_deg: float, vertices: np.ndarray) -> bool:
    """Whether the spherical circle (``centre``, ``radius_deg`` < 90) meets the convex spherical
    polygon ``vertices``.  A polygon reaching behind the tangent plane is counted as touching:
    the cut itself then finds whether any pixel falls inside."""
    points, front = gnomonic(centre, np.asarray(vertices, dtype=float))
    if not np.all(front):
        return True
    if _contains_origin(points):
        return True
    return bool(np.min(_segment_distance(points)) <= np.tan(np.radians(radius_deg)))


def contains(vertices: np.ndarray, point: np.ndarray) -> bool:
    """Whether the convex spherical polygon ``vertices`` (smaller than a hemisphere) holds the
    unit vector ``point``: on the inner side of every edge, judged by the polygon's centroid."""
    v = np.asarray(vertices, dtype=float)
    centroid = v.sum(axis=0)
    if point @ centroid <= 0:
        return False
    normals = np.cross(v, np.roll(v, -1, axis=0))
    inner = np.sign(normals @ centroid)
    return bool(np.all((normals @ point) * inner >= -1e-15))


def dec_range(vertices: np.ndarray) -> tuple[float, float]:
    """Declination range of a spherical polygon, exactly: its vertices, the highest and lowest
    points of each edge's great circle where they fall on the edge, and ±90 when it holds a pole."""
    v = np.asarray(vertices, dtype=float)
    _, dec = radec(v)
    low, high = float(dec.min()), float(dec.max())
    z = np.array([0.0, 0.0, 1.0])
    for a, b in zip(v, np.roll(v, -1, axis=0)):
        normal = np.cross(a, b)
        length = np.linalg.norm(normal)
        if length < 1e-15:
            continue
        normal /= length
        for sign in (1.0, -1.0):
            top = sign * z - (sign * normal[2]) * normal  # the great circle's point nearest the pole
            size = np.linalg.norm(top)
            if size < 1e-15:
                continue  # the edge runs along the equator of this pole: no interior extremum
            top /= size
            if np.cross(a, top) @ normal >= 0 and np.cross(top, b) @ normal >= 0:
                extreme = float(np.degrees(np.arcsin(np.clip(top[2], -1.0, 1.0))))
                low, high = min(low, extreme), max(high, extreme)
    if contains(v, z):
        high = 90.0
    if contains(v, -z):
        low = -90.0
    return max(low, -90.0), min(high, 90.0)
