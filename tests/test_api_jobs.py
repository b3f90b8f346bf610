"""``jobs`` REST API: submission, quotes, listing, control, events; a real worker runs them."""

from __future__ import annotations

import json
import os
import signal

import h5py
import numpy as np
import pytest
from _api import WithServerWorker, call, server_config, wait_until

DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}


@pytest.fixture
def repositories(repositories, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    return repositories + [{"name": "results", "url": str(out), "description": "Results", "writable": True}]


def reduction_job(path="scan.h5", output="bf.h5", **extra):
    body = {
        "repository": "demo",
        "path": path,
        "operation": "virtual_detector",
        "params": {"detectors": [DISK]},
        "output": {"repository": "results", "path": output, "format": "hdf5"},
    }
    body.update(extra)
    return body


async def test_dry_run_quotes_without_creating_a_job(jp_fetch, demo_dir):
    code, body = await call(jp_fetch, "POST", "jobs", body=reduction_job(), dry_run=1)
    assert code == 200, body
    scan = np.load(demo_dir / "scan.npy", mmap_mode="r")
    assert body["quote"]["bytes_read"] == scan.nbytes
    assert body["quote"]["seconds"] > 0
    assert body["quote"]["bytes_written"] > 0
    code, listing = await call(jp_fetch, "GET", "jobs")
    assert listing["jobs"] == []


async def test_a_taken_output_name_is_told_by_the_dry_run_and_refused_before_any_job(jp_fetch, tmp_path):
    """A dialog learns from the quote that the name is taken (and a free one); submitting anyway
    without "overwrite" is a 409 at once, not a job that fails after the work."""
    code, quote = await call(jp_fetch, "POST", "jobs", body=reduction_job(output="taken.h5"), dry_run=1)
    assert code == 200 and quote["target"] == {"exists": False, "free_path": "taken.h5"}, quote
    (tmp_path / "results" / "taken.h5").write_bytes(b"kept")
    code, quote = await call(jp_fetch, "POST", "jobs", body=reduction_job(output="taken.h5"), dry_run=1)
    assert quote["target"] == {"exists": True, "free_path": "taken-1.h5"}, quote
    code, refused = await call(jp_fetch, "POST", "jobs", body=reduction_job(output="taken.h5"))
    assert code == 409 and refused["error"]["code"] == "conflict" and refused["error"]["hint"], refused
    assert (await call(jp_fetch, "GET", "jobs"))[1]["jobs"] == []
    assert (tmp_path / "results" / "taken.h5").read_bytes() == b"kept"
    job = reduction_job(output="taken.h5")
    job["output"]["overwrite"] = True
    code, queued = await call(jp_fetch, "POST", "jobs", body=job)
    assert code == 201, queued


async def test_submit_list_filter_cancel_and_delete(jp_fetch):
    code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job(priority=3))
    assert code == 201, job
    assert job["phase"] == "QUEUED"
    assert job["kind"] == "reduction"
    assert job["priority"] == 3
    assert job["quote"]["bytes_read"] > 0
    assert job["destruction"] > job["created"]
    code, listing = await call(jp_fetch, "GET", "jobs", PHASE="QUEUED")
    assert [j["id"] for j in listing["jobs"]] == [job["id"]]
    code, listing = await call(jp_fetch, "GET", "jobs", PHASE="COMPLETED")
    assert listing["jobs"] == []
    code, _ = await call(jp_fetch, "DELETE", "jobs", job["id"])
    assert code == 409, "an unfinished job cannot be deleted"
    code, cancelled = await call(jp_fetch, "POST", "jobs", job["id"], "cancel")
    assert code == 200 and cancelled["phase"] == "ABORTED"
    code, events = await call(jp_fetch, "GET", "jobs", job["id"], "events")
    assert code == 200
    assert events.startswith("event: job\ndata: ")
    assert json.loads(events.split("data: ", 1)[1].split("\n")[0])["phase"] == "ABORTED"
    code, _ = await call(jp_fetch, "DELETE", "jobs", job["id"])
    assert code == 204
    code, error = await call(jp_fetch, "GET", "jobs", job["id"])
    assert code == 404 and error["error"]["code"] == "not_found"


