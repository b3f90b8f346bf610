"""``GET operations``: what can run remotely, on a given dataset, and why not when it cannot.

Front ends show an operation that cannot run disabled, with the reason, instead of letting the
user find out from a failed request, and with the facility's contact (``support_contact``) for
asking that it be made available remotely.  The answer also carries the server's request
``limits`` (:mod:`..limits`), so that a client can split its work before it is refused.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..compute.operations import OPERATIONS
from ..errors import CorruptFile, UnsupportedFormat
from ..formats import open_dataset
from ..storage.repository import Repository
from .base import RemotemHandler


def operations_for(repository: Repository | None, path: str | None, dataset: str | None) -> list[dict[str, Any]]:
    """Every registered operation with its availability for the dataset (if one is named)."""
    if repository is None or not path:
        return [operation.availability(None) for operation in OPERATIONS.values()]
    try:
        with open_dataset(repository, path, dataset) as opened:
            return [operation.availability(opened) for operation in OPERATIONS.values()]
    except (UnsupportedFormat, CorruptFile) as error:
        # The file cannot be opened here (a format this repository cannot serve remotely, say):
        # nothing can run on it, for the same reason.
        reason = f"{error.message} {error.hint}".strip()
        return [dict(operation.availability(None), available=False, reason=reason)
                for operation in OPERATIONS.values()]


class OperationsHandler(RemotemHandler):
    serves_reach = True  # its answers come from repositories it gets confined (see auth/reach.py)

    @web.authenticated
    async def get(self) -> None:
        name = self.get_query_argument("repository", None)
        path = self.get_query_argument("path", None)
        repository = self.repository(name) if name else None
        dataset = self.get_query_argument("dataset", None) or None
        operations = await self.run_blocking(operations_for, repository, path, dataset)
        contact = self.services.support_contact or None
        self.write_json({"operations": [dict(op, contact=contact) if not op["available"] else op
                                        for op in operations],
                         "limits": self.services.limits.to_json()})
