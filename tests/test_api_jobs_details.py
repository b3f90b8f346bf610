"""A job's details (``GET jobs/{id}``: history and log), the list's filters, and "Clear finished"
(``POST jobs/clear``), on a real server; a real worker runs the jobs whose log is read."""

from __future__ import annotations

import base64
import json

import pytest
from _api import WithServerWorker, call
from _results import repositories  # noqa: F401 - fixture (results_dir comes from conftest)

from jupyter_remotem.jobs.joblog import redact
from jupyter_remotem.jobs.models import Phase

DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}
TUS = {"Tus-Resumable": "1.0.0"}


def reduction_job(path="scan.h5", output="bf.h5"):
    return {"repository": "demo", "path": path, "operation": "virtual_detector", "params": {"detectors": [DISK]},
            "output": {"repository": "results", "path": output, "format": "hdf5"}}


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


async def upload(jp_fetch, path: str, data: bytes) -> str:
    """A whole tus upload into the results repository; answers its job id."""
    created = await jp_fetch("remotem", "api", "uploads", method="POST", body=b"", headers={
        **TUS, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(repository="results", path=path)})
    upload_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    sent = await jp_fetch("remotem", "api", "uploads", upload_id, method="PATCH", body=data, headers={
        **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert sent.code == 204
    return upload_id


def completed_reduction(store, owner: str, results_dir, name: str) -> str:
    """A reduction job run to the end by hand: claimed, its file written, finished."""
    job = store.create(owner, "reduction", reduction_job(output=name))
    assert store.claim("test-worker").id == job.id
    (results_dir / name).write_bytes(b"result")
    result = {"repository": "results", "path": name, "size": 6, "format": "hdf5"}
    store.record_written(job.id, [dict(result, kind="file")])
    assert store.finish(job.id, Phase.COMPLETED, results=[result], worker_id="test-worker")
    return job.id


async def owner_of(jp_fetch) -> str:
    code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job(output="probe.h5"))
    assert code == 201
    await call(jp_fetch, "POST", "jobs", job["id"], "cancel")
    await call(jp_fetch, "DELETE", "jobs", job["id"])
    return job["owner"]


async def test_clear_finished_hides_finished_jobs_and_keeps_every_file(jp_fetch, jp_serverapp, results_dir):
    store = jp_serverapp.web_app.settings["remotem"].jobs
    owner = await owner_of(jp_fetch)
    reduction = completed_reduction(store, owner, results_dir, "bf.h5")
    uploaded = await upload(jp_fetch, "uploaded.bin", b"0123456789")
    code, queued = await call(jp_fetch, "POST", "jobs", body=reduction_job(output="later.h5"))
    failed = store.create(owner, "copy", {"operation": "copy"})
    store.finish(failed.id, Phase.ERROR, error={"message": "no", "hint": "try again"})
    foreign = store.create("someone-else", "copy", {"operation": "copy"})
    store.finish(foreign.id, Phase.ABORTED)
    quota_before = (await call(jp_fetch, "GET", "quota"))[1]
    assert quota_before["usage"]["storage_bytes"] >= 16, "both files count against the storage quota"

    code, listing = await call(jp_fetch, "GET", "jobs", kind="upload")
    assert code == 200 and [job["id"] for job in listing["jobs"]] == [uploaded]
    code, cleared = await call(jp_fetch, "POST", "jobs", "clear")
    assert code == 200, cleared
    assert sorted(cleared["cleared"]) == sorted([reduction, uploaded, failed.id])

    code, listing = await call(jp_fetch, "GET", "jobs")
    assert [job["id"] for job in listing["jobs"]] == [queued["id"]]
    assert (results_dir / "bf.h5").read_bytes() == b"result", "a result file stays"
    assert (results_dir / "uploaded.bin").read_bytes() == b"0123456789", "an uploaded file stays"
    code, kept = await call(jp_fetch, "GET", "jobs", reduction)
    assert code == 200 and kept["dismissed"] is True and kept["results"][0]["path"] == "bf.h5"
    code, everything = await call(jp_fetch, "GET", "jobs", dismissed=1)
    assert {reduction, uploaded, failed.id, queued["id"]} <= {job["id"] for job in everything["jobs"]}
    quota_after = (await call(jp_fetch, "GET", "quota"))[1]
    assert json.dumps(quota_after.get("usage"), sort_keys=True) == json.dumps(quota_before.get("usage"),
                                                                               sort_keys=True)
    assert store.get(foreign.id, None).dismissed is None, "another user's job is not touched"
    code, again = await call(jp_fetch, "POST", "jobs", "clear")
    assert again["cleared"] == []


async def test_clear_and_filters_refuse_what_they_cannot_mean(jp_fetch):
    for params in ({"phase": "QUEUED"}, {"phase": "DANCING"}, {"kind": "magic"}):
        code, body = await call(jp_fetch, "POST", "jobs", "clear", **params)
        assert code == 400, (params, body)
        assert body["error"]["hint"]
    code, body = await call(jp_fetch, "GET", "jobs", kind="magic")
    assert code == 400 and "upload" in body["error"]["hint"]
    code, body = await call(jp_fetch, "GET", "jobs", dismissed="maybe")
    assert code == 400


async def test_clear_by_phase_and_kind(jp_fetch, jp_serverapp, results_dir):
    store = jp_serverapp.web_app.settings["remotem"].jobs
    owner = await owner_of(jp_fetch)
    reduction = completed_reduction(store, owner, results_dir, "one.h5")
    uploaded = await upload(jp_fetch, "kept.bin", b"abc")
    code, cleared = await call(jp_fetch, "POST", "jobs", "clear", kind="upload")
    assert code == 200 and cleared["cleared"] == [uploaded]
    code, cleared = await call(jp_fetch, "POST", "jobs", "clear", phase="ERROR")
    assert code == 200 and cleared["cleared"] == []
    _, listing = await call(jp_fetch, "GET", "jobs", phase="COMPLETED")
    assert [job["id"] for job in listing["jobs"]] == [reduction]


async def test_details_of_another_users_job_are_not_found(jp_fetch, jp_serverapp):
    store = jp_serverapp.web_app.settings["remotem"].jobs
    foreign = store.create("someone-else", "copy", {"operation": "copy"})
    store.append_log(foreign.id, [(foreign.created, "INFO", "private")])
    code, body = await call(jp_fetch, "GET", "jobs", foreign.id)
    assert code == 404 and "private" not in json.dumps(body)


def test_log_lines_lose_their_secrets():
    line = ("open s3://AKIAEXAMPLE:hunter2@minio:9000/bucket failed; password=hunter2 "
            "Authorization: token rmt_" + "x" * 43 + " endpoint-key: s3cr3tvalue")
    cleaned = redact(line, ["s3cr3tvalue"])
    for secret in ("AKIAEXAMPLE", "hunter2", "rmt_", "s3cr3tvalue"):
        assert secret not in cleaned, (secret, cleaned)
    assert "minio:9000/bucket" in cleaned, "what is not secret stays readable"


class TestWithWorker(WithServerWorker):
    """The server's detached worker runs the jobs; the test stops it."""

    async def test_a_completed_and_a_failed_job_tell_their_story(self, jp_fetch, jp_serverapp):
        code, job = await call(jp_fetch, "POST", "jobs", body=reduction_job())
        assert code == 201
        done = await self.finished(jp_fetch, job["id"])
        assert done["phase"] == "COMPLETED", done
        phases = [line["phase"] for line in done["history"]]
        assert phases[0] == "QUEUED" and phases[-2:] == ["EXECUTING", "COMPLETED"], phases
        times = [line["at"] for line in done["history"]]
        assert times == sorted(times)
        assert done["request"]["operation"] == "virtual_detector" and done["quote"]["bytes_read"] > 0
        assert any(job["id"] in line["message"] and "running job" in line["message"] for line in done["log"]), \
            done["log"]
        assert all(line["level"] in ("INFO", "WARNING", "ERROR") for line in done["log"])
        assert done["log_truncated"] is False

        # A job whose dataset went away between submission and its run fails with a hint.
        store = jp_serverapp.web_app.settings["remotem"].jobs
        failing = store.create(done["owner"], "reduction", dict(done["request"], path="gone.h5"))
        failed = await self.finished(jp_fetch, failing.id)
        assert failed["phase"] == "ERROR"
        assert failed["error"]["message"] and failed["error"]["hint"], failed["error"]
        assert [line["phase"] for line in failed["history"]][-1] == "ERROR"
        assert failed["history"][-1]["message"] == failed["error"]["message"]
        assert any("ended" in line["message"] for line in failed["log"]), failed["log"]
