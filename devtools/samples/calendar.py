"""The school calendar of a synthetic year: weeks, holidays, public holidays, weeks A and B.

Holidays follow the usual French pattern (two weeks each for Toussaint, Noël, hiver and
printemps, from a Saturday to the Monday classes resume); public holidays that fall on a
school day close that day. Everything is computed from the first year of the school year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from imports.timetable import SchoolYearSpan, SourceClosing

PARIS = ZoneInfo("Europe/Paris")


def default_start_year(today: dt.date | None = None) -> int:
    """Return the first year of the current school year (September–December: this year)."""
    today = today or dt.datetime.now(PARIS).date()
    return today.year if today.month >= 9 else today.year - 1


def easter_sunday(year: int) -> dt.date:
    """Return Easter Sunday of ``year`` (Gregorian computus)."""
    golden = year % 19
    century, years = divmod(year, 100)
    leap_c, rest_c = divmod(century, 4)
    correction = (century + 8) // 25
    moon = (century - correction + 1) // 3
    epact = (19 * golden + century - leap_c - moon + 15) % 30
    leap_y, rest_y = divmod(years, 4)
    weekday = (32 + 2 * rest_c + 2 * leap_y - epact - rest_y) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return dt.date(year, month, day + 1)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _holiday(label: str, resume: dt.date) -> SourceClosing:
    """Two weeks of holidays: from the Saturday 16 days before ``resume`` (a Monday)."""
    return SourceClosing(start=resume - dt.timedelta(days=16), end=resume, label=label)


@dataclass(frozen=True)
class SchoolCalendar:
    year: SchoolYearSpan
    closings: tuple[SourceClosing, ...]
    closed: frozenset[dt.date] = field(repr=False)
    teaching_weeks: tuple[int, ...]  # weeks with at least one school day
    weeks_a: frozenset[int]
    weeks_b: frozenset[int]

    def is_school_day(self, day: dt.date) -> bool:
        return self.year.contains(day) and day.isoweekday() <= 5 and day not in self.closed

    def lesson_weeks(self, weekday: int) -> frozenset[int]:
        """Return the teaching weeks whose ``weekday`` is a school day."""
        return frozenset(
            w for w in self.teaching_weeks if self.is_school_day(self.year.day(w, weekday))
        )


def school_calendar(start_year: int) -> SchoolCalendar:
    """Return the calendar of the school year that starts on 1 September ``start_year``."""
    start = dt.date(start_year, 9, 1)
    july_first = dt.date(start_year + 1, 7, 1)
    end = july_first + dt.timedelta(days=(5 - july_first.weekday()) % 7)  # a Saturday
    year = SchoolYearSpan(
        start=start, end=end, week1_monday=start - dt.timedelta(days=start.weekday())
    )
    toussaint = _monday_on_or_after(dt.date(start_year, 11, 2))
    noel = _monday_on_or_after(dt.date(start_year + 1, 1, 2))
    hiver = noel + dt.timedelta(days=40 + 16)
    printemps = hiver + dt.timedelta(days=47 + 16)
    holidays = [
        _holiday("Vacances de la Toussaint", toussaint),
        _holiday("Vacances de Noël", noel),
        _holiday("Vacances d'hiver", hiver),
        _holiday("Vacances de printemps", printemps),
    ]
    easter = easter_sunday(start_year + 1)
    public = [
        (dt.date(start_year, 11, 11), "Armistice"),
        (easter + dt.timedelta(days=1), "Lundi de Pâques"),
        (dt.date(start_year + 1, 5, 1), "Fête du Travail"),
        (dt.date(start_year + 1, 5, 8), "Victoire 1945"),
        (easter + dt.timedelta(days=39), "Ascension"),
        (easter + dt.timedelta(days=40), "Pont de l'Ascension"),
        (easter + dt.timedelta(days=50), "Lundi de Pentecôte"),
    ]
    in_holidays = {d for h in holidays for d in _days(h)}
    closings = holidays + [
        SourceClosing(start=day, end=day + dt.timedelta(days=1), label=label)
        for day, label in public
        if day.isoweekday() <= 5 and day not in in_holidays and year.contains(day)
    ]
    closings.sort(key=lambda c: c.start)
    closed = frozenset(d for c in closings for d in _days(c))
    teaching = tuple(
        w
        for w in range(1, year.last_week + 1)
        if any(
            year.contains(d) and d not in closed for d in (year.day(w, wd) for wd in range(1, 6))
        )
    )
    return SchoolCalendar(
        year=year,
        closings=tuple(closings),
        closed=closed,
        teaching_weeks=teaching,
        weeks_a=frozenset(teaching[0::2]),
        weeks_b=frozenset(teaching[1::2]),
    )


def _days(closing: SourceClosing) -> list[dt.date]:
    count = (closing.end - closing.start).days
    return [closing.start + dt.timedelta(days=i) for i in range(count)]
