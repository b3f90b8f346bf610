"""Targets' manifests in the SQL store, beside their sidecars.

The sidecar is what makes a target exist (planning and skipping read only sidecars, so a laptop
needs no database). A :class:`TargetIndex` adds a row per committed target to the job store's
database (:mod:`.models`) when the run hears that the target committed; with one, a listing of a
run's targets is a query. The server's job worker keeps one for every durable run (with the job
and its owner); ``run(..., index=TargetIndex("postgresql://..."))`` keeps one anywhere else.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from .models import PipelineTarget

#: ``user:password@`` in a URL: never stored, even if a store was named that way.
_USERINFO = re.compile(r"(?<=://)[^/@]*@")


def store_name(store: Any) -> str:
    """How a store is named in the table: its description without any credentials in it."""
    return _USERINFO.sub("", store.describe())


class TargetIndex:
    """Rows of :class:`.models.PipelineTarget` in one database (a job store's, or one given by URL)."""

    def __init__(self, database: Any, *, owner: str | None = None, job_id: str | None = None) -> None:
        from sqlalchemy.orm import sessionmaker

        self._owned = None
        if isinstance(database, str):
            from ..jobs.store import JobStore

            database = self._owned = JobStore(database)  # made or upgraded by the migrations
        engine = getattr(database, "engine", database)  # a JobStore or an Engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.owner = owner
        self.job_id = job_id

    def add(self, store: Any, node: Any, committed: float | None, run_id: str | None) -> None:
        """The row of a target that has just committed (its manifest's contents)."""
        components = {k: v for k, v in node.components.items() if not k.startswith("_")}
        when = datetime.fromtimestamp(committed, timezone.utc) if committed else datetime.now(timezone.utc)
        row = PipelineTarget(run_id=run_id, store=store_name(store), target=node.target, step=node.step,
                             key=node.key, components=components, writer=node.components.get("_writer"),
                             committed=when, owner=self.owner, job_id=self.job_id)
        with self._sessions.begin() as session:
            session.add(row)

    def run_targets(self, run_id: str) -> list[dict[str, Any]]:
        """The targets a run committed, in the order they committed."""
        from sqlalchemy import select

        with self._sessions() as session:
            rows = session.scalars(select(PipelineTarget).where(PipelineTarget.run_id == run_id)
                                   .order_by(PipelineTarget.id)).all()
        return [_json(row) for row in rows]

    def latest(self, store: Any, target: str) -> dict[str, Any] | None:
        """The last commit of ``target`` in ``store`` that this database heard of (None: none)."""
        from sqlalchemy import select

        with self._sessions() as session:
            row = session.scalars(select(PipelineTarget).where(
                PipelineTarget.store == store_name(store), PipelineTarget.target == target)
                .order_by(PipelineTarget.id.desc()).limit(1)).first()
        return None if row is None else _json(row)

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()


def _json(row: PipelineTarget) -> dict[str, Any]:
    return {"run": row.run_id, "store": row.store, "target": row.target, "step": row.step, "key": row.key,
            "components": row.components, "writer": row.writer, "committed": row.committed.isoformat(),
            "owner": row.owner, "job": row.job_id}
