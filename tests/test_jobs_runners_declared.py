"""The job kinds a worker runs are declared once, as "module:function" (``worker.RUNNERS``), and
imported when their first job comes: every declared runner must import, and a worker that has run
no job must not have paid for the runners' formats and kernels."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

from jupyter_remotem.jobs.models import KINDS
from jupyter_remotem.jobs.worker import RUNNERS, runner_for


@pytest.mark.parametrize("kind", sorted(RUNNERS))
def test_every_declared_runner_imports_and_takes_a_job_context(kind):
    runner = runner_for(kind)
    assert callable(runner), RUNNERS[kind]
    assert list(inspect.signature(runner).parameters) == ["context"], RUNNERS[kind]


def test_an_undeclared_kind_has_no_runner():
    assert runner_for("no-such-kind") is None


def test_every_runner_runs_a_kind_of_job_the_store_knows():
    assert set(RUNNERS) <= KINDS, set(RUNNERS) - KINDS


def test_a_worker_starts_without_importing_any_runner():
    modules = {target.partition(":")[0] for target in RUNNERS.values()}
    probe = (
        "import json, sys\n"
        "from jupyter_remotem.jobs.worker import Worker\n"
        "from jupyter_remotem import cli\n"
        "print(json.dumps(sorted(set(sys.modules) & set(json.loads(sys.argv[1])) | ({'numba'} & set(sys.modules)))))\n"
    )
    answer = subprocess.run([sys.executable, "-c", probe, json.dumps(sorted(modules))], capture_output=True,
                            text=True, timeout=120, check=True)
    assert json.loads(answer.stdout) == [], answer.stdout
