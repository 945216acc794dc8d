"""Reads of the ENT's own domain."""

from __future__ import annotations

import datetime as dt

from ent.models import SchoolGroup, SchoolYear
from ent.school_years import SCHOOL_YEAR_MAX_SHIFT, national_school_year, national_school_year_next


def school_year_current(school_group: SchoolGroup, *, today: dt.date) -> SchoolYear:
    """Return the school group's school year containing ``today``.

    The declared one if any, else the national default (an unsaved ``SchoolYear`` whose
    ``is_declared`` is False).
    """
    return _school_year_at(school_group, today)


def school_year_next(school_group: SchoolGroup, *, today: dt.date) -> SchoolYear:
    """Return next school year: declared if the school group already did, else the national one."""
    start, end = national_school_year_next(today)
    declared = school_group.school_years.filter(
        start_date__gt=start - SCHOOL_YEAR_MAX_SHIFT, start_date__lt=start + SCHOOL_YEAR_MAX_SHIFT
    ).first()
    return declared or SchoolYear(school_group=school_group, start_date=start, end_date=end)


def _school_year_at(school_group: SchoolGroup, day: dt.date) -> SchoolYear:
    years = school_group.school_years.all()
    declared = years.filter(start_date__lte=day, end_date__gt=day).first()
    if declared is not None:
        return declared
    start, end = national_school_year(day)
    # Between two declared years (a year declared to end in July), the default only fills
    # the gap: it never overlaps a declared year.
    for year in years.filter(start_date__lt=end, end_date__gt=start):
        if year.end_date <= day:
            start = max(start, year.end_date)
        else:
            end = min(end, year.start_date)
    return SchoolYear(school_group=school_group, start_date=start, end_date=end)
