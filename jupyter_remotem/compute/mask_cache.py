"""Mask sets built once per detector geometry and frame shape, shared by the requests that follow.

A viewer asks for the same detectors again and again (a coarse pass, then the exact one; the
same ring over several files).  Building the masks, choosing their representation and cutting a
label image cost milliseconds each time, as much as reducing a small scan, so the finished
:class:`~..kernels.MaskSet` is kept, keyed by the detectors' canonical JSON and the frame shape.
Weight maps are not kept: their key would be as large as the mask.  Bounded by entries and
bytes, least recently used first; a lock guards the table (requests run in a thread pool), and a
:class:`MaskSet` is read-only once built, so threads share it.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from ..kernels import MaskSet, stack

#: Mask sets kept, and the bytes they may hold (masks and their per-dtype copies, estimated).
MAX_ENTRIES = 64
MAX_BYTES = 256 * 1024**2


class MaskCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[MaskSet, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, detectors: Sequence[dict[str, Any]], sig_shape: tuple[int, ...]) -> MaskSet:
        """The mask set of checked ``detectors`` on frames of ``sig_shape``."""
        key = _key(detectors, sig_shape)
        if key is not None:
            with self._lock:
                found = self._entries.get(key)
                if found is not None:
                    self._entries.move_to_end(key)
                    return found[0]
        masks = MaskSet(stack(detectors, sig_shape))
        if key is not None:
            # bool masks plus one float copy of their window (the largest per-dtype copy).
            nbytes = masks.k * math.prod(sig_shape) * 9
            with self._lock:
                self._entries[key] = (masks, nbytes)
                total = sum(size for _, size in self._entries.values())
                while self._entries and (len(self._entries) > self.max_entries or total > self.max_bytes):
                    total -= self._entries.popitem(last=False)[1][1]
        return masks

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _key(detectors: Sequence[dict[str, Any]], sig_shape: tuple[int, ...]) -> str | None:
    if any(isinstance(d, dict) and d.get("shape") == "weights" for d in detectors):
        return None
    try:
        return json.dumps([list(sig_shape), list(detectors)], sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None


#: The cache every interactive request and job of this process shares.
MASK_SETS = MaskCache()
