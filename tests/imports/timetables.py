"""Hand-built normalised timetables for the planning and pipeline tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from imports.parsers.registry import SourceFormat
from imports.timetable import (
    ClassPart,
    Course,
    Enrolment,
    Group,
    Resource,
    Room,
    SchoolYearSpan,
    SourceClass,
    SourceClosing,
    SourceSubject,
    Student,
    Teacher,
    Timetable,
    UnitKind,
)

YEAR = SchoolYearSpan(
    start=dt.date(2026, 9, 1), end=dt.date(2027, 7, 4), week1_monday=dt.date(2026, 8, 31)
)
ALL_WEEKS = frozenset(range(1, YEAR.last_week + 1))
TOUSSAINT = SourceClosing(dt.date(2026, 10, 17), dt.date(2026, 11, 2), "Vacances de la Toussaint")
NOEL = SourceClosing(dt.date(2026, 12, 19), dt.date(2027, 1, 4), "Vacances de Noël")


def weeks(*numbers: int) -> frozenset[int]:
    return frozenset(numbers)


def course(
    ident: str,
    *,
    day: int = 1,
    start: str = "08:00",
    end: str = "09:00",
    subject: str = "MATHS",
    teachers: dict[str, frozenset[int]] | None = None,
    classes: tuple[str, ...] = ("3A",),
    parts: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    rooms: tuple[str, ...] = ("S101",),
    on: frozenset[int] = ALL_WEEKS,
) -> Course:
    """Return a weekly course; ``teachers`` maps a teacher ident to its weeks (default: T1)."""
    teachers = teachers if teachers is not None else {"T1": on}
    return Course(
        ident=ident,
        day=day,
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        subject_ident=subject,
        teachers=tuple(Resource(t, w) for t, w in teachers.items()),
        classes=tuple(Resource(c, on) for c in classes),
        parts=tuple(Resource(p, on) for p in parts),
        groups=tuple(Resource(g, on) for g in groups),
        rooms=tuple(Resource(r, on) for r in rooms),
    )


def timetable(*courses: Course, uai: str = "", students: int = 0) -> Timetable:
    """Return a small collège timetable: 2 subjects, 3 teachers, class 3A (2 parts), LATIN."""
    people = {
        f"E{n}": Student(
            ident=f"E{n}",
            last_name=f"Eleve{n}",
            first_name="Test",
            birth_date=dt.date(2012, 1, 1),
            ine=f"{n:09d}AA",
            enrolments=(
                Enrolment(UnitKind.CLASS, "3A"),
                Enrolment(UnitKind.PART, "3A-1" if n % 2 else "3A-2"),
            ),
        )
        for n in range(1, students + 1)
    }
    return Timetable(
        source_format=SourceFormat.INDEX_EDUCATION,
        uai=uai,
        year=YEAR,
        software="EDT 2026",
        subjects={
            "MATHS": SourceSubject("MATHS", "MATHS", "Mathématiques"),
            "FRANC": SourceSubject("FRANC", "FRANC", "Français"),
        },
        teachers={
            "T1": Teacher("T1", "Martin", "Paul", idpn="IDPN-T1"),
            "T2": Teacher("T2", "Durand", "Anne", sts_id="STS-T2"),
            "T3": Teacher("T3", "Petit", "Luc", idpn="IDPN-T3"),
        },
        classes={"3A": SourceClass("3A", "3A", part_idents=("3A-1", "3A-2"))},
        parts={"3A-1": ClassPart("3A-1", "3A"), "3A-2": ClassPart("3A-2", "3A")},
        groups={"LATIN": Group("LATIN", "Latin 3e", class_idents=("3A",))},
        rooms={"S101": Room("S101", "S101"), "S102": Room("S102", "S102")},
        students=people,
        courses=list(courses),
        closings=[TOUSSAINT, NOEL],
    )


def with_courses(base: Timetable, *courses: Course) -> Timetable:
    return replace(base, courses=list(courses))
