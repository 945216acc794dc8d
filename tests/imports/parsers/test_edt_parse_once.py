"""The EDT parser reads a file once and repeated values once, without changing what it returns.

The parser keeps what an export repeats (dates, enrolments, week masks, course positions,
resources, students' resolved enrolments) and an import run hands the bytes the fingerprint
read to the parse. These tests pin that none of it changes the parsed timetable or its
warnings.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest
from lxml import etree

from devtools.samples import generate_sample, write_sample
from imports.parsers import ParseContext, parse_deposit
from imports.parsers import index_education as edt
from imports.parsers.base import ParseMemo
from imports.parsers.registry import content_fingerprint
from imports.timetable import Timetable, TimetableInvalid
from imports.validation import timetable_validate
from tests.imports.parsers.edt_fixtures import (
    SPEC_MASK,
    E,
    course,
    edt_root,
    section,
    to_bytes,
)

# The SHA-256 of the small sample's parse and validation (seed 1) as the parser before
# the read-once caches (commit af3f3e5) returned them. If the sample generator or the
# timetable model changes on purpose, recompute it with that code.
SMALL_SAMPLE_DIGEST = "ef37e1ef00222eaec412a9830d807201375cbe8c5d16fd736c102509902d96a2"


def _dump(timetable: Timetable) -> str:
    problems = timetable_validate(
        timetable,
        target_uais=[timetable.uai],
        school_year=(timetable.year.start, timetable.year.end),
    )
    return repr(timetable) + repr(problems)


def _parse(path: Path, context: ParseContext | None = None) -> Timetable:
    return parse_deposit(path, filename=path.name, context=context or ParseContext())


def _repetitive_export() -> bytes:
    """The tiny export with many students and courses sharing their values, some of them bad.

    Bad dates, bad week masks and unknown units repeat, so each must warn at each
    occurrence although the good values around them are read once.
    """
    root = edt_root()
    students = section(root, "Eleves")
    model = students[0]
    for number in range(3, 40):
        student = copy.deepcopy(model)
        student.set("Ident", str(number))
        student.set("Nom", f"ELEVE{number}")
        if number % 7 == 0:
            student[0].set("DateEntree", "2025-13-01")  # a bad date, repeated
        if number % 11 == 0:
            student[1].set("Ident", "99")  # an unknown class part, repeated
        if number % 13 == 0:
            student.set("DateNaissance", "pas une date")
        students.append(student)
    courses = section(root, "Cours")
    for number in range(12):
        element = course(
            day=1 + number % 5,
            first_place=number % 3,
            places=1 + number % 2,
            subject="1" if number % 4 else "2",
            teachers={"1" if number % 2 else "2": SPEC_MASK},
            classes={"1": SPEC_MASK},
            rooms={"2": SPEC_MASK},
        )
        if number % 5 == 0:
            element[1].set("Semaines", "pas un masque")  # a bad mask, repeated
        if number % 6 == 0:
            element.set("NombrePlaces", "9")  # outside the grid, repeated
        courses.append(element)
    courses.append(E.Cours(E.Matiere(Ident="1"), E.Salle(Ident="1"), Jour="2"))
    return to_bytes(root)


def test_the_small_sample_parses_exactly_as_before_the_read_once_caches(tmp_path: Path) -> None:
    files = write_sample(generate_sample("small", seed=1), tmp_path)

    dump = _dump(_parse(files.edt_xml))

    assert hashlib.sha256(dump.encode()).hexdigest() == SMALL_SAMPLE_DIGEST


def test_values_read_once_give_the_timetable_and_warnings_read_each_time_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(_repetitive_export())
    cached = _parse(path)
    monkeypatch.setattr(edt, "_MASKS_CACHED", 0)  # nothing is kept: every value read anew

    uncached = _parse(path)

    assert repr(cached) == repr(uncached)
    codes = [problem.code for problem in cached.warnings]
    assert codes.count("bad_date") == 5 + 3  # 5 bad DateEntree, 3 bad DateNaissance
    assert codes.count("bad_weeks") == 3
    assert codes.count("course_outside_grid") == 2
    assert codes.count("unknown_ident") == 3  # the class part "99"
    assert codes.count("missing_weeks") == 1  # the room of the last course
    assert codes.count("bad_course") == 1


def test_students_enrolled_alike_share_their_enrolments(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(_repetitive_export())

    timetable = _parse(path)

    alike = [timetable.students[ident] for ident in ("3", "4", "5")]
    assert alike[0].enrolments == alike[1].enrolments == alike[2].enrolments
    assert alike[0].enrolments is alike[1].enrolments is alike[2].enrolments
    assert {e.ident for e in alike[0].enrolments} == {"1", "11"}  # class, part, group "1"
    assert len(alike[0].enrolments) == 3


def test_a_clear_export_fingerprinted_first_is_parsed_from_the_bytes_already_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(_repetitive_export())
    expected = _parse(path)
    context = ParseContext(memo=ParseMemo())
    content_fingerprint(path, context=context)
    path.write_bytes(b"not read again")  # the parse must not open the file

    timetable = edt.INDEX_EDUCATION_PARSER.parse(path, filename=path.name, context=context)

    assert repr(timetable) == repr(expected)
    # Taken by the parse: a second parse of the same run reads the file.
    with pytest.raises(TimetableInvalid) as refused:
        edt.INDEX_EDUCATION_PARSER.parse(path, filename=path.name, context=context)
    assert [problem.code for problem in refused.value.problems] == ["truncated"]


def test_an_unchanged_export_is_fingerprinted_alike_whether_or_not_a_parse_follows(
    tmp_path: Path,
) -> None:
    data = _repetitive_export()
    path = tmp_path / "export.xml"
    path.write_bytes(data)

    with_memo = content_fingerprint(path, context=ParseContext(memo=ParseMemo()))
    without_memo = content_fingerprint(path, context=ParseContext())

    assert with_memo == without_memo == edt.payload_fingerprint(data)


def test_an_element_is_an_item_only_under_a_section_of_the_root(tmp_path: Path) -> None:
    root = edt_root()
    # A "Cours" nested one level deeper than the items is not a course.
    section(root, "Cours")[0].append(
        E.Cours(E.Matiere(Ident="2"), Jour="2", NumeroPlaceDebut="0", NombrePlaces="1")
    )
    path = tmp_path / "export.xml"
    path.write_bytes(etree.tostring(root))

    timetable = _parse(path)

    assert [c.subject_ident for c in timetable.courses] == ["1", "3"]
