"""Errors a pipeline raises: the product's own hierarchy, so clients and handlers map them the same way."""

from __future__ import annotations

from ..errors import BadParameter, RemotemError


class PipelineError(BadParameter):
    """A pipeline that cannot be planned or run as written (a bad template, an unhashable parameter)."""

    code = "pipeline_invalid"
    default_hint = "Check the step's arguments, target template and store."


class PreflightError(RemotemError):
    """The cluster cannot run this pipeline faithfully: its workers cannot see the store, or they run
    other versions of the libraries that go into the keys than the client computing those keys."""

    status, code = 409, "pipeline_preflight"
    default_hint = "Use a store every worker can reach (s3://, a shared path) and the same library versions."


class PipelineRunError(RemotemError):
    """Some items failed; every other item ran and its targets are checkpointed."""

    status, code = 422, "pipeline_failed"
    default_hint = "Fix the failing step and run again: finished targets are skipped."

    def __init__(self, message: str, failures: list, result: object = None) -> None:
        super().__init__(message)
        self.failures = failures
        self.result = result
