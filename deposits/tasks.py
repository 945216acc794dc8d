"""Celery tasks of the deposits app: thin wrappers over its services (stable names)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from deposits.retention import retention_apply_all
from ent.celery import CeleryQueue


@shared_task(
    name="deposits.retention_apply",
    queue=CeleryQueue.DEFAULT.value,
    ignore_result=True,
)
def retention_apply_task(**kwargs: Any) -> None:
    """Delete old deposited files, old never-integrated runs and this host's spool leftovers."""
    retention_apply_all(now=timezone.now(), spool_dir=settings.ENT_WEBDAV_SPOOL_DIR)
