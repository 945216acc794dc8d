"""The normalised timetable every parser returns. Pure data: no ORM, no I/O.

One model for every source format (EDT/PRONOTE, UnDeuxTEMPS). Identifiers are the source's
own (``Ident`` attributes, UDT ``code`` values) as strings, unique per kind, so errors can
point at them. Dates are naive ``datetime.date`` and times naive ``datetime.time``, both local
to the establishment (Europe/Paris); the pipeline turns them into aware datetimes.

Weeks are **school week numbers**: week ``i`` (1-based) starts on
``SchoolYearSpan.week1_monday + 7·(i−1)`` days, whatever the format numbered them in (EDT's
``Semaines`` masks use this numbering already; UnDeuxTEMPS' ISO weeks are converted).
Periods are half-open: ``end`` dates are excluded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def course_description(
    *,
    subject: str = "",
    day: int = 0,
    start: dt.time | None = None,
    end: dt.time | None = None,
    audience: tuple[str, ...] = (),
    teachers: tuple[str, ...] = (),
) -> str:
    """Return a course as a manager finds it in the timetable, in French, lowercase first.

    "le cours de Français du mardi de 08:00 à 09:00 (3B, MARTIN Paul)": whatever is known
    of the subject, day, hours, classes or groups and teachers; "un cours" when nothing is.
    """
    text = f"le cours {of(subject)}" if subject else "un cours"
    if 1 <= day <= 7:
        text += f" du {WEEKDAY_NAMES[day - 1]}"
    if start is not None and end is not None:
        text += f" de {start:%H:%M} à {end:%H:%M}"
    elif start is not None:
        text += f" à {start:%H:%M}"
    who = [name for name in (*audience, *teachers) if name]
    if who:
        text += f" ({', '.join(who)})"
    return text


def of(text: str) -> str:
    """Return "de ``text``" with French elision and contraction ("du groupe", "d'Anglais")."""
    lowered = text.lower()
    if lowered.startswith("le "):
        return "du " + text[3:]
    if lowered.startswith("les "):
        return "des " + text[4:]
    if text[:1].lower() in "aâàeéèêëiîïoôuùûüyh":
        return "d'" + text
    return "de " + text


def sentence(text: str) -> str:
    """Return ``text`` with its first letter capitalised, to open a sentence."""
    return text[:1].upper() + text[1:]


class Severity(StrEnum):
    ERROR = "ERROR"  # the file cannot be imported
    WARNING = "WARNING"  # imported, but the bilan shows it


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a file, for the bilan: French ``message`` and ``action``.

    ``code`` is stable (tests and the UI key on it); ``ref`` points into the source (an
    element and its ``Ident``, a zip member, a line) when there is one; ``detail`` is the
    untranslated text of the library that failed, shown folded for support; ``name`` is what
    the problem is about as users know it (a group's name), listed when problems are grouped.
    """

    code: str
    message: str
    action: str = ""
    ref: str = ""
    severity: Severity = Severity.ERROR
    detail: str = ""
    name: str = ""


