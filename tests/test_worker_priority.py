"""Real-time work goes first on a shared machine: the worker the server starts for batch jobs
(reductions, copies, cutout batches, pipelines) runs at a lower CPU priority than the Jupyter
server that answers real-time cutouts, previews and interactive reductions."""

from __future__ import annotations

import os
import signal

from jupyter_remotem.jobs.supervisor import WorkerSupervisor


def test_the_server_started_worker_yields_the_cpu_to_the_server(tmp_path):
    supervisor = WorkerSupervisor(f"sqlite:///{tmp_path / 'jobs.sqlite'}", [], tmp_path, idle_exit_s=60.0,
                                  extra_arguments=["--scheduler", "none"])
    assert supervisor.ensure_running()
    process = supervisor.process
    try:
        # preexec runs before the worker's own code: the priority is set once the process exists
        worker_nice = os.getpriority(os.PRIO_PROCESS, process.pid)
        assert worker_nice == min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19), worker_nice
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)  # stopped, whether or not it had started
