"""Basic-indexing selections, checked and turned into per-axis index lists.

Readers receive user selections (from the REST ``slice=`` parameter or from Python) and must
answer ``array[selection]`` exactly as numpy would.  Normalising once here lets each reader
deal only with complete tuples of positive ints and slices, and lets chunk-based readers work
from explicit index lists, which handles any step without special cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BadParameter

Selection = tuple[slice | int, ...]


def parse(text: str, max_items: int | None = None) -> tuple[slice | int | type(Ellipsis), ...]:
    """numpy's basic-indexing syntax from text, as in ``?slice=10:20,5,...``; no evaluation.

    With ``max_items``, a text of more indices is refused before any is read (numpy itself
    takes at most 64 dimensions)."""
    if max_items is not None and text.count(",") + 1 > max_items:
        raise BadParameter(
            f"The slice has {text.count(',') + 1:,} indices; at most {max_items} are accepted (limit max_slice_dims).",
            hint="Give one index or range per axis of the array (GET meta shows its shape), or '...' for the rest.",
            limit="max_slice_dims", allowed=max_items,
        )
    items: list[Any] = []
    for part in text.split(","):
        part = part.strip()
        if part == "...":
            items.append(Ellipsis)
            continue
        try:
            if ":" in part:
                bounds = part.split(":")
                if len(bounds) > 3:
                    raise ValueError
                items.append(slice(*(int(b) if b.strip() else None for b in bounds)))
            else:
                items.append(int(part))
        except ValueError:
            raise BadParameter(
                f"Cannot read '{part[:40]}' in slice '{text[:200]}'.",
                hint="Use numpy syntax with integers: for example 10:20,5 or 0,0,... or ::4,::4.",
            ) from None
    return tuple(items)


def normalise(selection: Any, shape: tuple[int, ...]) -> Selection:
    """A full-length tuple of in-range ints and slices, or :class:`BadParameter`."""
    if not isinstance(selection, tuple):
        selection = (selection,)
    if sum(item is Ellipsis for item in selection) > 1:
        raise BadParameter("A selection may contain at most one '...'.")
    ellipses = [i for i, item in enumerate(selection) if item is Ellipsis]
    if ellipses:
        at = ellipses[0]
        fill = (slice(None),) * (len(shape) - len(selection) + 1)
        selection = selection[:at] + fill + selection[at + 1 :]
    if len(selection) > len(shape):
        raise BadParameter(f"Too many indices: the array has {len(shape)} dimensions, got {len(selection)}.")
    selection = selection + (slice(None),) * (len(shape) - len(selection))
    out: list[slice | int] = []
    for axis, (item, size) in enumerate(zip(selection, shape)):
        if isinstance(item, (bool, np.bool_)):
            raise BadParameter("Boolean indices are not supported; use ints and slices.")
        if isinstance(item, (int, np.integer)):
            index = int(item)
            if not -size <= index < size:
                raise BadParameter(f"Index {index} is out of range for axis {axis} of size {size}.")
            out.append(index % size)
        elif isinstance(item, slice):
            for part in (item.start, item.stop, item.step):
                if part is not None and not isinstance(part, (int, np.integer)):
                    raise BadParameter("Slice bounds must be integers.")
            if item.step == 0:
                raise BadParameter("Slice step cannot be zero.")
            out.append(slice(item.start, item.stop, 1 if item.step is None else int(item.step)))
        else:
            raise BadParameter(f"Unsupported index {item!r} on axis {axis}: only ints, slices and '...' are allowed.")
    return tuple(out)


def positive_steps(selection: Selection, shape: tuple[int, ...]) -> tuple[Selection, list[int]]:
    """Rewrite negative-step slices (which h5py and zarr refuse) as positive ones.

    Returns the rewritten selection and the *output* axes that must be reversed afterwards.
    """
    rewritten: list[slice | int] = []
    flips: list[int] = []
    out_axis = 0
    for item, size in zip(selection, shape):
        if isinstance(item, int):
            rewritten.append(item)
            continue
        if (item.step or 1) < 0:
            indices = range(*item.indices(size))
            if len(indices):
                rewritten.append(slice(indices[-1], indices[0] + 1, -item.step))
                flips.append(out_axis)
            else:
                rewritten.append(slice(0, 0, 1))
        else:
            rewritten.append(item)
        out_axis += 1
    return tuple(rewritten), flips


def apply_flips(array: np.ndarray, flips: list[int]) -> np.ndarray:
    for axis in flips:
        array = np.flip(array, axis)
    return array


@dataclass(frozen=True)
class Plan:
    """A selection as explicit index arrays, one per axis, plus which axes an int removed."""

    indices: tuple[np.ndarray, ...]
    dropped: tuple[bool, ...]

    @classmethod
    def of(cls, selection: Selection, shape: tuple[int, ...]) -> Plan:
        indices = []
        for item, size in zip(selection, shape):
            if isinstance(item, int):
                indices.append(np.array([item], dtype=np.int64))
            else:
                indices.append(np.arange(*item.indices(size), dtype=np.int64))
        return cls(tuple(indices), tuple(isinstance(item, int) for item in selection))

    @property
    def full_shape(self) -> tuple[int, ...]:
        return tuple(len(index) for index in self.indices)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(len(index) for index, drop in zip(self.indices, self.dropped) if not drop)


def check_frame_indices(indices: Any, n_frames: int) -> np.ndarray:
    """Flat scan indices as int64, each within ``[0, n_frames)``."""
    flat = np.asarray(indices)
    if flat.size and flat.dtype.kind not in "iu":
        raise BadParameter("Frame indices must be integers.")
    flat = flat.astype(np.int64, copy=False).ravel()
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= n_frames):
        raise BadParameter(f"Frame indices must lie in [0, {n_frames}).")
    return flat
