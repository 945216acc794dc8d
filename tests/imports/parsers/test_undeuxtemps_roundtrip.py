"""Round trip: a timetable written as an UnDeuxTEMPS zip parses back to the same sessions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.undeuxtemps_writer import write_undeuxtemps_zip
from imports.parsers import ParseContext
from imports.parsers.registry import SourceFormat
from imports.parsers.undeuxtemps import parse_undeuxtemps_zip
from imports.sessions import timetable_occurrences
from imports.timetable import Course, Enrolment, Resource, Timetable, UnitKind
from tests.imports.parsers.comparison import closing_spans, entity_names, occurrence_keys
from tests.imports.parsers.udt_fixtures import ALL, HOLIDAY_WEEKS, feature_timetable

EXPORTED_AT = dt.datetime(2024, 9, 1, 18, 30, 5, tzinfo=ZoneInfo("Europe/Paris"))


def _round_trip(timetable: Timetable, tmp_path: Path) -> Timetable:
    path = tmp_path / "0750001A_20240901183005_UDT.zip"
    write_undeuxtemps_zip(timetable, path, exported_at=EXPORTED_AT)
    return parse_undeuxtemps_zip(path, context=ParseContext())


def test_parsing_the_written_zip_gives_back_the_same_sessions(tmp_path: Path) -> None:
    original = feature_timetable()

    parsed = _round_trip(original, tmp_path)

    expected = occurrence_keys(original)
    assert sum(expected.values()) > 400
    assert occurrence_keys(parsed) == expected
    assert parsed.warnings == []


def test_parsing_the_written_zip_gives_back_the_same_entities_and_closings(
    tmp_path: Path,
) -> None:
    original = feature_timetable()

    parsed = _round_trip(original, tmp_path)

    assert entity_names(parsed) == entity_names(original)
    assert closing_spans(parsed) == closing_spans(original)
    assert parsed.source_format == SourceFormat.UNDEUXTEMPS
    assert parsed.software == "UnDeuxTEMPS"
    assert parsed.uai == "0750001A"
    assert parsed.exported_at == EXPORTED_AT
    assert parsed.year == original.year


def test_replacement_teacher_and_room_change_stay_on_one_course_with_their_weeks(
    tmp_path: Path,
) -> None:
    parsed = _round_trip(feature_timetable(), tmp_path)

    french = [c for c in parsed.courses if c.subject_ident == "FRANC" and c.day == 2]
    assert len(french) == 1
    weeks = {r.ident: r.weeks for r in french[0].teachers + french[0].rooms}
    assert weeks["P5"] == frozenset({12, 13, 14})
    assert weeks["P2"] == ALL - {12, 13, 14}
    # Holiday weeks carry the theoretical timetable; only school weeks are compared.
    assert weeks["R1"] - HOLIDAY_WEEKS == frozenset(range(1, 20)) - HOLIDAY_WEEKS
    assert weeks["R2"] - HOLIDAY_WEEKS == frozenset(range(20, 45)) - HOLIDAY_WEEKS


def test_co_taught_course_for_two_classes_in_two_rooms_is_one_course(tmp_path: Path) -> None:
    parsed = _round_trip(feature_timetable(), tmp_path)

    svt = [
        c for c in parsed.courses if c.subject_ident == "SVT" and c.day == 3 and c.start.hour == 8
    ]
    assert len(svt) == 1
    course = svt[0]
    assert (course.start, course.end) == (dt.time(8, 0), dt.time(9, 50))
    assert {r.ident for r in course.teachers} == {"P3", "P4"}
    assert {r.ident for r in course.classes} == {"C1", "C2"}
    assert {r.ident for r in course.rooms} == {"R3", "R4"}


def test_back_to_back_lessons_stay_two_courses_and_half_hour_lesson_is_kept(
    tmp_path: Path,
) -> None:
    parsed = _round_trip(feature_timetable(), tmp_path)

    tuesday_maths = sorted(
        (c.start, c.end) for c in parsed.courses if c.subject_ident == "MATHS" and c.day == 2
    )
    assert tuesday_maths == [(dt.time(8, 0), dt.time(8, 55)), (dt.time(8, 55), dt.time(9, 50))]
    vie = [c for c in parsed.courses if c.subject_ident == "VIE"]
    assert [(c.start, c.end) for c in vie] == [(dt.time(12, 0), dt.time(12, 30))]


def test_weeks_that_differ_from_the_theoretical_timetable_get_weekly_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "udt.zip"

    write_undeuxtemps_zip(feature_timetable(), path, exported_at=EXPORTED_AT)

    names = set(zipfile.ZipFile(path).namelist())
    assert {"UDCal_24.xml", "UDCal_12.xml", "UDCal_23.xml", "semaines.xml"} <= names
    weekly = {n for n in names if n.startswith("UDCal_12_")}
    assert "UDCal_12_37.xml" in weekly  # week 2, a week B
    assert len(weekly) == len({n for n in names if n.startswith("UDCal_23_")})


def test_writer_output_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"

    write_undeuxtemps_zip(feature_timetable(), first, exported_at=EXPORTED_AT)
    write_undeuxtemps_zip(feature_timetable(), second, exported_at=EXPORTED_AT)

    assert first.read_bytes() == second.read_bytes()


def test_writer_refuses_two_overlapping_courses_of_one_teacher_and_subject(
    tmp_path: Path,
) -> None:
    timetable = feature_timetable()
    twin = dataclasses.replace(timetable.courses[8], ident="twin", classes=(Resource("C2", ALL),))
    timetable.courses.append(twin)

    with pytest.raises(ValueError, match="cannot express two courses"):
        write_undeuxtemps_zip(timetable, tmp_path / "x.zip", exported_at=EXPORTED_AT)


def test_no_session_is_generated_inside_a_closing_after_the_round_trip(tmp_path: Path) -> None:
    parsed = _round_trip(feature_timetable(), tmp_path)

    dates = {o.date for o in timetable_occurrences(parsed)}
    assert dates
    for closing in parsed.closings:
        assert not any(closing.start <= day < closing.end for day in dates)


_SLOTS = [(dt.time(8, 0), dt.time(8, 55)), (dt.time(8, 55), dt.time(9, 50))]
_SLOTS += [(dt.time(10, 5), dt.time(11, 0)), (dt.time(11, 0), dt.time(11, 55))]
_week_sets = st.one_of(
    st.just(ALL),
    st.frozensets(st.integers(min_value=1, max_value=44), max_size=44),
    st.builds(
        lambda a, b: frozenset(range(min(a, b), max(a, b) + 1)),
        st.integers(min_value=1, max_value=44),
        st.integers(min_value=1, max_value=44),
    ),
)


@st.composite
def _random_course(draw: st.DrawFn, index: int) -> Course:
    base = feature_timetable()
    first = draw(st.integers(min_value=0, max_value=len(_SLOTS) - 1))
    last = draw(st.integers(min_value=first, max_value=len(_SLOTS) - 1))

    def resources(idents: list[str], max_size: int) -> tuple[Resource, ...]:
        chosen = draw(st.lists(st.sampled_from(idents), unique=True, max_size=max_size))
        return tuple(Resource(ident, draw(_week_sets)) for ident in sorted(chosen))

    return Course(
        ident=f"R{index}",
        day=index // 3 + 1,
        start=_SLOTS[first][0],
        end=_SLOTS[last][1],
        subject_ident=sorted(base.subjects)[index % 3],
        teachers=resources(sorted(base.teachers), 2),
        classes=resources(sorted(base.classes), 2),
        parts=resources(sorted(base.parts), 1),
        groups=resources(sorted(base.groups), 2),
        rooms=resources(sorted(base.rooms), 2),
        cancelled_weeks=draw(st.frozensets(st.integers(min_value=1, max_value=44), max_size=3)),
    )


@st.composite
def _random_timetable(draw: st.DrawFn) -> Timetable:
    count = draw(st.integers(min_value=1, max_value=12))
    courses = [draw(_random_course(index)) for index in range(count)]
    return dataclasses.replace(feature_timetable(), courses=courses)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(timetable=_random_timetable())
def test_any_timetable_of_distinct_subject_days_survives_the_round_trip(
    tmp_path: Path, timetable: Timetable
) -> None:
    parsed = _round_trip(timetable, tmp_path)

    assert occurrence_keys(parsed) == occurrence_keys(timetable)


def test_enrolments_come_back_with_the_regroupements_of_their_class(tmp_path: Path) -> None:
    parsed = _round_trip(feature_timetable(), tmp_path)

    whole_year = (dt.date(2024, 9, 2), dt.date(2025, 7, 5))
    assert parsed.students["E1"].enrolments == (
        Enrolment(UnitKind.CLASS, "C1", *whole_year),
        Enrolment(UnitKind.GROUP, "G2", *whole_year),
        Enrolment(UnitKind.GROUP, "H1", dt.date(2024, 9, 2), dt.date(2025, 2, 3)),
    )
    assert parsed.students["E2"].enrolments == (
        Enrolment(UnitKind.CLASS, "C2", *whole_year),
        Enrolment(UnitKind.GROUP, "G1", *whole_year),
        Enrolment(UnitKind.GROUP, "G2", *whole_year),
    )
    assert parsed.students["E3"].enrolments == ()
    assert parsed.groups["H1"].name == "6A groupe 1"
    # A class part without a name is published under its derived half-class name.
    assert parsed.groups["H2"].name == "6A GR2"
