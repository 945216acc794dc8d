"""Checks on a parsed timetable, whatever its source format. Pure: no ORM, no I/O.

:func:`timetable_validate` returns :class:`~imports.timetable.Problem` objects; the caller
decides (an ERROR rejects the import, WARNINGs go to the bilan). Errors protect the target:
a file for another establishment or another school year must never be imported. Warnings
follow the checks UnDeuxTEMPS runs before publishing to an ENT (groups filled in, no repeated
group, valid teacher names, publishable hours). STS-Web group names are checked after matching,
for the groups that did not match (:func:`group_name_problems`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection
from typing import Protocol

from ent.identifiers import is_valid_uai
from ent.school_years import WHO_ADJUSTS
from imports.timetable import (
    Course,
    Problem,
    Severity,
    Teacher,
    Timetable,
    UnitKind,
    of,
    sentence,
)

STS_GROUP_NAME_MAX = 8
_STS_GROUP_NAME = re.compile(r"^[A-Za-z0-9 _-]+$")
_PERSON_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*[.]?$")


class _YearLike(Protocol):
    start_date: dt.date
    end_date: dt.date


def _warning(code: str, message: str, action: str, ref: str = "", name: str = "") -> Problem:
    return Problem(
        code=code, message=message, action=action, ref=ref, severity=Severity.WARNING, name=name
    )


def _span(school_year: tuple[dt.date, dt.date] | _YearLike) -> tuple[dt.date, dt.date]:
    if isinstance(school_year, tuple):
        return school_year
    return school_year.start_date, school_year.end_date


def timetable_validate(
    timetable: Timetable,
    *,
    target_uais: Collection[str],
    school_year: tuple[dt.date, dt.date] | _YearLike | None,
) -> list[Problem]:
    """Return the problems of ``timetable`` for a deposit targeting ``target_uais``.

    ``school_year`` is the ENT's current school year as ``[start, end)`` (a tuple, or any
    object with ``start_date`` and ``end_date``), ``None`` when none is declared.
    """
    problems = _check_uai(timetable.uai, target_uais)
    problems += _check_school_year(timetable, school_year)
    problems += _check_groups(timetable)
    problems += _check_teachers(timetable)
    problems += _check_hours(timetable)
    return problems


def _check_uai(uai: str, target_uais: Collection[str]) -> list[Problem]:
    if not uai:
        return []
    if not is_valid_uai(uai):
        return [
            Problem(
                code="uai_malformed",
                message=f"L'UAI « {uai} » indiqué dans le fichier n'est pas valide (7 chiffres "
                "et une lettre de contrôle attendus).",
                action="Corrigez l'UAI (RNE) de l'établissement dans les paramètres de votre "
                "logiciel d'emploi du temps, puis relancez l'export.",
                ref="UAI",
            )
        ]
    targets = sorted({t.strip().upper() for t in target_uais})
    if uai.upper() not in targets:
        expected = ", ".join(targets) or "aucun"
        return [
            Problem(
                code="uai_mismatch",
                message=f"Le fichier est celui de l'établissement {uai}, alors que le dépôt "
                f"vise l'établissement {expected}.",
                action="Déposez le fichier dans le dossier de l'établissement concerné, ou "
                "vérifiez l'UAI saisi dans votre logiciel d'emploi du temps.",
                ref="UAI",
            )
        ]
    return []


def _check_school_year(
    timetable: Timetable, school_year: tuple[dt.date, dt.date] | _YearLike | None
) -> list[Problem]:
    if school_year is None:
        return [
            Problem(
                code="no_school_year",
                message="Aucune année scolaire en cours n'est connue de l'ENT : l'année du "
                "fichier ne peut pas être vérifiée.",
                action=f"L'année scolaire se déclare par {WHO_ADJUSTS} ; relancez ensuite "
                "l'import.",
            )
        ]
    start, end = _span(school_year)
    year = timetable.year
    # A file of the previous year may spill a few days over the next one (DateFin set to
    # 31 August): require that most of the file's year lies inside the ENT's.
    overlap = (min(end, year.end) - max(start, year.start)).days
    if overlap * 2 < (year.end - year.start).days:
        return [
            Problem(
                code="wrong_school_year",
                message=f"Le fichier couvre l'année scolaire du {year.start:%d/%m/%Y} au "
                f"{year.end - dt.timedelta(days=1):%d/%m/%Y}, qui n'est pas l'année en cours "
                f"dans l'ENT (du {start:%d/%m/%Y} au {end - dt.timedelta(days=1):%d/%m/%Y}).",
                action="Faites l'export de l'année en cours depuis votre logiciel d'emploi du "
                "temps, puis déposez-le à nouveau. Si ce sont les dates de l'ENT qui sont "
                f"fausses, elles s'ajustent par {WHO_ADJUSTS}.",
                ref="AnneeScolaire",
            )
        ]
    return []


def _groups_with_students(timetable: Timetable) -> set[str]:
    """Return the idents of the groups a student is enrolled in."""
    return {
        enrolment.ident
        for student in timetable.students.values()
        for enrolment in student.enrolments
        if enrolment.kind == UnitKind.GROUP
    }


def _check_groups(timetable: Timetable) -> list[Problem]:
    problems: list[Problem] = []
    # Only a group without classes or parts needs the students' enrolments read.
    with_students: set[str] | None = None
    by_name: dict[str, list[str]] = defaultdict(list)
    for group in timetable.groups.values():
        ref = f"Groupe Ident={group.ident}"
        by_name[group.name.strip().casefold()].append(group.ident)
        if group.class_idents or group.part_idents:
            continue
        if with_students is None:
            with_students = _groups_with_students(timetable)
        if group.ident not in with_students:
            problems.append(
                _warning(
                    "empty_group",
                    f"Le groupe « {group.name} » est vide : ni classe, ni partie de classe, ni "
                    "élève.",
                    "Renseignez la composition du groupe dans votre logiciel d'emploi du temps, "
                    "ou supprimez-le.",
                    ref,
                    group.name,
                )
            )
    for idents in by_name.values():
        if len(idents) > 1:
            name = timetable.groups[idents[0]].name
            problems.append(
                _warning(
                    "duplicate_group",
                    f"{len(idents)} groupes s'appellent « {name} » : ils ne pourront pas être "
                    "distingués dans l'ENT.",
                    "Donnez un nom unique à chaque groupe dans votre logiciel d'emploi du temps.",
                    f"Groupe Ident={idents[0]}",
                    name,
                )
            )
    return problems


def group_name_problems(timetable: Timetable, *, unmatched: Collection[str]) -> list[Problem]:
    """Return the STS-Web name warnings of the groups (idents) ``unmatched`` by the import.

    A long or odd name matters only when it kept the group from finding its match in the
    ENT: for a group that matched, the warning would send the manager after nothing.
    """
    problems: list[Problem] = []
    named: set[str] = set()
    for ident in sorted(unmatched, key=lambda i: (timetable.groups[i].name, i)):
        group = timetable.groups[ident]
        # A publication may repeat a group in each of its divisions: one warning per name.
        if group.name not in named:
            named.add(group.name)
            problems += _check_group_name(group.name, f"Groupe Ident={group.ident}")
    return problems


def _check_group_name(name: str, ref: str) -> list[Problem]:
    problems: list[Problem] = []
    if len(name) > STS_GROUP_NAME_MAX:
        problems.append(
            _warning(
                "group_name_too_long",
                f"Le nom du groupe « {name} » dépasse {STS_GROUP_NAME_MAX} caractères : STS-Web "
                "le refuse, et ce groupe n'a pas trouvé de correspondance dans l'ENT.",
                f"Raccourcissez le nom à {STS_GROUP_NAME_MAX} caractères au plus dans votre "
                "logiciel d'emploi du temps, ou rapprochez le groupe à la main.",
                ref,
                name,
            )
        )
    if name and not _STS_GROUP_NAME.match(name):
        problems.append(
            _warning(
                "group_name_invalid",
                f"Le nom du groupe « {name} » contient des caractères refusés par STS-Web "
                "(seuls lettres, chiffres, espaces, « - » et « _ » sont admis).",
                "Renommez le groupe dans votre logiciel d'emploi du temps, ou rapprochez-le à "
                "la main.",
                ref,
                name,
            )
        )
    return problems


def _check_teachers(timetable: Timetable) -> list[Problem]:
    problems: list[Problem] = []
    # The first course of each teacher, read once if a teacher has no name.
    first_courses: dict[str, Course] | None = None
    for teacher in timetable.teachers.values():
        ref = f"Professeur Ident={teacher.ident}"
        full = f"{teacher.last_name} {teacher.first_name}".strip()
        if not teacher.last_name or not teacher.first_name:
            if full:
                who = f"L'enseignant « {full} »"
            else:
                if first_courses is None:
                    first_courses = _first_courses(timetable)
                who = _nameless_teacher(timetable, teacher, first_courses.get(teacher.ident))
            problems.append(
                _warning(
                    "teacher_name_missing",
                    f"{who} n'a pas de nom ou de prénom : il ne pourra pas être rapproché d'un "
                    "compte de l'ENT.",
                    "Renseignez le nom et le prénom de l'enseignant, identiques à ceux de "
                    "l'ENT, dans votre logiciel d'emploi du temps.",
                    ref,
                    full or who,
                )
            )
        elif not all(_PERSON_NAME.match(part) for part in (teacher.last_name, teacher.first_name)):
            problems.append(
                _warning(
                    "teacher_name_invalid",
                    f"Le nom de l'enseignant « {full} » contient des chiffres ou des caractères "
                    "inattendus.",
                    "Corrigez le nom et le prénom de l'enseignant dans votre logiciel d'emploi "
                    "du temps pour qu'ils soient identiques à ceux de l'ENT.",
                    ref,
                    full,
                )
            )
    return problems


def _first_courses(timetable: Timetable) -> dict[str, Course]:
    """Return each teacher's first course in the file, by the teacher's ident."""
    first: dict[str, Course] = {}
    for course in timetable.courses:
        for resource in course.teachers:
            first.setdefault(resource.ident, course)
    return first


def _nameless_teacher(timetable: Timetable, teacher: Teacher, course: Course | None) -> str:
    """Describe a teacher the file gives no name by: a course they teach, else their ids."""
    if course is not None:
        return f"L'enseignant {of(timetable.course_described(course))}"
    if teacher.sts_id:
        return f"L'enseignant d'identifiant STS-Web {teacher.sts_id}"
    return "Un enseignant sans cours"


def _check_hours(timetable: Timetable) -> list[Problem]:
    problems: list[Problem] = []
    if timetable.grid is not None:
        for slot in timetable.grid.slots:
            if slot.start >= slot.end:
                problems.append(
                    _warning(
                        "grid_not_publishable",
                        f"La place {slot.number} de la grille horaire commence à "
                        f"{slot.start:%H:%M} et finit à {slot.end:%H:%M}.",
                        "Corrigez la grille horaire dans votre logiciel d'emploi du temps.",
                        f"Place Numero={slot.number}",
                    )
                )
    for course in timetable.courses:
        if course.start >= course.end:
            problems.append(
                _warning(
                    "course_hours_not_publishable",
                    f"{sentence(timetable.course_described(course))} commence à "
                    f"{course.start:%H:%M} et finit à {course.end:%H:%M} : ses horaires ne sont "
                    "pas publiables et ses séances ne seront pas créées correctement.",
                    "Corrigez la grille horaire ou ce cours dans votre logiciel d'emploi du temps.",
                    course.ident,
                )
            )
    return problems
