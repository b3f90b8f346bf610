"""A pipeline job in the Jobs section of a real JupyterLab against the real server and worker: its
details show the store and, per step, how many calls are done, skipped, failed and pending."""

from __future__ import annotations

import shutil
import uuid

import pytest
from _lab import api, open_sidebar
from _pipeline_cells import build, load, source, table
from test_lab_jobs_details import JOBS, jobs_api  # noqa: F401 - fixture

from jupyter_remotem.pipeline.durable import submission

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(demo_data):
    """A folder of the demo repository for this test's targets, removed after it (other tests list
    the demo files)."""
    name = f"pipeline-{uuid.uuid4().hex[:8]}"
    yield name
    shutil.rmtree(demo_data / name, ignore_errors=True)


def test_a_pipeline_job_shows_its_steps_with_counts(page, jobs_api, tmp_path, folder) -> None:  # noqa: F811
    from playwright.sync_api import expect

    log_dir = tmp_path / "log"
    log_dir.mkdir()
    module = load(tmp_path / "code", source(log_dir))
    # Its targets are a few KiB each: say so, or the default per-target guess is held against a
    # quota other tests in this lab share.
    body = submission(build(module, table(5)), "demo", path=folder, estimate_bytes=64 * 1024)
    answer = api(jobs_api, "POST", "pipelines", json=body)
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["id"]

    sidebar = open_sidebar(page, jobs_api)
    row = sidebar.locator(JOBS).locator(f'.jp-remotem-job[data-job-id="{job_id}"]')
    expect(row).to_have_attribute("data-phase", "COMPLETED", timeout=120_000)
    row.locator(".jp-remotem-job-toggle").click()
    section = row.locator('.jp-remotem-job-details [data-section="pipeline"]')
    expect(section.locator(".jp-remotem-job-pipeline-store")).to_have_text(f"Store: repository:demo/{folder}")
    steps = section.locator("tbody tr")
    expect(steps).to_have_count(3)
    normalize = section.locator('tbody tr[data-step="normalize_cell"]')
    for name, value in (("done", "5"), ("skipped", "0"), ("failed", "0"), ("pending", "0")):
        expect(normalize.locator(f'td[data-count="{name}"]')).to_have_text(value)
    expect(section.locator('tbody tr[data-step="select_cell"]')).to_have_attribute("data-kind", "in memory")
    assert api(jobs_api, "DELETE", f"jobs/{job_id}").status_code == 204  # and its files with it
