"""The catalog's tables, in the job store's database (SQLite alone, PostgreSQL on a hub).

Entries are keyed by ``(repository, path, dataset)`` — ``dataset`` the array's path inside its
container, ``""`` for the file itself — and values by entry.  Annotations are keyed the same way,
not by entry id, so re-indexing a file (or indexing it for the first time after someone tagged
it) never loses them; their history is a table of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        false)
from sqlalchemy.orm import Mapped, mapped_column

from ..jobs.models import Base, UTCDateTime

#: The longest text value kept whole; longer ones are cut (and still found by their start).
TEXT_CHARS = 1024


class CatalogEntry(Base):
    __tablename__ = "remotem_catalog_entries"
    __table_args__ = (
        UniqueConstraint("repository", "path", "dataset", name="uq_remotem_catalog_entry"),
        Index("ix_remotem_catalog_name", "name"),
        Index("ix_remotem_catalog_format", "format"),
        Index("ix_remotem_catalog_mtime", "mtime"),
        Index("ix_remotem_catalog_size", "size"),
        Index("ix_remotem_catalog_path", "path"),
        # Facets count formats within the readable repositories from this index alone.
        Index("ix_remotem_catalog_repository_format", "repository", "format"),
        Index("ix_remotem_catalog_checksum", "checksum"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repository: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(2048))
    dataset: Mapped[str] = mapped_column(String(1024), default="")
    #: "file" or "array" (an array inside a container file).
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(512))
    format: Mapped[str | None] = mapped_column(String(32), nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    shape: Mapped[Any] = mapped_column(JSON, nullable=True)
    #: The shape as text, ``32x48x64x64``, so a shape query is one indexed comparison.
    shape_text: Mapped[str | None] = mapped_column(String(256), nullable=True, index=True)
    dtype: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ndim: Mapped[int | None] = mapped_column(Integer, nullable=True)
    nav_ndim: Mapped[int | None] = mapped_column(Integer, nullable=True)
    axes: Mapped[Any] = mapped_column(JSON, nullable=True)
    #: "ok", or "unreadable" with the ``reason`` (a damaged file is indexed as such, never skipped).
    status: Mapped[str] = mapped_column(String(16), default="ok")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The file's SHA-256 (lowercase hex) when known: from a closed dataset's manifest or an
    #: upload's whole-file checksum, for the size and mtime indexed (a changed file loses it).
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)
    indexed: Mapped[datetime] = mapped_column(UTCDateTime)

    def to_json(self) -> dict[str, Any]:
        return {"repository": self.repository, "path": self.path, "dataset": self.dataset or None,
                "kind": self.kind, "name": self.name, "format": self.format, "size": self.size,
                "mtime": self.mtime, "shape": self.shape, "dtype": self.dtype, "nav_ndim": self.nav_ndim,
                "status": self.status, "reason": self.reason, "checksum": self.checksum}


class CatalogValue(Base):
    """One key path of an entry: text, or numbers as a range (a scalar is ``low == high``; a small
    array its smallest and largest), in its unit and in SI base units for converted queries."""

    __tablename__ = "remotem_catalog_values"
    __table_args__ = (
        # Scalars (``ranged`` false) are compared on ``low`` alone, one index range for any
        # comparison; the few ranges (small arrays) are a separate, short part of the same index.
        Index("ix_remotem_catalog_values_number", "namespace", "key", "ranged", "low", "high"),
        Index("ix_remotem_catalog_values_text", "namespace", "key", "text"),
        Index("ix_remotem_catalog_values_base", "namespace", "key", "dimension", "ranged", "base_low", "base_high"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("remotem_catalog_entries.id", ondelete="CASCADE"), index=True)
    #: "meta", "desc" or "data".
    namespace: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(512))
    text: Mapped[str | None] = mapped_column(String(TEXT_CHARS), nullable=True)
    low: Mapped[float | None] = mapped_column(Float, nullable=True)
    high: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The range in SI base units, and their dimensionality (pint's), when the unit is known.
    base_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    base_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    dimension: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: Whether the numbers are a range (``low < high``: a small array) rather than one number.
    ranged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Where the value came from: None for the file itself, "curated" for the curated layer.
    source: Mapped[str | None] = mapped_column(String(16), nullable=True)


class CatalogCount(Base):
    """How many entries of a repository have each value of a facet field (``field`` "repository":
    all its entries), kept as entries are written and removed, so facets and the total over
    everything a caller may read are a sum over their repositories rather than a count of rows."""

    __tablename__ = "remotem_catalog_counts"

    repository: Mapped[str] = mapped_column(String(200), primary_key=True)
    field: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(256), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class Annotation(Base):
    """A tag or a note on an entry, by its author, seen by the author alone (``private``), by a
    ``group``, or by everyone who may read the repository (``readers``)."""

    __tablename__ = "remotem_catalog_annotations"
    __table_args__ = (
        Index("ix_remotem_catalog_annotations_target", "repository", "path", "dataset"),
        Index("ix_remotem_catalog_annotations_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repository: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(2048))
    dataset: Mapped[str] = mapped_column(String(1024), default="")
    #: "tag" or "note".
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    visibility: Mapped[str] = mapped_column(String(16))
    group: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    modified: Mapped[datetime] = mapped_column(UTCDateTime)

    def to_json(self, user: str | None = None) -> dict[str, Any]:
        """``mine``: whether ``user`` (the caller) wrote it, so may change or delete it."""
        return {"id": self.id, "repository": self.repository, "path": self.path, "dataset": self.dataset or None,
                "kind": self.kind, "value": self.value, "author": self.author, "visibility": self.visibility,
                "group": self.group, "created": self.created.isoformat(), "modified": self.modified.isoformat(),
                "mine": user is not None and self.author == user}


class AnnotationChange(Base):
    """Who changed an annotation, when, and what it was before (``None``: it was made)."""

    __tablename__ = "remotem_catalog_annotation_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    annotation_id: Mapped[int] = mapped_column(Integer, index=True)
    #: "created", "changed" or "deleted".
    action: Mapped[str] = mapped_column(String(16))
    who: Mapped[str] = mapped_column(String(200))
    when: Mapped[datetime] = mapped_column(UTCDateTime)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)


class SavedSearch(Base):
    """A named query of its owner's, for them alone or shared with one of their groups."""

    __tablename__ = "remotem_catalog_saved"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_remotem_catalog_saved"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[Any] = mapped_column(JSON)
    #: "private" or "group".
    visibility: Mapped[str] = mapped_column(String(16))
    group: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    modified: Mapped[datetime] = mapped_column(UTCDateTime)

    def to_json(self, user: str | None = None) -> dict[str, Any]:
        """``mine``: whether ``user`` (the caller) owns it, so may replace or delete it."""
        return {"id": self.id, "owner": self.owner, "name": self.name, "query": self.query,
                "visibility": self.visibility, "group": self.group, "created": self.created.isoformat(),
                "modified": self.modified.isoformat(), "mine": user is not None and self.owner == user}


class CuratedRevision(Base):
    """One revision of the curated metadata of an entry: the whole document after a JSON Merge
    Patch, by whom and when (the newest revision is the current one; none are ever changed)."""

    __tablename__ = "remotem_catalog_curated"
    __table_args__ = (
        UniqueConstraint("repository", "path", "dataset", "revision", name="uq_remotem_catalog_curated"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repository: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(2048))
    dataset: Mapped[str] = mapped_column(String(1024), default="")
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[Any] = mapped_column(JSON)
    patch: Mapped[Any] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))
    when: Mapped[datetime] = mapped_column(UTCDateTime)

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "document": self.document, "patch": self.patch, "author": self.author,
                "when": self.when.isoformat()}


CATALOG_TABLES = [CatalogEntry.__table__, CatalogValue.__table__, CatalogCount.__table__, Annotation.__table__,
                  AnnotationChange.__table__, SavedSearch.__table__, CuratedRevision.__table__]
