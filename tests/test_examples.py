"""Every notebook in ``examples/`` runs top to bottom against a real server with the demo data.

The server is a separate ``jupyter-server`` process that starts its own job worker, as on a
user's machine; the notebooks run in a real ``python3`` kernel (nbclient) that finds the server
through ``REMOTEM_SERVER_URL`` / ``REMOTEM_TOKEN``, as kernels started by the server do.  The
notebooks assert their results against numpy (a broken client fails its cell), and each must
leave the files its jobs write in the server's root folder (the ``home`` repository).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from _processes import ServerProcess, start_server, stop_group, stop_workers
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: Files each notebook's jobs must have written into the home repository.
WRITES = {
    "01_quickstart.ipynb": [],
    "02_jobs_and_hyperspy.ipynb": ["adf.h5", "com.hspy", "binned.h5"],
    "03_widgets.ipynb": ["bf.npy"],
    "pipelines.ipynb": ["cells/projections/0.png", "cells/normalized/17.ome.tiff"],
}
CELL_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("examples-server")
    config = {
        "ServerApp": {"jpserver_extensions": {"jupyter_remotem": True}},
        "RemotemApp": {"repositories": [{"name": "demo", "url": str(demo_dir), "description": "Demo scans"}],
                       "generate_demo_data": False, "warm_up_kernels": False},
    }
    process = start_server(home, config)
    try:
        yield process
    finally:
        stop_group(process.process)
        stop_workers(home / "data")


def test_every_example_notebook_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.ipynb")) == sorted(WRITES)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_example_notebook_runs_against_a_real_server(name: str, server: ServerProcess, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    root = server.log.parent / "root"
    monkeypatch.setenv("REMOTEM_SERVER_URL", server.url)
    monkeypatch.setenv("REMOTEM_TOKEN", server.token)
    monkeypatch.setenv("REMOTEM_ROOT_DIR", str(root))
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells), f"{name} is stored with outputs; clear them"
    NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    for written in WRITES[name]:
        assert (root / written).is_file(), f"{name} did not write {written}"
