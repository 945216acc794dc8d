"""EDT files, an ENT directory that matches them, and helpers to run imports in tests.

The file (:func:`edt_file`) is a clear EDT / PRONOTE export for school year 2026-2027: four
classes (6A, 6B, 5A, 5B, each with two half-classes), the LATIN group (6A + 6B), ten teachers,
eight students and 82 weekly courses (each class, Monday to Friday, four places a day; one
half-class course; one LATIN course), off at Toussaint (weeks 8–9) and Christmas (17–18).
:func:`directory` fills the ENT with the matching teachers (PRONOTE IDPN), students (INE) and
classes; the groups are left for the import to create.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from ent.identifiers import make_uai
from ent.models import Establishment, Person, SchoolClass, SchoolGroup, Session
from imports.models import ImportRun
from imports.services.deposits import deposit_receive
from imports.services.queue import import_queue_process
from imports.weeks import mask_from_weeks
from tests.factories import EstablishmentFactory, SchoolGroupFactory, SchoolYearFactory
from tests.imports.parsers.edt_fixtures import E, edt_root, section, to_bytes

PARIS = ZoneInfo("Europe/Paris")
UAI = make_uai("0750001")
OTHER_UAI = make_uai("0931234")
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=PARIS)  # Monday of school week 12
HOLIDAY_WEEKS = frozenset({8, 9, 17, 18})
WEEKS = frozenset(range(1, 45)) - HOLIDAY_WEEKS
SUBJECTS = [("1", "MATHS", "Mathématiques"), ("2", "FRANC", "Français")]
SUBJECTS += [("3", "AGL1", "Anglais LV1"), ("4", "HIGEO", "Histoire-géographie")]
SUBJECTS += [("5", "SVT", "Sciences de la vie et de la Terre"), ("6", "LCALA", "Latin")]
TEACHERS = ["DUPONT", "MARTIN", "BERNARD", "PETIT", "DURAND"]
TEACHERS += ["LEROY", "MOREAU", "SIMON", "LAURENT", "MICHEL"]
CLASSES = ["6A", "6B", "5A", "5B"]
STUDENTS = ["ARNAUD", "BLANC", "CARON", "DENIS", "ETIENNE", "FABRE", "GIRARD", "HENRY"]


@dataclass(frozen=True)
class CourseSpec:
    day: int
    place: int
    subject: str
    teacher: int  # index in TEACHERS
    school_class: int | None = None  # index in CLASSES
    part: str | None = None  # part ident, e.g. "11" (first half of 6A)
    group: bool = False  # the LATIN group
    room: int = 1
    weeks: frozenset[int] = WEEKS
    replacement: tuple[int, frozenset[int]] | None = None  # (teacher, weeks)
    cancelled: frozenset[int] = frozenset()  # weeks written as SemainesAnnulation
    places: int = 1  # length, in places of the grid


def default_courses() -> list[CourseSpec]:
    courses = [
        CourseSpec(
            day=day,
            place=place,
            subject=str((day + place + c) % 5 + 1),
            teacher=(c + day + place) % len(TEACHERS),
            school_class=c,
            room=c + 1,
        )
        for c in range(len(CLASSES))
        for day in range(1, 6)
        for place in range(4)
    ]
    courses.append(CourseSpec(day=3, place=3, subject="5", teacher=4, part="11", room=5))
    courses.append(CourseSpec(day=5, place=3, subject="6", teacher=9, group=True, room=5))
    return courses


def _course(spec: CourseSpec) -> etree._Element:
    mask = str(mask_from_weeks(spec.weeks))
    teacher_weeks = spec.weeks - (spec.replacement[1] if spec.replacement else frozenset())
    children = [E.Matiere(Ident=spec.subject)]
    children.append(
        E.Professeur(Ident=str(spec.teacher + 1), Semaines=str(mask_from_weeks(teacher_weeks)))
    )
    if spec.replacement:
        teacher, weeks = spec.replacement
        children.append(E.Professeur(Ident=str(teacher + 1), Semaines=str(mask_from_weeks(weeks))))
    if spec.school_class is not None:
        children.append(E.Classe(Ident=str(spec.school_class + 1), Semaines=mask))
    if spec.part:
        children.append(E.PartieDeClasse(Ident=spec.part, Semaines=mask))
    if spec.group:
        children.append(E.Groupe(Ident="1", Semaines=mask))
    children.append(E.Salle(Ident=str(spec.room), Semaines=mask))
    course = E.Cours(
        *children,
        Jour=str(spec.day),
        NumeroPlaceDebut=str(spec.place),
        NombrePlaces=str(spec.places),
    )
    if spec.cancelled:
        course.set("SemainesAnnulation", str(mask_from_weeks(spec.cancelled)))
    return course


def edt_file(
    courses: list[CourseSpec] | None = None,
    *,
    uai: str = UAI,
    year_start: str = "2026-09-01",
    year_end: str = "2027-07-02",
    week1: str = "2026-08-31",
    comment: str = "",
    teachers: list[str] = TEACHERS,
    classes: list[str] = CLASSES,
    ine_letters: str = "AB",
) -> bytes:
    """Return the EDT export described in the module docstring (``courses`` to change it)."""
    root = edt_root(uai=uai, year_start=year_start, year_end=year_end, week1=week1)
    _fill(
        section(root, "Matieres"),
        [E.Matiere(Ident=i, Code=c, Libelle=label) for i, c, label in SUBJECTS],
    )
    _fill(
        section(root, "Professeurs"),
        [
            E.Professeur(Ident=str(n + 1), Nom=name, Prenom="Claire", IDPN=f"PN-{n + 1}")
            for n, name in enumerate(teachers)
        ],
    )
    _fill(
        section(root, "Classes"),
        [
            E.Classe(
                E.PartieDeClasse(Ident=f"{n + 1}1"),
                E.PartieDeClasse(Ident=f"{n + 1}2"),
                Ident=str(n + 1),
                Nom=name,
            )
            for n, name in enumerate(classes)
        ],
    )
    _fill(
        section(root, "Groupes"),
        [E.Groupe(E.Classe(Ident="1"), E.Classe(Ident="2"), Ident="1", Nom="LATIN")],
    )
    _fill(section(root, "Salles"), [E.Salle(Ident=str(n), Nom=f"Salle {n}") for n in range(1, 6)])
    _fill(
        section(root, "Eleves"),
        [_student(n, name, ine_letters) for n, name in enumerate(STUDENTS)],
    )
    _fill(section(root, "Cours"), [_course(spec) for spec in courses or default_courses()])
    if comment:
        root.append(etree.Comment(comment))
    return to_bytes(root)


def _student(n: int, name: str, ine_letters: str) -> etree._Element:
    school_class = n // 2 + 1
    return E.Eleve(
        E.Classe(Ident=str(school_class), DateEntree="2026-09-01", DateSortie="2027-07-02"),
        E.PartieDeClasse(
            Ident=f"{school_class}{n % 2 + 1}", DateEntree="2026-09-01", DateSortie="2027-07-02"
        ),
        Ident=str(n + 1),
        Nom=name,
        Prenom="Léa",
        DateNaissance="2014-03-01",
        Sexe="Feminin",
        NumeroNational=f"{n + 1:09d}{ine_letters}",
    )


def _fill(element: etree._Element, children: list[etree._Element]) -> None:
    for child in list(element):
        element.remove(child)
    element.extend(children)


@dataclass
class School:
    group: SchoolGroup
    establishment: Establishment
    teachers: list[Person] = field(default_factory=list)
    students: list[Person] = field(default_factory=list)
    classes: list[SchoolClass] = field(default_factory=list)


def directory(*, uai: str = UAI, ine_letters: str = "AB") -> School:
    """Create a school group, its establishment and year, and a directory matching the file.

    INEs are unique across the ENT: a second school group needs other ``ine_letters`` (and
    files written with the same letters).
    """
    group = SchoolGroupFactory(name="Cité scolaire du test")
    SchoolYearFactory(school_group=group)  # [2026-09-01, 2027-07-04)
    establishment = EstablishmentFactory(school_group=group, uai=uai, name="Collège Jean Moulin")
    school = School(group=group, establishment=establishment)
    for n, name in enumerate(TEACHERS):
        school.teachers.append(
            _person(establishment, Person.Kind.TEACHER, name, "Claire", pronote_idpn=f"PN-{n + 1}")
        )
    for n, name in enumerate(STUDENTS):
        school.students.append(
            _person(
                establishment, Person.Kind.STUDENT, name, "Léa", ine=f"{n + 1:09d}{ine_letters}"
            )
        )
    school.classes = [
        SchoolClass.objects.create(establishment=establishment, code=code, name=code)
        for code in CLASSES
    ]
    return school


def _person(establishment: Establishment, kind: str, last: str, first: str, **ids: str) -> Person:
    person = Person.objects.create(kind=kind, last_name=last, first_name=first, **ids)
    person.establishments.add(establishment)
    return person


@pytest.fixture
def school(db: None) -> School:
    return directory()


def deposit(
    school: School,
    content: bytes,
    *,
    mode: str = ImportRun.Mode.AUTOMATIC,
    apply_anyway: bool = False,
    preview_only: bool = False,
    now: dt.datetime = NOW,
    filename: str = "EDT_export.xml",
    whole_group: bool = False,
) -> ImportRun:
    """Store ``content`` as a deposit (RECEIVED) for the establishment or the whole group."""
    run = deposit_receive(
        school_group=school.group,
        establishment=None if whole_group else school.establishment,
        filename=filename,
        stream=io.BytesIO(content),
        deposited_by_id=None,
        mode=mode,
        apply_anyway=apply_anyway,
        preview_only=preview_only,
        now=now,
    )
    return run


def process(school: School, *, now: dt.datetime = NOW) -> None:
    import_queue_process(school_group_id=school.group.pk, clock=lambda: now)


def run_import(
    school: School, content: bytes, *, now: dt.datetime = NOW, **options: object
) -> ImportRun:
    """Deposit ``content`` and process the queue; return the run, refreshed."""
    run = deposit(school, content, now=now, **options)  # type: ignore[arg-type]
    process(school, now=now)
    run.refresh_from_db()
    return run


def initialise(
    school: School, content: bytes | None = None, *, now: dt.datetime = NOW
) -> ImportRun:
    """Run the year's manual initialisation, confirmed despite the thresholds."""
    run = run_import(
        school, content or edt_file(), now=now, mode=ImportRun.Mode.MANUAL, apply_anyway=True
    )
    assert run.status == ImportRun.Status.INTEGRATED, [s.message for s in run.steps.all()]
    return run


def timetable_sessions() -> dict[int, tuple[str, dt.datetime, dt.datetime, str]]:
    """Return every generated session: pk → (service key, start, end, room)."""
    return {
        pk: (key, starts, ends, room)
        for pk, key, starts, ends, room in Session.objects.filter(
            source=Session.Source.TIMETABLE
        ).values_list("pk", "teaching_service__key", "starts_at", "ends_at", "room")
    }


def moved(courses: list[CourseSpec], index: int, **changes: object) -> list[CourseSpec]:
    """Return ``courses`` with the one at ``index`` changed."""
    changed = list(courses)
    changed[index] = replace(changed[index], **changes)  # type: ignore[arg-type]
    return changed
