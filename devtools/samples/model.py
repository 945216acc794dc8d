"""The records of a generated sample: :class:`Sample`, its establishments and sessions.

A :class:`Sample` keeps the generator's own plan of every weekly lesson (:class:`Lesson`):
:meth:`Sample.expected_sessions` expands those lessons into dated sessions without going
through the normalised timetable model, so it can check the parsers and the session
generation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from devtools.samples.calendar import SchoolCalendar
from devtools.samples.catalogue import PLACE_TIMES, SUBJECTS
from ent.aaf.records import AafRecord
from imports.timetable import Timetable, UnitKind

WEEKLY, WEEKS_A, WEEKS_B = 3, 1, 2  # parity masks: both, A only, B only


@dataclass(frozen=True, slots=True)
class SampleEstablishment:
    uai: str
    name: str  # as the directory spells it (upper case, no accents)
    display_name: str  # as people write it
    jointure: str  # AAF ENTStructureJointure
    kind: str  # "college" or "lycee"
    city: str
    postal_code: str


@dataclass(frozen=True, slots=True, order=True)
class ExpectedSession:
    """One dated session an import of the sample must produce.

    ``teachers`` are teacher idents of ``Sample.timetable`` (see
    :meth:`Sample.directory_id_of`); ``classes`` and ``groups`` are names, equal to the
    directory's codes; ``parts`` are class-part idents; ``rooms`` are room names.
    """

    date: dt.date
    start: dt.time
    end: dt.time
    subject_code: str
    teachers: tuple[str, ...]
    classes: tuple[str, ...]
    groups: tuple[str, ...]
    parts: tuple[str, ...]
    rooms: tuple[str, ...]
    course: str  # the course's ident in ``Sample.timetable``


@dataclass
class Lesson:
    """A weekly lesson as the generator plans it, before any export format is involved."""

    establishment: int
    subject: str  # subject key
    length: int  # places
    parity: int  # WEEKLY, WEEKS_A or WEEKS_B
    teachers: list[str]
    audience: list[tuple[UnitKind, str, int]]  # (kind, ident, parity)
    day: int = 0
    place: int = 0
    room: str = ""
    weeks: frozenset[int] = frozenset()
    cancelled: frozenset[int] = frozenset()
    # absent teacher → (substitute, weeks the substitute teaches instead)
    replacements: dict[str, tuple[str, frozenset[int]]] = field(default_factory=dict)
    ident: str = ""


@dataclass
class Sample:
    """A generated cité scolaire: its timetable (the truth) and its directory."""

    preset: str
    seed: int
    timetable: Timetable = field(repr=False)
    establishments: tuple[SampleEstablishment, ...]
    aaf_records: list[AafRecord] = field(repr=False)
    directory_date: dt.date  # the date of the AAF snapshot
    exported_at: dt.datetime  # when the timetable program "exported" the file (local time)
    absent: frozenset[tuple[str, str]]  # ("teacher" | "student", ident) left out of the AAF
    variants: dict[tuple[str, str], tuple[str, str]]  # → (last, first) as the AAF spells them
    calendar: SchoolCalendar = field(repr=False)
    _lessons: list[Lesson] = field(repr=False, default_factory=list)
    _jointures: dict[tuple[str, str], str] = field(repr=False, default_factory=dict)
    _unit_establishment: dict[tuple[str, str], int] = field(repr=False, default_factory=dict)
    _students_groups: dict[str, tuple[str, ...]] = field(repr=False, default_factory=dict)

    @property
    def uai(self) -> str:
        """Return the UAI the export files carry (the cité scolaire's main establishment)."""
        return self.establishments[0].uai

    def directory_id_of(self, kind: str, ident: str) -> str | None:
        """Return the directory's key for a timetable entity, None when it is not there.

        ``kind`` is ``teacher`` or ``student`` (→ the AAF jointure) or ``class`` or ``group``
        (→ the class or group code the AAF uses, which is the timetable's name).
        """
        if kind in ("teacher", "student"):
            return self._jointures.get((kind, ident))
        if kind == "class":
            return self.timetable.classes[ident].name
        if kind == "group":
            return self.timetable.groups[ident].name
        raise ValueError(f"Unknown kind {kind!r}")

    def establishment_of(self, kind: str, ident: str) -> SampleEstablishment:
        """Return the establishment of a class, group, part or teacher of the timetable."""
        return self.establishments[self._unit_establishment[(kind, ident)]]

    def student_groups(self, ident: str) -> tuple[str, ...]:
        """Return the group idents a student belongs to (the export itself has no such list)."""
        return self._students_groups.get(ident, ())

    def counts(self) -> dict[str, int]:
        """Return the sizes of the sample, for reports."""
        t = self.timetable
        return {
            "establishments": len(self.establishments),
            "students": len(t.students),
            "teachers": len(t.teachers),
            "classes": len(t.classes),
            "parts": len(t.parts),
            "groups": len(t.groups),
            "rooms": len(t.rooms),
            "subjects": len(t.subjects),
            "courses": len(t.courses),
            "sessions": sum(len(lesson.weeks - lesson.cancelled) for lesson in self._lessons),
            "closings": len(t.closings),
            "absent": len(self.absent),
            "variants": len(self.variants),
        }

    def expected_sessions(self) -> list[ExpectedSession]:
        """Return every dated session of the sample, in date and time order.

        Computed from the generator's own lessons (not from the timetable model), so it can
        check what the parsers and the session generation produce. It describes the
        timetable as generated: a copy whose ``timetable`` was edited afterwards still
        expects the original sessions.
        """
        t = self.timetable
        monday = self.calendar.year.week1_monday
        weeks_a = self.calendar.weeks_a
        sessions = []
        for lesson in self._lessons:
            subject_code = SUBJECTS[lesson.subject].code
            start = PLACE_TIMES[lesson.place][0]
            end = PLACE_TIMES[lesson.place + lesson.length - 1][1]
            for week in sorted(lesson.weeks - lesson.cancelled):
                parity = WEEKS_A if week in weeks_a else WEEKS_B
                teachers = []
                for teacher in lesson.teachers:
                    substitute, replaced = lesson.replacements.get(teacher, ("", frozenset()))
                    teachers.append(substitute if week in replaced else teacher)
                present = [(k, i) for k, i, p in lesson.audience if p & parity]
                sessions.append(
                    ExpectedSession(
                        date=monday + dt.timedelta(days=7 * (week - 1) + lesson.day - 1),
                        start=start,
                        end=end,
                        subject_code=subject_code,
                        teachers=tuple(sorted(teachers)),
                        classes=tuple(
                            sorted(t.classes[i].name for k, i in present if k is UnitKind.CLASS)
                        ),
                        groups=tuple(
                            sorted(t.groups[i].name for k, i in present if k is UnitKind.GROUP)
                        ),
                        parts=tuple(sorted(i for k, i in present if k is UnitKind.PART)),
                        rooms=(t.rooms[lesson.room].name,),
                        course=lesson.ident,
                    )
                )
        sessions.sort()
        return sessions
