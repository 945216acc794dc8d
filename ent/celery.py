"""Celery application: named queues, JSON only, time limits (see ``ent.settings``)."""

from __future__ import annotations

import os
from enum import StrEnum

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")


class CeleryQueue(StrEnum):
    DEFAULT = "default"
    IMPORTS = "imports"


app = Celery("ent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_process_init.connect
@signals.worker_init.connect
def _load_url_configuration(**_kwargs: object) -> None:
    """Import every URL module when a worker starts, not in the middle of its first import.

    Notifications build absolute links with ``reverse``, whose first call imports all the
    views (about 0.3 s, the calendar library included); a prefork child inherits the
    parent's modules, a solo worker loads them here once.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the property imports the URL modules)
