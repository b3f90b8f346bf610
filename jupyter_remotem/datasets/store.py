"""Datasets in the job store's database, seen through the caller's rights.

Every question carries a :class:`Person`; a dataset they may not read is answered exactly like
one that does not exist (404), so names, owners and lineage never leak.  Rights: the owner may
do everything; a ``write`` grant may edit, close and derive; a ``read`` grant may see, verify
and derive from a closed dataset; granting is the owner's alone.  A person also needs to be
able to read the dataset's repository: a grant never opens storage its holder could not read.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, true, update
from sqlalchemy.orm import Session

from ..errors import BadParameter, Conflict, Forbidden, NotFound
from ..jobs.models import WrittenFile, utcnow
from ..jobs.store import JobStore
from ..storage import paths
from .manifest import Differences, ManifestFile
from .models import DatasetFile, DatasetGrant, DatasetParent, DatasetRecord
from .types import BY_NAME

ROLES = ("read", "write")
PRINCIPALS = ("user", "group")
STATES = ("open", "closed")
#: At most this many datasets answer one listing, and this many grants one dataset.
MAX_LIST, MAX_GRANTS = 1000, 200
#: The largest run record a client may send, as JSON.
MAX_RUN_BYTES = 256 * 1024


@dataclass(frozen=True)
class Person:
    """Who asks: their name, their groups and the repositories they may read."""

    user: str
    groups: frozenset[str]
    readable: frozenset[str]


def _missing(dataset_id: str) -> NotFound:
    return NotFound(f"There is no dataset '{dataset_id}' you may see.",
                    hint="List your datasets (GET datasets) to find its id.")


def _granted(person: Person, roles: tuple[str, ...]) -> Any:
    """SQL: ``person`` holds one of ``roles`` on the dataset of the current row."""
    return exists().where(
        DatasetGrant.dataset_id == DatasetRecord.id, DatasetGrant.role.in_(roles),
        or_(and_(DatasetGrant.kind == "user", DatasetGrant.principal == person.user),
            and_(DatasetGrant.kind == "group", DatasetGrant.principal.in_(sorted(person.groups) or [""]))))


def _visible(person: Person) -> Any:
    return and_(DatasetRecord.repository.in_(sorted(person.readable) or [""]),
                or_(DatasetRecord.owner == person.user, _granted(person, ROLES)))


def _text(value: Any, what: str, limit: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise BadParameter(f"'{what}' must be text of at most {limit} characters"
                           + (", not empty." if required else "."))
    return value.strip()


def checked_type(value: Any) -> str:
    if value not in BY_NAME:
        raise BadParameter(f"'type' must be one of {sorted(BY_NAME)}, not {value!r}.",
                           hint="GET datasets/types lists them with what each shows.")
    return str(value)


def checked_grants(value: Any) -> list[tuple[str, str, str]]:
    """``[{"user"|"group": name, "role": "read"|"write"}]`` as (kind, principal, role)."""
    example = 'For example [{"user": "bob", "role": "read"}, {"group": "lab", "role": "write"}].'
    if not isinstance(value, list) or len(value) > MAX_GRANTS:
        raise BadParameter(f"'grants' must be a list of at most {MAX_GRANTS} grants.", hint=example)
    grants: dict[tuple[str, str], str] = {}
    for grant in value:
        if not isinstance(grant, dict) or set(grant) - {"user", "group", "role"} or \
                sum(kind in grant for kind in PRINCIPALS) != 1 or grant.get("role") not in ROLES:
            raise BadParameter(f"Every grant names one user or one group and a role ({', '.join(ROLES)}).",
                               hint=example)
        kind = "user" if "user" in grant else "group"
        grants[(kind, _text(grant[kind], kind, 200))] = grant["role"]
    return [(kind, principal, role) for (kind, principal), role in sorted(grants.items())]


def checked_run(run: Any, who: str) -> dict[str, Any] | None:
    """A run record a client sends (what a command it ran read and wrote): a JSON object of at
    most :data:`MAX_RUN_BYTES`; who registered it and when are the server's to say."""
    if run is None:
        return None
    if not isinstance(run, dict) or len(json.dumps(run)) > MAX_RUN_BYTES:
        raise BadParameter(f"'run' must be a JSON object of at most {MAX_RUN_BYTES:,} bytes.",
                           hint='For example {"command": ["python", "fit.py"], "inputs": [...], "outputs": [...]}.')
    return dict(run, who=who, when=utcnow().isoformat())


