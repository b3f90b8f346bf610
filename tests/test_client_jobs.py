"""Jobs from the notebook client, run by a real worker: results, HyperSpy files, chains, copies."""

from __future__ import annotations

import numpy as np
import pytest
from _api import server_config
from _client import client, in_thread, kernel_env, scan, stop_server_worker  # noqa: F401 - fixtures

import jupyter_remotem as remotem
from jupyter_remotem.client import Job, JobFailed, LocalDataset, RemoteDataset

DISK = remotem.disk(32, 32, 9)


async def test_quote_submit_list_cancel_and_delete_without_a_worker(client):
    ds = await in_thread(client.open, "demo", "scan.h5")
    quote = await in_thread(ds.quote, "virtual_detector", {"detectors": [DISK]}, output="bf.h5")
    assert quote["bytes_read"] == ds.nbytes and quote["seconds"] > 0
    job = await in_thread(ds.submit, "virtual_detector", {"detectors": [DISK]}, output="bf.h5", priority=2)
    assert isinstance(job, Job) and job.status == "QUEUED" and job.kind == "reduction"
    assert job.info["request"]["output"]["repository"] == "notebooks", "results go next to the notebooks"
    assert [j.id for j in await in_thread(client.jobs, "QUEUED")] == [job.id]
    assert await in_thread(client.jobs, "COMPLETED") == []
    await in_thread(job.pause)
    paused = await in_thread(client.job, job.id)
    assert paused.status == job.status == "SUSPENDED" and not paused.done
    await in_thread(paused.resume)
    assert paused.status == "QUEUED" and paused.quote["bytes_read"] == ds.nbytes
    await in_thread(job.cancel)
    assert job.status == "ABORTED" and job.done
    with pytest.raises(JobFailed) as caught:
        await in_thread(job.wait, 10, False)
    assert "cancelled" in str(caught.value)
    with pytest.raises(JobFailed):
        await in_thread(job.result)
    await in_thread(job.delete)
    assert await in_thread(client.jobs) == []


class TestWithWorker:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, start_worker=True)

    @pytest.fixture(autouse=True)
    def worker_stopped_afterwards(self, stop_server_worker):
        return stop_server_worker

    async def test_reduction_jobs_give_the_interactive_answer_and_hspy_opens_in_hyperspy(
            self, client, jp_root_dir, capsys):
        import hyperspy.api as hs

        ds = await in_thread(client.open, "demo", "scan.h5")
        interactive = await in_thread(ds.virtual_detector, [DISK, remotem.ring(32, 32, 12, 30)])
        job = await in_thread(ds.submit, "virtual_detector", {"detectors": [DISK, remotem.ring(32, 32, 12, 30)]},
                              output="results/vd.h5")
        await in_thread(job.wait, 120)
        assert job.status == "COMPLETED" and job.progress == 1.0
        assert "100%" in capsys.readouterr().err, "wait() draws a tqdm bar"
        result = await in_thread(job.result)
        np.testing.assert_array_equal(result, interactive)  # one array in the file: the array itself
        assert (jp_root_dir / "results" / "vd.h5").is_file()

        com = await in_thread(ds.submit, "com", {"cx": 32, "cy": 32}, output="com.hspy",
                              view={"nav": {"cmap": "twilight"}})
        await in_thread(com.wait, 120, False)
        signal_ = hs.load(jp_root_dir / "com.hspy")
        expected = await in_thread(ds.com, 32, 32, field="magnitude")
        np.testing.assert_allclose(signal_.data, expected)
        scan_x = signal_.axes_manager["scan_x"]
        assert (scan_x.scale, scan_x.units, scan_x.size) == (0.4, "nm", 48)
        np.testing.assert_allclose(await in_thread(com.result), expected)

        stats = await in_thread(ds.submit, "frame_stats", output="stats.h5")
        picture = await in_thread(ds.submit, "virtual_detector", {"detectors": [DISK]}, output="bf.png")
        await in_thread(stats.wait, 120, False)
        await in_thread(picture.wait, 120, False)
        several = await in_thread(stats.result)
        interactive_stats = await in_thread(ds.frame_stats)
        assert several.keys() == interactive_stats.keys(), "an HDF5 file of several arrays gives them by name"
        for name, values in interactive_stats.items():
            np.testing.assert_allclose(several[name], values, rtol=1e-12)
        image = await in_thread(picture.result)
        assert image.shape[:2] == (32, 48) and image.dtype == np.uint8, "read from the notebooks folder"

    async def test_a_chain_submitted_as_a_job_writes_the_transformed_dataset(self, client, scan, jp_root_dir):
        ds = await in_thread(client.open, "demo", "scan.h5")
        chained = ds.crop(nav=[(0, 16), None]).bin(2)
        job = await in_thread(chained.submit, output="binned.h5")
        assert job.kind == "transformation"
        await in_thread(job.wait, 120, False)
        written = await in_thread(job.result)
        assert isinstance(written, RemoteDataset)
        assert written.shape == chained.shape and written.dtype == chained.dtype
        for made, planned in zip(written.axes, chained.axes):
            assert made.size == planned.size and made.units == planned.units
            assert made.scale == pytest.approx(planned.scale) and made.offset == pytest.approx(planned.offset)
        expected = remotem.local(scan).crop(nav=[(0, 16), None]).bin(2).to_numpy()
        np.testing.assert_array_equal(await in_thread(written.to_numpy), expected)
        here = await in_thread(chained.to_local, "binned-here.h5")
        assert (jp_root_dir / "binned-here.h5").is_file(), "a chain comes over as a file next to the notebooks"
        np.testing.assert_array_equal(here.to_numpy(), expected)
        assert here.axes == written.axes

    async def test_to_local_copies_a_larger_dataset_next_to_the_notebooks(self, client, scan, jp_root_dir):
        client.thresholds.direct_download_bytes = 1024
        ds = await in_thread(client.open, "demo", "scan.hspy")
        local = await in_thread(ds.to_local, "copies/scan.hspy")
        assert (jp_root_dir / "copies" / "scan.hspy").is_file()
        assert isinstance(local, LocalDataset) and local.axes == ds.axes
        np.testing.assert_array_equal(local.to_numpy(), scan)
        [copy] = await in_thread(client.jobs, "COMPLETED")
        assert copy.kind == "copy"