async def test_other_users_jobs_are_invisible(jp_fetch, jp_serverapp):
    store = jp_serverapp.web_app.settings["remotem"].jobs
    foreign = store.create("someone-else", "reduction", reduction_job())
    code, listing = await call(jp_fetch, "GET", "jobs")
    assert foreign.id not in [j["id"] for j in listing["jobs"]]
    for method, parts in (("GET", ()), ("POST", ("cancel",)), ("DELETE", ()), ("GET", ("events",))):
        code, body = await call(jp_fetch, method, "jobs", foreign.id, *parts)
        assert code == 404, (method, parts, code)
    assert store.get(foreign.id, None).phase == "QUEUED"


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ("{broken", 400, "json"),
        (reduction_job(output=None) | {"output": None}, 400, "output"),
        (reduction_job() | {"output": {"repository": "demo", "path": "x.h5"}}, 403, "read-only"),
        (reduction_job() | {"output": {"repository": "results", "path": "../x.h5"}}, 400, "leave"),
        (reduction_job() | {"output": {"repository": "results", "path": "x.txt"}}, 400, "format"),
        (reduction_job() | {"operation": "pick"}, 400, "no job"),
        (reduction_job() | {"priority": "high"}, 400, "priority"),
        (reduction_job(path="missing.h5"), 404, "missing"),
        ({"operation": "copy", "source": {"repository": "demo", "path": "scan.h5"}}, 400, "target"),
        ({"operation": "copy", "source": {"repository": "demo", "path": "scan.h5"},
          "target": {"repository": "demo", "path": "x.h5"}}, 403, "read-only"),
        ({"operation": "copy", "source": {"repository": "private", "path": "scan.h5"},
          "target": {"repository": "results", "path": "x.h5"}}, 404, "private"),
    ],
)
async def test_bad_job_bodies_answer_4xx_and_create_nothing(jp_fetch, body, status, fragment):
    code, error = await call(jp_fetch, "POST", "jobs", body=body)
    assert code == status, error
    text = (error["error"]["message"] + " " + error["error"]["hint"]).lower()
    assert fragment in text
    code, listing = await call(jp_fetch, "GET", "jobs")
    assert listing["jobs"] == []


async def test_unknown_phase_and_action_are_400(jp_fetch):
    assert (await call(jp_fetch, "GET", "jobs", PHASE="DANCING"))[0] == 400
    code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job())
    assert (await call(jp_fetch, "POST", "jobs", job["id"], "explode"))[0] == 400


class TestWithWorker(WithServerWorker):
    """The server starts a detached worker, which outlives requests; the test stops it."""

    async def wait_for_phase(self, jp_fetch, job_id, phases, timeout=120):
        async def in_phase():
            job = (await call(jp_fetch, "GET", "jobs", job_id))[1]
            return job if job["phase"] in phases else None

        return await wait_until(in_phase, f"job {job_id} to reach {sorted(phases)}", timeout=timeout)

    async def test_reduction_job_runs_to_a_file_with_provenance(self, jp_fetch, demo_dir, tmp_path):
        code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job())
        assert code == 201
        code, events = await call(jp_fetch, "GET", "jobs", job["id"], "events")
        phases = [json.loads(line[6:])["phase"] for line in events.splitlines() if line.startswith("data: ")]
        assert phases[-1] == "COMPLETED", phases
        done = await self.wait_for_phase(jp_fetch, job["id"], {"COMPLETED"})
        assert done["progress"]["done"] == done["progress"]["total"] > 0
        [result] = done["results"]
        assert result["repository"] == "results" and result["path"] == "bf.h5"
        code, results = await call(jp_fetch, "GET", "jobs", job["id"], "results")
        assert results["results"] == done["results"]
        output = tmp_path / "results" / "bf.h5"
        code, interactive = await call(jp_fetch, "POST", "reductions",
                                       body={k: v for k, v in reduction_job().items() if k != "output"})
        expected = np.array(interactive["arrays"]["intensity"]["data"])
        with h5py.File(output) as f:
            names = []
            f.visit(names.append)
            datasets = [f[n] for n in names if isinstance(f[n], h5py.Dataset)]
            assert any(np.array_equal(np.asarray(d), expected) for d in datasets)
            attrs = {k: f.attrs[k] for k in f.attrs}
            text = json.dumps({k: str(v) for k, v in attrs.items()})
            assert "virtual_detector" in text and "scan.h5" in text
        code, _ = await call(jp_fetch, "DELETE", "jobs", job["id"])
        assert code == 204
        assert not output.exists(), "deleting a job removes its results"

    async def test_copy_job_copies_a_folder(self, jp_fetch, demo_dir, tmp_path):
        body = {"operation": "copy", "source": {"repository": "demo", "path": "scan.zarr"},
                "target": {"repository": "results", "path": "ingest/scan.zarr"}}
        code, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert code == 201, job
        assert job["kind"] == "copy" and job["quote"]["files"] > 1
        done = await self.wait_for_phase(jp_fetch, job["id"], {"COMPLETED", "ERROR"})
        assert done["phase"] == "COMPLETED", done
        copied = sorted(p.relative_to(tmp_path / "results" / "ingest" / "scan.zarr")
                        for p in (tmp_path / "results" / "ingest" / "scan.zarr").rglob("*") if p.is_file())
        original = sorted(p.relative_to(demo_dir / "scan.zarr") for p in (demo_dir / "scan.zarr").rglob("*")
                          if p.is_file())
        assert copied == original


