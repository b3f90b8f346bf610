"""The widgets against a real Jupyter server with the demo data, driven by browser messages.

Client and widget calls that block on HTTP run in a worker thread (``in_thread``) because the
server answers from this test's event loop.
"""

from __future__ import annotations

import re

import _frontend as frontend
import numpy as np
import pytest
from _api import server_config, stop_started_worker
from _client import client, in_thread, kernel_env, scan  # noqa: F401 - fixtures

from jupyter_remotem.widgets import JobProgress, RepositoryBrowser, VirtualDetectorWidget, geometry
from jupyter_remotem.widgets.browser import UP

RING = {"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}


def ring_image(array, cx, cy, ri, ro):
    y, x = np.indices(array.shape[2:])
    d = np.hypot(x - cx, y - cy)
    return array[..., (d > ri) & (d <= ro)].sum(axis=-1, dtype=np.int64)


async def settled(widget, timeout=60):
    assert await in_thread(widget.wait_idle, timeout), "the widget did not finish its work"
    assert widget.error is None, widget.error
    return widget


async def test_virtual_detector_widget_follows_a_drag_on_a_remote_scan(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    widget = await settled(await in_thread(VirtualDetectorWidget, ds, [RING]))
    np.testing.assert_array_equal(widget.result, ring_image(scan, 32, 32, 12, 30))
    np.testing.assert_array_equal(widget.frame, scan[16, 24])

    centre = next(i for i, h in enumerate(geometry.handles(widget.detectors)) if h.role == "centre")
    # Speed is measured by benchmarks/widget_latency.py; here every drag step must show its image.
    for x in range(33, 41):
        frontend.drag(widget._handles, centre, x, 30)
        await settled(widget)
        np.testing.assert_array_equal(widget.result, ring_image(scan, x, 30, 12, 30))
    frontend.release(widget._handles, centre, 40, 31)
    await settled(widget)
    assert widget.exact and widget.detectors == [dict(RING, cx=40, cy=31)]
    np.testing.assert_array_equal(widget.result, ring_image(scan, 40, 31, 12, 30))

    frontend.click_image(widget.nav_panel.image, 3, 30)
    await settled(widget)
    np.testing.assert_array_equal(widget.frame, scan[30, 3])


async def test_a_refused_request_shows_the_servers_message_and_hint(client):
    ds = await in_thread(client.open, "demo", "scan.h5")
    widget = await in_thread(VirtualDetectorWidget, ds, [{"shape": "disk", "cx": 32, "cy": 32, "r": -4}])
    assert await in_thread(widget.wait_idle, 60)
    assert widget.error.status == 400 and "negative" in widget.error.message
    assert "negative" in widget.status.value and widget.error.hint and "disk" in widget.status.value


async def test_repository_browser_walks_folders_describes_and_opens_a_dataset(client):
    widget = await in_thread(RepositoryBrowser, client, "demo")
    await settled(widget)
    labels = list(widget.listing.options)
    # Plain text (a <select> has no emoji font everywhere) and the sidebar's binary units.
    assert "notes/" in labels and all(label.isascii() for label in labels)
    assert widget.repository.style.description_width == widget.array.style.description_width == "initial"
    size = next(e["size"] for e in widget.entries if e["name"] == "scan.h5")
    assert f"scan.h5  ({size / 2**20:.1f} MiB, hdf5)" in labels

    frontend.update(widget.listing, index=labels.index("notes/"))
    await settled(widget)
    assert widget.path == "notes" and [e["name"] for e in widget.entries] == ["acquisition.md", "regions.csv", "todo.txt"]
    assert widget.listing.options[0] == UP
    frontend.update(widget.listing, index=0)  # up
    await settled(widget)
    assert widget.path == ""

    widget.select("scan.h5")
    await settled(widget)
    assert "(32, 48, 64, 64)" in widget.details.value and "scan_y" in widget.details.value
    assert widget.array.layout.display == "" and set(widget.array.options) == {"/entry/data/frames",
                                                                               "/entry/data/bright_field"}
    assert not widget.open_button.disabled
    frontend.update(widget.array, index=list(widget.array.options).index("/entry/data/bright_field"))
    await settled(widget)
    assert "(32, 48)" in widget.details.value and widget.meta["dataset"]["dataset"] == "/entry/data/bright_field"

    opened = []
    widget.on_open(opened.append)
    frontend.click_button(widget.open_button)
    await settled(widget)
    assert widget.dataset.shape == (32, 48) and opened == [widget.dataset]


async def test_repository_browser_shows_why_a_file_cannot_be_read(client):
    widget = await in_thread(RepositoryBrowser, client, "demo")
    await settled(widget)
    frontend.update(widget.repository, index=[name for _, name in widget.repository.options].index("broken"))
    await settled(widget)
    widget.select("garbage.h5")
    assert await in_thread(widget.wait_idle, 30)
    assert widget.error.status == 422
    assert "failed" in widget.status.value and widget.open_button.disabled
    with pytest.raises(KeyError, match="no-such-file"):
        widget.select("no-such-file")


async def test_job_progress_cancels_a_queued_job(client):
    """No worker runs here, so the job waits in the queue until the widget's button cancels it."""
    ds = await in_thread(client.open, "demo", "scan.h5")
    job = await in_thread(ds.submit, "virtual_detector", {"detectors": [RING]}, output="queued.h5")
    widget = await in_thread(JobProgress, job, 0.05)
    assert widget.phase == "QUEUED" and "queued" in widget.label.value
    # The operation's name is the bar's description, shown whole ("virtual_detector", not cut).
    assert widget.bar.description == "virtual_detector" and widget.bar.style.description_width == "initial"
    assert not widget.cancel_button.disabled
    await in_thread(frontend.click_button, widget.cancel_button)
    assert await in_thread(widget.wait, 30)
    assert widget.phase == "ABORTED" and widget.bar.bar_style == "warning"
    assert widget.cancel_button.disabled and "aborted" in widget.label.value


class TestWithWorker:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, start_worker=True,
                             worker_arguments=["--partition-bytes", "131072", "--max-read-rate", "4000000",
                                               "--report", "0.1"])

    @pytest.fixture(autouse=True)
    def stop_worker(self, jp_serverapp):
        yield
        stop_started_worker(jp_serverapp)

    async def test_job_progress_follows_a_running_job_to_its_result(self, client, scan, jp_root_dir):
        ds = await in_thread(client.open, "demo", "scan.h5")
        job = await in_thread(ds.submit, "virtual_detector", {"detectors": [RING]}, output="ring.npy")
        widget = await in_thread(JobProgress, job, 0.05)
        seen = set()

        def watch() -> bool:
            while not widget.wait(0.02):
                seen.add((widget.phase, widget.bar.value))
            return True

        assert await in_thread(watch)
        assert widget.phase == "COMPLETED", widget.label.value
        assert any(phase == "EXECUTING" and 0 < value < 1000 for phase, value in seen), sorted(seen)
        assert widget.bar.value == 1000 and widget.bar.bar_style == "success"
        assert re.search(r"wrote .*notebooks:ring\.npy(,|$)", widget.label.value), widget.label.value
        assert widget.cancel_button.disabled
        written = np.load(jp_root_dir / "ring.npy")  # the home repository is the server's root folder
        np.testing.assert_array_equal(written[..., 0], ring_image(scan, 32, 32, 12, 30))
        # The NPY result comes back as its array, not as its JSON sidecar.
        np.testing.assert_array_equal(await in_thread(job.result), written)
