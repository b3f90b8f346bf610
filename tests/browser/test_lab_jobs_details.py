"""A job's details, the jobs filter and "Clear finished", in a real JupyterLab against the real
server and worker: a reduction that completes, one that fails, and an upload."""

from __future__ import annotations

import base64
import re
import uuid

import h5py
import numpy as np
import pytest
import requests
from _lab import ARTIFACTS, api, keep_screenshot, open_sidebar
from _services import skip_or_fail

pytestmark = pytest.mark.browser

JOBS = '[id="jupyter-remotem:jobs"]'
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def jobs_api(lab_server):
    response = api(lab_server, "GET", "jobs")
    if response.status_code != 200:
        skip_or_fail(f"GET remotem/api/jobs answered {response.status_code}: the jobs endpoints are not served")
    return lab_server


def reduction(output: str, source: str = "scan.h5") -> dict:
    return {"repository": "demo", "path": source, "operation": "virtual_detector",
            "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]},
            "output": {"repository": "demo", "path": output, "format": "hdf5"}}


def damaged_scan(path) -> None:
    """A scan whose header is sound and one compressed chunk is not: accepted when the job is
    submitted (only the header is read), refused by the worker when it reaches that chunk."""
    with h5py.File(path, "w") as f:
        frames = np.random.default_rng(3).poisson(3, (8, 8, 64, 64)).astype("uint16")
        data = f.create_dataset("data", data=frames, chunks=(1, 8, 64, 64), compression="gzip")
        chunk = data.id.get_chunk_info(5)
    with open(path, "r+b") as raw:
        raw.seek(chunk.byte_offset + 16)
        raw.write(bytes(range(64)))


