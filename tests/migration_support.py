"""Shared help for the data-migration tests: move the test database to given migrations."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: Sequence[tuple[str, str]]) -> MigrationExecutor:
    """Migrate the test database to ``targets``; return an executor loaded on the result."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))
    return MigrationExecutor(connection)
