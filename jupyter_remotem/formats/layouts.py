"""The layouts of the NeXus and HyperSpy files this product writes, declared once.

Job exports (:mod:`..jobs.exports`), saved results (:mod:`..jobs.result_formats`) and the
pipeline's writers (:mod:`..pipeline.writers`) all write these two formats; each fills the same
skeleton with its own data, so a file from any of them opens the same way in the format's tools:

- NeXus: ``NXroot`` (``default`` → the entry) → ``NXentry`` (``default`` → ``data``) → ``NXdata``
  with ``signal``, ``axes`` (``.`` for an unnamed axis) and ``<axis>_indices``, and one evenly
  spaced coordinate dataset per named axis with its ``units`` (when it has any) and a ``long_name``;
  the callers then fill the signal the way their source allows (slab by slab, chunk by chunk).
- ``.hspy``: the signal dictionary rosettasciio's hspy writer takes: calibrated axes, a plain
  signal of no extension package (HyperSpy opens it without jupyter_remotem installed, and without
  warning that a package providing it is missing), what the caller keeps in ``original_metadata``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def nexus_data(out: Any, axes: Sequence[dict[str, Any]], shape: tuple[int, ...], dtype: Any, *,
               creator: str, entry: str = "entry", signal: str = "data", title: str | None = None,
               chunks: tuple[int, ...] | None = None, compression: str | None = None) -> tuple[Any, Any]:
    """Lay out a NeXus tree in the open h5py file ``out``; answers the entry group and the signal's
    (still empty) dataset.  ``axes``: one dict per array axis with ``name`` (empty: no coordinate),
    ``units``, ``scale`` and ``offset``."""
    names = [axis.get("name") or "." for axis in axes]
    out.attrs.update({"NX_class": "NXroot", "default": entry, "creator": creator})
    group_entry = out.create_group(entry)
    group_entry.attrs.update({"NX_class": "NXentry", "default": "data"})
    if title is not None:
        group_entry.create_dataset("title", data=title)
    group = group_entry.create_group("data")
    group.attrs.update({"NX_class": "NXdata", "signal": signal, "axes": names})
    dataset = group.create_dataset(signal, shape=shape, dtype=dtype, chunks=chunks, compression=compression)
    for index, (axis, size) in enumerate(zip(axes, shape)):
        name = axis.get("name")
        if not name:
            continue
        units = axis.get("units") or ""
        coordinate = group.create_dataset(
            name, data=float(axis.get("offset", 0.0)) + float(axis.get("scale", 1.0)) * np.arange(size))
        if units:
            coordinate.attrs["units"] = units
        coordinate.attrs["long_name"] = f"{name} ({units})" if units else name
        group.attrs[f"{name}_indices"] = index
    return group_entry, dataset


def hspy_signal(data: Any, axes: list[dict[str, Any]], *, title: str, signal_type: str = "",
                original_metadata: dict[str, Any] | None = None, original_filename: str | None = None,
                lazy: bool = False) -> dict[str, Any]:
    """The dictionary rosettasciio's hspy ``file_writer`` takes for ``data`` with ``axes`` (dicts
    with ``name``, ``size``, ``scale``, ``offset``, ``units``, ``navigate``; navigation axes first)."""
    general: dict[str, Any] = {"title": title}
    if original_filename is not None:
        general["original_filename"] = original_filename
    return {
        "data": data,
        "axes": axes,
        "metadata": {"General": general, "Signal": {"signal_type": signal_type}},
        "original_metadata": dict(original_metadata or {}),
        "attributes": {"_lazy": lazy},
        "tmp_parameters": {},
        "package_info": {"package": "", "package_version": ""},
        "learning_results": {},
        "models": {},
    }


def write_hspy(path: str | Path, signal: dict[str, Any], compression: str | None = None) -> None:
    """Write ``signal`` (:func:`hspy_signal`) to ``path``: the hspy writer wants a file name, not a buffer."""
    from rsciio.hspy import file_writer

    file_writer(str(path), signal, compression=compression, show_progressbar=False)
