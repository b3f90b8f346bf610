"""How a job worker reaches the cluster its job names: a file only the user can read.

The server writes, for every cluster it runs, its owner, its scheduler address and the TLS
credentials that open it (a cluster's scheduler takes only connections that present them, so
another user on the same machine cannot submit work to it); the worker reads the entry of the
cluster a job names and uses it only when the job's owner is the cluster's.  Nothing of it goes
into the job database, a job record, a log or an answer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import NotFound
from ..jobs.supervisor import CLUSTERS_FILE, write_private_json

#: The file's name in the worker's state folder (beside its private configuration).
FILE_NAME = CLUSTERS_FILE


@dataclass(frozen=True)
class ClusterAccess:
    """What connecting to one cluster takes."""

    id: str
    owner: str
    address: str
    #: PEM contents: the CA, and the client certificate and key (None: a plain connection).
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    def security(self) -> Any:
        """A ``distributed.Security`` for this cluster (None when it takes plain connections)."""
        if self.address.startswith("gateway://"):
            import dask_gateway  # noqa: F401 - registers the gateway:// comm of its proxy
        if self.tls_ca is None:
            return None
        from distributed.security import Security

        return Security(tls_ca_file=self.tls_ca, tls_client_cert=self.tls_cert, tls_client_key=self.tls_key,
                        require_encryption=True)


class ClusterChannel:
    """The server's side: keeps the file in step with the running clusters."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._entries: dict[str, ClusterAccess] = {}
        self._lock = threading.Lock()
        if self.path.exists():  # what a server that ended without a word left: none of it runs now
            self._write()

    def publish(self, access: ClusterAccess) -> None:
        with self._lock:
            self._entries[access.id] = access
            self._write()

    def withdraw(self, cluster_id: str) -> None:
        with self._lock:
            if self._entries.pop(cluster_id, None) is not None:
                self._write()

    def _write(self) -> None:
        write_private_json(self.path, {"clusters": [asdict(entry) for entry in self._entries.values()]})


def read_access(path: Path | None, cluster_id: str, owner: str) -> ClusterAccess:
    """The worker's side: how to reach ``cluster_id`` for a job of ``owner`` (404-like
    :class:`NotFound`, ending the job, when it is not running or is somebody else's)."""
    missing = NotFound(f"The cluster '{cluster_id}' this job names is not running.",
                       hint="Start a cluster (POST remotem/api/clusters) and submit the job again, or leave "
                            "'cluster' out to run it on the worker.")
    if path is None:
        raise missing
    try:
        entries = json.loads(Path(path).read_text()).get("clusters", [])
    except (OSError, ValueError):
        raise missing from None
    for entry in entries:
        if entry.get("id") == cluster_id and entry.get("owner") == owner:
            return ClusterAccess(**entry)
    raise missing


#: Job kinds whose request's ``cluster`` is the id of one of the owner's clusters (a pipeline's
#: ``cluster`` is its own word, ``inline``, ``local`` or ``server``: :mod:`..pipeline.durable`).
ON_USER_CLUSTERS = frozenset({"reduction"})


def job_cluster(job: Any, path: Path | None) -> Any:
    """For a reduction job whose request names a ``cluster``: a
    :class:`~..compute.cluster.ClusterManager` joined to that cluster of the job's owner (the
    caller closes it), else None."""
    request = job.request if isinstance(job.request, dict) else {}
    cluster_id = request.get("cluster")
    if job.kind not in ON_USER_CLUSTERS or not cluster_id:
        return None
    from ..compute.cluster import ClusterManager

    access = read_access(path, str(cluster_id), job.owner)
    return ClusterManager(access.address, security=access.security())
