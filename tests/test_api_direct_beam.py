"""``direct_beam``: the centre and radius of the brightest disk of the mean frame, the number
behind the viewer's automatic CoM centre, checked against plain numpy on a synthetic scan."""

from __future__ import annotations

import io
import json
import uuid

import numpy as np
import pytest
from _api import api_path


def disk_scan(cx: float, cy: float, r: float, seed: int = 11) -> np.ndarray:
    """A 6 × 7 scan of 40 × 48 frames: a bright disk that wanders by up to a pixel around
    ``(cx, cy)`` over a noisy background."""
    rng = np.random.default_rng(seed)
    y, x = np.indices((40, 48))
    frames = np.empty((6, 7, 40, 48), np.float32)
    for i in range(6):
        for j in range(7):
            dx, dy = rng.uniform(-1, 1, 2)
            disk = np.hypot(x - cx - dx, y - cy - dy) <= r
            frames[i, j] = 1000 * disk + rng.uniform(0, 50, (40, 48))
    return frames


def numpy_beam(frames: np.ndarray) -> tuple[float, float, float]:
    """The brightest disk of the mean frame: pixels above half way from the median to the peak,
    their centroid weighted by height above the median, and the radius of their area."""
    mean = frames.reshape(-1, *frames.shape[-2:]).astype(np.float64).mean(axis=0)
    median = np.median(mean)
    bright = mean >= median + 0.5 * (mean.max() - median)
    ys, xs = np.nonzero(bright)
    weights = mean[bright] - median
    return (float((xs * weights).sum() / weights.sum()), float((ys * weights).sum() / weights.sum()),
            float(np.sqrt(bright.sum() / np.pi)))


@pytest.fixture
def synthetic(demo_dir):
    name = f"beam-{uuid.uuid4().hex[:8]}.npy"
    frames = disk_scan(cx=29.3, cy=17.6, r=7.5)
    np.save(demo_dir / name, frames)
    yield name, frames
    (demo_dir / name).unlink()


async def reduce(jp_fetch, path, operation="direct_beam", **params):
    return await jp_fetch(*api_path("reductions"), method="POST", raise_error=False,
                          params={k: str(v) for k, v in params.items()},
                          body=json.dumps({"repository": "demo", "path": path, "operation": operation, "params": {}}))


async def test_the_direct_beam_is_the_brightest_disk_of_the_mean_frame(jp_fetch, synthetic):
    name, frames = synthetic
    response = await reduce(jp_fetch, name, format="npy")
    assert response.code == 200, response.body[:300]
    cx, cy, r = np.load(io.BytesIO(response.body))
    np.testing.assert_allclose([cx, cy, r], numpy_beam(frames), rtol=1e-9)
    # And it is where the disk was put (its wander averages out).
    assert abs(cx - 29.3) < 0.3 and abs(cy - 17.6) < 0.3 and abs(r - 7.5) < 1.0

    # The mean frame it was found on comes with it.
    response = await reduce(jp_fetch, name, format="npy", field="mean")
    np.testing.assert_allclose(np.load(io.BytesIO(response.body)), frames.mean(axis=(0, 1)), rtol=1e-5)


async def test_the_operation_is_listed_with_what_it_needs(jp_fetch, synthetic):
    name, _ = synthetic
    response = await jp_fetch(*api_path("operations"), params={"repository": "demo", "path": name})
    listed = {op["name"]: op for op in json.loads(response.body)["operations"]}
    assert listed["direct_beam"]["available"] and listed["direct_beam"]["kind"] == "reduction"
    assert "[cx, cy, r]" in listed["direct_beam"]["description"]
