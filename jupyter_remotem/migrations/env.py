"""Alembic's environment: the job store's metadata (jobs and catalog), run on the connection the
store hands over (``config.attributes["connection"]``), or on ``sqlalchemy.url`` from the command
line when writing a new revision."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from jupyter_remotem.catalog import models as _catalog_models  # noqa: F401 - registers the catalog's tables
from jupyter_remotem.datasets import models as _dataset_models  # noqa: F401 - and the datasets'
from jupyter_remotem.pipeline import models as _pipeline_models  # noqa: F401 - and the pipeline targets'
from jupyter_remotem.storage import own_models as _own_storage_models  # noqa: F401 - and the users' own storages
from jupyter_remotem.jobs.models import Base

target_metadata = Base.metadata


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = engine_from_config(context.config.get_section(context.config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as opened:
        run(opened)
        opened.commit()
