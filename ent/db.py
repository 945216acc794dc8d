"""Database helpers shared by the apps: bulk inserts, waiting out a busy SQLite database.

:func:`rows_insert` writes many rows at once: PostgreSQL's ``COPY`` (tens of thousands of
rows in a fraction of a second), Django's ``bulk_create`` elsewhere.

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
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import OperationalError, connection
from django.db.models import Field, Model

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_ATTEMPTS = 4
BUSY_PAUSE_SECONDS = 0.5
INSERT_BATCH = 2000


def rows_insert(
    model: type[Model], columns: Sequence[str], rows: Sequence[tuple[object, ...]]
) -> None:
    """Insert ``rows`` (tuples of values for ``columns``, attribute names) into ``model``.

    PostgreSQL gets one binary ``COPY``: no model instance, no per-value preparation, which
    for tens of thousands of rows is ten times cheaper than ``bulk_create``. Other databases
    (the embedded SQLite) get ``bulk_create`` in batches. Field defaults are not applied:
    ``columns`` must name every column without a database default.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows],
            batch_size=INSERT_BATCH,
        )
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    db_columns = [_column(model, c) for c in columns]
    names = ", ".join(quote(c) for c in db_columns)
    # The raw psycopg cursor bypasses Django's error translation: wrap it, so a lost
    # connection surfaces as django.db's OperationalError (a transient error to retry).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        # The binary format: no value is formatted as text by the client nor parsed back by
        # the server (a third of the text format's cost for timestamps). It needs each
        # column's type, read from the catalog.
        raw.execute(
            "SELECT a.atttypid FROM unnest(%s::text[]) WITH ORDINALITY AS c (name, n) "
            "JOIN pg_attribute AS a ON a.attrelid = %s::regclass AND a.attname = c.name "
            "ORDER BY c.n",
            [db_columns, table],
        )
        types = [oid for (oid,) in raw.fetchall()]
        with raw.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)


def database_is_busy(error: BaseException) -> bool:
    """Tell whether ``error`` is SQLite's "locked" (another writer kept the lock too long)."""
    return (
        isinstance(error, OperationalError)
        and connection.vendor == "sqlite"
        and "locked" in str(error).lower()
    )


def _column(model: type[Model], attname: str) -> str:
    field = model._meta.get_field(attname)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{attname} is not a column")
    return field.column


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
