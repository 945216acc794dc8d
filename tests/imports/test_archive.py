"""Across a school year change, an import never touches what is dated before its year.

The previous year's closing periods and sessions are the archive of the cahier de textes:
the first import of the new year neither deletes nor counts them, and the closing thresholds
measure the new year only.
"""

from __future__ import annotations

import datetime as dt

from ent.models import ClosingPeriod, Session
from imports.models import ImportRun
from imports.report import report_of
from imports.thresholds import Control, Evaluation
from tests.factories import SchoolYearFactory
from tests.imports.pipeline_support import (
    PARIS,
    WEEKS,
    CourseSpec,
    School,
    default_courses,
    edt_file,
    initialise,
    school,
)

__all__ = ["school"]

NEXT_YEAR_AT = dt.datetime(2027, 9, 6, 9, 0, tzinfo=PARIS)  # Monday of school week 2


def next_year_file(courses: list[CourseSpec] | None = None) -> bytes:
    return edt_file(courses, year_start="2027-09-01", year_end="2028-07-01", week1="2027-08-30")


def evaluation(run: ImportRun, control: Control) -> Evaluation:
    (found,) = [t for t in report_of(run).thresholds if t.control == control]
    return found


def start_next_year(school: School) -> None:
    SchoolYearFactory(
        school_group=school.group, start_date=dt.date(2027, 9, 1), end_date=dt.date(2028, 7, 4)
    )


def archive() -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    closings = set(ClosingPeriod.objects.values_list("pk", "start_date", "end_date", "label"))
    sessions = set(
        Session.objects.filter(starts_at__lt=dt.datetime(2027, 9, 1, tzinfo=PARIS)).values_list(
            "pk", "teaching_service_id", "starts_at", "ends_at", "room"
        )
    )
    return closings, sessions


def test_the_first_import_of_a_new_year_keeps_last_years_closings_and_sessions(
    school: School,
) -> None:
    initialise(school)
    last_year_closings, last_year_sessions = archive()
    assert last_year_closings and last_year_sessions
    start_next_year(school)

    run = initialise(school, next_year_file(), now=NEXT_YEAR_AT)

    closings, sessions = archive()
    assert last_year_closings <= closings
    assert sessions == last_year_sessions
    assert run.counters["closings_removed"] == 0
    assert (
        ClosingPeriod.objects.filter(start_date__gte=dt.date(2027, 9, 1)).count()
        == (run.counters["closings_added"])
    )
    removed = evaluation(run, Control.CLOSINGS_REMOVED)
    added = evaluation(run, Control.CLOSINGS_ADDED)
    assert (removed.numerator, removed.denominator) == (0, 0)
    assert added.denominator == 0


def test_the_closing_thresholds_count_only_the_files_own_year(school: School) -> None:
    initialise(school)
    last_year_closings, last_year_sessions = archive()
    start_next_year(school)
    first = initialise(school, next_year_file(), now=NEXT_YEAR_AT)
    this_year = ClosingPeriod.objects.filter(start_date__gte=dt.date(2027, 9, 1)).count()
    on = WEEKS | {17, 18}  # the Christmas holidays of the new year are no longer closed
    courses = [CourseSpec(**{**c.__dict__, "weeks": on}) for c in default_courses()]

    second = initialise(school, next_year_file(courses), now=NEXT_YEAR_AT + dt.timedelta(hours=9))

    assert first.counters["closings_added"] == this_year
    removed = evaluation(second, Control.CLOSINGS_REMOVED)
    assert (removed.numerator, removed.denominator) == (1, this_year)
    assert second.counters["closings_removed"] == 1
    closings, sessions = archive()
    assert last_year_closings <= closings
    assert sessions == last_year_sessions
