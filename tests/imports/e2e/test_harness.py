"""The harness itself: a real worker consumes tasks sent through Redis and writes to the test DB."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from imports.models import ImportRun
from imports.services.queue import MAX_ATTEMPTS
from imports.tasks import import_run_sweep_task
from tests.conftest import Personas
from tests.factories import ImportRunFactory
from tests.imports.celery_harness import CeleryWorker, wait_for_final

pytestmark = pytest.mark.slow


def test_worker_sweep_fails_a_run_abandoned_too_many_times(
    personas: Personas, worker: CeleryWorker
) -> None:
    long_ago = timezone.now() - dt.timedelta(hours=2)
    run = ImportRunFactory(
        school_group=personas.group_a,
        status=ImportRun.Status.RUNNING,
        current_step="apply",
        attempts=MAX_ATTEMPTS,
        file="deposits/abandoned.xml",
        original_filename="abandoned.xml",
        received_at=long_ago,
        started_at=long_ago,
        heartbeat_at=long_ago,
    )

    import_run_sweep_task.delay()
    runs = wait_for_final([run.pk], timeout=30, workers=[worker])

    assert runs[run.pk].status == ImportRun.Status.FAILED
    assert "imports.import_run_sweep" in worker.log_text()
    assert worker.alive