class TimetableInvalid(Exception):
    """The file cannot be imported; ``problems`` say why (at least one ERROR)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @classmethod
    def one(
        cls, code: str, message: str, action: str = "", ref: str = "", detail: str = ""
    ) -> TimetableInvalid:
        return cls([Problem(code=code, message=message, action=action, ref=ref, detail=detail)])


@dataclass(frozen=True, slots=True)
class SchoolYearSpan:
    start: dt.date  # first day of the school year
    end: dt.date  # first day after it (exclusive)
    week1_monday: dt.date  # Monday of school week 1

    def week_monday(self, week: int) -> dt.date:
        return self.week1_monday + dt.timedelta(days=7 * (week - 1))

    def day(self, week: int, weekday: int) -> dt.date:
        """Return the date of ``weekday`` (1 = Monday … 7 = Sunday) of school week ``week``."""
        return self.week1_monday + dt.timedelta(days=7 * (week - 1) + weekday - 1)

    def week_of(self, day: dt.date) -> int:
        """Return the school week number that contains ``day``."""
        return (day - self.week1_monday).days // 7 + 1

    @property
    def last_week(self) -> int:
        return self.week_of(self.end - dt.timedelta(days=1))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end


@dataclass(frozen=True, slots=True)
class Slot:
    """A place ("place", "demi-séquence") of the day: ``[start, end)``."""

    number: int
    start: dt.time
    end: dt.time


@dataclass(frozen=True, slots=True)
class TimeGrid:
    days: tuple[int, ...]  # working days, 1 = Monday
    slot_minutes: int
    slots: tuple[Slot, ...]

    def slot(self, number: int) -> Slot | None:
        for slot in self.slots:
            if slot.number == number:
                return slot
        return None


@dataclass(frozen=True, slots=True)
class SourceSubject:
    ident: str
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Teacher:
    ident: str
    last_name: str
    first_name: str
    birth_date: dt.date | None = None
    sts_id: str = ""  # STS-Web id (EDT ``IDSTS``)
    idpn: str = ""  # PRONOTE unique id (``IDPN``)
    cas_id: str = ""


class UnitKind(StrEnum):
    CLASS = "CLASS"
    PART = "PART"  # part of a class (half-class), EDT ``PartieDeClasse``
    GROUP = "GROUP"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A student in a class, class part or group over ``[start, end)`` (None: open)."""

    kind: UnitKind
    ident: str
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Student:
    ident: str
    last_name: str
    first_name: str
    birth_date: dt.date | None = None
    sex: str = ""  # "M" / "F" / ""
    ine: str = ""  # national id (EDT ``NumeroNational``)
    siecle_id: str = ""  # SIECLE ELEVE_ID (EDT ``IDSconet``)
    idpn: str = ""
    enrolments: tuple[Enrolment, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceClass:
    ident: str
    name: str
    part_idents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassPart:
    """A part of a class (half-class); EDT gives it no name of its own."""

    ident: str
    class_ident: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    """A teaching group, made of whole classes and/or class parts."""

    ident: str
    name: str
    class_idents: tuple[str, ...] = ()
    part_idents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Room:
    ident: str
    name: str


@dataclass(frozen=True, slots=True)
class Resource:
    """A teacher, class, part, group or room of a course, active on ``weeks``."""

    ident: str
    weeks: frozenset[int]


@dataclass(frozen=True, slots=True)
class Course:
    """A weekly course: on ``day`` from ``start`` to ``end``, each resource on its weeks."""

    ident: str  # source reference ("Cours n° 12", a fiche code)
    day: int  # 1 = Monday
    start: dt.time
    end: dt.time
    subject_ident: str
    teachers: tuple[Resource, ...] = ()
    classes: tuple[Resource, ...] = ()
    parts: tuple[Resource, ...] = ()
    groups: tuple[Resource, ...] = ()
    rooms: tuple[Resource, ...] = ()
    cancelled_weeks: frozenset[int] = frozenset()

    @property
    def resources(self) -> tuple[Resource, ...]:
        return self.teachers + self.classes + self.parts + self.groups + self.rooms

    def weeks(self) -> frozenset[int]:
        """Weeks in which the course takes place: any resource active, not cancelled."""
        active: set[int] = set()
        for resource in self.resources:
            active |= resource.weeks
        return frozenset(active - self.cancelled_weeks)


@dataclass(frozen=True, slots=True)
class SourceClosing:
    start: dt.date
    end: dt.date  # exclusive
    label: str = ""


@dataclass
class Timetable:
    source_format: str  # a value of imports.parsers.registry.SourceFormat
    uai: str  # the establishment the file says it is for ("" when the format has none)
    year: SchoolYearSpan
    software: str = ""  # e.g. "PRONOTE 2024 - 1.0.3", "UnDeuxTEMPS"
    format_version: str = ""
    exported_at: dt.datetime | None = None
    grid: TimeGrid | None = None
    subjects: dict[str, SourceSubject] = field(default_factory=dict)
    teachers: dict[str, Teacher] = field(default_factory=dict)
    classes: dict[str, SourceClass] = field(default_factory=dict)
    parts: dict[str, ClassPart] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    rooms: dict[str, Room] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)
    courses: list[Course] = field(default_factory=list)
    closings: list[SourceClosing] = field(default_factory=list)
    # Warnings found while parsing; errors raise TimetableInvalid instead.
    warnings: list[Problem] = field(default_factory=list)

    def course_described(self, course: Course) -> str:
        """Return ``course`` described by its subject, day, hours, audience and teachers."""
        subject = self.subjects.get(course.subject_ident)
        audience = tuple(
            [self.classes[r.ident].name for r in course.classes if r.ident in self.classes]
            + [self.part_name(r.ident) for r in course.parts if r.ident in self.parts]
            + [self.groups[r.ident].name for r in course.groups if r.ident in self.groups]
        )
        teachers = tuple(
            f"{t.last_name} {t.first_name}".strip()
            for r in course.teachers
            if (t := self.teachers.get(r.ident)) is not None
        )
        return course_description(
            subject=(subject.label or subject.code) if subject else "",
            day=course.day,
            start=course.start,
            end=course.end,
            audience=audience,
            teachers=teachers,
        )

    def part_name(self, ident: str) -> str:
        """Return a class part's name; EDT gives none, so it is derived from its class.

        The derived spelling is the usual STS-Web / AAF one for half-classes ("6A GR1"),
        so parts match the directory's groups and keep their name across formats.
        """
        part = self.parts[ident]
        if part.name:
            return part.name
        school_class = self.classes.get(part.class_ident)
        if school_class is None:
            return f"Partie {ident}"
        if ident in school_class.part_idents:
            return f"{school_class.name} GR{school_class.part_idents.index(ident) + 1}"
        return f"{school_class.name} GR{ident}"
