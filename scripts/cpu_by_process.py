"""Run a command and tell where its CPU time went, by kind of process.

The test suite is CPU-bound on two cores, and much of its time is spent in processes it starts
(job workers, Jupyter servers, chromium, Dask workers), which a Python profiler of the test
process never sees.  This samples ``/proc`` for every descendant of the command twice a second and
prints CPU-seconds per kind (processes shorter than a sample may be missed)::

    .venv/bin/python scripts/cpu_by_process.py -- .venv/bin/python -m pytest -n 2 --dist loadfile
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time

#: Command-line words that name a kind of process, first match wins.
KINDS = ("cli worker", "distributed", "spawn_main", "forkserver", "ipykernel", "jupyterhub-singleuser",
         "jupyterhub", "jupyter-lab", "jupyter-server", "chrom", "moto", "wsgidav", "postgres", "node", "pytest")
HZ = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float]:
    """Parent pid and CPU seconds (user + system) of ``pid``."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rfind(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / HZ


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def kind_of(command: str) -> str:
    return next((kind for kind in KINDS if kind in command), command.split(" ")[0].rsplit("/", 1)[-1] or "?")


def sample(root: int, seen: dict[int, list]) -> None:
    """Note the CPU of every living descendant of ``root`` (and of ``root``)."""
    tree: dict[int, tuple[int, float]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                tree[int(name)] = _stat(int(name))
            except (OSError, ValueError, IndexError):
                continue
    family, grew = {root}, True
    while grew:
        grew = False
        for pid, (parent, _) in tree.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    for pid in family & tree.keys():
        entry = seen.setdefault(pid, [_command(pid), 0.0])
        entry[1] = max(entry[1], tree[pid][1])


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    started = time.monotonic()
    process = subprocess.Popen(command)
    seen: dict[int, list] = {}
    while process.poll() is None:
        sample(process.pid, seen)
        time.sleep(0.5)  # the sampling period
    totals: collections.Counter[str] = collections.Counter()
    counts: collections.Counter[str] = collections.Counter()
    for command_line, cpu in seen.values():
        totals[kind_of(command_line)] += cpu
        counts[kind_of(command_line)] += 1
    print(f"\n{time.monotonic() - started:.0f} s wall, {sum(totals.values()):.0f} CPU-s seen", file=sys.stderr)
    for kind, cpu in totals.most_common():
        print(f"{cpu:9.1f} CPU-s {counts[kind]:6d} processes  {kind}", file=sys.stderr)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
