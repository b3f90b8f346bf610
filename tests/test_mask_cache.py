"""Masks are built once per detector geometry and frame shape, and shared by the requests after."""

from __future__ import annotations

import numpy as np

from jupyter_remotem.compute.mask_cache import MaskCache
from jupyter_remotem.compute.operations import VirtualDetectorPlan
from jupyter_remotem.formats.memory import array_dataset

RING = {"shape": "ring", "cx": 8, "cy": 8, "ri": 2, "ro": 6}


def test_the_same_detectors_give_the_same_mask_set():
    cache = MaskCache()
    first = cache.get([RING, {"shape": "disk", "cx": 8, "cy": 8, "r": 2}], (16, 16))
    assert cache.get([dict(RING), {"r": 2, "cy": 8, "cx": 8, "shape": "disk"}], (16, 16)) is first  # key order
    assert cache.get([RING], (16, 16)) is not first
    assert cache.get([RING, {"shape": "disk", "cx": 8, "cy": 8, "r": 2}], (16, 17)) is not first


def test_weight_maps_are_not_kept_and_the_table_is_bounded():
    cache = MaskCache(max_entries=3)
    weights = {"shape": "weights", "values": np.ones((4, 4)).tolist()}
    assert cache.get([weights], (4, 4)) is not cache.get([weights], (4, 4))
    assert len(cache) == 0
    for r in range(6):
        cache.get([{"shape": "disk", "cx": 2, "cy": 2, "r": r}], (4, 4))
    assert len(cache) == 3
    tiny = MaskCache(max_bytes=10)
    tiny.get([RING], (16, 16))
    assert len(tiny) == 0


def test_plans_share_their_masks_and_answer_like_fresh_ones():
    data = np.random.default_rng(1).random((3, 4, 16, 16)).astype(np.float32)
    params = {"detectors": [RING]}
    a = VirtualDetectorPlan(array_dataset(data), params)
    b = VirtualDetectorPlan(array_dataset(data * 2), params)
    assert a.masks is b.masks
    np.testing.assert_allclose(b.process(data.reshape(12, 16, 16) * 2), 2 * a.process(data.reshape(12, 16, 16)),
                               rtol=1e-6)
