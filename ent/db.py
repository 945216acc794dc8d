"""Database helpers shared by the apps: waiting out a busy SQLite database.

The embedded default keeps everything in one SQLite file shared by the web server, the
WebDAV threads and the Celery worker. Settings make every writer wait for the lock (busy
timeout, ``BEGIN IMMEDIATE``); a writer holding it for longer than that timeout (a large
import being applied) still makes the others fail with ``database is locked``.
:func:`retry_on_busy_database` runs a short write again in that case. PostgreSQL errors are
never retried here: its row locks wait by themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_ATTEMPTS = 4
BUSY_PAUSE_SECONDS = 0.5


def database_is_busy(error: BaseException) -> bool:
    """Tell whether ``error`` is SQLite's "locked" (another writer kept the lock too long)."""
    return (
        isinstance(error, OperationalError)
        and connection.vendor == "sqlite"
        and "locked" in str(error).lower()
    )


def retry_on_busy_database(
    write: Callable[[], T],
    *,
    attempts: int = BUSY_ATTEMPTS,
    pause: float = BUSY_PAUSE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Return ``write()``, run again (up to ``attempts`` times) while SQLite is busy.

    ``write`` must be one whole transaction (``transaction.atomic`` inside it), so that a
    failed attempt left nothing behind.
    """
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except OperationalError as error:
            if attempt == attempts or not database_is_busy(error):
                raise
            logger.warning("Database busy (attempt %s of %s): %s", attempt, attempts, error)
            sleep(pause * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
