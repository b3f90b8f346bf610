"""The job store's schema is Alembic's: a new database is made by the migrations and matches the
models exactly; a database made before migrations (tables by ``create_all``, later columns
missing, no catalog) keeps its jobs, is brought to the baseline and stamped; on SQLite and on a
real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _postgres import fresh_database, postgres_server_url  # noqa: F401  (fixture)
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from jupyter_remotem import migrations
from jupyter_remotem.catalog import models as catalog_models
from jupyter_remotem.jobs.models import Base, Job, JobEvent
from jupyter_remotem.jobs.store import JobStore


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.sqlite'}"
        return
    yield fresh_database(request.getfixturevalue("postgres_server_url"))


def differences(store: JobStore) -> list:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_a_new_database_is_the_migrations_and_matches_the_models(database_url):
    store = JobStore(database_url)
    with store.engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
        tables = set(inspect(connection).get_table_names())
    assert {Job.__tablename__, catalog_models.CatalogEntry.__tablename__, "alembic_version"} <= tables
    assert differences(store) == []
    store.close()
    again = JobStore(database_url)  # opening it again changes nothing
    assert differences(again) == []
    again.close()


def test_a_database_from_before_migrations_keeps_its_jobs_and_is_stamped(database_url):
    engine = create_engine(database_url)
    old_tables = [Job.__table__, JobEvent.__table__]
    Base.metadata.create_all(engine, tables=old_tables)
    with engine.begin() as connection:
        for column in ("groups", "keep_files", "dismissed"):  # added after the first release
            connection.execute(text(f'ALTER TABLE remotem_jobs DROP COLUMN "{column}"'))
        connection.execute(text(
            "INSERT INTO remotem_jobs (id, owner, kind, phase, request, priority, created, results, attempts) "
            "VALUES ('old-job', 'alice', 'reduction', 'COMPLETED', '{}', 0, '2026-01-01 00:00:00', '[]', 1)"))
    engine.dispose()
    store = JobStore(database_url)
    with store.engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
        columns = {c["name"] for c in inspect(connection).get_columns("remotem_jobs")}
    assert {"groups", "keep_files", "dismissed"} <= columns
    assert store.get("old-job", "alice").phase == "COMPLETED"
    assert differences(store) == []
    store.close()


def test_a_database_at_every_earlier_revision_upgrades_to_the_models(database_url):
    from alembic import command
    from alembic.script import ScriptDirectory

    engine = create_engine(database_url)
    with engine.begin() as connection:
        config = migrations._config(connection)
        revisions = [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()][::-1]
        assert revisions[0] == migrations.BASELINE and revisions[-1] == migrations.head()
        command.upgrade(config, revisions[0])
    for revision in revisions[1:]:  # one revision at a time, as servers of each version would have
        with engine.begin() as connection:
            command.upgrade(migrations._config(connection), revision)
            assert migrations.current(connection) == revision
    engine.dispose()
    store = JobStore(database_url)
    assert differences(store) == []
    store.close()


def test_the_declared_head_is_alembics_and_a_store_at_it_opens_without_alembic(tmp_path):
    """``migrations.HEAD`` lets a store skip Alembic on an up-to-date database: it must be the newest
    script's revision, and a database at an older one must still be upgraded."""
    assert migrations.HEAD == migrations.head()
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    JobStore(url).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        assert migrations.is_at_head(connection)
        connection.execute(text("UPDATE alembic_version SET version_num = '0009'"))
        connection.execute(text("DROP TABLE remotem_user_storage"))
        assert not migrations.is_at_head(connection)
    JobStore(url).close()  # 0009 → head again: 0010 makes its table once more
    with engine.begin() as connection:
        assert migrations.is_at_head(connection) and inspect(connection).has_table("remotem_user_storage")
    engine.dispose()
