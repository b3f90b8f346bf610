"""The catalog on both databases it runs on: a fresh SQLite file, and a throwaway PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _postgres import postgres_server

from jupyter_remotem.catalog.store import CatalogStore
from jupyter_remotem.jobs.store import JobStore


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path) -> Iterator[CatalogStore]:
    if request.param == "sqlite":
        jobs = JobStore(f"sqlite:///{tmp_path / 'catalog.db'}")
        yield CatalogStore(jobs)
        jobs.close()
        return
    with postgres_server() as url:
        jobs = JobStore(url)
        yield CatalogStore(jobs)
        jobs.close()
