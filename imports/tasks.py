"""Celery tasks: thin wrappers over the import services (stable names, keyword-only ids)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from ent.celery import CeleryQueue
from imports.models import ImportRun
from imports.services.queue import import_queue_process, import_queue_sweep

logger = logging.getLogger(__name__)


@shared_task(
    name="imports.import_run_execute",
    queue=CeleryQueue.IMPORTS.value,
    acks_late=True,  # safe: claiming a run is a compare-and-set, so a redelivery is harmless
    reject_on_worker_lost=True,
    ignore_result=True,
)
def import_run_execute_task(*, import_run_id: int, **kwargs: Any) -> None:
    """Process the school group's queue, starting from the group of ``import_run_id``."""
    school_group_id = (
        ImportRun.objects.filter(pk=import_run_id).values_list("school_group_id", flat=True).first()
    )
    if school_group_id is None:
        logger.info("Import run %s no longer exists", import_run_id)
        return
    import_queue_process(school_group_id=school_group_id, clock=timezone.now)


@shared_task(
    name="imports.import_run_sweep",
    queue=CeleryQueue.DEFAULT.value,
    ignore_result=True,
)
def import_run_sweep_task(**kwargs: Any) -> None:
    """Requeue abandoned runs and kick the queues that have waiting runs."""
    for school_group_id in import_queue_sweep(now=timezone.now()):
        run_id = (
            ImportRun.objects.filter(
                school_group_id=school_group_id, status=ImportRun.Status.RECEIVED
            )
            .values_list("pk", flat=True)
            .first()
        )
        if run_id is not None:
            import_run_execute_task.delay(import_run_id=run_id)
