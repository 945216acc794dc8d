"""Celery application: named queues, JSON only, time limits (see ``ent.settings``)."""

from __future__ import annotations

import os
from enum import StrEnum

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")


class CeleryQueue(StrEnum):
    DEFAULT = "default"
    IMPORTS = "imports"


app = Celery("ent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
