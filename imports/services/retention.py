"""Bounded growth: deposited files and run records are kept for a stated time, then removed.

Applied every night by the beat task ``deposits.retention_apply`` (and ``manage.py
retention_apply``):

- the deposited file of a run received before the first of the school years kept
  (``ENT_RETENTION_DEPOSIT_SCHOOL_YEARS``, default 2: the current one and the previous one)
  is deleted from storage; the run keeps its record, steps and bilan, with no file;
- the record (steps and bilan included) of a run that was never INTEGRATED and was received
  more than ``ENT_RETENTION_BILAN_YEARS`` ago (default 5) is deleted. An INTEGRATED run's
  record is never deleted: it is the archive of what changed the ENT's timetable;
- spool leftovers on this host (:mod:`deposits.retention`): uploads interrupted by a crash
  (``tmp/put-*`` older than a day), folders of deleted depositor accounts, and visible copies
  older than the deposit retention.

School years are counted from ``ENT_SCHOOL_YEAR_START_MONTH`` (default 8: 1 August, between
one year's last deposits in July and the next year's first ones).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from imports.models import ImportRun

logger = logging.getLogger(__name__)
BATCH = 500


@dataclass
class RetentionReport:
    files_deleted: int = 0
    runs_deleted: int = 0
    spool_files_deleted: int = 0
    spool_folders_deleted: int = 0


def deposit_cutoff(now: dt.datetime) -> dt.datetime:
    """The start of the oldest school year whose deposited files are kept."""
    local = timezone.localtime(now)
    month = settings.ENT_SCHOOL_YEAR_START_MONTH
    start_year = local.year if local.month >= month else local.year - 1
    first_kept = start_year - (settings.ENT_RETENTION_DEPOSIT_SCHOOL_YEARS - 1)
    return local.replace(
        year=first_kept, month=month, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def bilan_cutoff(now: dt.datetime) -> dt.datetime:
    """Runs received before this, and never integrated, lose their record."""
    years = settings.ENT_RETENTION_BILAN_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def retention_apply(*, now: dt.datetime, report: RetentionReport | None = None) -> RetentionReport:
    """Apply the policy to deposited files and run records (the WebDAV spool is
    :mod:`deposits.retention`'s, which calls this for the whole nightly policy)."""
    report = report or RetentionReport()
    retention_files_apply(now=now, report=report)
    retention_runs_apply(now=now, report=report)
    logger.info("Retention applied: %s", report)
    return report


def retention_files_apply(*, now: dt.datetime, report: RetentionReport) -> None:
    """Delete the stored files of final runs received before :func:`deposit_cutoff`."""
    old = (
        ImportRun.objects.filter(
            received_at__lt=deposit_cutoff(now), status__in=ImportRun.FINAL_STATUSES
        )
        .exclude(file="")
        .order_by("pk")
    )
    while batch := list(old.values_list("pk", "file")[:BATCH]):
        for pk, name in batch:
            ImportRun.file.field.storage.delete(name)
            # The record says the file is gone; a concurrent change of the run is left alone.
            ImportRun.objects.filter(pk=pk, file=name).update(file="")
            report.files_deleted += 1


def retention_runs_apply(*, now: dt.datetime, report: RetentionReport) -> None:
    """Delete the records of old runs that were never integrated (steps go with them)."""
    old = ImportRun.objects.filter(
        received_at__lt=bilan_cutoff(now), status__in=ImportRun.FINAL_STATUSES
    ).exclude(status=ImportRun.Status.INTEGRATED)
    while ids := list(old.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            files = list(
                ImportRun.objects.filter(pk__in=ids).exclude(file="").values_list("file", flat=True)
            )
            ImportRun.objects.filter(pk__in=ids).delete()
        for name in files:
            ImportRun.file.field.storage.delete(name)
            report.files_deleted += 1
        report.runs_deleted += len(ids)
