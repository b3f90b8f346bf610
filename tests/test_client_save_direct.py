"""``ds.save``: a picked frame, an image or its FFT saved from the notebook at once, no worker
needed, as a finished job whose result reads back as what the interactive call answers."""

from __future__ import annotations

import numpy as np
import pytest
from _client import client, in_thread, kernel_env, scan  # noqa: F401 - fixtures
from PIL import Image

import jupyter_remotem as remotem
from jupyter_remotem.client import Job
from jupyter_remotem.client.errors import Conflict

DISK = remotem.disk(32, 32, 9)


async def test_a_picked_frame_is_saved_at_once_and_reads_back(client, scan):
    ds = await in_thread(client.open, "demo", "scan.h5")
    job = await in_thread(ds.save, "pick", {"position": [4, 7]}, output="saved/frame.npy")
    assert isinstance(job, Job) and job.status == "COMPLETED" and job.done, "no worker runs here"
    np.testing.assert_array_equal(await in_thread(job.result), scan[4, 7])
    assert [j.id for j in await in_thread(client.jobs, "COMPLETED")] == [job.id]
    with pytest.raises(Conflict) as refused:
        await in_thread(ds.save, "pick", {"position": [4, 7]}, output="saved/frame.npy")
    assert "overwrite" in refused.value.hint
    again = await in_thread(ds.save, "pick", {"position": [0, 0]}, output="saved/frame.npy", overwrite=True)
    np.testing.assert_array_equal(await in_thread(again.result), scan[0, 0])


async def test_an_fft_and_a_sized_picture_are_saved(client, jp_root_dir):
    ds = await in_thread(client.open, "demo", "scan.h5")
    shown = await in_thread(ds.reduce, "virtual_detector", {"detectors": [DISK]}, field="intensity", fft=True)
    job = await in_thread(ds.save, "virtual_detector", {"detectors": [DISK]}, output="bf-fft.npy", fft=True)
    np.testing.assert_allclose(await in_thread(job.result), np.asarray(shown))
    view = {"nav": {"cmap": "magma"}, "picture": {"size": 200, "scaleBar": True}}
    job = await in_thread(ds.save, "virtual_detector", {"detectors": [DISK]}, output="bf.png", view=view)
    assert job.status == "COMPLETED"
    assert max(Image.open(jp_root_dir / "bf.png").size) == 200
