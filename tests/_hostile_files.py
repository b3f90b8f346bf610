"""Files that refer to data elsewhere, written with h5py and zarr as an attacker (or a careless
colleague) would: each points outside its repository, and a control of the same kind points inside.

The data outside is :data:`SECRET`-valued, the data inside :func:`inside_array`: a test can tell
from any answer which one it came from.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import zarr

SHAPE = (4, 5, 6, 7)  # an odd 4D scan: 4×5 positions, 6×7 frames
SECRET = 31337.0

#: Files whose data is outside the repository: name → the array path to ask for.
OUTSIDE = {
    "link_absolute.h5": "/data",
    "link_relative.h5": "/data",
    "link_to_group.h5": "/entry/data",
    "link_chain.h5": "/data",
    "external_storage.h5": "/data",
    "external_storage_relative.h5": "/data",
    "virtual.h5": "/data",
    "virtual_relative.h5": "/data",
    "virtual_via_link.h5": "/data",
    "chunk_symlink.zarr": None,
    "hdr_symlink/scan.mib": None,
    "hyperspy_link.hspy": None,
}

#: The same kinds, pointing inside: these must keep working and give the inside data.
INSIDE = {
    "link_inside.h5": "/data",
    "sub/link_up.h5": "/data",
    "external_storage_inside.h5": "/data",
    "virtual_inside.h5": "/data",
    "virtual_same_file.h5": "/data",
    "chunk_symlink_inside.zarr": None,
    "hyperspy_link_inside.hspy": None,
}


def inside_array() -> np.ndarray:
    return np.arange(np.prod(SHAPE), dtype="<f4").reshape(SHAPE)


def secret_array() -> np.ndarray:
    return np.full(SHAPE, SECRET, dtype="<f4")


def write_outside(folder: Path) -> None:
    """The files an attacker wants: an HDF5 file, raw bytes, a Zarr array."""
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / "secret.h5", "w") as f:
        f["data"] = secret_array()
        f.create_group("entry")["data"] = secret_array()
    secret_array().tofile(folder / "secret.raw")
    zarr.save_array(str(folder / "secret.zarr"), secret_array(), chunks=(2, 5, 6, 7), compressor=None)


def write_repository(root: Path, outside: Path, demo_dir: Path) -> None:
    """Every file of :data:`OUTSIDE` and :data:`INSIDE` under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sub").mkdir(exist_ok=True)
    with h5py.File(root / "target.h5", "w") as f:
        f["data"] = inside_array()
    inside_array().tofile(root / "inside.raw")
    n_bytes = inside_array().nbytes
    relative_out = os.path.relpath(outside, root)

    def h5(name: str) -> h5py.File:
        return h5py.File(root / name, "w")

    with h5("link_absolute.h5") as f:
        f["data"] = h5py.ExternalLink(str(outside / "secret.h5"), "/data")
    with h5("link_relative.h5") as f:
        f["data"] = h5py.ExternalLink(f"{relative_out}/secret.h5", "/data")
    with h5("link_to_group.h5") as f:
        f["entry"] = h5py.ExternalLink(str(outside / "secret.h5"), "/entry")
    with h5("link_chain.h5") as f:  # inside, then out: the second hop is refused
        f["data"] = h5py.ExternalLink("link_absolute.h5", "/data")
    with h5("external_storage.h5") as f:
        f.create_dataset("data", shape=SHAPE, dtype="<f4", external=[(str(outside / "secret.raw"), 0, n_bytes)])
    with h5("external_storage_relative.h5") as f:
        f.create_dataset("data", shape=SHAPE, dtype="<f4", external=[(f"{relative_out}/secret.raw", 0, n_bytes)])
    for name, source in (("virtual.h5", str(outside / "secret.h5")),
                         ("virtual_relative.h5", f"{relative_out}/secret.h5"),
                         ("virtual_inside.h5", "target.h5"),
                         ("virtual_via_link.h5", "link_absolute.h5")):
        layout = h5py.VirtualLayout(shape=SHAPE, dtype="<f4")
        layout[:] = h5py.VirtualSource(source, "data", shape=SHAPE)
        with h5(name) as f:
            f.create_virtual_dataset("data", layout, fillvalue=-1)
    with h5("virtual_same_file.h5") as f:
        f["stored"] = inside_array()
        layout = h5py.VirtualLayout(shape=SHAPE, dtype="<f4")
        layout[:] = h5py.VirtualSource(".", "stored", shape=SHAPE)
        f.create_virtual_dataset("data", layout, fillvalue=-1)
    with h5("link_inside.h5") as f:
        f["data"] = h5py.ExternalLink("target.h5", "/data")
    with h5("sub/link_up.h5") as f:
        f["data"] = h5py.ExternalLink("../target.h5", "/data")
    with h5("external_storage_inside.h5") as f:
        f.create_dataset("data", shape=SHAPE, dtype="<f4", external=[("inside.raw", 0, n_bytes)])
    with h5("mixed.h5") as f:  # one array to serve, one link to refuse
        f["good"] = inside_array()
        f["bad"] = h5py.ExternalLink(str(outside / "secret.h5"), "/data")

    for name, target in (("chunk_symlink.zarr", outside / "secret.zarr" / "0.0.0.0"),
                         ("chunk_symlink_inside.zarr", None)):
        store = root / name
        zarr.save_array(str(store), inside_array(), chunks=(2, 5, 6, 7), compressor=None)
        (store / "0.0.0.0").unlink()
        os.symlink(target if target is not None else store / "1.0.0.0", store / "0.0.0.0")

    for name, target in (("hyperspy_link.hspy", str(outside / "secret.h5")), ("hyperspy_link_inside.hspy", "target.h5")):
        shutil.copy(demo_dir / "scan.hspy", root / name)
        with h5py.File(root / name, "a") as f:  # HyperSpy's layout, its data an external link
            experiment = f["Experiments"][next(iter(f["Experiments"]))]
            del experiment["data"]
            experiment["data"] = h5py.ExternalLink(target, "/data")

    (root / "hdr_symlink").mkdir(exist_ok=True)
    shutil.copy(demo_dir / "scan.mib", root / "hdr_symlink" / "scan.mib")
    shutil.copy(demo_dir / "scan.hdr", outside / "secret.hdr")
    os.symlink(outside / "secret.hdr", root / "hdr_symlink" / "scan.hdr")


def expected_inside(name: str) -> np.ndarray:
    """What an inside control must read."""
    if name == "chunk_symlink_inside.zarr":  # its first chunk is a link to its second
        expected = inside_array()
        expected[0:2] = expected[2:4]
        return expected
    return inside_array()
