"""The text and fraction the job-progress widget shows for each state a job reports."""

from __future__ import annotations

from jupyter_remotem.widgets import progress_summary


def test_a_running_job_shows_percentage_time_left_and_throughput():
    info = {"phase": "EXECUTING", "progress": {"done": 384, "total": 1536, "fraction": 0.25, "eta_s": 95.2,
                                               "throughput_bytes_s": 2.5e8}}
    assert progress_summary(info) == (0.25, "executing · 25% · about 1 min 35 s left · 250 MB/s")


def test_without_a_fraction_the_counts_give_it_and_long_waits_read_in_hours():
    info = {"phase": "EXECUTING", "progress": {"done": 1, "total": 3, "eta_s": 7300}}
    fraction, text = progress_summary(info)
    assert abs(fraction - 1 / 3) < 1e-12 and text == "executing · 33% · about 2 h 01 min left"


def test_a_queued_job_has_no_progress_yet():
    assert progress_summary({"phase": "QUEUED", "progress": None}) == (None, "queued")


def test_a_finished_job_names_the_files_it_wrote():
    info = {"phase": "COMPLETED", "progress": {"done": 10, "total": 10, "fraction": 1.0},
            "results": [{"repository": "notebooks", "path": "bf.h5"}]}
    assert progress_summary(info) == (1.0, "completed · 100% · wrote notebooks:bf.h5")


def test_a_failed_job_says_why():
    info = {"phase": "ERROR", "progress": {"done": 4, "total": 10, "fraction": 0.4},
            "error": {"kind": "fatal", "message": "The file changed while it was read."}}
    assert progress_summary(info) == (0.4, "error · 40% · The file changed while it was read.")
