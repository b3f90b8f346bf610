"""The widgets' background worker: newest request per kind, nothing outdated computed, errors kept."""

from __future__ import annotations

import threading

import pytest

from jupyter_remotem.widgets._throttle import LatestWork


def test_while_a_task_runs_only_the_newest_waiting_task_of_a_kind_runs_next():
    errors: list[tuple[str, BaseException]] = []
    work = LatestWork(lambda kind, error: errors.append((kind, error)))
    gate, started, ran = threading.Event(), threading.Event(), []

    def first() -> None:
        started.set()
        assert gate.wait(10)
        ran.append("image 0")

    work.submit("image", first)
    assert started.wait(10)
    for n in range(1, 10):
        work.submit("image", lambda n=n: ran.append(f"image {n}"))
    work.submit("frame", lambda: ran.append("frame"))
    assert work.busy
    gate.set()
    assert work.wait_idle(10)
    assert ran == ["image 0", "image 9", "frame"]
    assert work.dropped == {"image": 8} and work.completed == {"image": 2, "frame": 1}
    assert not work.busy and errors == []


def test_a_failing_task_is_reported_and_the_worker_goes_on():
    errors: list[tuple[str, BaseException]] = []
    work = LatestWork(lambda kind, error: errors.append((kind, error)))

    def boom() -> None:
        raise RuntimeError("storage gone")

    work.submit("image", boom)
    assert work.wait_idle(10)
    ran = []
    work.submit("image", lambda: ran.append("after"))
    assert work.wait_idle(10)
    assert [(kind, str(error)) for kind, error in errors] == [("image", "storage gone")]
    assert ran == ["after"]


def test_wait_idle_times_out_while_work_is_stuck_and_close_refuses_more():
    work = LatestWork(lambda kind, error: None)
    gate = threading.Event()
    work.submit("image", lambda: gate.wait(10))
    assert work.wait_idle(0.05) is False
    gate.set()
    assert work.wait_idle(10)
    work.close()
    with pytest.raises(RuntimeError, match="closed"):
        work.submit("image", lambda: None)
