"""The CPU priority of a job worker: normal while it takes a job up, lower while it computes.

Batch work should yield the CPU to what someone is waiting for in the Jupyter server (previews,
real-time cutouts, interactive reductions).  But a worker that starts niced takes up its first
job slowly on a busy machine: its start (imports, opening the store, the claim) is only about
two seconds of CPU, yet at niceness 10 next to busy processes it gets a tenth of a core, so a
job resumed after a crash waited ten times longer than it needed.  So the worker starts at the
server's priority and lowers itself once it has claimed a job, for the rest of its life.
"""

from __future__ import annotations

import os


def lower_for_batch(increment: int, base: int) -> int:
    """Set this worker's niceness to ``base + increment`` (at most 19) and return it.

    When the worker leads its own process group (the server starts it in a session of its
    own), the whole group is lowered: every thread and any Dask worker process it has started.
    Otherwise only its own threads are, so a worker run from a script leaves the script alone.
    Idempotent; raising the priority back is never attempted (it needs privileges)."""
    target = min(base + increment, 19)
    if increment <= 0:
        return os.getpriority(os.PRIO_PROCESS, 0)
    if os.getpgrp() == os.getpid():
        try:
            os.setpriority(os.PRIO_PGRP, 0, target)
            return target
        except PermissionError:  # a process of the group already runs nicer than that
            pass
    for thread in os.listdir("/proc/self/task"):  # Linux: a thread's niceness is its own
        try:
            os.setpriority(os.PRIO_PROCESS, int(thread), max(target, os.getpriority(os.PRIO_PROCESS, int(thread))))
        except (ProcessLookupError, PermissionError):
            pass
    return target
