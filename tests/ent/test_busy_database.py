"""A deposit waits out a SQLite database held by another writer for longer than the timeout."""

from __future__ import annotations

import io
import sqlite3
import threading

import pytest
from django.db import connection
from django.utils import timezone

from imports.models import ImportRun
from imports.services.deposits import deposit_receive
from tests.conftest import Personas

HELD_SECONDS = 1.0


@pytest.mark.django_db(transaction=True)
def test_a_deposit_is_recorded_once_another_writer_lets_go_of_the_database(
    personas: Personas, settings: object, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL writers wait on row locks by themselves")
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    other = sqlite3.connect(
        connection.settings_dict["NAME"], isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")  # another process applying a long import
    released = threading.Timer(HELD_SECONDS, other.rollback)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 100")  # give up waiting well before the release
    released.start()
    try:
        run = deposit_receive(
            school_group=personas.group_a,
            establishment=None,
            filename="EDT.xml",
            stream=io.BytesIO(b"<EXPORT/>"),
            deposited_by_id=None,
            now=timezone.now(),
        )
    finally:
        released.join()
        other.close()
        connection.close()

    assert "Database busy (attempt 1 of" in caplog.text  # the first attempt found it locked
    assert ImportRun.objects.filter(pk=run.pk).exists()
    assert ImportRun.objects.count() == 1
    assert len(list(tmp_path.rglob("*EDT.xml"))) == 1  # type: ignore[attr-defined]
