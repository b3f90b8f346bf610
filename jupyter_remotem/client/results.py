"""A finished reduction job's output file, brought into the kernel as arrays.

HDF5, NPY and ``.hspy`` results come over ``GET data``.  PNG pictures are not arrays the server
serves, and TIFF results are read here with tifffile, exactly as written; both can be read only
when they were written to the notebooks' home repository, i.e. onto this machine's disk.  (The
server does open TIFF stacks as datasets too, :mod:`jupyter_remotem.formats.tiff`, so a TIFF
result elsewhere can be opened with ``client.open`` like any dataset.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import Unsupported

if TYPE_CHECKING:
    from .server import Client


def download_result(client: Client, result: dict[str, Any]) -> Any:
    """``result``: one entry of a job's ``results`` ({repository, path, format})."""
    repository, path = result["repository"], result["path"]
    fmt = result.get("format") or path.rsplit(".", 1)[-1].lower()
    if fmt in ("tiff", "tif", "png"):
        return _read_picture(client, repository, path)
    dataset = client.open(repository, path)
    if fmt in ("hdf5", "h5") and len(dataset.arrays) > 1:
        return {entry["path"].strip("/"): client.open(repository, path, entry["path"])[...]
                for entry in dataset.arrays}
    return dataset[...]


def _read_picture(client: Client, repository: str, path: str) -> np.ndarray:
    local = client.local_path(repository, path)
    if local is None:
        raise Unsupported(
            f"'{path}' is a picture or TIFF stack in '{repository}', which this kernel cannot read remotely.",
            "Write results for the kernel as hdf5, npy or hspy, or into the home repository "
            f"('{client.home_repository() or 'none configured'}').", code="unsupported_result")
    if local.suffix.lower() == ".png":
        from PIL import Image

        with Image.open(local) as image:
            return np.asarray(image)
    import tifffile

    return tifffile.imread(local)
