"""The synthetic cité scolaire: one coherent fictional school group, timetable and directory.

:func:`generate_sample` builds, deterministically from a preset and a seed, a collège (and a
lycée for the larger presets) with classes and their halves, groups across classes (languages,
options, spécialités), teachers with co-teaching and replacements, rooms, students with dated
enrolments, a school year with its holidays, and a weekly timetable scheduled without clashes.

The generator keeps its own description of every weekly lesson (:class:`Lesson`); from it
it derives both the normalised :class:`~imports.timetable.Timetable` the exports are written
from and, independently, the dated sessions an import should produce
(:meth:`Sample.expected_sessions`). The directory side (AAF records) lists the same people,
except a chosen share left out and another share spelt differently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from devtools.samples.aaf import aaf_records
from devtools.samples.calendar import default_start_year, school_calendar
from devtools.samples.catalogue import (
    CITIES,
    COLLEGE_CURRICULA,
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    LYCEE_CURRICULA,
    MALE_FIRST_NAMES,
    PATRONS,
    PLACE_MINUTES,
    PLACE_TIMES,
    PLACES_BY_DAY,
    SUBJECTS,
    WORKING_DAYS,
)
from devtools.samples.model import WEEKLY, WEEKS_A, WEEKS_B, Lesson, Sample, SampleEstablishment
from devtools.samples.model import ExpectedSession as ExpectedSession
from ent.identifiers import make_uai
from ent.text import ascii_fold
from imports.parsers.index_education import CLEAR as EDT_FORMAT
from imports.timetable import (
    ClassPart,
    Course,
    Enrolment,
    Group,
    Resource,
    Room,
    Slot,
    SourceClass,
    SourceSubject,
    Student,
    Teacher,
    TimeGrid,
    Timetable,
    UnitKind,
)

TEACHER_SERVICE_PLACES = 15  # weekly places a teacher is given, on average


@dataclass(frozen=True, slots=True)
class _EstablishmentPlan:
    kind: str  # "college" or "lycee"
    levels: tuple[tuple[str, int], ...]  # (level, number of classes)
    class_size: int


PRESETS: dict[str, tuple[_EstablishmentPlan, ...]] = {
    "small": (_EstablishmentPlan("college", (("6", 2), ("5", 2), ("4", 2), ("3", 2)), 25),),
    "medium": (
        _EstablishmentPlan("college", (("6", 3), ("5", 3), ("4", 3), ("3", 3)), 25),
        _EstablishmentPlan("lycee", (("2NDE", 3), ("1RE", 3), ("TLE", 3)), 28),
    ),
    "xl": (
        _EstablishmentPlan("college", (("6", 9), ("5", 9), ("4", 9), ("3", 9)), 25),
        _EstablishmentPlan("lycee", (("2NDE", 18), ("1RE", 18), ("TLE", 18)), 28),
    ),
}
_AGE_IN_SEPTEMBER = {"6": 11, "5": 12, "4": 13, "3": 14, "2NDE": 15, "1RE": 16, "TLE": 17}
_ROOM_KINDS = {  # kind → (label, classes per room)
    "lab": ("Labo", 5),
    "techno": ("Salle techno", 8),
    "arts": ("Salle d'arts plastiques", 12),
    "music": ("Salle de musique", 12),
    "sport": ("Gymnase", 5),
}


class SamplePresetError(ValueError):
    """An unknown preset name."""


def generate_sample(
    preset: str,
    *,
    seed: int,
    start_year: int | None = None,
    absent_share: float = 0.02,
    variant_share: float = 0.05,
    patron: str | None = None,
) -> Sample:
    """Generate the cité scolaire of ``preset`` (``small``, ``medium`` or ``xl``).

    The same arguments always give the same sample. ``absent_share`` of the timetable's
    teachers and of its students are left out of the directory, ``variant_share`` are spelt
    differently there (accents dropped, hyphen as space, case). ``patron`` names the
    establishments (drawn from the seed when None). Raises :class:`SamplePresetError`.
    """
    if preset not in PRESETS:
        raise SamplePresetError(
            f"Préréglage inconnu « {preset} » : choisissez parmi {', '.join(PRESETS)}."
        )
    if not (0 <= absent_share <= 1 and 0 <= variant_share <= 1):
        raise ValueError("absent_share and variant_share are shares between 0 and 1.")
    builder = _Builder(
        preset,
        seed=seed,
        start_year=default_start_year() if start_year is None else start_year,
        patron=patron,
    )
    return builder.build(absent_share=absent_share, variant_share=variant_share)


# --- the builder --------------------------------------------------------------------------


@dataclass
class _ClassInfo:
    ident: str
    name: str
    level: str
    establishment: int
    barrette: str = ""
    parts: tuple[str, ...] = ()
    half_groups: tuple[str, ...] = ()
    students: list[str] = field(default_factory=list)


@dataclass
class _TeacherInfo:
    ident: str
    establishment: int
    discipline: str
    load: float = 0.0


class _Builder:
    def __init__(self, preset: str, *, seed: int, start_year: int, patron: str | None) -> None:
        self.preset = preset
        self.seed = seed
        self.rng = random.Random(f"{preset}:{seed}:{start_year}")  # noqa: S311 - synthetic data
        self.calendar = school_calendar(start_year)
        self.start_year = start_year
        self.patron = patron or self.rng.choice(PATRONS)
        self.plans = PRESETS[preset]
        self.establishments: list[SampleEstablishment] = []
        self.classes: dict[str, _ClassInfo] = {}
        self.parts: dict[str, ClassPart] = {}
        self.groups: dict[str, Group] = {}
        self.group_establishment: dict[str, int] = {}
        self.rooms: dict[str, Room] = {}
        self.rooms_by_kind: dict[tuple[int, str], list[str]] = defaultdict(list)
        self.teachers: dict[str, Teacher] = {}
        self.teacher_info: dict[str, _TeacherInfo] = {}
        self.pools: dict[tuple[int, str], list[str]] = defaultdict(list)
        self.unit_teacher: dict[tuple[str, str], str] = {}
        self.students: dict[str, Student] = {}
        self.student_groups: dict[str, list[str]] = defaultdict(list)
        self.lessons: list[Lesson] = []
        self.occupied: dict[tuple[str, str, int, int], int] = {}
        self.day_subjects: dict[tuple[str, int, str], int] = defaultdict(int)
        self.group_block: dict[str, str] = {}
        self.used_names: set[tuple[str, str]] = set()
        self.used_ines: set[str] = set()

    # --- orchestration ---------------------------------------------------------------
    def build(self, *, absent_share: float, variant_share: float) -> Sample:
        self._establishments()
        requests = []
        for index, plan in enumerate(self.plans):
            requests += self._structure(index, plan)
        self._rooms()
        self._staff(requests)
        self._schedule(requests)
        self._students()
        self._weeks()
        timetable = self._timetable()
        absent, variants = self._directory_choices(absent_share, variant_share)
        jointures = self._jointures(absent)
        sample = Sample(
            preset=self.preset,
            seed=self.seed,
            timetable=timetable,
            establishments=tuple(self.establishments),
            aaf_records=[],
            directory_date=self.calendar.year.week_monday(3),
            exported_at=dt.datetime.combine(
                self.calendar.year.start - dt.timedelta(days=4), dt.time(17, 42, 5)
            ),
            absent=absent,
            variants=variants,
            calendar=self.calendar,
            _lessons=self.lessons,
            _jointures=jointures,
            _unit_establishment=self._unit_establishments(),
            _students_groups={k: tuple(v) for k, v in self.student_groups.items()},
        )
        sample.timetable.exported_at = sample.exported_at
        sample.aaf_records = aaf_records(sample, disciplines=self._disciplines())
        return sample

    # --- establishments, classes, groups ---------------------------------------------
    def _establishments(self) -> None:
        city, postal, department = self.rng.choice(CITIES)
        numbers = self.rng.sample(range(1000, 9999), len(self.plans))
        jointures = self.rng.sample(range(10000, 99999), len(self.plans))
        for plan, number, jointure in zip(self.plans, numbers, jointures, strict=True):
            kind_label = "Collège" if plan.kind == "college" else "Lycée"
            display = f"{kind_label} {self.patron}"
            self.establishments.append(
                SampleEstablishment(
                    uai=make_uai(f"{department}{number:04d}"),
                    name=ascii_fold(display).upper(),
                    display_name=display,
                    jointure=str(jointure),
                    kind=plan.kind,
                    city=city,
                    postal_code=postal,
                )
            )

    def _structure(self, index: int, plan: _EstablishmentPlan) -> list[list[Lesson]]:
        """Create the classes and groups of one establishment; return its lesson requests."""
        curricula = COLLEGE_CURRICULA if plan.kind == "college" else LYCEE_CURRICULA
        requests: list[list[Lesson]] = []
        for level, count in plan.levels:
            curriculum = curricula[level]
            halves = any(entry[0] in ("HAB", "HP") for entry in curriculum)
            classes = [self._class(index, level, n, count, halves) for n in range(count)]
            for start in range(0, count, 3):
                barrette = classes[start : start + 3]
                for info in barrette:
                    info.barrette = self._barrette_label(barrette)
                for entry in curriculum:
                    requests += self._entry_requests(index, entry, barrette)
        return requests

    def _class(self, index: int, level: str, n: int, count: int, halves: bool) -> _ClassInfo:
        name = (
            f"{level}{chr(ord('A') + n)}" if count <= 9 and level.isdigit() else f"{level}{n + 1}"
        )
        info = _ClassInfo(
            ident=str(len(self.classes) + 1), name=name, level=level, establishment=index
        )
        if halves:
            parts, half_groups = [], []
            for half in (1, 2):
                part = ClassPart(ident=str(len(self.parts) + 1), class_ident=info.ident)
                self.parts[part.ident] = part
                parts.append(part.ident)
                half_groups.append(self._group(index, f"{name} GR{half}", parts=(part.ident,)))
            info.parts, info.half_groups = tuple(parts), tuple(half_groups)
        self.classes[info.ident] = info
        return info

    def _group(
        self,
        index: int,
        name: str,
        *,
        classes: tuple[str, ...] = (),
        parts: tuple[str, ...] = (),
    ) -> str:
        ident = str(len(self.groups) + 1)
        self.groups[ident] = Group(ident=ident, name=name, class_idents=classes, part_idents=parts)
        self.group_establishment[ident] = index
        return ident

    def _barrette_label(self, barrette: list[_ClassInfo]) -> str:
        first, last = barrette[0].name, barrette[-1].name
        if len(barrette) == 1:
            return first
        if first[-1].isalpha():
            return first[:-1] + "".join(c.name[-1] for c in barrette)
        return f"{first}-{last[len(barrette[0].level) :]}"

    def _entry_requests(
        self, index: int, entry: tuple, barrette: list[_ClassInfo]
    ) -> list[list[Lesson]]:
        shape = entry[0]
        requests: list[list[Lesson]] = []
        if shape in ("BLOCK", "OPT"):
            label = self._barrette_label(barrette)
            class_idents = tuple(c.ident for c in barrette)
            if shape == "OPT":
                subject, length, count = entry[1], entry[2], 1
                names = [f"{label} {SUBJECTS[subject].label.split()[0]}"]
                subjects = [subject]
            else:
                subjects, length, count = list(entry[2]), entry[3], entry[4]
                names = []
                for position, subject in enumerate(subjects):
                    twins = subjects.count(subject)
                    suffix = str(subjects[:position].count(subject) + 1) if twins > 1 else ""
                    names.append(f"{label} {subject}{suffix}")
            groups = [self._group(index, name, classes=class_idents) for name in names]
            for group in groups:
                self.group_block[group] = "OPT" if shape == "OPT" else entry[1]
            for _ in range(count):
                requests.append(
                    [
                        self._lesson(index, subject, length, [(UnitKind.GROUP, group, WEEKLY)])
                        for subject, group in zip(subjects, groups, strict=True)
                    ]
                )
            return requests
        for info in barrette:
            requests += self._class_requests(index, entry, info)
        return requests

    def _class_requests(self, index: int, entry: tuple, info: _ClassInfo) -> list[list[Lesson]]:
        shape, subject = entry[0], entry[1]
        whole = [(UnitKind.CLASS, info.ident, WEEKLY)]
        if shape == "C":
            return [[self._lesson(index, subject, entry[2], whole)] for _ in range(entry[3])]
        if shape in ("A", "B"):
            parity = WEEKS_A if shape == "A" else WEEKS_B
            lesson = self._lesson(index, subject, entry[2], [(UnitKind.CLASS, info.ident, parity)])
            lesson.parity = parity
            return [[lesson]]
        if shape == "HAB":
            gr1, gr2 = info.half_groups
            audience = [(UnitKind.GROUP, gr1, WEEKS_A), (UnitKind.GROUP, gr2, WEEKS_B)]
            return [[self._lesson(index, subject, entry[2], audience)]]
        if shape == "HP":
            return [
                [self._lesson(index, subject, entry[2], [(UnitKind.PART, part, WEEKLY)])]
                for part in info.parts
            ]
        if shape == "CO":
            lesson = self._lesson(index, subject, entry[3], whole)
            lesson.teachers.append(f"co:{entry[2]}")
            return [[lesson]]
        raise ValueError(f"Unknown curriculum entry {entry!r}")

    def _lesson(
        self, index: int, subject: str, length: int, audience: list[tuple[UnitKind, str, int]]
    ) -> Lesson:
        return Lesson(
            establishment=index,
            subject=subject,
            length=length,
            parity=WEEKLY,
            teachers=[],
            audience=audience,
        )

    def _unit_class_idents(self, kind: UnitKind, ident: str) -> tuple[str, ...]:
        if kind is UnitKind.CLASS:
            return (ident,)
        if kind is UnitKind.PART:
            return (self.parts[ident].class_ident,)
        group = self.groups[ident]
        return group.class_idents + tuple(self.parts[p].class_ident for p in group.part_idents)

    # --- rooms and teachers ----------------------------------------------------------
    def _rooms(self) -> None:
        for index, _establishment in enumerate(self.establishments):
            building = "AB"[index]
            count = sum(1 for c in self.classes.values() if c.establishment == index)
            for number in range(count + max(3, count // 3)):
                floor, rank = divmod(number, 12)
                self._room(index, "classroom", f"{building}{floor + 1}{rank + 1:02d}")
            for kind, (label, per_room) in _ROOM_KINDS.items():
                for number in range(max(1, math.ceil(count / per_room))):
                    self._room(index, kind, f"{label} {building}{number + 1}")

    def _room(self, index: int, kind: str, name: str) -> None:
        ident = str(len(self.rooms) + 1)
        self.rooms[ident] = Room(ident=ident, name=name)
        self.rooms_by_kind[(index, kind)].append(ident)

    def _staff(self, requests: list[list[Lesson]]) -> None:
        hours: dict[tuple[int, str], float] = defaultdict(float)
        for block in requests:
            for lesson in block:
                share = 1 if lesson.parity == WEEKLY else 0.5
                for subject in _lesson_subjects(lesson):
                    key = (lesson.establishment, SUBJECTS[subject].discipline)
                    hours[key] += lesson.length * share
        for (index, discipline), total in sorted(hours.items()):
            for _ in range(max(1, round(total / TEACHER_SERVICE_PLACES + 0.3))):
                self._teacher(index, discipline)

    def _teacher(self, index: int, discipline: str) -> str:
        ident = str(len(self.teachers) + 1)
        female = self.rng.random() < 0.6
        last, first = self._name(female)
        self.teachers[ident] = Teacher(
            ident=ident,
            last_name=last,
            first_name=first,
            birth_date=dt.date(
                self.start_year - self.rng.randint(24, 63),
                self.rng.randint(1, 12),
                self.rng.randint(1, 28),
            ),
            sts_id=str(self.rng.randint(10_000_000, 99_999_999)),
        )
        self.teacher_info[ident] = _TeacherInfo(ident, index, discipline)
        self.pools[(index, discipline)].append(ident)
        return ident

    def _name(self, female: bool) -> tuple[str, str]:
        while True:
            last = self.rng.choice(LAST_NAMES)
            first = self.rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
            if (last, first) not in self.used_names or len(self.used_names) > 4000:
                self.used_names.add((last, first))
                return last, first

    # --- scheduling ------------------------------------------------------------------
    def _schedule(self, requests: list[list[Lesson]]) -> None:
        """Place the most constrained requests first: whole barrettes, then long lessons."""
        order = sorted(
            range(len(requests)),
            key=lambda i: (
                -len(self._block_classes(requests[i])),
                -len(requests[i]),
                -requests[i][0].length,
                self.rng.random(),
            ),
        )
        for i in order:
            self._place(requests[i])
        self.lessons = [lesson for block in requests for lesson in block]

    def _block_classes(self, block: list[Lesson]) -> list[str]:
        return sorted(
            {
                c
                for lesson in block
                for kind, ident, _parity in lesson.audience
                for c in self._unit_class_idents(kind, ident)
            }
        )

    def _candidate_slots(
        self, length: int, classes: list[str], subject: str, *, relaxed: bool
    ) -> list[tuple[int, int]]:
        """Return the possible starts, days without this subject for these classes first.

        ``relaxed`` also opens the lunch place and Wednesday afternoon, as schools do when
        the timetable is full.
        """
        every_place = tuple(range(len(PLACE_TIMES)))
        slots = [
            (day, place)
            for day in WORKING_DAYS
            for places in [every_place if relaxed else PLACES_BY_DAY[day]]
            for place in places
            if all(place + k in places for k in range(length))
        ]
        self.rng.shuffle(slots)
        slots.sort(key=lambda s: sum(self.day_subjects[(c, s[0], subject)] for c in classes))
        return slots

    def _free(
        self, resource: tuple[str, str], day: int, place: int, length: int, parity: int
    ) -> bool:
        return all(
            not (self.occupied.get((resource[0], resource[1], day, place + k), 0) & parity)
            for k in range(length)
        )

    def _take(
        self, resource: tuple[str, str], day: int, place: int, length: int, parity: int
    ) -> None:
        for k in range(length):
            key = (resource[0], resource[1], day, place + k)
            self.occupied[key] = self.occupied.get(key, 0) | parity

    def _place(self, block: list[Lesson]) -> None:
        first = block[0]
        length, parity = first.length, first.parity
        classes = self._block_classes(block)
        # Attempt 0 keeps teachers within their service, 1 overloads them, 2 hires one,
        # 3 also uses the lunch place and Wednesday afternoon.
        for attempt in range(4):
            slots = self._candidate_slots(length, classes, first.subject, relaxed=attempt == 3)
            for day, place in slots:
                if not all(self._free(("c", c), day, place, length, parity) for c in classes):
                    continue
                chosen = self._staff_block(block, day, place, attempt)
                if chosen is None:
                    continue
                for c in classes:
                    self._take(("c", c), day, place, length, parity)
                    self.day_subjects[(c, day, first.subject)] += 1
                for lesson, (teachers, room) in zip(block, chosen, strict=True):
                    lesson.day, lesson.place, lesson.room = day, place, room
                    lesson.teachers = teachers
                    for teacher in teachers:
                        self._take(("t", teacher), day, place, length, parity)
                        self.teacher_info[teacher].load += length * (1 if parity == WEEKLY else 0.5)
                        self.unit_teacher.setdefault(
                            (self._unit_key(lesson), self.teacher_info[teacher].discipline),
                            teacher,
                        )
                    self._take(("r", room), day, place, length, parity)
                return
        raise RuntimeError(f"The synthetic timetable could not place {block!r}.")

    def _staff_block(
        self, block: list[Lesson], day: int, place: int, attempt: int
    ) -> list[tuple[list[str], str]] | None:
        chosen: list[tuple[list[str], str]] = []
        taken: set[str] = set()
        for lesson in block:
            teachers = []
            for subject in _lesson_subjects(lesson):
                teacher = self._teacher_for(lesson, subject, day, place, taken, attempt)
                if teacher is None:
                    return None
                teachers.append(teacher)
                taken.add(teacher)
            room = self._room_for(lesson, day, place, taken)
            if room is None:
                return None
            taken.add(f"r{room}")
            chosen.append((teachers, room))
        return chosen

    def _unit_key(self, lesson: Lesson) -> str:
        """Return who a teacher is "the teacher of": a class (whole, halves, parts) or a group."""
        kind, ident, _parity = lesson.audience[0]
        if kind is UnitKind.GROUP and self.groups[ident].class_idents:
            return f"g{ident}"
        return self._unit_class_idents(kind, ident)[0]

    def _teacher_for(
        self,
        lesson: Lesson,
        subject: str,
        day: int,
        place: int,
        taken: set[str],
        attempt: int,
    ) -> str | None:
        discipline = SUBJECTS[subject].discipline
        preferred = self.unit_teacher.get((self._unit_key(lesson), discipline))
        pool = self.pools[(lesson.establishment, discipline)]
        candidates = sorted(pool, key=lambda t: (self.teacher_info[t].load, int(t)))
        if preferred is not None:
            candidates = [preferred] + [t for t in candidates if t != preferred]
        for teacher in candidates:
            if teacher in taken:
                continue
            overloaded = self.teacher_info[teacher].load >= TEACHER_SERVICE_PLACES + 3
            if attempt == 0 and teacher != preferred and overloaded:
                continue
            if self._free(("t", teacher), day, place, lesson.length, lesson.parity):
                return teacher
        if attempt >= 2:
            return self._teacher(lesson.establishment, discipline)
        return None

    def _room_for(self, lesson: Lesson, day: int, place: int, taken: set[str]) -> str | None:
        kind = SUBJECTS[lesson.subject].room_kind
        rooms = self.rooms_by_kind[(lesson.establishment, kind)]
        if kind == "classroom" and lesson.audience[0][0] is UnitKind.CLASS:
            # A class keeps its own room when it is free.
            home = int(lesson.audience[0][1]) % len(rooms)
            rooms = rooms[home:] + rooms[:home]
        for room in rooms:
            if f"r{room}" not in taken and self._free(
                ("r", room), day, place, lesson.length, lesson.parity
            ):
                return room
        return None

    # --- students ----------------------------------------------------------------------
    def _students(self) -> None:
        calendar = self.calendar
        school_days = [
            day
            for week in calendar.teaching_weeks
            for day in (calendar.year.day(week, weekday) for weekday in range(1, 6))
            if calendar.is_school_day(day)
        ]
        middle = school_days[len(school_days) // 8 : len(school_days) * 7 // 8]
        for info in self.classes.values():
            for _ in range(self.plans[info.establishment].class_size):
                info.students.append(self._student(info))
        for info in list(self.classes.values()):
            for ident in info.students[: self.plans[info.establishment].class_size]:
                self._enrol(info, ident, middle)
        self._group_memberships()

    def _student(self, info: _ClassInfo) -> str:
        ident = str(len(self.students) + 1)
        female = self.rng.random() < 0.5
        last, first = self._name(female)
        age = _AGE_IN_SEPTEMBER[info.level] + (1 if self.rng.random() < 0.08 else 0)
        # French school cohorts go by calendar year of birth.
        birth = dt.date(self.start_year - age, 1, 1) + dt.timedelta(days=self.rng.randint(0, 364))
        while True:
            letters = self.rng.choice("ABCDEFGHJK") + self.rng.choice("LMNPRSTUVWXYZ")
            ine = f"{self.rng.randint(0, 999_999_999):09d}{letters}"
            if ine not in self.used_ines:
                self.used_ines.add(ine)
                break
        self.students[ident] = Student(
            ident=ident,
            last_name=last,
            first_name=first,
            birth_date=birth,
            sex="F" if female else "M",
            ine=ine,
            siecle_id=str(400_000 + int(ident)),
            enrolments=(),
        )
        return ident

    def _enrol(self, info: _ClassInfo, ident: str, middle: list[dt.date]) -> None:
        """Give the student dated enrolments: most the whole year, some arrive, leave or move."""
        year = self.calendar.year
        draw = self.rng.random()
        spans: list[tuple[_ClassInfo, dt.date | None, dt.date | None]]
        siblings = [
            c
            for c in self.classes.values()
            if c.barrette == info.barrette and c.ident != info.ident
        ]
        if draw < 0.03:
            spans = [(info, self.rng.choice(middle), year.end)]
        elif draw < 0.05:
            spans = [(info, year.start, self.rng.choice(middle))]
        elif draw < 0.06 and siblings:
            moved = self.rng.choice(middle)
            target = self.rng.choice(siblings)
            spans = [(info, year.start, moved), (target, moved, year.end)]
            target.students.append(ident)
        else:
            spans = [(info, year.start, year.end)]
        # Classes first, then parts: the order of an EDT export.
        enrolments = [
            Enrolment(UnitKind.CLASS, klass.ident, start, end) for klass, start, end in spans
        ]
        for klass, start, end in spans:
            if klass.parts:
                half = self._half_of(klass, ident)
                enrolments.append(Enrolment(UnitKind.PART, klass.parts[half], start, end))
        self.students[ident] = dataclasses.replace(
            self.students[ident], enrolments=tuple(enrolments)
        )

    def _half_of(self, klass: _ClassInfo, ident: str) -> int:
        """Split a class in halves by alphabetical order, the way schools usually do."""
        ordered = sorted(
            klass.students[: self.plans[klass.establishment].class_size],
            key=lambda s: (ascii_fold(self.students[s].last_name), self.students[s].first_name),
        )
        if ident not in ordered:
            return int(ident) % 2
        return 0 if ordered.index(ident) < len(ordered) / 2 else 1

    def _group_memberships(self) -> None:
        """Share each barrette's students among its parallel groups; a quarter take options."""
        blocks: dict[tuple[tuple[str, ...], str], list[str]] = defaultdict(list)
        for ident, group in self.groups.items():
            if group.class_idents:
                blocks[(group.class_idents, self.group_block[ident])].append(ident)
        for (class_idents, block), groups in sorted(blocks.items()):
            members = list(dict.fromkeys(s for c in class_idents for s in self.classes[c].students))
            self.rng.shuffle(members)
            if block == "OPT":
                for s in members[: len(members) // 4]:
                    self.student_groups[s] += groups
                continue
            for position, s in enumerate(members):
                self.student_groups[s].append(groups[position % len(groups)])
        for ident, student in self.students.items():
            part = next((e.ident for e in student.enrolments if e.kind is UnitKind.PART), None)
            if part is not None:
                info = self.classes[self.parts[part].class_ident]
                self.student_groups[ident].append(info.half_groups[info.parts.index(part)])

    # --- weeks, replacements, cancellations --------------------------------------------
    def _weeks(self) -> None:
        calendar = self.calendar
        parity_weeks = {WEEKS_A: calendar.weeks_a, WEEKS_B: calendar.weeks_b}
        for lesson in self.lessons:
            weeks = calendar.lesson_weeks(lesson.day)
            if lesson.parity != WEEKLY:
                weeks &= parity_weeks[lesson.parity]
            lesson.weeks = weeks
        self.lessons.sort(
            key=lambda x: (x.day, x.place, x.establishment, x.subject, int(x.audience[0][1]))
        )
        for number, lesson in enumerate(self.lessons, start=1):
            lesson.ident = str(number)
        self._replacements()
        self._cancellations()

    def _replacements(self) -> None:
        """A few teachers are on leave for some weeks; a substitute takes their lessons."""
        teaching = self.calendar.teaching_weeks
        by_teacher: dict[str, list[Lesson]] = defaultdict(list)
        for lesson in self.lessons:
            for teacher in lesson.teachers:
                by_teacher[teacher].append(lesson)
        candidates = sorted(by_teacher, key=int)
        count = max(1, round(len(candidates) * 0.02))
        for absent in self.rng.sample(candidates, count):
            info = self.teacher_info[absent]
            substitute = self._teacher(info.establishment, info.discipline)
            first = self.rng.randrange(4, len(teaching) - 8)
            window = frozenset(teaching[first : first + self.rng.randint(3, 6)])
            for lesson in by_teacher[absent]:
                if lesson.weeks & window:
                    lesson.replacements[absent] = (substitute, lesson.weeks & window)

    def _cancellations(self) -> None:
        """Some lessons are cancelled one week (a trip, a mock exam)."""
        count = max(1, round(len(self.lessons) * 0.02))
        for lesson in self.rng.sample(self.lessons, count):
            if len(lesson.weeks) > 2:
                lesson.cancelled = frozenset({self.rng.choice(sorted(lesson.weeks))})

    # --- the timetable -----------------------------------------------------------------
    def _timetable(self) -> Timetable:
        used_subjects = sorted(
            {lesson.subject for lesson in self.lessons}, key=list(SUBJECTS).index
        )
        subject_idents = {key: str(n) for n, key in enumerate(used_subjects, start=1)}
        timetable = Timetable(
            source_format=EDT_FORMAT.value,
            uai=self.establishments[0].uai,
            year=self.calendar.year,
            software=f"EDT Monoposte-EDT {self.start_year + 1} - 1.0.4",
            format_version="1.1",
            grid=TimeGrid(
                days=WORKING_DAYS,
                slot_minutes=PLACE_MINUTES,
                slots=tuple(Slot(n, s, e) for n, (s, e) in enumerate(PLACE_TIMES)),
            ),
            subjects={
                subject_idents[k]: SourceSubject(
                    subject_idents[k], SUBJECTS[k].code, SUBJECTS[k].label
                )
                for k in used_subjects
            },
            teachers=dict(self.teachers),
            classes={
                i: SourceClass(ident=i, name=c.name, part_idents=c.parts)
                for i, c in self.classes.items()
            },
            parts=dict(self.parts),
            groups=dict(self.groups),
            rooms=dict(self.rooms),
            students=dict(self.students),
            closings=list(self.calendar.closings),
        )
        timetable.courses = [self._course(lesson, subject_idents) for lesson in self.lessons]
        return timetable

    def _course(self, lesson: Lesson, subject_idents: dict[str, str]) -> Course:
        parity_weeks = {
            WEEKLY: lesson.weeks,
            WEEKS_A: lesson.weeks & self.calendar.weeks_a,
            WEEKS_B: lesson.weeks & self.calendar.weeks_b,
        }
        teachers = []
        for teacher in lesson.teachers:
            substitute, replaced = lesson.replacements.get(teacher, ("", frozenset()))
            teachers.append(Resource(teacher, lesson.weeks - replaced))
            if replaced:
                teachers.append(Resource(substitute, replaced))
        units: dict[UnitKind, list[Resource]] = defaultdict(list)
        for kind, ident, parity in lesson.audience:
            units[kind].append(Resource(ident, parity_weeks[parity]))
        return Course(
            ident=lesson.ident,
            day=lesson.day,
            start=PLACE_TIMES[lesson.place][0],
            end=PLACE_TIMES[lesson.place + lesson.length - 1][1],
            subject_ident=subject_idents[lesson.subject],
            teachers=tuple(r for r in teachers if r.weeks),
            classes=tuple(units[UnitKind.CLASS]),
            parts=tuple(units[UnitKind.PART]),
            groups=tuple(units[UnitKind.GROUP]),
            rooms=(Resource(lesson.room, lesson.weeks),),
            cancelled_weeks=lesson.cancelled,
        )

    # --- directory choices ---------------------------------------------------------------
    def _directory_choices(
        self, absent_share: float, variant_share: float
    ) -> tuple[frozenset[tuple[str, str]], dict[tuple[str, str], tuple[str, str]]]:
        absent: set[tuple[str, str]] = set()
        variants: dict[tuple[str, str], tuple[str, str]] = {}
        for kind, people in (("teacher", self.teachers), ("student", self.students)):
            idents = sorted(people, key=int)
            left_out = self.rng.sample(idents, round(absent_share * len(idents)))
            absent.update((kind, i) for i in left_out)
            present = [i for i in idents if (kind, i) not in absent]
            for ident in self.rng.sample(
                present, min(len(present), round(variant_share * len(idents)))
            ):
                person = people[ident]
                variants[(kind, ident)] = self._variant(person.last_name, person.first_name)
        return frozenset(absent), variants

    def _variant(self, last: str, first: str) -> tuple[str, str]:
        """Spell a name differently but equivalently: no accents, no hyphen, other case."""
        options = []
        if ascii_fold(last + first) != last + first:
            options.append((ascii_fold(last), ascii_fold(first)))
        if "-" in last + first:
            options.append((last.replace("-", " "), first.replace("-", " ")))
        options.append((last.upper(), first))
        return self.rng.choice(options)

    def _jointures(self, absent: frozenset[tuple[str, str]]) -> dict[tuple[str, str], str]:
        base = self.rng.randrange(1_000_000, 8_000_000, 100_000)
        jointures = {}
        for kind, people, offset in (
            ("student", self.students, 0),
            ("teacher", self.teachers, 50_000),
        ):
            for ident in sorted(people, key=int):
                if (kind, ident) not in absent:
                    jointures[(kind, ident)] = str(base + offset + int(ident))
        return jointures

    def _disciplines(self) -> dict[str, str]:
        return {ident: info.discipline for ident, info in self.teacher_info.items()}

    def _unit_establishments(self) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for ident, info in self.classes.items():
            found[("class", ident)] = info.establishment
        for ident, part in self.parts.items():
            found[("part", ident)] = self.classes[part.class_ident].establishment
        for ident, index in self.group_establishment.items():
            found[("group", ident)] = index
        for ident, teacher in self.teacher_info.items():
            found[("teacher", ident)] = teacher.establishment
        for ident, student in self.students.items():
            found[("student", ident)] = self.classes[student.enrolments[0].ident].establishment
        return found


def _lesson_subjects(lesson: Lesson) -> list[str]:
    """Return the subjects of a lesson's teachers: its own, then co-teachers' (``co:KEY``)."""
    return [lesson.subject] + [t[3:] for t in lesson.teachers if t.startswith("co:")]
