"""A saved ``.hspy`` result opens in plain HyperSpy — a separate environment where
jupyter_remotem is not installed — without a warning, with calibrated axes and the provenance.

The plain environment is a fresh ``python3 -m venv`` (not ``--system-site-packages``) with
HyperSpy and rosettasciio installed by pip from the index pip is configured with, at the
versions of this checkout's environment.  It is built once and kept in
``$REMOTEM_PLAIN_HYPERSPY_CACHE`` (default: ``<tmp>/remotem-plain-hyperspy``), in a folder
named by those versions, so later runs reuse it (building takes about half a minute).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from jupyter_remotem.formats.provenance import PROVENANCE_KEY
from jupyter_remotem.jobs.result_formats import hspy_bytes

VERSIONS = {name: metadata.version(name) for name in ("hyperspy", "rosettasciio")}
#: The plain environment runs without this checkout's paths (PYTHONPATH would make it importable).
PLAIN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
CACHE = Path(os.environ.get("REMOTEM_PLAIN_HYPERSPY_CACHE", Path(tempfile.gettempdir()) / "remotem-plain-hyperspy"))

LOAD = """
import json, sys, warnings, logging
logging.basicConfig(level=logging.WARNING)
warnings.simplefilter("always")
import hyperspy.api as hs
signal = hs.load(sys.argv[1])
print(json.dumps({
    "class": type(signal).__name__,
    "shape": list(signal.data.shape),
    "axes": [[a.name, a.size, a.scale, a.offset, str(a.units), a.navigate] for a in signal.axes_manager._axes],
    "provenance": signal.original_metadata.get_item("remotem_provenance"),
    "title": signal.metadata.General.title,
}))
"""


def plain_python() -> Path:
    """The interpreter of the plain HyperSpy environment, built on first use."""
    folder = CACHE / "-".join(f"{name}{version}" for name, version in VERSIONS.items())
    python = folder / "bin" / "python"
    if (folder / ".complete").exists():
        return python
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([shutil.which("python3") or sys.executable, "-m", "venv", str(folder)], check=True,
                   capture_output=True, timeout=300)
    install = subprocess.run([str(python), "-m", "pip", "install", "-q",
                              *(f"{name}=={version}" for name, version in VERSIONS.items())],
                             capture_output=True, text=True, timeout=1200)
    if install.returncode != 0:
        pytest.fail(f"could not build the plain HyperSpy environment:\n{install.stdout}\n{install.stderr}")
    (folder / ".complete").write_text(json.dumps(VERSIONS))
    return python


def test_a_saved_hspy_loads_in_plain_hyperspy_without_warning_with_axes_and_provenance(tmp_path):
    python = plain_python()
    # Not even importable there: the environment is not this one.
    check = subprocess.run([str(python), "-c", "import jupyter_remotem"], capture_output=True, cwd=tmp_path,
                           env=PLAIN_ENV)
    assert check.returncode != 0

    axes = [{"name": "scan_y", "size": 6, "scale": 0.4, "offset": 1.0, "units": "nm", "navigate": True},
            {"name": "scan_x", "size": 8, "scale": 0.5, "offset": 0.0, "units": "nm", "navigate": True},
            {"name": "ky", "size": 16, "scale": 0.25, "offset": -2.0, "units": "mrad", "navigate": False},
            {"name": "kx", "size": 16, "scale": 0.25, "offset": -2.0, "units": "mrad", "navigate": False}]
    record = {"operation": "com", "request": {"operation": "com", "params": {"cx": 8, "cy": 8}},
              "view": {"mode": "com", "comField": "curl"},
              "input": {"repository": "demo", "path": "scan.h5", "axes": axes, "nav_ndim": 2}}
    curl = np.arange(48, dtype=np.float32).reshape(6, 8) - 20
    target = tmp_path / "elsewhere" / "curl.hspy"
    target.parent.mkdir()
    target.write_bytes(hspy_bytes(curl, "curl", record, {}))

    loaded = subprocess.run([str(python), "-W", "always", "-c", LOAD, str(target)], capture_output=True,
                            text=True, cwd=target.parent, timeout=300,
                            env=PLAIN_ENV)
    assert loaded.returncode == 0, loaded.stderr
    assert "WARNING" not in loaded.stderr and "Warning" not in loaded.stderr, loaded.stderr
    assert "not currently installed" not in loaded.stdout + loaded.stderr
    answer = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert answer["class"] == "Signal2D" and answer["shape"] == [6, 8]
    # The scan's calibrated axes, as the signal's axes (the curl is an image over the scan).
    assert answer["axes"] == [["scan_y", 6, 0.4, 1.0, "nm", False], ["scan_x", 8, 0.5, 0.0, "nm", False]]
    provenance = json.loads(answer["provenance"])
    assert provenance["request"]["operation"] == "com" and provenance["view"]["comField"] == "curl"
    assert PROVENANCE_KEY == "remotem_provenance"