def tus_upload(server, path: str, data: bytes) -> str:
    metadata = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"
                        for key, value in {"repository": "demo", "path": path}.items())
    headers = {"Authorization": f"token {server.token}", **TUS}
    answer = requests.post(f"{server.url}remotem/api/uploads", timeout=30, headers={
        **headers, "Upload-Length": str(len(data)), "Upload-Metadata": metadata})
    assert answer.status_code == 201, answer.text
    upload_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    sent = requests.patch(f"{server.url}remotem/api/uploads/{upload_id}", data=data, timeout=30, headers={
        **headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert sent.status_code == 204, sent.text
    return upload_id


@pytest.fixture
def damaged(demo_data):
    """A damaged scan in the demo repository, for this test only (other tests list the demo files)."""
    name = f"damaged-{uuid.uuid4().hex[:8]}.h5"
    damaged_scan(demo_data / name)
    yield name
    (demo_data / name).unlink(missing_ok=True)


def test_details_filter_and_clear_finished_keep_every_file(page, jobs_api, damaged) -> None:
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:8]
    done_output, upload_path = f"details-{tag}.h5", f"uploaded-{tag}.bin"
    failed_output = f"damaged-{tag}-vd.h5"
    completed = api(jobs_api, "POST", "jobs", json=reduction(done_output))
    assert completed.status_code == 201, completed.text
    # Its input breaks only where the worker reads it: the job fails, telling why and what to do.
    failed = api(jobs_api, "POST", "jobs", json=reduction(failed_output, source=damaged))
    assert failed.status_code == 201, failed.text
    uploaded = tus_upload(jobs_api, upload_path, b"0123456789" * 100)
    done_id, failed_id = completed.json()["id"], failed.json()["id"]

    sidebar = open_sidebar(page, jobs_api)
    jobs = sidebar.locator(JOBS)
    done_row = jobs.locator(f'.jp-remotem-job[data-job-id="{done_id}"]')
    failed_row = jobs.locator(f'.jp-remotem-job[data-job-id="{failed_id}"]')
    upload_row = jobs.locator(f'.jp-remotem-job[data-job-id="{uploaded}"]')
    expect(failed_row).to_have_attribute("data-phase", "ERROR", timeout=60_000)
    expect(done_row).to_have_attribute("data-phase", "COMPLETED", timeout=120_000)
    expect(upload_row).to_have_attribute("data-phase", "COMPLETED")

    # The finished job's story: request, estimate, phases with times, log, outputs.
    done_row.locator(".jp-remotem-job-toggle").click()
    details = done_row.locator(".jp-remotem-job-details")
    expect(details).to_have_attribute("data-loaded", "true")
    expect(done_row.locator(".jp-remotem-job-toggle")).to_have_attribute("aria-expanded", "true")
    request = details.locator('[data-section="request"]')
    expect(request).to_contain_text("virtual_detector")
    expect(request).to_contain_text("demo:scan.h5")
    expect(request).to_contain_text(f"demo:{done_output} (hdf5)")
    expect(details.locator('[data-section="quote"]')).to_contain_text("Reads")
    phases = details.locator(".jp-remotem-job-history li")
    expect(phases.first).to_have_attribute("data-phase", "QUEUED")
    expect(phases.last).to_have_attribute("data-phase", "COMPLETED")
    expect(details.locator(".jp-remotem-job-history li[data-phase='EXECUTING']")).to_contain_text("for ")
    expect(details.locator(".jp-remotem-job-log")).to_contain_text(f"running job {done_id}")
    output = details.locator(f'.jp-remotem-job-outputs li[data-path="{done_output}"]')
    expect(output.locator(".jp-remotem-job-output-download")).to_have_attribute(
        "href", re.compile(rf"/remotem/api/repositories/demo/download/{re.escape(done_output)}"))
    page.set_viewport_size({"width": 1400, "height": 2200})  # room for all of the details
    done_row.scroll_into_view_if_needed()
    done_row.screenshot(path=str(ARTIFACTS / "job-details.png"))
    page.set_viewport_size({"width": 1400, "height": 900})

    # The failed one: its error with the hint, and the phase it ended in.
    failed_row.locator(".jp-remotem-job-toggle").click()
    expect(done_row.locator(".jp-remotem-job-details")).to_have_count(0)  # one open at a time
    error = failed_row.locator('.jp-remotem-job-details [data-section="error"]')
    expect(error.locator(".jp-remotem-error-message")).to_contain_text(f"Could not read '{damaged}'")
    expect(error.locator(".jp-remotem-error-hint")).to_contain_text("copy it again from its source")
    expect(failed_row.locator(".jp-remotem-job-history li").last).to_have_attribute("data-phase", "ERROR")

    # Filters: by phase group, then by kind.
    phase_filter = jobs.locator(".jp-remotem-jobs-phase-filter")
    kind_filter = jobs.locator(".jp-remotem-jobs-kind-filter")
    phase_filter.select_option("failed")
    expect(failed_row).to_be_visible()
    expect(done_row).to_have_count(0)
    expect(jobs.locator(".jp-remotem-job:not([data-phase='ERROR'])")).to_have_count(0)
    phase_filter.select_option("all")
    kind_filter.select_option("upload")
    expect(upload_row).to_be_visible()
    expect(jobs.locator(".jp-remotem-job:not([data-kind='upload'])")).to_have_count(0)
    kind_filter.select_option("all")
    expect(done_row).to_be_visible()
    sidebar.screenshot(path=str(ARTIFACTS / "jobs-filter.png"))
    keep_screenshot("job-details.png")

    # Clear finished: the three leave the list, on the server too; every file stays.
    jobs.locator(".jp-remotem-jobs-clear").click()
    for row in (done_row, failed_row, upload_row):
        expect(row).to_have_count(0)
    listed = {job["id"] for job in api(jobs_api, "GET", "jobs").json()["jobs"]}
    assert not listed & {done_id, failed_id, uploaded}
    listing = api(jobs_api, "GET", "repositories/demo/tree/").json()
    sizes = {entry["name"]: entry.get("size") for entry in listing["entries"]}
    assert done_output in sizes and sizes[done_output] > 0, sorted(sizes)
    assert failed_output not in sizes, sorted(sizes)  # the failed job left nothing behind
    assert sizes.get(upload_path) == 1000, sorted(sizes)
    assert api(jobs_api, "GET", f"jobs/{done_id}").json()["dismissed"] is True
    assert page.errors == []
