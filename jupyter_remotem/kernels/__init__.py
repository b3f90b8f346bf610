"""Pure numerical kernels (numpy + numba): masks, masked sums, centre of mass, frame statistics.

No I/O, no web, no Dask: every function takes arrays and returns arrays, so the compute layer can
run them on partitions, the previews on a few frames, and the tests on tiny inputs.
"""

from __future__ import annotations

from ._jit import limit_threads
from .apply import MaskSet, apply_masks
from .com import center_of_mass, com_fields, com_from_sums, com_sums
from .masks import disk, from_spec, point, polygon, rectangle, ring, stack, weights
from .stats import FrameMoments, merge, radial_profile

__all__ = [
    "FrameMoments",
    "MaskSet",
    "apply_masks",
    "center_of_mass",
    "com_fields",
    "com_from_sums",
    "com_sums",
    "disk",
    "from_spec",
    "limit_threads",
    "merge",
    "point",
    "polygon",
    "radial_profile",
    "rectangle",
    "ring",
    "stack",
    "warm_up",
    "weights",
]


def warm_up() -> None:
    """Compile, or load from numba's disk cache, the kernels for the common detector dtypes on
    tiny arrays; meant for a background thread at server start."""
    import numpy as np

    from . import apply

    apply.warm_up()
    for dtype in apply.WARM_DTYPES:
        frames = np.ones((3, 4, 5), dtype)
        center_of_mass(frames)
        FrameMoments.from_frames(frames)
