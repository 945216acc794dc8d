"""ISO weeks ↔ school weeks across the new year, and ``semaines`` masks (property-based)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from imports.parsers import undeuxtemps_format as fmt

iso_years = st.integers(min_value=1990, max_value=2090)
first_weeks = st.integers(min_value=30, max_value=40)
school_weeks = st.integers(min_value=1, max_value=52)


def _week1(iso_year: int, first_week: int) -> dt.date:
    return dt.date.fromisocalendar(iso_year, first_week, 1)


@given(iso_years, first_weeks, school_weeks)
def test_school_week_to_iso_week_and_back_is_the_identity(
    iso_year: int, first_week: int, week: int
) -> None:
    week1 = _week1(iso_year, first_week)

    iso_week = fmt.school_week_to_iso(week, week1)

    assert fmt.iso_to_school_week(iso_week, week1) == week


@given(iso_years, first_weeks, school_weeks)
def test_iso_weeks_below_the_first_week_are_in_the_next_calendar_year(
    iso_year: int, first_week: int, week: int
) -> None:
    week1 = _week1(iso_year, first_week)
    monday = week1 + dt.timedelta(weeks=week - 1)

    iso = monday.isocalendar()

    assert monday.weekday() == 0
    if iso.week >= first_week:
        assert iso.year == iso_year
    else:
        assert iso.year == iso_year + 1
    assert fmt.iso_to_school_week(iso.week, week1) == week


@given(iso_years, first_weeks, st.integers(min_value=0, max_value=6))
def test_week_one_is_the_monday_of_the_first_iso_week_around_the_student_start(
    iso_year: int, first_week: int, weekday: int
) -> None:
    monday = _week1(iso_year, first_week)
    start = monday + dt.timedelta(days=weekday)

    assert fmt.week1_monday(start, first_week) == monday
    assert fmt.week1_monday(start, start.isocalendar().week) == monday


@given(iso_years, first_weeks)
def test_week_53_exists_only_in_long_iso_years(iso_year: int, first_week: int) -> None:
    week1 = _week1(iso_year, first_week)

    school_week = fmt.iso_to_school_week(53, week1)

    if fmt.iso_weeks_in_year(iso_year) == 53:
        assert school_week == (dt.date.fromisocalendar(iso_year, 53, 1) - week1).days // 7 + 1
    else:
        assert school_week is None


@given(st.frozensets(st.integers(min_value=1, max_value=53)))
def test_a_semaines_mask_holds_exactly_its_iso_weeks(iso_weeks: frozenset[int]) -> None:
    mask = fmt.iso_weeks_to_mask(iso_weeks)

    assert fmt.mask_to_iso_weeks(mask) == iso_weeks
    assert all(mask >> (week - 1) & 1 for week in iso_weeks)


def test_the_2024_school_year_numbers_weeks_across_new_year() -> None:
    week1 = dt.date(2024, 9, 2)

    assert fmt.iso_to_school_week(36, week1) == 1
    assert fmt.iso_to_school_week(52, week1) == 17
    assert fmt.iso_to_school_week(1, week1) == 18
    assert fmt.iso_to_school_week(27, week1) == 44
    assert fmt.school_week_to_iso(18, week1) == 1
    assert fmt.iso_to_school_week(53, week1) is None  # 2024 has 52 ISO weeks


def test_times_are_read_in_the_three_accepted_shapes() -> None:
    assert fmt.parse_time("08:30") == dt.time(8, 30)
    assert fmt.parse_time("8h30") == dt.time(8, 30)
    assert fmt.parse_time("08H30") == dt.time(8, 30)
    assert fmt.parse_time("08:30:15") == dt.time(8, 30, 15)
    assert fmt.parse_date("02/09/2024") == dt.date(2024, 9, 2)
