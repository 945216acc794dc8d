from __future__ import annotations

import dataclasses
import datetime as dt
import io
from types import SimpleNamespace

import pytest

from imports.parsers.index_education import parse_payload
from imports.parsers.registry import SourceFormat
from imports.timetable import (
    Course,
    Enrolment,
    Group,
    Problem,
    Resource,
    Severity,
    Student,
    Teacher,
    Timetable,
    UnitKind,
)
from imports.validation import group_name_problems, timetable_validate
from tests.imports.parsers.edt_fixtures import OTHER_UAI, UAI, edt_bytes

CURRENT_YEAR = (dt.date(2025, 9, 1), dt.date(2026, 9, 1))


def _timetable(**changes: object) -> Timetable:
    timetable = parse_payload(io.BytesIO(edt_bytes()), source_format=SourceFormat.INDEX_EDUCATION)
    return dataclasses.replace(timetable, **changes)  # type: ignore[arg-type]


def _validate(timetable: Timetable, **kwargs: object) -> list[Problem]:
    arguments: dict[str, object] = {"target_uais": [UAI], "school_year": CURRENT_YEAR}
    arguments.update(kwargs)
    return timetable_validate(timetable, **arguments)  # type: ignore[arg-type]


def _codes(problems: list[Problem], severity: Severity | None = None) -> list[str]:
    return [p.code for p in problems if severity is None or p.severity == severity]


def test_the_tiny_export_for_its_own_establishment_and_year_has_no_problem() -> None:
    assert _validate(_timetable()) == []


def test_a_school_year_model_object_is_accepted_as_well_as_a_tuple() -> None:
    year = SimpleNamespace(start_date=CURRENT_YEAR[0], end_date=CURRENT_YEAR[1])

    assert _validate(_timetable(), school_year=year) == []


def test_a_malformed_uai_is_an_error() -> None:
    problems = _validate(_timetable(uai="0750001A"))

    assert _codes(problems, Severity.ERROR) == ["uai_malformed"]


def test_a_file_for_another_establishment_is_an_error_naming_both() -> None:
    problems = _validate(_timetable(uai=OTHER_UAI))

    [error] = problems
    assert (error.code, error.severity) == ("uai_mismatch", Severity.ERROR)
    assert OTHER_UAI in error.message
    assert UAI in error.message


def test_a_file_without_uai_is_not_checked_against_the_target() -> None:
    assert _validate(_timetable(uai=""), target_uais=[OTHER_UAI]) == []


def test_a_file_of_last_school_year_is_an_error_asking_for_this_years_export() -> None:
    problems = _validate(_timetable(), school_year=(dt.date(2026, 9, 1), dt.date(2027, 9, 1)))

    [error] = problems
    assert error.code == "wrong_school_year"
    assert error.action.startswith("Faites l'export de l'année en cours")


def test_a_file_that_merely_spills_into_the_current_year_is_still_the_wrong_year() -> None:
    problems = _validate(_timetable(), school_year=(dt.date(2026, 6, 1), dt.date(2027, 6, 1)))

    assert _codes(problems) == ["wrong_school_year"]


def test_no_current_school_year_in_the_ent_is_an_error_for_the_head() -> None:
    problems = _validate(_timetable(), school_year=None)

    [error] = problems
    assert error.code == "no_school_year"
    assert "chef d'établissement" in error.action


def test_an_empty_group_is_a_warning() -> None:
    timetable = _timetable()
    timetable.groups["9"] = Group(ident="9", name="VIDE")

    problems = _validate(timetable)

    assert _codes(problems, Severity.WARNING) == ["empty_group"]
    assert problems[0].ref == "Groupe Ident=9"


def test_a_group_with_enrolled_students_only_is_not_empty() -> None:
    timetable = _timetable()
    timetable.groups["9"] = Group(ident="9", name="LATIN")
    timetable.students["9"] = Student(
        ident="9", last_name="X", first_name="Y", enrolments=(Enrolment(UnitKind.GROUP, "9"),)
    )

    assert _validate(timetable) == []


def test_two_groups_with_the_same_name_are_a_warning() -> None:
    timetable = _timetable()
    timetable.groups["9"] = Group(ident="9", name="3agl1", class_idents=("1",))

    problems = _validate(timetable)

    assert _codes(problems) == ["duplicate_group"]
    assert problems[0].message.startswith("2 groupes s'appellent « 3AGL1 »")
    assert "Ident" not in problems[0].message


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("1ARA1STMG", ["group_name_too_long"]),
        ("3A/ESP", ["group_name_invalid"]),
        ("Gr. Été 1", ["group_name_too_long", "group_name_invalid"]),
        ("1ALL 01", []),
        ("3_LV-2", []),
    ],
)
def test_group_names_sts_web_would_refuse_are_warnings_for_unmatched_groups(
    name: str, codes: list[str]
) -> None:
    timetable = _timetable()
    timetable.groups["9"] = Group(ident="9", name=name, class_idents=("1",))

    problems = group_name_problems(timetable, unmatched={"9"})

    assert [p.code for p in problems] == codes
    assert all(p.name == name for p in problems)
    assert _validate(timetable) == []  # not before matching


def test_a_long_group_name_that_matched_raises_no_warning() -> None:
    timetable = _timetable()
    timetable.groups["9"] = Group(ident="9", name="5ABC ESP1", class_idents=("1",))

    assert group_name_problems(timetable, unmatched=set()) == []


@pytest.mark.parametrize(
    ("last", "first", "codes"),
    [
        ("", "Paul", ["teacher_name_missing"]),
        ("MARTIN", "", ["teacher_name_missing"]),
        ("MARTIN2", "Paul", ["teacher_name_invalid"]),
        ("MARTIN", "P@ul", ["teacher_name_invalid"]),
        ("LE GOFF-N'DIAYE", "Jean-Éric", []),
        ("D’ARTAGNAN", "Ch.", []),
    ],
)
def test_teacher_names_empty_or_with_digits_are_warnings(
    last: str, first: str, codes: list[str]
) -> None:
    timetable = _timetable()
    timetable.teachers["2"] = Teacher(ident="2", last_name=last, first_name=first)

    assert _codes(_validate(timetable)) == codes


def test_a_course_ending_before_it_starts_is_a_warning() -> None:
    timetable = _timetable()
    timetable.courses.append(
        Course(
            ident="Cours n° 9",
            day=1,
            start=dt.time(17),
            end=dt.time(8),
            subject_ident="1",
            classes=(Resource("1", frozenset({1})),),
        )
    )

    problems = _validate(timetable)

    assert _codes(problems) == ["course_hours_not_publishable"]
    assert problems[0].ref == "Cours n° 9"
