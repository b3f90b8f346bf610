"""Quotas: limits per user and group, usage from the job store, and jobs refused before they start."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from _api import call, server_config
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures

from jupyter_remotem.client import PermissionDenied
from jupyter_remotem.jobs.models import Phase, utcnow
from jupyter_remotem.jobs.quotas import Limits, Usage, check_config, limits_for, verdict
from jupyter_remotem.jobs.store import JobStore

CONFIG = {
    "default": {"storage_bytes": 1e9, "compute_hours": 10},
    "groups": {"microscopy": {"storage_bytes": 5e9}, "beamline": {"storage_bytes": 2e9, "compute_hours": 50}},
    "users": {"root_admin": {"storage_bytes": None, "compute_hours": None}},
}


def test_own_limits_win_then_the_most_generous_group_then_the_default():
    assert limits_for(CONFIG, "root_admin", ["microscopy"]) == Limits(None, None)
    both = limits_for(CONFIG, "ada", ["microscopy", "beamline"])
    assert (both.storage_bytes, both.compute_hours) == (5e9, None), "microscopy sets no compute limit"
    assert limits_for(CONFIG, "ada", ["beamline"]) == Limits(2e9, 50)
    assert limits_for(CONFIG, "bob", []) == Limits(1e9, 10)
    assert limits_for({}, "bob", ["x"]) == Limits(None, None)


@pytest.mark.parametrize("config, fragment", [
    ({"everyone": {}}, "Unknown quota keys"),
    ({"default": {"storage": 1}}, "keys among"),
    ({"default": {"compute_hours": -1}}, "non-negative"),
    ({"users": {"ada": {"storage_bytes": "1 GB"}}}, "non-negative"),
    ({"groups": ["a"]}, "map names"),
    ({"pools": {"microscopy": {"storage_bytes": -5}}}, "non-negative"),
])
def test_bad_quota_configuration_is_refused_at_start(config, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_config(config)


def test_verdict_names_the_numbers():
    usage = Usage(storage_bytes=800_000_000, results=3, compute_s=9 * 3600, reserved_bytes=100_000_000,
                  reserved_s=1800)
    limits = Limits(1e9, 10)
    assert verdict(limits, usage, {"bytes_written": 50e6, "seconds": 60}) is None
    storage = verdict(limits, usage, {"bytes_written": 200e6, "seconds": 1})
    assert "1.0 GiB" in storage and "762.9 MiB are kept by 3 result files" in storage and "95.4 MiB" in storage
    one_file = verdict(limits, Usage(900_000_000, 1, 0, 0, 0), {"bytes_written": 200e6})
    assert "kept by 1 result file," in one_file
    compute = verdict(limits, usage, {"bytes_written": 0, "seconds": 3600})
    assert "1.00 h of compute" in compute and "only 0.50 h of your 10 h in 30 days" in compute


def test_usage_counts_kept_results_compute_and_what_unfinished_jobs_reserve(tmp_path):
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    try:
        done = store.create("ada", "reduction", {"operation": "com"}, quote={"bytes_written": 10, "seconds": 5})
        assert store.claim("w1").id == done.id
        store.finish(done.id, Phase.COMPLETED, results=[
            {"repository": "out", "path": "a.npy.json", "size": 100, "format": "json"},
            {"repository": "out", "path": "a.npy", "size": 4000, "format": "npy"}])
        store.create("ada", "reduction", {"operation": "com"}, quote={"bytes_written": 500, "seconds": 30})
        store.create("bob", "reduction", {"operation": "com"}, quote={"bytes_written": 7, "seconds": 7})
        usage = store.usage("ada", 30)
        assert (usage.storage_bytes, usage.results) == (4100, 1)
        assert (usage.reserved_bytes, usage.reserved_s) == (500, 30)
        running = store.claim("w2")
        later = store.usage("ada", 30, now=utcnow() + timedelta(hours=1))
        assert running.owner == "ada"
        assert 3599 < later.compute_s < 3700, "the running job has run for an hour by then"
        assert later.reserved_s == 0, "its quote is used up by what it ran"
        forgotten = store.usage("ada", 1 / 24, now=utcnow() + timedelta(days=2))
        assert forgotten.compute_s == pytest.approx(3600, abs=60), "only the last hour of the period counts"
    finally:
        store.close()


@pytest.fixture
def repositories(repositories, tmp_path):
    """Every server here gets a writable repository, "out", for job results."""
    (tmp_path / "out").mkdir()
    return repositories + [{"name": "out", "url": str(tmp_path / "out"), "writable": True}]


class TestQuotaOverREST:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada",
                             quotas={"default": {"storage_bytes": 1000}, "users": {"ada": {"storage_bytes": 20_000}}})

    def job(self, output):
        return {"repository": "demo", "path": "scan.h5", "operation": "com", "params": {"cx": 32, "cy": 32},
                "output": {"repository": "out", "path": output}}

    async def test_a_job_that_would_not_fit_is_refused_with_the_reason(self, jp_fetch):
        code, quota = await call(jp_fetch, "GET", "quota")
        assert code == 200, quota
        assert quota["limits"]["storage_bytes"] == 20_000, "ada's own limit, not the default"
        assert quota["usage"]["storage_bytes"] == 0 and quota["remaining"]["storage_bytes"] == 20_000
        code, dry = await call(jp_fetch, "POST", "jobs", body=self.job("com.h5"), dry_run=1)
        assert code == 200
        assert dry["quota"]["fits"] is False, dry
        assert "storage quota is 19.5 KiB" in dry["quota"]["reason"]
        assert "Delete old results" in dry["quota"]["hint"]
        code, refused = await call(jp_fetch, "POST", "jobs", body=self.job("com.h5"))
        assert code == 403 and refused["error"]["code"] == "quota_exceeded", refused
        assert "writes about" in refused["error"]["message"] and "Delete old results" in refused["error"]["hint"]
        assert (await call(jp_fetch, "GET", "jobs"))[1]["jobs"] == [], "nothing was created"

    async def test_jobs_that_fit_are_accepted_and_reserve_their_quote(self, jp_fetch):
        small = dict(self.job("bf.npy"), operation="virtual_detector",
                     params={"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]})
        code, dry = await call(jp_fetch, "POST", "jobs", body=small, dry_run=1)
        assert code == 200 and dry["quota"]["fits"] is True, dry
        code, job = await call(jp_fetch, "POST", "jobs", body=small)
        assert code == 201, job
        code, quota = await call(jp_fetch, "GET", "quota")
        assert quota["usage"]["reserved_bytes"] == job["quote"]["bytes_written"] > 0
        assert quota["remaining"]["storage_bytes"] == 20_000 - job["quote"]["bytes_written"]

    async def test_the_client_reads_the_quota_and_gets_the_refusal_as_an_exception(self, jp_fetch, client):
        quota = await in_thread(client.quota)
        assert quota["limits"]["storage_bytes"] == 20_000
        ds = await in_thread(client.open, "demo", "scan.h5")
        with pytest.raises(PermissionDenied) as refused:
            await in_thread(ds.submit, "com", {"cx": 32, "cy": 32}, output="com.h5", repository="out")
        assert refused.value.code == "quota_exceeded" and "storage quota" in refused.value.message

    async def test_quotes_count_what_is_really_read_and_written(self, jp_fetch, demo_dir):
        scan = np.load(demo_dir / "scan.npy", mmap_mode="r")
        stats = dict(self.job("stats.h5"), operation="frame_stats", params={})
        code, all_arrays = await call(jp_fetch, "POST", "jobs", body=stats, dry_run=1)
        one = dict(stats, output={"repository": "out", "path": "mean.npy", "array": "mean"})
        code, one_array = await call(jp_fetch, "POST", "jobs", body=one, dry_run=1)
        frame_bytes = 8 * scan.shape[2] * scan.shape[3]
        assert all_arrays["quote"]["bytes_written"] == 5 * frame_bytes
        assert one_array["quote"]["bytes_written"] == frame_bytes, "an NPY result keeps one array"
        binned = dict(stats, pipeline=[{"operation": "bin", "params": {"nav": [2, 2], "reduce": "sum"}}])
        code, through = await call(jp_fetch, "POST", "jobs", body=binned, dry_run=1)
        assert code == 200, through
        assert through["quote"]["bytes_read"] == scan.nbytes, "binning the scan still reads every frame"


class TestSharedPools:
    """A group's pool is one allocation for all its members' jobs together."""

    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada", user_groups=["microscopy"],
                             quotas={"pools": {"microscopy": {"storage_bytes": 20_000}}})

    @staticmethod
    def finished(store: JobStore, owner: str, groups: list[str], size: int) -> str:
        job = store.create(owner, "reduction", {"operation": "com"}, groups=groups)
        assert store.claim("w").id == job.id
        store.finish(job.id, Phase.COMPLETED, results=[{"repository": "out", "path": f"{owner}.npy", "size": size,
                                                          "format": "npy"}])
        return job.id

    async def test_members_jobs_count_together_and_the_pool_refuses_what_would_overrun_it(self, jp_fetch,
                                                                                          jp_serverapp):
        store = jp_serverapp.web_app.settings["remotem"].jobs
        bobs = self.finished(store, "bob", ["microscopy"], 15_000)
        self.finished(store, "carol", ["beamline"], 50_000)  # another group's: not counted
        code, quota = await call(jp_fetch, "GET", "quota")
        assert code == 200, quota
        assert quota["usage"]["storage_bytes"] == 0, "ada herself keeps nothing"
        [pool] = quota["pools"]
        assert pool["group"] == "microscopy" and pool["limits"]["storage_bytes"] == 20_000
        assert pool["usage"]["storage_bytes"] == 15_000 and pool["remaining"]["storage_bytes"] == 5_000

        bf = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
              "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]},
              "output": {"repository": "out", "path": "bf.npy"}}
        code, dry = await call(jp_fetch, "POST", "jobs", body=bf, dry_run=1)
        assert code == 200 and dry["quota"]["fits"] is False, dry
        assert dry["quota"]["reason"].startswith("Group 'microscopy' results would need")
        code, refused = await call(jp_fetch, "POST", "jobs", body=bf)
        assert code == 403 and refused["error"]["code"] == "quota_exceeded", refused
        assert "the group's shared storage quota is 19.5 KiB" in refused["error"]["message"]

        store.delete(bobs, "bob")  # bob frees the pool
        code, job = await call(jp_fetch, "POST", "jobs", body=bf)
        assert code == 201, job
        assert store.get(job["id"], "ada").groups == ["microscopy"], "the job counts against the pool"
        code, quota = await call(jp_fetch, "GET", "quota")
        assert quota["pools"][0]["usage"]["reserved_bytes"] == job["quote"]["bytes_written"]
