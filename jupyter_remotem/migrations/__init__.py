"""The job store's schema, as Alembic migrations: a database of any earlier version upgrades on
start-up, and a new one is made by the same scripts (``versions/``).

Databases made before migrations existed (by ``create_all`` and added columns) are brought to
the baseline the way they always were, then stamped with it, so every database has a recorded
revision from then on.  Migrations run inside the caller's transaction, which holds the store's
schema lock (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so servers and
workers starting together upgrade once.

A new migration: change the models, then ``alembic -c jupyter_remotem/migrations/alembic.ini
revision --autogenerate -m "what changed"`` against a database at the current head, and read
the script it writes before committing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The revision that holds the schema as it was when migrations began, and its tables: a database
#: made before migrations gets those (as the models declare them today) and is stamped with it.
#: A later migration that changes one of these tables must therefore accept finding its change made
#: already (``0002`` looks before it adds); the tests check both roads end in the same schema.
BASELINE = "0001"
BASELINE_TABLES = ("remotem_jobs", "remotem_job_events", "remotem_checkpoints", "remotem_throughput",
                   "remotem_tokens", "remotem_written", "remotem_catalog_entries", "remotem_catalog_values",
                   "remotem_catalog_annotations", "remotem_catalog_annotation_changes", "remotem_catalog_saved")


#: The newest revision.  A store opening a database already there skips Alembic (whose import
#: alone is a good part of a job worker's start); ``tests/test_migrations.py`` checks this is
#: Alembic's head, so a new migration must move it.
HEAD = "0010"


def is_at_head(connection: Any) -> bool:
    """Whether the database of ``connection`` records :data:`HEAD` (and only it), read without Alembic."""
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table("alembic_version"):
        return False
    return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars()) == [HEAD]


def _config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Any) -> None:
    """Bring the database of ``connection`` to the newest revision."""
    from alembic import command

    command.upgrade(_config(connection), "head")


def stamp(connection: Any, revision: str = BASELINE) -> None:
    """Record ``revision`` as the database's without running anything (a pre-migration database)."""
    from alembic import command

    command.stamp(_config(connection), revision)


def current(connection: Any) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(None)).get_current_head()
