"""The catalog in the job store's database: entries written by the indexer, searched with the
caller's access predicate, and annotations with their history.

Writes for one file replace all of its entries (and their values, words and facet counts) in
one transaction, so a search never sees half a file.  Values are deleted explicitly rather than
by the foreign key's cascade, which SQLite enforces only when asked per connection.

At scale: a search over everything the caller may read takes its total and its facets of the
entries' own fields from counts kept per repository (:class:`.models.CatalogCount`); a query's
total is exact up to :data:`EXACT_TOTAL` hits and past it an estimate from a sample of the
catalog, which the answer says (``total_exact`` false), so a query matching half a million
entries does not count them all to show fifty.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Integer, and_, column, delete, func, literal, or_, select, table, text, tuple_, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..errors import BadParameter, Conflict, NotFound
from ..jobs.models import utcnow
from ..jobs.store import JobStore
from .flatten import Row, rows_of
from .models import Annotation, AnnotationChange, CatalogCount, CatalogEntry, CatalogValue, CuratedRevision, SavedSearch
from .query import FIELDS
from .sql import Caller, access, condition, id_set, same_entry, visible_annotations
from .words import OLD_TEXT_INDEX, WORDS_TABLE, body_of, create_statements, delete_statement, insert_statement

#: Fields a search may sort by (``-name`` descending), and those a facet may count.
SORTABLE = ("name", "path", "repository", "format", "size", "mtime")
FACET_FIELDS = ("format", "repository", "kind", "dtype", "status")
#: Hits per page unless asked, and at most; values per facet.
PAGE, MAX_PAGE, FACET_VALUES = 50, 1000, 50
VISIBILITIES = ("private", "group", "readers")
#: Facet fields whose counts are kept per repository as entries are written (and ``repository``).
COUNTED = ("format", "kind", "dtype", "status")
#: A query's total is counted exactly up to this many hits; past it, estimated (and said so).
EXACT_TOTAL = 10_000
#: The temporary table of :meth:`CatalogStore._hold`, and the most ids it holds.
HELD = table("remotem_catalog_held", column("entry_id", Integer))
HOLD_IDS = 300_000
#: An estimate reads a sample of the catalog in this many windows of ids spread over it, large
#: enough to hold about :data:`SAMPLE_HITS` hits of a query past :data:`EXACT_TOTAL` (so within
#: about 7 % at one standard deviation): 2 % of the ids at the defaults.
SAMPLE_WINDOWS, SAMPLE_HITS = 64, 200


@dataclass
class EntryRecord:
    """One entry as the indexer describes it, with its rows."""

    repository: str
    path: str
    dataset: str
    kind: str
    name: str
    format: str | None
    size: int | None
    mtime: float | None
    shape: list[int] | None = None
    dtype: str | None = None
    nav_ndim: int | None = None
    axes: list[dict[str, Any]] | None = None
    status: str = "ok"
    reason: str | None = None
    rows: list[Row] = field(default_factory=list)
    #: SHA-256, lowercase hex, when known (a closed dataset's manifest, an upload's checksum).
    checksum: str | None = None


@dataclass
class SearchPage:
    hits: list[dict[str, Any]]
    cursor: str | None
    total: int
    facets: dict[str, list[dict[str, Any]]]
    #: Whether ``total`` was counted (else estimated, past :data:`EXACT_TOTAL`).
    total_exact: bool = True


class CatalogStore:
    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self.engine = jobs.engine
        self._create_schema()

    def _create_schema(self) -> None:
        """The tables are the migrations' (made with the job store); the word index is the
        database's own kind (:mod:`.words`), made here, and filled from the entries when it is new
        (a catalog from before it, or from before a change of its kind)."""
        with self.engine.connect().execution_options(remotem_write=True) as connection, connection.begin():
            if self.jobs.is_postgresql:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": zlib.crc32(b"remotem_catalog_schema")})
                existed = connection.execute(text("SELECT to_regclass(:name)"), {"name": WORDS_TABLE}).scalar()
                kinds = ["tsvector"]
            else:
                existed = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :name"),
                                             {"name": WORDS_TABLE}).scalar()
                kinds = ["like"] if existed and "fts5" not in existed.lower() else ["fts5", "like"]
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS {OLD_TEXT_INDEX}")
            self.words = "like"
            for kind in kinds:
                try:
                    with connection.begin_nested():
                        for statement in create_statements(kind):
                            connection.exec_driver_sql(statement)
                    self.words = kind
                    break
                except Exception:  # an SQLite built without FTS5: a plain table read with LIKE
                    continue
        if not existed:
            self.rebuild_words()

    def _read(self) -> Any:
        return self.jobs.reading()

    def _write(self) -> Any:
        return self.jobs.writing()

    # -- what the indexer writes ---------------------------------------------------------------
    def indexed_files(self, repository: str, under: str = "") -> dict[str, tuple[int | None, float | None]]:
        """``path → (size, mtime)`` of the files indexed under ``under`` (a re-run skips those
        that did not change)."""
        query = select(CatalogEntry.path, CatalogEntry.size, CatalogEntry.mtime).where(
            CatalogEntry.repository == repository, CatalogEntry.kind == "file")
        if under:
            query = query.where(or_(CatalogEntry.path == under, CatalogEntry.path.startswith(under + "/")))
        with self._read() as session:
            return {path: (size, mtime) for path, size, mtime in session.execute(query)}

    def indexed_checksums(self, repository: str, under: str = "") -> dict[str, str]:
        """``path → checksum`` of the files indexed under ``under`` with a checksum."""
        query = select(CatalogEntry.path, CatalogEntry.checksum).where(
            CatalogEntry.repository == repository, CatalogEntry.kind == "file", CatalogEntry.checksum.is_not(None))
        if under:
            query = query.where(or_(CatalogEntry.path == under, CatalogEntry.path.startswith(under + "/")))
        with self._read() as session:
            return dict(session.execute(query).all())

    def manifest_checksums(self, repository: str, files: dict[str, tuple[int | None, float | None]]
                           ) -> dict[str, str]:
        """``path → SHA-256`` of those ``files`` (``path → (size, mtime)`` as found) that a
        closed dataset's manifest vouches for: the size it recorded, and not modified since
        the dataset closed (a file changed after closing has no known checksum)."""
        from ..datasets.models import DatasetFile, DatasetRecord

        if not files:
            return {}
        with self._read() as session:
            datasets = session.execute(select(DatasetRecord.id, DatasetRecord.path, DatasetRecord.closed).where(
                DatasetRecord.repository == repository, DatasetRecord.state == "closed")).all()
            known: dict[str, str] = {}
            for dataset_id, root, closed in datasets:
                root = root.strip("/")
                relative = {("" if path == root else path[len(root) + 1:] if root else path): path
                            for path in files if not root or path == root or path.startswith(root + "/")}
                if not relative or closed is None:
                    continue
                names = list(relative)
                for start in range(0, len(names), 500):
                    for name, size, sha256 in session.execute(select(
                            DatasetFile.path, DatasetFile.size, DatasetFile.sha256).where(
                            DatasetFile.dataset_id == dataset_id, DatasetFile.path.in_(names[start:start + 500]))):
                        path = relative[name]
                        found_size, mtime = files[path]
                        if found_size == size and mtime is not None and mtime <= closed.timestamp():
                            known[path] = sha256.lower()
            return known

    def set_checksums(self, repository: str, checksums: dict[str, str | None]) -> None:
        """The checksums of files indexed already (``None``: no longer known)."""
        with self._write() as session:
            for path, checksum in checksums.items():
                session.execute(CatalogEntry.__table__.update().where(
                    CatalogEntry.repository == repository, CatalogEntry.path == path,
                    CatalogEntry.kind == "file").values(checksum=checksum))

    def replace_file(self, repository: str, path: str, records: list[EntryRecord]) -> None:
        """The entries of one file, instead of those it had."""
        self.replace_files(repository, [(path, records)])

    def replace_files(self, repository: str, files: list[tuple[str, list[EntryRecord]]],
                      new: Iterable[str] = ()) -> None:
        """The entries of several files in one transaction, instead of those they had (``new``:
        paths the caller knows were never indexed, which need nothing removed)."""
        fresh = set(new)
        with self._write() as session:
            self._forget(session, repository, [path for path, _ in files if path not in fresh])
            now = utcnow()
            entries = [(record, CatalogEntry(
                repository=record.repository, path=record.path, dataset=record.dataset, kind=record.kind,
                name=record.name, format=record.format, size=record.size, mtime=record.mtime, shape=record.shape,
                shape_text="x".join(map(str, record.shape)) if record.shape is not None else None,
                dtype=record.dtype, ndim=len(record.shape) if record.shape is not None else None,
                nav_ndim=record.nav_ndim, axes=record.axes, status=record.status, reason=record.reason,
                checksum=record.checksum.lower() if record.checksum else None, indexed=now))
                for _, records in files for record in records]
            session.add_all([entry for _, entry in entries])
            session.flush()
            curated = self._current_documents(session, repository, [path for path, _ in files])
            values = [dict(row.as_values(), entry_id=entry.id) for record, entry in entries
                      for row in [*record.rows, *curated_rows(curated.get((record.path, record.dataset)))]]
            if values:
                session.execute(CatalogValue.__table__.insert(), values)
            if entries:
                session.execute(text(insert_statement(self.words)), [
                    {"id": entry.id, "body": body_of([record.name, record.path, record.dataset,
                                                      *(row.text for row in record.rows if row.text)])}
                    for record, entry in entries])
                self._count(session, Counter(key for record, _ in entries for key in _counted(
                    record.repository, record.format, record.kind, record.dtype, record.status)))

    def forget_under(self, repository: str, path: str) -> None:
        """Entries of a file, or of everything in a folder, that was deleted or moved away (a
        moved file is found at its new place after the next indexing)."""
        gone = list(self.indexed_files(repository, path.strip("/")))
        if gone:
            self.forget(repository, gone)

    def forget(self, repository: str, paths: Iterable[str]) -> None:
        """Entries of files that are gone."""
        with self._write() as session:
            self._forget(session, repository, list(paths))

    def _forget(self, session: Session, repository: str, paths: list[str]) -> None:
        for start in range(0, len(paths), 500):
            chunk = paths[start:start + 500]
            where = (CatalogEntry.repository == repository, CatalogEntry.path.in_(chunk))
            ids = select(CatalogEntry.id).where(*where)
            gone = Counter()
            for fmt, kind, dtype, status, count in session.execute(
                    select(CatalogEntry.format, CatalogEntry.kind, CatalogEntry.dtype, CatalogEntry.status,
                           func.count()).where(*where).group_by(CatalogEntry.format, CatalogEntry.kind,
                                                                CatalogEntry.dtype, CatalogEntry.status)):
                for key in _counted(repository, fmt, kind, dtype, status):
                    gone[key] -= count
            if not gone:
                continue
            self._count(session, gone)
            if self.words != "tsvector":  # PostgreSQL's words go with their entry (a foreign key's cascade)
                found = [row[0] for row in session.execute(ids)]
                for part in range(0, len(found), 1000):
                    session.execute(text(delete_statement(self.words, found[part:part + 1000])))
            session.execute(delete(CatalogValue).where(CatalogValue.entry_id.in_(ids)))
            session.execute(delete(CatalogEntry).where(CatalogEntry.repository == repository,
                                                       CatalogEntry.path.in_(chunk)))

    def _count(self, session: Session, changes: Counter) -> None:
        """Add ``changes`` (``(repository, field, value) → n``) to the kept counts, in one
        statement (in key order, so two writers never wait on each other crosswise)."""
        rows = [{"repository": r, "field": f, "value": v, "count": n} for (r, f, v), n in sorted(changes.items()) if n]
        if not rows:
            return
        insert = (postgresql.insert if self.jobs.is_postgresql else sqlite.insert)(CatalogCount).values(rows)
        session.execute(insert.on_conflict_do_update(index_elements=["repository", "field", "value"],
                                                     set_={"count": CatalogCount.count + insert.excluded.count}))
        if any(n < 0 for n in changes.values()):
            session.execute(delete(CatalogCount).where(CatalogCount.count <= 0))

    def recount(self) -> None:
        """The kept counts made again from the entries (after writing entries in bulk)."""
        with self._write() as session:
            session.execute(delete(CatalogCount))
            for name in ("repository", *COUNTED):
                column = getattr(CatalogEntry, name)
                counts = select(CatalogEntry.repository, text(f"'{name}'"), column, func.count()).where(
                    column.is_not(None)).group_by(CatalogEntry.repository, column)
                session.execute(CatalogCount.__table__.insert().from_select(
                    ["repository", "field", "value", "count"], counts))

    def rebuild_words(self, batch: int = 20_000) -> int:
        """The word index made again from the entries and their text values; answers how many
        entries it holds."""
        done, last = 0, 0
        with self._write() as session:
            session.execute(text(f"DELETE FROM {WORDS_TABLE}"))
            while True:
                entries = session.execute(select(CatalogEntry.id, CatalogEntry.name, CatalogEntry.path,
                                                 CatalogEntry.dataset).where(CatalogEntry.id > last)
                                          .order_by(CatalogEntry.id).limit(batch)).all()
                if not entries:
                    return done
                texts: dict[int, list[str]] = {}
                for entry_id, value in session.execute(select(CatalogValue.entry_id, CatalogValue.text).where(
                        CatalogValue.entry_id.between(entries[0][0], entries[-1][0]), CatalogValue.text.is_not(None),
                        or_(CatalogValue.source.is_(None), CatalogValue.source != CURATED))):
                    texts.setdefault(entry_id, []).append(value)
                session.execute(text(insert_statement(self.words)), [
                    {"id": i, "body": body_of([name, path, dataset, *texts.get(i, [])])}
                    for i, name, path, dataset in entries])
                done, last = done + len(entries), entries[-1][0]

    # -- searching -----------------------------------------------------------------------------
    def search(self, tree: dict[str, Any] | None, caller: Caller, sort: str = "path", cursor: str | None = None,
               limit: int = PAGE, facets: Iterable[str] = ()) -> SearchPage:
        descending = sort.startswith("-")
        field_name = sort.lstrip("-")
        if field_name not in SORTABLE:
            raise BadParameter(f"Cannot sort by {sort!r}.", hint=f"Sort by {', '.join(SORTABLE)} (- for descending).")
        if not 1 <= limit <= MAX_PAGE:
            raise BadParameter(f"'limit' must be between 1 and {MAX_PAGE}, not {limit}.")
        where = access(caller) if tree is None else and_(access(caller), condition(tree, caller, self.words))
        column = getattr(CatalogEntry, field_name)
        blank: Any = "" if FIELDS.get(field_name) == "text" else -1.0
        # Columns that are never NULL sort as they are, so their index serves the order.
        key = column if field_name in ("name", "path", "repository") else func.coalesce(column, blank)
        with self._read() as session:
            if tree is None:  # everything the caller may read: the kept counts answer
                total, exact = self._kept_total(session, caller.readable), True
            else:
                probing = and_(access(caller), condition(tree, caller, self.words, probe=True))
                ids = id_set(tree, caller, self.words)
                if ids is not None and self._hold(session, ids):
                    # Every later statement reads the held ids instead of evaluating the query again.
                    ids = select(HELD.c.entry_id)
                    where = and_(access(caller), CatalogEntry.id.in_(ids))
                    probing = and_(access(caller), (CatalogEntry.id + 0).in_(select(HELD.c.entry_id)))
                total, exact = self._total(session, where, probing, ids)
            # Past the exact count, hits are dense: the page walks the sort order, testing each entry.
            page_where = where if exact else probing
            query = select(CatalogEntry, key).where(page_where)
            if cursor is not None:
                after_value, after_id = _decode_cursor(cursor)
                later = tuple_(key, CatalogEntry.id) < tuple_(after_value, after_id) if descending else \
                    tuple_(key, CatalogEntry.id) > tuple_(after_value, after_id)
                query = query.where(later)
            order = (key.desc(), CatalogEntry.id.desc()) if descending else (key.asc(), CatalogEntry.id.asc())
            rows = session.execute(query.order_by(*order).limit(limit + 1)).all()
            counted = {name: self._kept_facet(session, name, caller) if tree is None and name in FACET_FIELDS
                       else self._facet(session, name, where, caller) for name in facets}
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = _encode_cursor(rows[-1][1], rows[-1][0].id) if more and rows else None
        return SearchPage([entry.to_json() for entry, _ in rows], next_cursor, total, counted, exact)

    @staticmethod
    def _kept_total(session: Session, repositories: Iterable[str] | None) -> int:
        """Entries of ``repositories`` (None: of all), from the kept counts."""
        query = select(func.coalesce(func.sum(CatalogCount.count), 0)).where(CatalogCount.field == "repository")
        if repositories is not None:
            query = query.where(CatalogCount.repository.in_(list(repositories)))
        return int(session.execute(query).scalar_one())

    @staticmethod
    def _kept_facet(session: Session, name: str, caller: Caller) -> list[dict[str, Any]]:
        """A facet of an entry field over everything the caller may read, from the kept counts."""
        summed = func.sum(CatalogCount.count)
        counts = session.execute(select(CatalogCount.value, summed).where(
            CatalogCount.repository.in_(list(caller.readable)), CatalogCount.field == name, CatalogCount.count > 0)
            .group_by(CatalogCount.value).order_by(summed.desc(), CatalogCount.value).limit(FACET_VALUES)).all()
        return [{"value": value, "count": int(count)} for value, count in counts]

    def _hold(self, session: Session, ids: Any) -> bool:
        """On SQLite, the ids of a query that is all sets, kept in a temporary table of this
        connection for the rest of the search (the query's indexes read once, not once per
        statement); False, nothing held, past :data:`HOLD_IDS` ids or on PostgreSQL."""
        if self.jobs.is_postgresql:
            return False
        session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {HELD.name} (entry_id INTEGER PRIMARY KEY)"))
        session.execute(text(f"DELETE FROM {HELD.name}"))
        session.execute(HELD.insert().prefix_with("OR IGNORE").from_select(
            ["entry_id"], select(ids.subquery().c[0]).limit(HOLD_IDS + 1)))
        if int(session.execute(select(func.count()).select_from(HELD)).scalar_one()) <= HOLD_IDS:
            return True
        session.execute(text(f"DELETE FROM {HELD.name}"))
        return False

    def _total(self, session: Session, where: Any, probing: Any, ids: Any = None) -> tuple[int, bool]:
        """The hits of ``where``: counted up to :data:`EXACT_TOTAL`; past it estimated from
        :data:`SAMPLE_WINDOWS` windows of ids spread over the catalog, each entry there tested
        against ``probing`` (the same query, :func:`.sql.condition`'s ``probe``) — two significant
        digits, never below what was counted, and said to be an estimate.  ``ids``: the query as
        a set of ids (:func:`.sql.id_set`), whose own size, read from its index and stopped past
        the threshold, tells a large answer from a small one without fetching any entry."""
        if ids is not None:
            capped = select(func.count()).select_from(ids.limit(EXACT_TOTAL + 1).subquery())
            if int(session.execute(capped).scalar_one()) > EXACT_TOTAL:
                estimate = self._estimate(session, probing)
                if estimate is not None and estimate > 2 * EXACT_TOTAL:
                    return estimate, False
        capped = select(CatalogEntry.id).where(where).limit(EXACT_TOTAL + 1).subquery()
        counted = int(session.execute(select(func.count()).select_from(capped)).scalar_one())
        if counted <= EXACT_TOTAL:
            return counted, True
        estimate = self._estimate(session, probing)
        return (counted if estimate is None else max(counted, estimate)), False

    def _estimate(self, session: Session, probing: Any) -> int | None:
        """The hits of ``probing`` among the entries of :data:`SAMPLE_WINDOWS` windows of ids,
        scaled to the whole catalog (None for an empty one)."""
        low = session.execute(select(func.min(CatalogEntry.id))).scalar_one()
        high = session.execute(select(func.max(CatalogEntry.id))).scalar_one()
        if low is None:
            return None
        span = high - low + 1
        width = max(1, min(span, SAMPLE_HITS * span // EXACT_TOTAL) // SAMPLE_WINDOWS)
        # The windows as a little table the entries are joined to: each a range of the primary key.
        starts = sorted({low + span * k // SAMPLE_WINDOWS for k in range(SAMPLE_WINDOWS)})
        windows = union_all(*(select(literal(start, Integer).label("lo"),
                                     literal(start + width - 1, Integer).label("hi")) for start in starts)
                            ).subquery("windows")
        inside = windows.join(CatalogEntry, CatalogEntry.id.between(windows.c.lo, windows.c.hi))
        sampled = int(session.execute(select(func.count()).select_from(inside)).scalar_one())
        hits = int(session.execute(select(func.count()).select_from(inside).where(probing)).scalar_one())
        if sampled == 0:
            return None
        return _two_digits(hits * self._kept_total(session, None) / sampled)

    def _facet(self, session: Session, name: str, where: Any, caller: Caller) -> list[dict[str, Any]]:
        if name in FACET_FIELDS:
            column = getattr(CatalogEntry, name)
            query = select(column, func.count()).where(where, column.is_not(None)).group_by(column)
        elif name == "tag":
            query = (select(Annotation.value, func.count(func.distinct(CatalogEntry.id)))
                     .join(Annotation, same_entry())
                     .where(where, Annotation.kind == "tag", visible_annotations(caller))
                     .group_by(Annotation.value))
        elif name.startswith(("meta.", "desc.", "data.")):
            namespace, key = name.split(".", 1)
            query = (select(CatalogValue.text, func.count(func.distinct(CatalogEntry.id)))
                     .join(CatalogValue, CatalogValue.entry_id == CatalogEntry.id)
                     .where(where, CatalogValue.namespace == namespace, CatalogValue.key == key,
                            CatalogValue.text.is_not(None))
                     .group_by(CatalogValue.text))
        else:
            raise BadParameter(f"No facet {name!r}.",
                               hint=f"Facets: {', '.join(FACET_FIELDS)}, tag, or a meta./desc. key with text values.")
        counts = session.execute(query.order_by(func.count().desc()).limit(FACET_VALUES)).all()
        return [{"value": value, "count": int(count)} for value, count in counts]

    def keys(self, caller: Caller, prefix: str = "", limit: int = 50) -> list[str]:
        """Key paths the caller's entries have, starting with ``prefix`` (completion)."""
        namespace, _, start = prefix.partition(".")
        query = (select(CatalogValue.namespace, CatalogValue.key).join(CatalogEntry,
                                                                       CatalogValue.entry_id == CatalogEntry.id)
                 .where(access(caller)).distinct().limit(limit))
        if namespace in ("meta", "desc", "data"):
            query = query.where(CatalogValue.namespace == namespace, CatalogValue.key.startswith(start))
        with self._read() as session:
            return sorted(f"{ns}.{key}" for ns, key in session.execute(query))

    # -- annotations ---------------------------------------------------------------------------
    def annotations(self, caller: Caller, repository: str, path: str, dataset: str = "") -> list[dict[str, Any]]:
        with self._read() as session:
            rows = session.scalars(select(Annotation).where(
                Annotation.repository == repository, Annotation.path == path, Annotation.dataset == dataset,
                visible_annotations(caller)).order_by(Annotation.id)).all()
            return [row.to_json(caller.user) for row in rows]

    def annotate(self, caller: Caller, repository: str, path: str, dataset: str, kind: str, value: str,
                 visibility: str, group: str | None) -> dict[str, Any]:
        _check_annotation(kind, value, visibility, group, caller)
        now = utcnow()
        with self._write() as session:
            if kind == "tag":
                same = session.scalars(select(Annotation).where(
                    Annotation.repository == repository, Annotation.path == path, Annotation.dataset == dataset,
                    Annotation.kind == "tag", Annotation.value == value, Annotation.author == caller.user,
                    Annotation.visibility == visibility)).first()
                if same is not None:  # tagging twice is tagging once
                    return same.to_json(caller.user)
            row = Annotation(repository=repository, path=path, dataset=dataset, kind=kind, value=value,
                             author=caller.user, visibility=visibility, group=group, created=now, modified=now)
            session.add(row)
            session.flush()
            session.add(AnnotationChange(annotation_id=row.id, action="created", who=caller.user, when=now,
                                         before=None))
            return row.to_json(caller.user)

    def change_annotation(self, caller: Caller, annotation_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Change (or with ``changes`` None, delete) an annotation the caller wrote; others are 404."""
        with self._write() as session:
            row = session.get(Annotation, annotation_id)
            if row is None or row.author != caller.user or row.repository not in caller.readable:
                raise NotFound(f"No annotation {annotation_id} of yours.")
            before = {"value": row.value, "visibility": row.visibility, "group": row.group}
            now = utcnow()
            if changes is None:
                session.add(AnnotationChange(annotation_id=row.id, action="deleted", who=caller.user, when=now,
                                             before=before))
                session.delete(row)
                return None
            unknown = set(changes) - {"value", "visibility", "group"}
            if unknown:
                raise BadParameter(f"An annotation's {', '.join(sorted(unknown))} cannot change.",
                                   hint="Change its value, visibility or group.")
            merged = {**before, **changes}
            _check_annotation(row.kind, merged["value"], merged["visibility"], merged["group"], caller)
            row.value, row.visibility, row.group, row.modified = (merged["value"], merged["visibility"],
                                                                  merged["group"], now)
            session.add(AnnotationChange(annotation_id=row.id, action="changed", who=caller.user, when=now,
                                         before=before))
            return row.to_json(caller.user)

    def history(self, caller: Caller, annotation_id: int) -> list[dict[str, Any]]:
        with self._read() as session:
            row = session.get(Annotation, annotation_id)
            changes = session.scalars(select(AnnotationChange).where(
                AnnotationChange.annotation_id == annotation_id).order_by(AnnotationChange.id)).all()
            mine = any(change.who == caller.user for change in changes)
            if not mine and (row is None or row.repository not in caller.readable or not _sees(row, caller)):
                raise NotFound(f"No annotation {annotation_id}.")
            return [{"action": c.action, "who": c.who, "when": c.when.isoformat(), "before": c.before}
                    for c in changes]


    # -- curated metadata ------------------------------------------------------------------------
    @staticmethod
    def _current_documents(session: Session, repository: str, paths: list[str]) -> dict[tuple[str, str], Any]:
        """``(path, dataset) → document`` of the newest curated revision of entries of ``paths``."""
        if not paths:
            return {}
        newest = (select(CuratedRevision.path, CuratedRevision.dataset, func.max(CuratedRevision.revision).label("r"))
                  .where(CuratedRevision.repository == repository, CuratedRevision.path.in_(paths))
                  .group_by(CuratedRevision.path, CuratedRevision.dataset).subquery())
        rows = session.execute(select(CuratedRevision.path, CuratedRevision.dataset, CuratedRevision.document).join(
            newest, and_(CuratedRevision.path == newest.c.path, CuratedRevision.dataset == newest.c.dataset,
                         CuratedRevision.revision == newest.c.r)).where(CuratedRevision.repository == repository))
        return {(path, dataset): document for path, dataset, document in rows}

    def curated(self, repository: str, path: str, dataset: str = "") -> dict[str, Any]:
        """The curated document of an entry, its revision (0: none yet) and every revision."""
        with self._read() as session:
            revisions = session.scalars(select(CuratedRevision).where(
                CuratedRevision.repository == repository, CuratedRevision.path == path,
                CuratedRevision.dataset == dataset).order_by(CuratedRevision.revision)).all()
            history = [row.to_json() for row in revisions]
        current = history[-1] if history else {"document": {}, "revision": 0}
        return {"document": current["document"], "revision": current["revision"], "history": history}

    def curate(self, caller: Caller, repository: str, path: str, dataset: str, patch: Any,
               revision: int | None = None) -> dict[str, Any]:
        """Apply a JSON Merge Patch (RFC 7396) to an entry's curated document as a new revision;
        ``revision``: the one the caller last saw (another's change since is a 409)."""
        if not isinstance(patch, dict) or not patch:
            raise BadParameter("'patch' is a JSON Merge Patch (RFC 7396): an object of what changes.",
                               hint='For example {"sample": {"name": "Si wedge"}, "old_key": null}: null removes.')
        if len(json.dumps(patch)) > 1_000_000:
            raise BadParameter("A curated document holds at most 1 MB of JSON.")
        now = utcnow()
        with self._write() as session:
            current = session.scalars(select(CuratedRevision).where(
                CuratedRevision.repository == repository, CuratedRevision.path == path,
                CuratedRevision.dataset == dataset).order_by(CuratedRevision.revision.desc())).first()
            number = current.revision if current is not None else 0
            if revision is not None and revision != number:
                raise Conflict(f"The curated metadata changed since revision {revision}: it is at {number}.",
                               hint="Read it again (GET search/curated), then apply your change to that revision.")
            document = merge_patch(current.document if current is not None else {}, patch)
            row = CuratedRevision(repository=repository, path=path, dataset=dataset, revision=number + 1,
                                  document=document, patch=patch, author=caller.user, when=now)
            session.add(row)
            ids = session.scalars(select(CatalogEntry.id).where(
                CatalogEntry.repository == repository, CatalogEntry.path == path,
                CatalogEntry.dataset == dataset)).all()
            if ids:  # searchable at once: the entry's curated rows replaced
                session.execute(delete(CatalogValue).where(CatalogValue.entry_id.in_(ids),
                                                           CatalogValue.source == CURATED))
                values = [dict(r.as_values(), entry_id=i) for i in ids for r in curated_rows(document)]
                if values:
                    session.execute(CatalogValue.__table__.insert(), values)
            session.flush()
            return row.to_json()

    # -- saved searches --------------------------------------------------------------------------
    def saved(self, caller: Caller) -> list[dict[str, Any]]:
        """The caller's saved searches and those shared with their groups, by name."""
        shared = and_(SavedSearch.visibility == "group", SavedSearch.group.in_(caller.groups or ("",)))
        with self._read() as session:
            rows = session.scalars(select(SavedSearch).where(or_(SavedSearch.owner == caller.user, shared))
                                   .order_by(SavedSearch.name, SavedSearch.id)).all()
            return [row.to_json(caller.user) for row in rows]

    def save(self, caller: Caller, name: Any, tree: dict[str, Any], visibility: str = "private",
             group: str | None = None, overwrite: bool = False) -> dict[str, Any]:
        """Save (or with ``overwrite`` replace) the caller's search ``name``."""
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise BadParameter("A saved search needs a name of 1 to 200 characters.")
        if visibility not in ("private", "group"):
            raise BadParameter(f"A saved search is 'private' or shared with a 'group', not {visibility!r}.")
        if visibility == "group" and (not group or group not in caller.groups):
            raise BadParameter(f"A shared search names one of your groups, not {group!r}.",
                               hint=f"Your groups: {', '.join(caller.groups) or 'none'}.")
        now = utcnow()
        with self._write() as session:
            row = session.scalars(select(SavedSearch).where(SavedSearch.owner == caller.user,
                                                            SavedSearch.name == name.strip())).first()
            if row is not None and not overwrite:
                raise Conflict(f"You have a saved search named {name.strip()!r}.",
                               hint='Choose another name, or send "overwrite": true to replace it.')
            if row is None:
                row = SavedSearch(owner=caller.user, name=name.strip(), created=now)
                session.add(row)
            row.query, row.visibility, row.group, row.modified = tree, visibility, group, now
            session.flush()
            return row.to_json(caller.user)

    def saved_one(self, caller: Caller, saved_id: int) -> dict[str, Any]:
        found = [row for row in self.saved(caller) if row["id"] == saved_id]
        if not found:
            raise NotFound(f"No saved search {saved_id}.")
        return found[0]

    def unsave(self, caller: Caller, saved_id: int) -> None:
        with self._write() as session:
            row = session.get(SavedSearch, saved_id)
            if row is None or row.owner != caller.user:
                raise NotFound(f"No saved search {saved_id} of yours.")
            session.delete(row)


#: Where curated keys live among an entry's ``meta`` keys (``meta.curated/sample/name``), and the
#: ``source`` of their rows.
CURATED = "curated"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, ``null`` removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def curated_rows(document: Any) -> list[Row]:
    """The rows of a curated document: ``meta.curated/<path>``, and its numbers as descriptors."""
    if not document:
        return []
    return [replace(row, source=CURATED) for row in rows_of({CURATED: document})]


def _sees(row: Annotation, caller: Caller) -> bool:
    return (row.visibility == "readers" or (row.visibility == "private" and row.author == caller.user)
            or (row.visibility == "group" and row.group in caller.groups))


def _check_annotation(kind: str, value: Any, visibility: str, group: str | None, caller: Caller) -> None:
    if kind not in ("tag", "note"):
        raise BadParameter(f"An annotation is a 'tag' or a 'note', not {kind!r}.")
    if not isinstance(value, str) or not value.strip() or (kind == "tag" and (len(value) > 200 or "\n" in value)):
        raise BadParameter(f"A {kind} needs a {'short one-line ' if kind == 'tag' else ''}text value.",
                           hint="Tags are words such as 'good' or 'calibration'; notes may be longer.")
    if len(value) > 100_000:
        raise BadParameter("A note holds at most 100,000 characters.")
    if visibility not in VISIBILITIES:
        raise BadParameter(f"Visibility is one of {', '.join(VISIBILITIES)}, not {visibility!r}.")
    if visibility == "group" and (not group or group not in caller.groups):
        raise BadParameter(f"A group annotation names one of your groups, not {group!r}.",
                           hint=f"Your groups: {', '.join(caller.groups) or 'none'}.")


def _counted(repository: str, fmt: str | None, kind: str | None, dtype: str | None,
             status: str | None) -> list[tuple[str, str, str]]:
    """The kept counts an entry adds to (:data:`COUNTED`, and its repository's)."""
    return [(repository, "repository", repository)] + [
        (repository, name, value) for name, value in zip(COUNTED, (fmt, kind, dtype, status)) if value is not None]


def _two_digits(number: float) -> int:
    """``number`` to two significant digits: an estimate says no more than it knows."""
    if number < 100:
        return int(round(number))
    scale = 10 ** (len(str(int(number))) - 2)
    return int(round(number / scale) * scale)


def _encode_cursor(value: Any, entry_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, entry_id]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        value, entry_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(entry_id, int) or not isinstance(value, (str, int, float)):
            raise ValueError
        return value, entry_id
    except (ValueError, TypeError, json.JSONDecodeError):
        raise BadParameter("This cursor is not one a search answered.",
                           hint="Pass the 'cursor' of the previous page as it came.") from None