class DatasetStore:
    """Datasets, their grants, parents and manifests (see module docstring)."""

    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs

    # -- reading --------------------------------------------------------------------------------

    def _load(self, session: Session, person: Person, dataset_id: str) -> DatasetRecord:
        if not isinstance(dataset_id, str) or len(dataset_id) > 36:
            raise _missing(str(dataset_id)[:40])
        record = session.scalar(select(DatasetRecord).where(DatasetRecord.id == dataset_id, _visible(person)))
        if record is None:
            raise _missing(dataset_id)
        return record

    def _role(self, session: Session, person: Person, record: DatasetRecord) -> str:
        """"owner", "write" or "read": what ``person`` may do with ``record`` (visible to them)."""
        if record.owner == person.user:
            return "owner"
        roles = set(session.scalars(select(DatasetGrant.role).where(
            DatasetGrant.dataset_id == record.id,
            or_(and_(DatasetGrant.kind == "user", DatasetGrant.principal == person.user),
                and_(DatasetGrant.kind == "group", DatasetGrant.principal.in_(sorted(person.groups) or [""]))))))
        return "write" if "write" in roles else "read"

    def _json(self, session: Session, person: Person, record: DatasetRecord) -> dict[str, Any]:
        grants = session.execute(select(DatasetGrant.kind, DatasetGrant.principal, DatasetGrant.role)
                                 .where(DatasetGrant.dataset_id == record.id)
                                 .order_by(DatasetGrant.kind, DatasetGrant.principal)).all()
        parents = list(session.scalars(select(DatasetParent.parent).where(DatasetParent.child == record.id)
                                       .join(DatasetRecord, DatasetRecord.id == DatasetParent.parent)
                                       .where(_visible(person)).order_by(DatasetParent.parent)))
        children = list(session.scalars(select(DatasetParent.child).where(DatasetParent.parent == record.id)
                                        .join(DatasetRecord, DatasetRecord.id == DatasetParent.child)
                                        .where(_visible(person)).order_by(DatasetParent.child)))
        role = self._role(session, person, record)
        iso = lambda value: value.isoformat() if value else None  # noqa: E731
        return {
            "id": record.id, "name": record.name, "description": record.description, "type": record.type,
            "owner": record.owner, "repository": record.repository, "path": record.path, "state": record.state,
            "created": iso(record.created), "modified": iso(record.modified), "closed": iso(record.closed),
            "parents": parents, "children": children, "derived": bool(parents) or record.run is not None,
            "run": record.run, "job_id": record.job_id,
            "verified": iso(record.verified), "verification": record.verification,
            # Who else may see it is the owner's and the writers' business, not every reader's.
            "grants": [{kind: principal, "role": grant_role} for kind, principal, grant_role in grants]
            if role in ("owner", "write") else None,
            "role": role,
        }

    def get(self, person: Person, dataset_id: str) -> dict[str, Any]:
        with self.jobs.reading() as session:
            return self._json(session, person, self._load(session, person, dataset_id))

    def list(self, person: Person, owner: str | None = None, state: str | None = None,
             repository: str | None = None, type: str | None = None, under: str | None = None,
             mine: bool = False) -> list[dict[str, Any]]:
        query = select(DatasetRecord).where(_visible(person))
        if mine:
            query = query.where(DatasetRecord.owner == person.user)
        if owner is not None:
            query = query.where(DatasetRecord.owner == owner)
        if state is not None:
            if state not in STATES:
                raise BadParameter(f"'state' must be one of {list(STATES)}.")
            query = query.where(DatasetRecord.state == state)
        if type is not None:
            query = query.where(DatasetRecord.type == checked_type(type))
        if repository is not None:
            query = query.where(DatasetRecord.repository == repository)
            if under is not None:
                prefix = paths.normalise(under)
                if prefix:
                    query = query.where(or_(DatasetRecord.path == prefix,
                                            DatasetRecord.path.startswith(prefix + "/", autoescape=True)))
        with self.jobs.reading() as session:
            records = session.scalars(query.order_by(DatasetRecord.created.desc()).limit(MAX_LIST))
            return [self._json(session, person, record) for record in records]

    def location(self, person: Person, dataset_id: str) -> tuple[str, str]:
        """Repository and path of a dataset ``person`` may see."""
        with self.jobs.reading() as session:
            record = self._load(session, person, dataset_id)
            return record.repository, record.path

    def marks(self, person: Person, repository: str, folder: str) -> dict[str, dict[str, Any]]:
        """The datasets ``person`` may see among the entries of ``folder``, by path: the tree's marks."""
        prefix = paths.normalise(folder)
        query = select(DatasetRecord.id, DatasetRecord.path, DatasetRecord.name, DatasetRecord.state,
                       DatasetRecord.type).where(DatasetRecord.repository == repository, _visible(person))
        if prefix:
            query = query.where(DatasetRecord.path.startswith(prefix + "/", autoescape=True))
        with self.jobs.reading() as session:
            rows = session.execute(query.limit(100_000)).all()
        depth = prefix.count("/") + 1 if prefix else 0
        return {path: {"id": dataset_id, "name": name, "state": state, "type": kind}
                for dataset_id, path, name, state, kind in rows if path.count("/") == depth and path}

    def manifest(self, person: Person, dataset_id: str) -> list[ManifestFile]:
        with self.jobs.reading() as session:
            record = self._load(session, person, dataset_id)
            if record.state != "closed":
                raise Conflict(f"Dataset '{record.name}' is open: it has no manifest yet.",
                               hint="Close it (POST datasets/{id}/close) to record one.")
            return [ManifestFile(file.path, file.size, file.sha256) for file in session.scalars(
                select(DatasetFile).where(DatasetFile.dataset_id == record.id).order_by(DatasetFile.path))]

    def lineage(self, person: Person, dataset_id: str, depth: int = 50) -> dict[str, Any]:
        """The dataset's ancestors and descendants that ``person`` may see, as nodes and edges."""
        with self.jobs.reading() as session:
            start = self._load(session, person, dataset_id)
            nodes: dict[str, DatasetRecord] = {start.id: start}
            edges: set[tuple[str, str]] = set()
            for upward in (True, False):
                frontier = [start.id]
                for _ in range(depth):
                    if not frontier:
                        break
                    near, far = (DatasetParent.child, DatasetParent.parent) if upward else \
                        (DatasetParent.parent, DatasetParent.child)
                    rows = session.execute(select(near, far).where(near.in_(frontier))
                                           .join(DatasetRecord, DatasetRecord.id == far)
                                           .where(_visible(person))).all()
                    frontier = []
                    for here, there in rows:
                        edges.add((there, here) if upward else (here, there))
                        if there not in nodes:
                            nodes[there] = session.get(DatasetRecord, there)
                            frontier.append(there)
            summary = lambda r: {"id": r.id, "name": r.name, "type": r.type, "state": r.state,  # noqa: E731
                                 "owner": r.owner, "repository": r.repository, "path": r.path,
                                 "job_id": r.job_id}
            return {"root": start.id, "nodes": [summary(nodes[key]) for key in sorted(nodes)],
                    "edges": [{"parent": parent, "child": child} for parent, child in sorted(edges)]}

    def closed_at(self, repository: str, path: str) -> dict[str, str] | None:
        """A closed dataset that a change at ``path`` would change: one at the path, one holding
        it, or one inside it (deleting or moving a folder takes what is in it along)."""
        relative = paths.normalise(path)
        holders = [DatasetRecord.path == relative, DatasetRecord.path == ""]
        parts = relative.split("/") if relative else []
        holders.append(DatasetRecord.path.in_(["/".join(parts[:n]) for n in range(1, len(parts))] or [""]))
        inside = DatasetRecord.path.startswith(relative + "/", autoescape=True) if relative else DatasetRecord.path != ""
        with self.jobs.reading() as session:
            record = session.scalar(select(DatasetRecord).where(
                DatasetRecord.repository == repository, DatasetRecord.state == "closed",
                or_(*holders, inside)).limit(1))
            return None if record is None else {"id": record.id, "name": record.name, "path": record.path}

    # -- writing --------------------------------------------------------------------------------

    def register(self, person: Person, repository: str, path: str, name: Any, description: Any = None,
                 type: str = "file", parents: Any = (), run: dict[str, Any] | None = None,
                 job_id: str | None = None, owner: str | None = None) -> dict[str, Any]:
        """A new dataset at ``repository``/``path`` (the caller checked that it exists and may be read)."""
        name = _text(name, "name", 255)
        description = _text(description, "description", 10_000, required=False)
        checked_type(type)
        run = checked_run(run, person.user)
        if not isinstance(parents, (list, tuple)) or len(parents) > 100 or \
                not all(isinstance(parent, str) for parent in parents):
            raise BadParameter("'parents' must be a list of at most 100 dataset ids.")
        now = utcnow()
        record = DatasetRecord(id=str(uuid.uuid4()), name=name, description=description, type=type,
                               owner=owner or person.user, repository=repository, path=paths.normalise(path),
                               state="open", created=now, modified=now, run=run, job_id=job_id)
        with self.jobs.writing() as session:
            for parent_id in sorted(set(parents)):
                parent = self._load(session, person, parent_id)
                if parent.state != "closed":
                    raise Conflict(f"Parent '{parent.name}' is open: a derived dataset needs closed parents, "
                                   "so what it came from cannot change.",
                                   hint=f"Close '{parent.name}' first (POST datasets/{parent.id}/close).")
            taken = session.scalar(select(DatasetRecord.id).where(DatasetRecord.repository == repository,
                                                                  DatasetRecord.path == record.path))
            if taken is not None:
                raise Conflict(f"'{record.path or '/'}' in '{repository}' is already a dataset.",
                               hint="Register another file or folder, or ask its owner to share it.")
            session.add(record)
            session.flush()
            for parent_id in sorted(set(parents)):
                session.add(DatasetParent(child=record.id, parent=parent_id))
            session.flush()
            return self._json(session, person, record)

    def _writable(self, session: Session, person: Person, dataset_id: str, owner_only: bool = False,
                  what: str = "change") -> DatasetRecord:
        record = self._load(session, person, dataset_id)
        role = self._role(session, person, record)
        if role == "read" or (owner_only and role != "owner"):
            raise Forbidden(f"You may not {what} dataset '{record.name}': "
                            + ("only its owner may." if owner_only else "you may only read it."),
                            hint=f"Ask its owner, {record.owner}.")
        return record

    def update(self, person: Person, dataset_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Name, description and type; they describe the data, so a closed dataset may change them too."""
        unknown = set(changes) - {"name", "description", "type"}
        if unknown or not changes:
            raise BadParameter(f"A dataset's 'name', 'description' and 'type' may be changed, not {sorted(unknown)}."
                               if unknown else "Say what to change: 'name', 'description' or 'type'.")
        with self.jobs.writing() as session:
            record = self._writable(session, person, dataset_id)
            if "name" in changes:
                record.name = _text(changes["name"], "name", 255)
            if "description" in changes:
                record.description = _text(changes["description"], "description", 10_000, required=False)
            if "type" in changes:
                record.type = checked_type(changes["type"])
            record.modified = utcnow()
            session.flush()
            return self._json(session, person, record)

    def share(self, person: Person, dataset_id: str, grants: Any) -> dict[str, Any]:
        """Replace the dataset's grants (the owner's alone)."""
        checked = checked_grants(grants)
        with self.jobs.writing() as session:
            record = self._writable(session, person, dataset_id, owner_only=True, what="share")
            session.execute(delete(DatasetGrant).where(DatasetGrant.dataset_id == record.id))
            for kind, principal, role in checked:
                if not (kind == "user" and principal == record.owner):
                    session.add(DatasetGrant(dataset_id=record.id, kind=kind, principal=principal, role=role))
            record.modified = utcnow()
            session.flush()
            return self._json(session, person, record)

    def check_job(self, person: Person, dataset_id: str, action: str) -> dict[str, Any]:
        """Refuse now what a ``close`` or ``verify`` job of ``person`` could not do; the dataset."""
        with self.jobs.reading() as session:
            if action == "close":
                record = self._writable(session, person, dataset_id, what="close")
                if record.state == "closed":
                    raise Conflict(f"Dataset '{record.name}' is already closed.",
                                   hint="A closed dataset stays closed; derive a new one to change its content.")
            else:
                record = self._load(session, person, dataset_id)
                if record.state != "closed":
                    raise Conflict(f"Dataset '{record.name}' is open: there is no manifest to verify against.",
                                   hint="Close it first (POST datasets/{id}/close).")
            return self._json(session, person, record)

    # -- for the worker (the caller's rights were checked when its job was made) -------------------

    def record(self, dataset_id: str) -> dict[str, Any] | None:
        with self.jobs.reading() as session:
            record = session.get(DatasetRecord, dataset_id)
            return None if record is None else {"id": record.id, "name": record.name, "state": record.state,
                                                "repository": record.repository, "path": record.path}

    def recorded_files(self, dataset_id: str) -> list[ManifestFile]:
        with self.jobs.reading() as session:
            return [ManifestFile(file.path, file.size, file.sha256) for file in session.scalars(
                select(DatasetFile).where(DatasetFile.dataset_id == dataset_id).order_by(DatasetFile.path))]

    def close_as_recorded(self, dataset_id: str, files: list[ManifestFile]) -> None:
        """Record ``files`` as the manifest and close the dataset, unless it was closed meanwhile."""
        with self.jobs.writing() as session:
            record = session.get(DatasetRecord, dataset_id)
            if record is None:
                raise NotFound("The dataset was unregistered while its files were hashed.")
            if record.state == "closed":
                raise Conflict(f"Dataset '{record.name}' was closed by another job meanwhile.")
            for file in files:
                session.add(DatasetFile(dataset_id=record.id, path=file.path, size=file.size, sha256=file.sha256))
            record.state, record.closed = "closed", utcnow()
            record.modified = record.closed
            record.verified, record.verification = record.closed, Differences().to_json()
            # Files jobs wrote are theirs to delete with the job; once closed they are the dataset's
            # (kept as after a delete with keep_files: still counted in their owner's quota).
            inside = WrittenFile.path.startswith(record.path + "/", autoescape=True) if record.path else true()
            session.execute(update(WrittenFile).where(WrittenFile.repository == record.repository,
                                                      or_(WrittenFile.path == record.path, inside))
                            .values(job_id=None))

    def register_derived(self, owner: Person, repository: str, path: str, name: str, description: str,
                         type: str, parent_id: str, run: dict[str, Any], job_id: str) -> str | None:
        """A dataset a job derived from ``parent_id`` (closed, read by the job); None when that
        place is a dataset already (a job that wrote over a registered result)."""
        now = utcnow()
        record = DatasetRecord(id=str(uuid.uuid4()), name=name[:255], description=description, type=type,
                               owner=owner.user, repository=repository, path=paths.normalise(path), state="open",
                               created=now, modified=now, run=run, job_id=job_id)
        with self.jobs.writing() as session:
            if session.scalar(select(DatasetRecord.id).where(DatasetRecord.repository == repository,
                                                             DatasetRecord.path == record.path)) is not None:
                return None
            session.add(record)
            session.flush()
            session.add(DatasetParent(child=record.id, parent=parent_id))
        return record.id

    def note_verified(self, dataset_id: str, differences: Differences) -> None:
        with self.jobs.writing() as session:
            record = session.get(DatasetRecord, dataset_id)
            if record is not None:
                record.verified, record.verification = utcnow(), differences.to_json()

    def unregister(self, person: Person, dataset_id: str) -> None:
        """Forget the dataset (its files stay); refused while datasets derived from it exist."""
        with self.jobs.writing() as session:
            record = self._writable(session, person, dataset_id, owner_only=True, what="unregister")
            if session.scalar(select(DatasetParent.child).where(DatasetParent.parent == record.id).limit(1)):
                raise Conflict(f"Datasets were derived from '{record.name}': their lineage needs it.",
                               hint="Unregister the derived datasets first (GET datasets/{id}/lineage).")
            for table in (DatasetFile, DatasetGrant):
                session.execute(delete(table).where(table.dataset_id == record.id))
            session.execute(delete(DatasetParent).where(DatasetParent.child == record.id))
            session.delete(record)