class TestIdleCulling:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, housekeeping_interval=0.1)

    async def rounds(self, services, count):
        """Wait until housekeeping has run ``count`` more times."""
        target = services.housekeeping_rounds + count

        async def done():
            return services.housekeeping_rounds >= target

        await wait_until(done, f"{count} rounds of housekeeping", timeout=10)

    async def test_running_jobs_count_as_activity_for_the_idle_culler(self, jp_fetch, jp_serverapp):
        settings = jp_serverapp.web_app.settings
        services = settings["remotem"]
        await self.rounds(services, 3)
        assert "remotem_last_activity" not in settings, "no job, no activity claimed"
        code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job())

        async def reported_activity():
            return "remotem_last_activity" in settings

        await wait_until(reported_activity, "housekeeping to report activity", timeout=10)
        reported = settings["remotem_last_activity"]
        response = await jp_fetch("api", "status")
        status = json.loads(response.body)
        assert status["last_activity"] >= reported.isoformat().replace("+00:00", "Z")[:19]
        await call(jp_fetch, "POST", "jobs", job["id"], "cancel")
        settings.pop("remotem_last_activity")
        await self.rounds(services, 3)
        assert "remotem_last_activity" not in settings, "finished jobs keep the server alive"


class TestPriorities:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="alice", user_groups=["microscopy"],
                             job_priorities={"users": {"alice": 10}, "groups": {"microscopy": 5, "other": 50}})

    async def test_configured_user_and_group_priority_is_added(self, jp_fetch):
        code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job(priority=1))
        assert code == 201
        assert job["owner"] == "alice"
        assert job["priority"] == 16


class TestBatchAndInteractive:
    """A slow batch job is running; interactive work is answered meanwhile, and a copy that
    partly fails can be submitted again to copy only what failed."""

    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, start_worker=True,
                             worker_arguments=["--partition-bytes", "131072", "--max-read-rate", "1000000",
                                               "--report", "0.2"])

    @pytest.fixture(autouse=True)
    def stop_worker(self, jp_serverapp):
        yield
        process = jp_serverapp.web_app.settings["remotem"].supervisor.process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)

    wait_for_phase = TestWithWorker.wait_for_phase

    async def test_interactive_reductions_do_not_wait_behind_a_running_job(self, jp_fetch):
        code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job(output="slow.h5"))
        await self.wait_for_phase(jp_fetch, job["id"], {"EXECUTING"})
        code, answer = await call(jp_fetch, "POST", "reductions",
                                  body={k: v for k, v in reduction_job().items() if k != "output"})
        assert code == 200
        code, running = await call(jp_fetch, "GET", "jobs", job["id"])
        assert running["phase"] == "EXECUTING", "the interactive answer came while the job was still running"
        await call(jp_fetch, "POST", "jobs", job["id"], "cancel")
        await self.wait_for_phase(jp_fetch, job["id"], {"ABORTED"})

    async def test_a_partly_failed_copy_resubmitted_copies_only_what_failed(self, jp_fetch, tmp_path):
        source = tmp_path / "results" / "day1"
        source.mkdir()
        for i in range(12):
            (source / f"frame{i:02d}.bin").write_bytes(os.urandom(2000))
        for name in ("broken_a.bin", "broken_b.bin"):  # unreadable: links to files not there yet
            (source / name).symlink_to(tmp_path / "results" / f"later_{name}")
        body = {"operation": "copy", "source": {"repository": "results", "path": "day1"},
                "target": {"repository": "results", "path": "ingest/day1"}}
        code, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert code == 201, job
        failed = await self.wait_for_phase(jp_fetch, job["id"], {"ERROR", "COMPLETED"})
        assert failed["phase"] == "ERROR"
        assert failed["error"]["code"] == "partial_failure"
        assert "2 of 14" in failed["error"]["message"] and "broken_a.bin" in failed["error"]["message"]
        target = tmp_path / "results" / "ingest" / "day1"
        first = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
        assert len(first) == 12
        for name in ("broken_a.bin", "broken_b.bin"):
            (tmp_path / "results" / f"later_{name}").write_bytes(b"now readable")
        code, again = await call(jp_fetch, "POST", "jobs", body=body)
        done = await self.wait_for_phase(jp_fetch, again["id"], {"ERROR", "COMPLETED"})
        assert done["phase"] == "COMPLETED", done
        second = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
        assert len(second) == 14
        assert all(second[name] == mtime for name, mtime in first.items()), "finished files were copied again"
        assert (target / "broken_a.bin").read_bytes() == b"now readable"
