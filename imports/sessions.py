"""From weekly courses to dated occurrences. Pure: no ORM, no I/O.

For every week in which a course takes place (:meth:`Course.weeks`), the occurrence falls on
``year.day(week, course.day)`` from ``course.start`` to ``course.end``, with the resources
active that week. Occurrences outside the school year or inside a closing period are left
out: nothing is ever generated in holidays, whatever the file says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from imports.timetable import Course, Resource, SourceClosing, Timetable


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated course: local (naive) date and times, idents of the active resources."""

    course: Course
    date: dt.date
    start: dt.time
    end: dt.time
    teachers: tuple[str, ...]
    classes: tuple[str, ...]
    parts: tuple[str, ...]
    groups: tuple[str, ...]
    rooms: tuple[str, ...]


def closed_days(closings: Iterable[SourceClosing]) -> frozenset[dt.date]:
    """Return every day inside a closing period."""
    days: set[dt.date] = set()
    for closing in closings:
        day = closing.start
        while day < closing.end:
            days.add(day)
            day += dt.timedelta(days=1)
    return frozenset(days)


def _active(resources: tuple[Resource, ...], week: int) -> tuple[str, ...]:
    return tuple(sorted(r.ident for r in resources if week in r.weeks))


def course_occurrences(
    timetable: Timetable, course: Course, *, closed: frozenset[dt.date] | None = None
) -> Iterator[Occurrence]:
    """Yield the dated occurrences of ``course``, in week order."""
    year = timetable.year
    if closed is None:
        closed = closed_days(timetable.closings)
    for week in sorted(course.weeks()):
        day = year.day(week, course.day)
        if not year.contains(day) or day in closed:
            continue
        yield Occurrence(
            course=course,
            date=day,
            start=course.start,
            end=course.end,
            teachers=_active(course.teachers, week),
            classes=_active(course.classes, week),
            parts=_active(course.parts, week),
            groups=_active(course.groups, week),
            rooms=_active(course.rooms, week),
        )


def course_occurrence_runs(
    timetable: Timetable, course: Course, *, closed: frozenset[dt.date]
) -> Iterator[tuple[Occurrence, list[dt.date]]]:
    """Yield :func:`course_occurrences` grouped in runs: consecutive occurrences with the
    same active resources, as the first one and the dates of all, in week order.

    A course whose resources follow different weeks (a teacher replaced for a few weeks, a
    room changed at mid-year) has a few runs of many weeks each: planning resolves one run
    instead of one occurrence a week.
    """
    year = timetable.year
    # The resources active in a week depend only on which of the course's week sets hold
    # it: computed once per combination.
    patterns = list({r.weeks for r in course.resources})
    by_signature: dict[tuple[bool, ...], tuple[tuple[str, ...], ...]] = {}
    active: tuple[tuple[str, ...], ...] | None = None
    first: Occurrence | None = None
    dates: list[dt.date] = []
    for week in sorted(course.weeks()):
        day = year.day(week, course.day)
        if not year.contains(day) or day in closed:
            continue
        signature = tuple(week in weeks for weeks in patterns)
        resources = by_signature.get(signature)
        if resources is None:
            resources = by_signature[signature] = (
                _active(course.teachers, week),
                _active(course.classes, week),
                _active(course.parts, week),
                _active(course.groups, week),
                _active(course.rooms, week),
            )
        if resources != active:
            if first is not None:
                yield first, dates
            active, dates = resources, []
            first = Occurrence(course, day, course.start, course.end, *resources)
        dates.append(day)
    if first is not None:
        yield first, dates


def timetable_occurrences(timetable: Timetable) -> Iterator[Occurrence]:
    """Yield the dated occurrences of every course of ``timetable``."""
    closed = closed_days(timetable.closings)
    for course in timetable.courses:
        yield from course_occurrences(timetable, course, closed=closed)
