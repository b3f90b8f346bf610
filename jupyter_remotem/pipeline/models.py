"""The table of committed pipeline targets, in the job store's database (SQLite or PostgreSQL).

The sidecar manifest beside each target stays its commit mark, and planning reads only sidecars,
so a pipeline on a laptop needs no database. Where there is one (the server's job worker, or a
``run(..., index=...)``), each target's manifest is also a row here, written when the target
commits: "which targets did this run make" and "what made this target" become SQL questions
rather than a walk over a store's files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..jobs.models import Base, UTCDateTime


class PipelineTarget(Base):
    """One commit of a target: its key and the key's parts, the writer, when, by which run."""

    __tablename__ = "remotem_pipeline_targets"
    __table_args__ = (Index("ix_remotem_pipeline_targets_place", "store", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The run that made it (None for a run without a record).
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    #: The store as it describes itself (an fsspec URL without credentials, or ``repository:<name>/<path>``).
    store: Mapped[str] = mapped_column(String(2048))
    target: Mapped[str] = mapped_column(Text)
    step: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(64))
    #: The key's parts (code, version, params, inputs, writer, libraries), as in the manifest.
    components: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The writer's name, configuration and library versions.
    writer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    committed: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Who ran it and the job it ran in, when it was a durable run.
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
