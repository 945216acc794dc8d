"""Matching ("rapprochement") of a timetable's people and units with the directory. Pure."""

from __future__ import annotations

import datetime as dt

from imports.matching import (
    Directory,
    DirectoryPerson,
    DirectoryUnit,
    match_students,
    match_teachers,
    match_units,
    person_source_key,
)
from imports.timetable import Student, Teacher

BIRTH = dt.date(1980, 4, 2)


def _dir_person(pk: int, last: str, first: str, birth: dt.date | None = BIRTH, **ids: str):
    return DirectoryPerson(pk, last, first, birth, **ids)


def test_a_teacher_is_matched_by_idpn_before_anything_else() -> None:
    directory = Directory(
        teachers=[
            _dir_person(1, "Martin", "Anne", pronote_idpn="P42"),
            _dir_person(2, "Martin", "Anne", sts_id="S7"),
        ]
    )
    teacher = Teacher("10", "MARTIN", "Anne", BIRTH, sts_id="S7", idpn="P42")

    result = match_teachers([teacher], directory, {"10": (teacher.idpn, teacher.sts_id)})

    assert result.matched == {"10": 1}
    assert result.unmatched == []


def test_names_compare_without_accents_case_or_hyphens() -> None:
    directory = Directory(teachers=[_dir_person(3, "Lefèvre", "Jean-Marc")])
    teacher = Teacher("11", "LEFEVRE", "jean marc", BIRTH)

    result = match_teachers([teacher], directory, {})

    assert result.matched == {"11": 3}


def test_two_directory_people_that_fit_are_reported_never_guessed() -> None:
    directory = Directory(teachers=[_dir_person(4, "Petit", "Léa"), _dir_person(5, "Petit", "Léa")])
    teacher = Teacher("12", "PETIT", "Léa", BIRTH)

    result = match_teachers([teacher], directory, {})

    assert result.matched == {}
    assert result.unmatched == ["PETIT Léa, né(e) le 02/04/1980"]
    assert result.ambiguous == ["PETIT Léa, né(e) le 02/04/1980 : 2 possibilités dans l'annuaire"]
    assert result.unmatched_count == 1


def test_a_teacher_without_birth_date_matches_a_name_only_when_it_is_unique() -> None:
    directory = Directory(
        teachers=[
            _dir_person(6, "Roux", "Paul", dt.date(1975, 1, 1)),
            _dir_person(7, "Noir", "Éva", dt.date(1970, 1, 1)),
            _dir_person(8, "Noir", "Éva", dt.date(1990, 1, 1)),
        ]
    )
    unique = Teacher("13", "Roux", "Paul")
    homonym = Teacher("14", "Noir", "Eva")

    result = match_teachers([unique, homonym], directory, {})

    assert result.matched == {"13": 6}
    assert result.ambiguous == ["NOIR Eva : 2 possibilités dans l'annuaire"]


def test_a_student_is_never_matched_on_a_name_alone() -> None:
    directory = Directory(students=[_dir_person(9, "Blanc", "Zoé", dt.date(2012, 3, 3))])
    other_birth = Student("20", "BLANC", "Zoé", dt.date(2012, 3, 4))
    by_ine = Student("21", "BLANC", "Zoé", None, ine="123456789AB")
    directory.students.append(_dir_person(10, "Vert", "Max", None, ine="123456789AB"))

    result = match_students(
        [other_birth, by_ine], directory, {"20": ("", ""), "21": ("123456789ab", "")}
    )

    assert result.matched == {"21": 10}  # ids compare case-insensitively
    assert result.unmatched == ["BLANC Zoé, né(e) le 04/03/2012"]


def test_a_manual_match_wins_over_every_other_evidence() -> None:
    student = Student("22", "Durand", "Inès", dt.date(2011, 6, 6), ine="111111111AA")
    directory = Directory(
        students=[
            _dir_person(11, "Durand", "Inès", dt.date(2011, 6, 6), ine="111111111AA"),
            _dir_person(12, "Durand-Roy", "Inès", dt.date(2011, 6, 6)),
        ],
        manual={"STUDENT": {person_source_key(student, student.ine, ""): 12}},
    )

    result = match_students([student], directory, {"22": (student.ine, "")})

    assert result.matched == {"22": 12}


def test_classes_match_by_code_then_by_name_and_report_the_rest() -> None:
    candidates = [
        DirectoryUnit(1, "6A", "Sixième A", 1),
        DirectoryUnit(2, "5B", "Cinquième B", 1),
    ]

    result = match_units([("c1", "6A"), ("c2", "cinquieme b"), ("c3", "4C")], candidates, manual={})

    assert result.matched == {"c1": 1, "c2": 2}
    assert result.unmatched == ["4C"]
    assert result.total == 3
