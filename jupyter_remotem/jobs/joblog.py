"""A job's own log: the records its worker logs while running it, kept with the job.

The owner reads them in the job's details (``GET jobs/{id}``), so they must never carry a
secret: personal tokens, passwords and keys of a repository's storage options, the user part of
a URL and ``key=value`` pairs named like a secret are replaced by ``[secret]`` before a line is
stored.  Only records of the thread running the job are kept (a worker runs one job at a time in
it), at most :data:`~.store.MAX_LOG_LINES` per job; an exception adds its type and message, not
its traceback (which names the server's files, and is in the worker's own log).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ..auth.tokens import PREFIX
from ..storage.registry import RepositoryRegistry
from .store import JobStore

#: Records of these loggers (and their children) are the job's log.
LOGGER = "jupyter_remotem"
#: Lines gathered before they are written to the store (and at the end of the job).
FLUSH_LINES = 50
_SECRET_WORDS = r"(?:password|passwd|secret|token|key|credential|auth)"
_PAIR = re.compile(rf"(?i)(\b\w*{_SECRET_WORDS}\w*\b['\"]?\s*[=:]\s*['\"]?)([^\s'\",;&]+)")
_URL_USER = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_TOKEN = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]{20,}")
_AUTHORIZATION = re.compile(r"(?i)\b(authorization\s*[:=]\s*)(?:token|bearer|basic)?\s*\S+")
_SECRET_OPTION = re.compile(rf"(?i){_SECRET_WORDS}")


def secrets_of(repositories: RepositoryRegistry) -> list[str]:
    """Values of the repositories' storage options whose name says they are secret."""
    found: list[str] = []

    def walk(options: Any) -> None:
        if isinstance(options, dict):
            for name, value in options.items():
                if isinstance(value, str) and len(value) >= 4 and _SECRET_OPTION.search(str(name)):
                    found.append(value)
                elif isinstance(value, (list, tuple)) and _SECRET_OPTION.search(str(name)):  # auth: (user, password)
                    found.extend(item for item in value if isinstance(item, str) and len(item) >= 4)
                else:
                    walk(value)
        elif isinstance(options, (list, tuple)):
            for value in options:
                walk(value)

    for repo in repositories.all():
        walk(repo.config.storage_options)
    return sorted(set(found), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret it may hold replaced by ``[secret]``."""
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    text = _TOKEN.sub("[secret]", text)
    text = _AUTHORIZATION.sub(r"\1[secret]", text)
    text = _URL_USER.sub(r"\1[secret]@", text)
    return _PAIR.sub(r"\1[secret]", text)


class JobLogHandler(logging.Handler):
    """Gathers the records one thread logs while it runs one job, and stores them with it."""

    def __init__(self, store: JobStore, job_id: str, secrets: Iterable[str] = ()) -> None:
        # Set before Handler.__init__, which lists the handler for logging.shutdown(): another
        # thread reconfiguring logging (a server starting in the same process) flushes it at once.
        self._lines: list[tuple[datetime, str, str]] = []
        self._storing = False
        self.store = store
        self.job_id = job_id
        self.thread = threading.get_ident()
        self.secrets = list(secrets)
        super().__init__(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread or self._storing:
            return
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                message += f": {type(error).__name__}: {error}"
            at = datetime.fromtimestamp(record.created, timezone.utc)
            self._lines.append((at, record.levelname, redact(message, self.secrets)))
            if len(self._lines) >= FLUSH_LINES:
                self.flush()
        except Exception:  # noqa: BLE001 - a log line must never break the job
            self.handleError(record)

    def flush(self) -> None:
        lines, self._lines = self._lines, []
        if not lines:
            return
        self._storing = True  # the store's own records while storing are not the job's
        try:
            self.store.append_log(self.job_id, lines)
        except SQLAlchemyError:  # the database is away: the worker's own log still has the lines
            return
        finally:
            self._storing = False


@contextmanager
def capturing(store: JobStore, job_id: str, repositories: RepositoryRegistry | None = None) -> Iterator[JobLogHandler]:
    """While in the block, what this thread logs under :data:`LOGGER` is the job's log."""
    handler = JobLogHandler(store, job_id, secrets_of(repositories) if repositories is not None else ())
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        handler.flush()
