"""The seed's example pipeline (select cells, normalise, max-project) as a user's module on disk.

Tests edit its text (a step's body, a helper, a docstring) and load each version as a fresh module,
the way a user edits a file and re-runs: the pipeline must notice exactly the edits that matter.
Modules are shipped to Dask workers by value (cloudpickle), as a notebook's functions are.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import cloudpickle
import numpy as np

CHANNELS = ["dna", "membrane", "structure"]
SHAPE = (3, 4, 24, 24)  # C, Z, Y, X of one generated field of view

SOURCE = '''
"""Cells from generated fields of view."""
import os
import time

import numpy as np

from jupyter_remotem.pipeline import step
from jupyter_remotem.pipeline.writers import OmeTiff, Png

CHANNELS = {channels!r}
LOG_DIR = {log_dir!r}
STALL_ID = -1
RELEASE = os.path.join(LOG_DIR, "release")


def _log(step_name, cell_id):
    # One file per execution, so a test counts how often each target was made.
    path = os.path.join(LOG_DIR, f"{{step_name}}-{{cell_id}}-{{os.getpid()}}-{{time.monotonic_ns()}}")
    open(path, "w").close()


def make_fov(seed):
    """A field of view: three channels of Poisson counts around a bright blob."""
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[0:4, 0:24, 0:24]
    blob = 900.0 * np.exp(-((y - 12) ** 2 + (x - 12) ** 2) / 40.0) * (1 + z)
    return np.stack([rng.poisson(blob * (c + 1) + 50) for c in range(3)]).astype(np.uint16)


@step
def select_cell(fov_seed, cell_index):
    """Cut one cell's box out of a field of view."""
    fov = make_fov(fov_seed)
    y = 4 * cell_index
    return fov[:, :, y:y + 12, y:y + 12]


@step(target="normalized/{{cell_id}}.ome.tiff", writer=OmeTiff(dims="CZYX", channel_names=CHANNELS))
def normalize_cell(cell_id, cell_data):
    """Scale every channel to 0..1."""
    _log("normalize", cell_id)
    if cell_id == STALL_ID:
        with open(os.path.join(LOG_DIR, "stalled"), "w") as handle:
            handle.write(str(os.getpid()))
        while not os.path.exists(RELEASE):  # wait for the test to kill this worker
            time.sleep(0.01)
    data = cell_data.astype(np.float32)
    low = data.min(axis=(1, 2, 3), keepdims=True)
    high = data.max(axis=(1, 2, 3), keepdims=True)
    return (data - low) / np.maximum(high - low, 1)


@step(target="projections/{{cell_id}}.png")
def project_cell(cell_id, normed):
    """Maximum over channels and depth."""
    _log("project", cell_id)
    return normed.max(axis=(0, 1))
'''

_serial = itertools.count()


def source(log_dir: Path, channels: list[str] | None = None) -> str:
    return SOURCE.format(channels=channels or CHANNELS, log_dir=str(log_dir))


def load(folder: Path, text: str) -> ModuleType:
    """Write ``text`` as a module file of its own and import it."""
    name = f"cellpipe_{next(_serial)}"
    directory = folder / name
    directory.mkdir(parents=True)
    path = directory / "cellpipe.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    cloudpickle.register_pickle_by_value(module)
    return module


def edited(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not once in the pipeline's source"
    return text.replace(old, new)


def table(count: int) -> dict[str, list[int]]:
    """The items: cell ids, the field of view each comes from, and the cell's place in it."""
    return {"cell_id": list(range(count)), "fov_seed": [i // 3 for i in range(count)],
            "cell_index": [i % 3 for i in range(count)]}


def build(module: ModuleType, items: dict[str, list[int]]):
    """The three-step pipeline over a table, as the seed writes it."""
    selected = module.select_cell.map(items["fov_seed"], items["cell_index"])
    normalized = module.normalize_cell.map(items["cell_id"], selected)
    return module.project_cell.map(items["cell_id"], normalized)


def reference(module: ModuleType, cell_id: int, fov_seed: int, cell_index: int) -> tuple[np.ndarray, np.ndarray]:
    """The normalised cell and its projection, computed with plain numpy from the same generator."""
    fov = module.make_fov(fov_seed)
    y = 4 * cell_index
    cell = fov[:, :, y:y + 12, y:y + 12].astype(np.float32)
    low = cell.reshape(3, -1).min(axis=1)[:, None, None, None]
    high = cell.reshape(3, -1).max(axis=1)[:, None, None, None]
    normed = (cell - low) / np.maximum(high - low, 1)
    return normed, normed.max(axis=0).max(axis=0)


def executions(log_dir: Path, step_name: str) -> dict[int, int]:
    """How many times each cell's step ran, from the execution log."""
    counts: dict[int, int] = {}
    for path in log_dir.iterdir():
        parts = path.name.split("-")
        if len(parts) == 4 and parts[0] == step_name:
            counts[int(parts[1])] = counts.get(int(parts[1]), 0) + 1
    return counts
