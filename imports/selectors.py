"""Reads of the import history."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from ent.models import Establishment, SchoolGroup, SchoolYear
from imports.models import ImportRun


def school_year_current(school_group: SchoolGroup, *, today: dt.date) -> SchoolYear | None:
    """Return the school group's school year containing ``today``, if declared."""
    return school_group.school_years.filter(start_date__lte=today, end_date__gt=today).first()


def establishments_initialised(school_group: SchoolGroup, *, today: dt.date) -> set[int]:
    """Return the ids of establishments with a manual import integrated this school year.

    A manual import that targeted the whole school group initialises every establishment.
    """
    year = school_year_current(school_group, today=today)
    if year is None:
        return set()
    runs = ImportRun.objects.filter(
        school_group=school_group,
        mode=ImportRun.Mode.MANUAL,
        status=ImportRun.Status.INTEGRATED,
        received_at__date__gte=year.start_date,
        received_at__date__lt=year.end_date,
    )
    if runs.filter(establishment__isnull=True).exists():
        return set(school_group.establishments.values_list("pk", flat=True))
    return set(runs.values_list("establishment_id", flat=True))


def school_group_is_initialised(school_group: SchoolGroup, *, today: dt.date) -> bool:
    """Tell whether a first manual import of this school year has been integrated."""
    return bool(establishments_initialised(school_group, today=today))


def import_run_running(school_group: SchoolGroup) -> ImportRun | None:
    """Return the school group's run in progress, if any (one at a time per group)."""
    return school_group.import_runs.filter(status=ImportRun.Status.RUNNING).first()


def import_run_targets(run: ImportRun) -> list[Establishment]:
    """Return the establishments a run targets (all of its school group when none is named)."""
    if run.establishment_id is not None:
        return [run.establishment]
    return list(run.school_group.establishments.order_by("name"))


def import_run_list(school_group: SchoolGroup) -> QuerySet[ImportRun]:
    """Return the school group's runs, newest first, ready for the history table."""
    return (
        ImportRun.objects.filter(school_group=school_group)
        .select_related("establishment", "deposited_by")
        .order_by("-received_at", "-pk")
    )


def import_run_last_integrated(
    *, school_group: SchoolGroup, establishment_id: int | None, exclude_pk: int | None = None
) -> ImportRun | None:
    """Return the latest integrated run for exactly this target."""
    runs = ImportRun.objects.filter(
        school_group=school_group, status=ImportRun.Status.INTEGRATED
    ).filter(Q(establishment_id=establishment_id))
    if exclude_pk is not None:
        runs = runs.exclude(pk=exclude_pk)
    return runs.order_by("-finished_at", "-pk").first()
