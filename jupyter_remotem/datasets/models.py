"""Tables of datasets, in the job store's database (SQLite or a hub's PostgreSQL).

Grants, parents and manifest files are rows of their own rather than JSON lists, so "what may
alice see", "what was derived from this" and "which files changed" are SQL questions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..jobs.models import Base, UTCDateTime


class DatasetRecord(Base):
    """One dataset: a file or a folder of a repository, by its owner."""

    __tablename__ = "remotem_datasets"
    __table_args__ = (UniqueConstraint("repository", "path", name="uq_remotem_datasets_place"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    #: A name of :data:`..datasets.types.TYPES`.
    type: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(200), index=True)
    repository: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(2048))
    #: "open" or "closed".
    state: Mapped[str] = mapped_column(String(8), default="open")
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    modified: Mapped[datetime] = mapped_column(UTCDateTime)
    closed: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The last ``verify`` (closing counts as one): when, and what differed from the manifest.
    verified: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: For a derived dataset, what made it: operation or command, inputs with their checksums,
    #: outputs, software versions, who and when (DataLad's run record).
    run: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: The job whose results these are, when a job made it.
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class DatasetGrant(Base):
    """A user or a group that may read, or read and write, a dataset."""

    __tablename__ = "remotem_dataset_grants"
    __table_args__ = (Index("ix_remotem_dataset_grants_who", "kind", "principal"),)

    dataset_id: Mapped[str] = mapped_column(String(36), ForeignKey("remotem_datasets.id", ondelete="CASCADE"),
                                            primary_key=True)
    #: "user" or "group".
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: "read" or "write".
    role: Mapped[str] = mapped_column(String(8))


class DatasetParent(Base):
    """``child`` was derived from ``parent`` (a closed dataset)."""

    __tablename__ = "remotem_dataset_parents"

    child: Mapped[str] = mapped_column(String(36), ForeignKey("remotem_datasets.id", ondelete="CASCADE"),
                                       primary_key=True)
    parent: Mapped[str] = mapped_column(String(36), ForeignKey("remotem_datasets.id"), primary_key=True,
                                        index=True)


class DatasetFile(Base):
    """One file of a closed dataset's manifest, relative to the dataset's path."""

    __tablename__ = "remotem_dataset_files"

    dataset_id: Mapped[str] = mapped_column(String(36), ForeignKey("remotem_datasets.id", ondelete="CASCADE"),
                                            primary_key=True)
    path: Mapped[str] = mapped_column(String(2048), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
