"""Real-time work goes first on a shared machine: the worker the server starts for batch jobs
(reductions, copies, cutout batches, pipelines) computes at a lower CPU priority than the Jupyter
server that answers real-time cutouts, previews and interactive reductions — but it takes a job
up at the server's priority, so that a job is not kept waiting by a worker starved at start."""

from __future__ import annotations

import os
import signal

from _jobs import wait_for
from jupyter_remotem.jobs.models import Phase
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.jobs.supervisor import BATCH_NICE, WorkerSupervisor


def niceness(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def test_the_server_started_worker_takes_a_job_up_at_once_then_yields_the_cpu(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    supervisor = WorkerSupervisor(url, [], tmp_path, idle_exit_s=60.0, extra_arguments=["--scheduler", "none", "--poll", "0.1"])
    server = niceness(0)
    assert supervisor.ensure_running()
    process = supervisor.process
    store = JobStore(url)
    try:
        assert niceness(process.pid) == server, "no job claimed yet: the worker starts at the server's priority"
        # An index job of a repository this worker does not know ends at once, in ERROR.
        job = store.create("ada", "index", {"repository": "nowhere", "path": ""})
        wait_for(lambda: store.get(job.id, "ada").phase in (Phase.ERROR.value, Phase.COMPLETED.value),
                 "the worker to end the job", 60)
        assert niceness(process.pid) == min(server + BATCH_NICE, 19), "after its first job it computes niced"
        threads = [int(t) for t in os.listdir(f"/proc/{process.pid}/task")]
        assert {niceness(t) for t in threads} == {min(server + BATCH_NICE, 19)}, "every thread of it"
    finally:
        store.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
