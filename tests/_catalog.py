"""The catalog on both databases it runs on: a fresh SQLite file, and a fresh database on the session's
throwaway PostgreSQL (a server per test would cost an ``initdb`` each)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _postgres import fresh_database

from jupyter_remotem.catalog.store import CatalogStore
from jupyter_remotem.jobs.store import JobStore


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path) -> Iterator[CatalogStore]:
    if request.param == "sqlite":
        jobs = JobStore(f"sqlite:///{tmp_path / 'catalog.db'}")
        yield CatalogStore(jobs)
        jobs.close()
        return
    jobs = JobStore(fresh_database(request.getfixturevalue("postgres_server_url")))
    yield CatalogStore(jobs)
    jobs.close()
