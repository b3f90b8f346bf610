"""Pipelines of the user's own functions: checkpointed targets tied to the code, on a laptop or a cluster.

    from jupyter_remotem.pipeline import step, plan, run
    from jupyter_remotem.pipeline.writers import OmeTiff, Png

    @step(target="normalized/{cell_id}.ome.tiff", writer=OmeTiff(dims="CZYX", channel_names=["dna", "membrane"]))
    def normalize(cell_id, cell):
        ...

    handles = normalize.map(table.cell_id, cells)
    print(plan(handles, store="staging/"))          # what would run, and why
    run(handles, store="s3://bucket/staging", storage_options={...}, cluster="local")
    job = submit(handles, store="results", path="staging")   # a durable job of the server

Targets are committed by a manifest sidecar written last; keys hash the step's normalised code (and
the user's functions it calls), its parameters, its inputs' keys or file identities and its writer.
"""

from .canonical import File
from .durable import submit
from .errors import PipelineError, PipelineRunError, PreflightError
from .execute import RunResult, TargetRef, check_cluster, run
from .planning import Plan, make_plan as plan
from .steps import Handle, Step, step, unmapped
from .store import Store

__all__ = [
    "File", "Handle", "Plan", "PipelineError", "PipelineRunError", "PreflightError", "RunResult", "Step", "Store",
    "TargetRef", "check_cluster", "plan", "run", "step", "submit", "unmapped",
]
