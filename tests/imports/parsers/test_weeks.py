from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imports.timetable import SchoolYearSpan
from imports.weeks import (
    MAX_MASK,
    WeekMaskError,
    describe_weeks,
    mask_from_weeks,
    parse_week_mask,
    weeks_from_mask,
    weeks_from_text,
)
from tests.imports.parsers.edt_fixtures import SPEC_MASK, SPEC_WEEKS

weeks_sets = st.frozensets(st.integers(min_value=1, max_value=63))


def test_the_real_export_mask_decodes_to_the_weeks_its_comment_gives() -> None:
    weeks = weeks_from_mask(SPEC_MASK)

    assert weeks == SPEC_WEEKS
    assert describe_weeks(weeks) == "1..7,10..16,19..25,28..33,36..44"


def test_bit_zero_is_ignored() -> None:
    assert weeks_from_mask(0b111) == frozenset({1, 2})


@given(weeks_sets)
def test_weeks_survive_a_round_trip_through_a_mask(weeks: frozenset[int]) -> None:
    assert weeks_from_mask(mask_from_weeks(weeks)) == weeks


@given(st.integers(min_value=0, max_value=MAX_MASK))
def test_masks_without_bit_zero_survive_a_round_trip_through_weeks(mask: int) -> None:
    assert mask_from_weeks(weeks_from_mask(mask)) == mask & ~1


@given(st.integers(min_value=0, max_value=MAX_MASK))
def test_the_decimal_text_of_a_mask_parses_back_to_it(mask: int) -> None:
    assert parse_week_mask(f" {mask}\n") == mask


@given(
    week1=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)).map(
        lambda d: d - dt.timedelta(days=d.weekday())
    ),
    week=st.integers(min_value=1, max_value=63),
    weekday=st.integers(min_value=1, max_value=7),
)
def test_the_date_of_a_week_day_is_week1_monday_plus_whole_weeks(
    week1: dt.date, week: int, weekday: int
) -> None:
    year = SchoolYearSpan(start=week1, end=week1 + dt.timedelta(days=365), week1_monday=week1)

    day = year.day(week, weekday)

    assert day == week1 + dt.timedelta(days=7 * (week - 1) + (weekday - 1))
    assert day.isoweekday() == weekday
    assert year.week_of(day) == week


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("-4", "négatif"),
        (str(2**64), "dépasse"),
        ("12a", "n'est pas un masque"),
        ("", "n'est pas un masque"),
        ("٣", "n'est pas un masque"),
    ],
)
def test_unreadable_masks_are_refused_with_a_french_reason(text: str, fragment: str) -> None:
    with pytest.raises(WeekMaskError, match=fragment):
        weeks_from_text(text)


def test_weeks_outside_a_64_bit_mask_cannot_be_encoded() -> None:
    with pytest.raises(WeekMaskError):
        mask_from_weeks([0])
    with pytest.raises(WeekMaskError):
        mask_from_weeks([64])
